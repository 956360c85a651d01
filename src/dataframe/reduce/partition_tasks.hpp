#pragma once
// The lazy reads of a plan's partitions that reductions start from: one graph node per
// partition, shared by every reduction built on the same plan while it is pending, so that
// `loom::compute(df["a"].sum(), df["b"].mean())` reads each partition once. A node reads the
// union of the columns its consumers asked for (known when it runs: it is built before), and
// lives only as long as a consumer holds it: the plan's cache points at it without owning it.
// Private to src/dataframe.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "loom/core/delayed.hpp"
#include "loom/dataframe/table.hpp"

namespace loom::dataframe::detail {

class PlanNode;

/// A lazy read of partition `p` of `plan` with at least `columns` (in the order asked first),
/// shared with the other reductions of the plan built meanwhile.
[[nodiscard]] Delayed<Table> partition_task(const std::shared_ptr<const PlanNode>& plan,
                                            std::int64_t p,
                                            const std::vector<std::string>& columns);

}  // namespace loom::dataframe::detail
