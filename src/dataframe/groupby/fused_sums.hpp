#pragma once
// The group-by's fused sums (private to src/dataframe): sums, means and counts of number columns
// without missing values, added for all of them in one pass over a block's rows.

#include <array>
#include <cstdint>
#include <vector>

#include "dataframe/groupby/aggregates.hpp"
#include "dataframe/groupby/group_lines.hpp"
#include "loom/dataframe/column.hpp"

namespace loom::dataframe::detail {

/// Sums, means and counts of numbers without a validity bitmap, fused: each group has one
/// record of cells (its rows, then each column's sum), so that a block of rows touches one
/// cache line per group for all of these columns together. Also counts every group's rows for
/// the other accumulators. The records are lines() that a grouper may share (group_lines.hpp).
class FusedSums {
 public:
  FusedSums();
  FusedSums(const FusedSums&) = delete;
  FusedSums& operator=(const FusedSums&) = delete;

  /// Whether `acc` over `d` can be fused.
  [[nodiscard]] static bool fits(const Aggregate& acc, const ColumnData* d) noexcept;
  /// Fuses aggregate number `acc` (which fits) over `d`.
  void add_member(std::size_t acc, const ColumnData* d, bool sums);
  /// Points every member at the next partition's column: values[acc] for member `acc` (each
  /// still fits, with the same dtype).
  void rebind(const std::vector<const ColumnData*>& values);
  /// Rows [begin, begin + n) into groups group[0..n) (-1: none); `groups` groups so far.
  void add_block(std::int64_t begin, std::int64_t n, const std::int32_t* group, std::size_t groups);
  /// Hands the members' results to their aggregates' states (`groups` groups) and the rows of
  /// each group into `rows`.
  void finish(std::vector<Aggregate>& aggs, std::size_t groups, std::vector<std::int64_t>& rows);

  /// The records, whose layout is final once every member is added.
  [[nodiscard]] GroupLines& lines() noexcept { return lines_; }

  struct IntSum {  // an int column's values (a block, widened) and its sum's cell
    const std::int64_t* v;
    int cell;
  };
  struct FloatSum {  // a float column's values, its sum's cell (-1: counted only), its NaNs
    const double* v;
    int cell;
    int missing;
  };

 private:
  struct Member {
    std::size_t acc;
    const ColumnData* column;
    bool is_float;
    int sum;      // cell of the sum, -1: none (counts)
    int missing;  // float columns: which of their NaN counts, -1: none (ints)
  };
  std::vector<Member> members_;
  std::size_t stride_ = 1;  // cells used per group; cell 0 counts rows
  GroupLines lines_;
  // NaN counts per group and float column, apart: touched only when a NaN comes.
  std::size_t floats_ = 0;
  std::vector<std::int64_t> missing_;
  std::array<std::vector<std::int64_t>, 8> scratch_;  // narrow int columns of a block, widened
};

}  // namespace loom::dataframe::detail
