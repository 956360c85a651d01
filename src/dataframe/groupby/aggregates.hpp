#pragma once
// Group-by aggregates (private to src/dataframe): one state type per function, each with
//   resize(groups)                    room for the groups found so far,
//   consume(d, begin, n, group)       rows [begin, begin + n) of column d into groups group[k],
//   merge(o, target)                  another partial's group h into group target[h],
//   finalize(order, type)             the output column, groups in `order`;
// a state's loops are picked once per block from the column's type (no per-row switch on the
// function or the dtype). `Aggregate` holds the state of one output column, chosen once from
// the function's name and the column's dtype: every partition of a run holds the column in that
// one dtype (run_settled, csv/dtype_revisions.hpp). Sums, means and counts of numbers without missing values usually skip
// consume: FusedSums (fused_sums.hpp) adds them for all columns in one pass and hands its
// results over at the end of a partition.

#include <cstdint>
#include <string>
#include <unordered_set>
#include <variant>
#include <vector>

#include <cereal/types/string.hpp>
#include <cereal/types/unordered_set.hpp>
#include <cereal/types/variant.hpp>
#include <cereal/types/vector.hpp>

#include "loom/core/detail/moments.hpp"
#include "loom/dataframe/column.hpp"

namespace loom::dataframe::detail {

enum class AggFn { kSum, kMean, kStd, kVar, kMin, kMax, kCount, kSize, kFirst, kLast, kNunique };

/// The function of a name checked by aggregate_schema (sum, mean, ..., nunique).
[[nodiscard]] AggFn agg_fn(const std::string& name);

/// count: the non-missing values of each group. A partition's missing values are counted while
/// its rows come, its rows per group once at the end (finish_partition): the fused sums count
/// every group's rows for all the columns together.
struct CountState {
  std::vector<std::int64_t> count;

  void resize(std::size_t groups);
  void consume(const ColumnData& d, std::int64_t begin, std::int64_t n, const std::int32_t* group);
  /// Ends a partition's rows: `rows` holds the number of rows of each group.
  void finish_partition(const std::vector<std::int64_t>& rows);
  void merge(const CountState& o, const std::vector<std::int32_t>& target);
  [[nodiscard]] Column finalize(const std::vector<std::int32_t>& order, DType type) const;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(count);
  }
};

/// size: the rows of each group, missing values or not (only finish_partition counts).
struct SizeState : CountState {
  void consume(const ColumnData& /*d*/, std::int64_t /*begin*/, std::int64_t /*n*/,
               const std::int32_t* /*group*/) {}
};

/// sum: counts as CountState, and the sums of integer (and bool) values or of float values;
/// the total is isum + fsum. Each sum is empty until a value of its kind comes (then as long as
/// count): an int column's partials carry no float sums, and no fresh pages for them.
struct SumState : CountState {
  std::vector<std::int64_t> isum;
  std::vector<double> fsum;

  void resize(std::size_t groups);
  /// Makes room for the int (or float) sums of every group.
  void ensure_sums(bool floats);
  void consume(const ColumnData& d, std::int64_t begin, std::int64_t n, const std::int32_t* group);
  void merge(const SumState& o, const std::vector<std::int32_t>& target);
  [[nodiscard]] Column finalize(const std::vector<std::int32_t>& order, DType type) const;

  [[nodiscard]] std::int64_t int_sum(std::size_t g) const noexcept {
    return isum.empty() ? 0 : isum[g];
  }
  [[nodiscard]] double float_sum(std::size_t g) const noexcept {
    return fsum.empty() ? 0.0 : fsum[g];
  }

  template <class Archive>
  void serialize(Archive& ar) {
    ar(count, isum, fsum);
  }
};

/// mean: a sum and a count; only the result differs.
struct MeanState : SumState {
  [[nodiscard]] Column finalize(const std::vector<std::int32_t>& order, DType type) const;
};

/// var, or std with kRoot: each group's moments (loom::detail::Moments, as the arrays' var).
template <bool kRoot>
struct MomentsState {
  std::vector<loom::detail::Moments> moments;

  void resize(std::size_t groups) { moments.resize(groups); }
  void consume(const ColumnData& d, std::int64_t begin, std::int64_t n, const std::int32_t* group);
  void finish_partition(const std::vector<std::int64_t>& /*rows*/) {}
  void merge(const MomentsState& o, const std::vector<std::int32_t>& target);
  [[nodiscard]] Column finalize(const std::vector<std::int32_t>& order, DType type) const;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(moments);
  }
};

/// What min, max, first and last keep of a group: its value as a double, as an integer (ints
/// and datetimes compare as integers: doubles lose them above 2^53) and as a string; which one
/// counts follows the column's dtype.
struct ValueState {
  std::vector<std::int64_t> count;  // values seen
  std::vector<double> fval;
  std::vector<std::int64_t> ival;
  std::vector<std::string> sval;
  bool floats = false;  // a float64 column: values compare as doubles
  bool text = false;    // a string column

