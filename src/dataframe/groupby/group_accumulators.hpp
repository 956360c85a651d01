#pragma once
// Group-by accumulators (private to src/dataframe): one per aggregated output column, vectors
// indexed by group. Rows come in blocks with their group numbers; partial results of partitions
// merge group by group. Each block or merge picks its loop once from the function and the
// column's type, so the common cases (sums, means and counts of numbers without missing
// values) run in tight loops.

#include <array>
#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "dataframe/groupby/group_lines.hpp"
#include "loom/dataframe/column.hpp"
#include "dataframe/column_builder.hpp"

namespace loom::dataframe::detail {

enum class AggFn { kSum, kMean, kStd, kVar, kMin, kMax, kCount, kSize, kFirst, kLast, kNunique };

/// The function of a name checked by aggregate_schema (sum, mean, ..., nunique).
[[nodiscard]] AggFn agg_fn(const std::string& name);

struct Accumulator {
  Accumulator() = default;  // for deserialization
  explicit Accumulator(AggFn f) : fn(f) {}

  AggFn fn = AggFn::kSum;
  std::vector<std::int64_t> count;  // non-missing values (size: all rows)
  // Sums: of integer (and bool) values, of float values; the total is isum + fsum. Each is
  // empty until a value of its kind comes (then as long as count).
  std::vector<std::int64_t> isum;
  std::vector<double> fsum;
  std::vector<double> mean;
  std::vector<double> m2;
  std::vector<double> fval;  // min/max/first/last of numbers
  std::vector<std::int64_t> ival;
  std::vector<std::string> sval;
  std::vector<std::unordered_set<std::string>> uniq;
  bool saw_float = false;
  bool text = false;  // min/max/first/last of strings

  /// Makes room for `groups` groups (new ones empty).
  void resize(std::size_t groups);
  /// Takes rows [begin, begin + n) of `d` (ignored for size) into groups group[0..n) (-1: the
  /// row belongs to no group). Sums, means and counts count only the missing values here, the
  /// rows of each group are counted once for all of them (finish_partition).
  void add_block(const ColumnData* d, std::int64_t begin, std::int64_t n,
                 const std::int32_t* group);
  /// Ends a partition's rows: `rows` holds the number of rows of each group.
  void finish_partition(const std::vector<std::int64_t>& rows);
  /// Merges every group h of `o` (a later partition's partials) into group target[h].
  void merge(const Accumulator& o, const std::vector<std::int32_t>& target);
  /// Appends group g's result as `type` (the result column's dtype) to `b`.
  void emit(std::size_t g, DType type, ColumnBuilder& b) const;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(fn, count, isum, fsum, mean, m2, fval, ival, sval, uniq, saw_float, text);
  }

  /// Makes room for the int (or float) sums of every group.
  void ensure_sums(bool floats);

 private:
  [[nodiscard]] bool counts_rows() const noexcept;
  [[nodiscard]] std::int64_t int_sum(std::size_t g) const noexcept {
    return isum.empty() ? 0 : isum[g];
  }
  [[nodiscard]] double float_sum(std::size_t g) const noexcept {
    return fsum.empty() ? 0.0 : fsum[g];
  }
  void add(std::size_t g, const ColumnData& d, std::int64_t i);
  void merge_one(std::size_t g, const Accumulator& o, std::size_t h);
};

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
  [[nodiscard]] static bool fits(const Accumulator& acc, const ColumnData* d) noexcept;
  /// Fuses accumulator number `acc` (which fits) over `d`.
  void add_member(std::size_t acc, const ColumnData* d, bool sums);
  /// Points every member at the next partition's column: values[acc] for member `acc` (each
  /// still fits, with the same dtype).
  void rebind(const std::vector<const ColumnData*>& values);
  /// Rows [begin, begin + n) into groups group[0..n) (-1: none); `groups` groups so far.
  void add_block(std::int64_t begin, std::int64_t n, const std::int32_t* group, std::size_t groups);
  /// Writes the members' results into their accumulators (`groups` groups) and the rows of
  /// each group into `rows`.
  void finish(std::vector<Accumulator>& accs, std::size_t groups, std::vector<std::int64_t>& rows);

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
