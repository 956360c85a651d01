// parallel_blocks: the facades' data-parallel loop over chunks and partitions.

#include "loom/core/detail/parallel_blocks.hpp"

#include <memory>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include "loom/core/detail/node.hpp"
#include "loom/core/detail/progress_work.hpp"
#include "loom/core/detail/trace_span.hpp"
#include "loom/core/executor.hpp"
#include "loom/core/trace.hpp"

namespace loom::detail {

namespace {

void run_blocks(std::int64_t count, FunctionRef<void(std::int64_t)> body) {
  if (count == 1 || computes_inline()) {
    for (std::int64_t b = 0; b < count; ++b) body(b);
    return;
  }
  // Isolated: while this loop waits, its thread takes no outer task (which could re-enter a
  // std::call_once this loop runs inside, as whole-array and whole-frame steps do).
  auto run = [&] {
    tbb::this_task_arena::isolate(
        [&] { tbb::parallel_for(std::int64_t{0}, count, [&](std::int64_t b) { body(b); }); });
  };
  if (in_executor()) {
    run();
  } else {
    Executor::global().run(run);
  }
}

}  // namespace

void trace_block(const BlockSteps& steps, std::int64_t b,
                 std::chrono::steady_clock::time_point begin) noexcept {
  std::string args;
  try {
    args = fmt::format("\"{}\":{}", steps.unit, b);
  } catch (...) {
    return;
  }
  trace::detail::record_span(steps.category, steps.step, std::move(args), begin,
                             std::chrono::steady_clock::now());
}

void parallel_blocks(std::int64_t count, FunctionRef<void(std::int64_t)> body, BlockSteps steps) {
  if (count <= 0) return;
  // One relaxed load each when tracing is off and no ProgressBar lives.
  const bool tracing = !steps.category.empty() && trace::enabled();
  const std::shared_ptr<ProgressWorkState> work = progress_enabled() ? current_progress() : nullptr;
  if (!tracing && !work) {
    run_blocks(count, body);
    return;
  }
  progress_add_total(work.get(), count);
  auto observed = [&](std::int64_t b) {
    const auto begin =
        tracing ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    body(b);
    if (tracing) trace_block(steps, b, begin);
    progress_add_done(work.get(), 1);
  };
  run_blocks(count, observed);
}

}  // namespace loom::detail
