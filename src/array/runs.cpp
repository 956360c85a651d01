#include "loom/array/detail/runs.hpp"

#include <oneapi/tbb/parallel_for.h>

#include "loom/core/detail/node.hpp"
#include "loom/core/executor.hpp"

namespace loom::array::detail {

void parallel_blocks(std::int64_t count, loom::detail::FunctionRef<void(std::int64_t)> body) {
  if (count <= 0) return;
  if (count == 1 || loom::detail::computes_inline()) {
    for (std::int64_t b = 0; b < count; ++b) body(b);
    return;
  }
  auto run = [&] { tbb::parallel_for(std::int64_t{0}, count, [&](std::int64_t b) { body(b); }); };
  if (loom::detail::in_executor()) {
    run();
  } else {
    Executor::global().run(run);
  }
}

}  // namespace loom::array::detail