  void resize(std::size_t groups);
  void finish_partition(const std::vector<std::int64_t>& /*rows*/) {}
  /// Group g takes group h of `o`.
  void take(std::size_t g, const ValueState& o, std::size_t h) {
    fval[g] = o.fval[h];
    ival[g] = o.ival[h];
    sval[g] = o.sval[h];
  }
  /// Merges every group h of `o` into group target[h]: the counts add up, and a group takes
  /// o's value when it had none yet or `wins(g, h)` says o's is the one to keep.
  template <class Wins>
  void merge_values(const ValueState& o, const std::vector<std::int32_t>& target, Wins wins) {
    for (std::size_t h = 0; h < target.size(); ++h) {
      const auto g = static_cast<std::size_t>(target[h]);
      const std::int64_t a = count[g];
      const std::int64_t b = o.count[h];
      if (b == 0) continue;
      count[g] = a + b;
      if (a == 0 || wins(g, h)) take(g, o, h);
    }
  }
  [[nodiscard]] Column finalize(const std::vector<std::int32_t>& order, DType type) const;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(count, fval, ival, sval, floats, text);
  }
};

/// min, or max with kMax.
template <bool kMax>
struct ExtremeState : ValueState {
  void consume(const ColumnData& d, std::int64_t begin, std::int64_t n, const std::int32_t* group);
  void merge(const ExtremeState& o, const std::vector<std::int32_t>& target);
};

/// first, or last with kLast (partials merge in row order).
template <bool kLast>
struct PickState : ValueState {
  void consume(const ColumnData& d, std::int64_t begin, std::int64_t n, const std::int32_t* group);
  void merge(const PickState& o, const std::vector<std::int32_t>& target);
};

/// nunique: each group's distinct values (as group keys encode them: -0.0 is 0.0).
struct NuniqueState {
  std::vector<std::unordered_set<std::string>> uniq;

  void resize(std::size_t groups) { uniq.resize(groups); }
  void consume(const ColumnData& d, std::int64_t begin, std::int64_t n, const std::int32_t* group);
  void finish_partition(const std::vector<std::int64_t>& /*rows*/) {}
  void merge(const NuniqueState& o, const std::vector<std::int32_t>& target);
  [[nodiscard]] Column finalize(const std::vector<std::int32_t>& order, DType type) const;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(uniq);
  }
};

/// The state of one aggregated output column, its type chosen once from the function (the
/// alternatives in AggFn's order).
class Aggregate {
 public:
  using State = std::variant<SumState, MeanState, MomentsState<true>, MomentsState<false>,
                             ExtremeState<false>, ExtremeState<true>, CountState, SizeState,
                             PickState<false>, PickState<true>, NuniqueState>;

  Aggregate() = default;  // for deserialization
  /// The state of `fn` over a column of dtype `column` (any, for size).
  Aggregate(AggFn fn, DType column);

  [[nodiscard]] AggFn fn() const noexcept { return static_cast<AggFn>(state_.index()); }
  [[nodiscard]] State& state() noexcept { return state_; }

  void resize(std::size_t groups) {
    std::visit([&](auto& s) { s.resize(groups); }, state_);
  }
  /// Rows [begin, begin + n) of `d` (null for size) into groups group[0..n) (-1: the row
  /// belongs to no group).
  void consume(const ColumnData* d, std::int64_t begin, std::int64_t n, const std::int32_t* group) {
    if (d == nullptr) return;  // size: finish_partition counts the rows
    std::visit([&](auto& s) { s.consume(*d, begin, n, group); }, state_);
  }
  /// Ends a partition's rows: `rows` holds the number of rows of each group.
  void finish_partition(const std::vector<std::int64_t>& rows) {
    std::visit([&](auto& s) { s.finish_partition(rows); }, state_);
  }
  /// Merges every group h of `o` (a later partition's partial, same function) into group
  /// target[h].
  void merge(const Aggregate& o, const std::vector<std::int32_t>& target) {
    std::visit(
        [&](auto& s) {
          using S = std::remove_cvref_t<decltype(s)>;
          s.merge(std::get<S>(o.state_), target);
        },
        state_);
  }
  /// Becomes the first partial `o`.
  void adopt(Aggregate&& o) { state_ = std::move(o.state_); }
  /// The output column: the groups in `order`, as `type` (the run's resolved result dtype).
  [[nodiscard]] Column finalize(const std::vector<std::int32_t>& order, DType type) const {
    return std::visit([&](const auto& s) { return s.finalize(order, type); }, state_);
  }

  template <class Archive>
  void serialize(Archive& ar) {
    ar(state_);
  }

 private:
  State state_;
};

}  // namespace loom::dataframe::detail
