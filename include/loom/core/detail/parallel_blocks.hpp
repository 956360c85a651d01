#pragma once
// A parallel loop over block numbers on loom's pool, for the facades' data-parallel steps
// (array chunks, dataframe partitions).

#include <cstdint>

#include "loom/core/detail/function_ref.hpp"

namespace loom::detail {

/// Runs body(b) for every block b in [0, count), in parallel on loom's pool (inline in a forked
/// worker, or when there is one block). Rethrows the first exception.
void parallel_blocks(std::int64_t count, FunctionRef<void(std::int64_t)> body);

}  // namespace loom::detail
