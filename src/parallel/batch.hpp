#pragma once
// A batch of Parallel calls (consecutive indices), and the test hook that sees every batch an
// engine dispatches (tests check auto batching through it).

#include <cstddef>

namespace loom::detail {

/// Calls [first, first + count).
struct Batch {
  std::size_t first = 0;
  std::size_t count = 0;
};

/// Called with every batch an engine dispatches, in dispatch order, under the engine's lock.
using BatchObserver = void (*)(const Batch& batch);
/// Sets (or, with nullptr, clears) the observer of every engine. For tests: unset, the cost is
/// one relaxed atomic load per batch, never per call.
void set_batch_observer(BatchObserver observer) noexcept;

}  // namespace loom::detail
