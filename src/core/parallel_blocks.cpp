#include "loom/core/detail/parallel_blocks.hpp"

#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include "loom/core/detail/node.hpp"
#include "loom/core/executor.hpp"

namespace loom::detail {

void parallel_blocks(std::int64_t count, FunctionRef<void(std::int64_t)> body) {
  if (count <= 0) return;
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

}  // namespace loom::detail
