#pragma once
// A parallel loop over block numbers on loom's pool, for the facades' data-parallel steps
// (array chunks, dataframe partitions), each block a trace event when tracing is on.

#include <chrono>
#include <cstdint>
#include <string_view>

#include "loom/core/detail/function_ref.hpp"

namespace loom::detail {

/// What a loop's blocks are, for the trace: the category ("array", "dataframe"), the step
/// ("elementwise", "sum", "filter") and what one block is ("chunk", "partition"). An empty
/// category: the loop's blocks are not traced.
struct BlockSteps {
  std::string_view category;
  std::string_view step;
  std::string_view unit = "chunk";
};

/// Runs body(b) for every block b in [0, count), in parallel on loom's pool (inline in a forked
/// worker, or when there is one block). Rethrows the first exception. With tracing on, each
/// block is an event named `steps.step` with its block number under `steps.unit`.
void parallel_blocks(std::int64_t count, FunctionRef<void(std::int64_t)> body,
                     BlockSteps steps = {});

/// The trace event of block `b` of `steps`, from `begin` to now (a block run outside
/// parallel_blocks). The caller checks trace::enabled().
void trace_block(const BlockSteps& steps, std::int64_t b,
                 std::chrono::steady_clock::time_point begin) noexcept;

}  // namespace loom::detail
