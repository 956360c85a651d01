#pragma once
// Whole-column reductions (Series::sum, DataFrame::mean, ...): a partial result per partition,
// merged pairwise, then finished into the value. Private to src/dataframe.

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "loom/core/detail/moments.hpp"
#include "loom/dataframe/detail/expr.hpp"
#include "loom/dataframe/series.hpp"

namespace loom::dataframe::detail {

enum class Reduction { kSum, kProd, kMin, kMax, kMean, kStd, kVar, kCount, kSize, kNunique, kAny, kAll };

/// What one partition (then several, merged) contributed to one reduction of one expression.
struct Partial {
  std::int64_t rows = 0;
  std::int64_t count = 0;         // present values
  bool saw_float = false;         // float64 values met (an int column widened while read)
  std::uint64_t int_sum = 0;      // int and bool values, wrapping as NumPy's int64
  double float_sum = 0;
  std::uint64_t int_prod = 1;
  double float_prod = 1;
  loom::detail::Moments moments;  // mean, std, var
  Value best;                     // min, max (monostate: none yet)
  std::unordered_set<std::string> distinct;  // nunique: values encoded with their kind
  bool any = false;
  bool all = true;
};

/// One requested reduction: what, of which expression.
struct ReduceSpec {
  ExprPtr expr;
  Reduction fn;
};

/// The partial of `spec` over one partition.
Partial reduce_partition(const Table& t, const ReduceSpec& spec);
/// `a` with `b`'s contribution added (b is from later rows).
void merge_partials(Partial& a, Partial&& b, Reduction fn);

/// Checks, when the reduction is built, that `fn` applies to an expression of dtype `t`
/// (SchemaError naming `what` otherwise).
void check_reducible(Reduction fn, DType t, const std::string& what);
/// The name of a reduction ("sum") for messages.
const char* reduction_name(Reduction fn) noexcept;

/// Finished values.
Value value_of(const Partial& p, Reduction fn, DType dtype);
double moment_of(const Partial& p, Reduction fn, int ddof);

}  // namespace loom::dataframe::detail
