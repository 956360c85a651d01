#pragma once
// Dtypes the CSV source decides while it reads, and the one place the rest of the plan meets
// that decision. A CSV column's dtype is inferred from a sample; a partition past the sample may
// hold floats in a column the sample read as int64. The source then decides (csv.cpp): the
// column is float64 from then on, in every partition it hands out. A computation runs against
// the plan's resolved schema (PlanNode::resolved_schema: the dtypes its sources decide now);
// when a source revises a dtype during the run, run_settled runs it again, resolved anew, so
// that every partition of a finished run holds every column in the dtype the run started with.
// Consumers never test which dtypes widen to which. Private to src/dataframe.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "loom/core/error.hpp"
#include "loom/dataframe/detail/expr.hpp"

namespace loom::dataframe::detail {

/// The dtype of one column held as `a` in one frame and as `b` in another (two frames' merge
/// keys, a mask built on another frame, from_tables' partitions): theirs when they agree,
/// float64 for int64 and float64; nullopt when they cannot be one column.
[[nodiscard]] inline std::optional<DType> common_dtype(DType a, DType b) noexcept {
  if (a == b) return a;
  const auto number = [](DType t) { return t == DType::int64 || t == DType::float64; };
  if (number(a) && number(b)) return DType::float64;
  return std::nullopt;
}

/// Thrown by a consumer that meets a partition holding a column in another dtype than its run
/// resolved (`check_run_dtype`); only run_settled catches it.
struct DtypesRevised {
  std::string what;  // the mismatch, for the error when no source revised anything
};

/// A run's column `name` in `what` holds `have` where the run resolved `want`: a source revised
/// the column after the run began, and the run must start again (run_settled).
inline void check_run_dtype(DType have, DType want, const char* what, const std::string& name) {
  if (have == want) return;
  throw DtypesRevised{fmt::format("{}: column '{}' is {} in one partition and {} in another", what,
                                  name, dtype_name(want), dtype_name(have))};
}

/// The one restart point: runs `read(schema)` with `plan`'s resolved schema until a run during
/// which no source of the plan revised a dtype (at most once more per revised column), and
/// returns that run's result. A consumer that meets a revised column ends its run early with
/// DtypesRevised; met without a revision, that is a real mismatch: a SchemaError.
template <class Plan, class Read>
auto run_settled(const Plan& plan, Read&& read) {
  for (;;) {
    const std::int64_t before = plan.revisions();
    try {
      auto result = read(plan.resolved_schema());
      if (plan.revisions() == before) return result;
    } catch (const DtypesRevised& e) {
      if (plan.revisions() == before) throw SchemaError(e.what);
    }
  }
}

}  // namespace loom::dataframe::detail
