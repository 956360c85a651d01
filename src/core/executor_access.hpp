#pragma once
// The one door to the thread pool's arenas that nobody joins and to fire-and-forget work: the
// remote runtime's scheduler and actors use them; users of Executor only run work they wait for.

#include "loom/core/executor.hpp"

namespace loom::detail {

struct ExecutorAccess {
  /// A cached arena of `num_workers` threads that nobody joins.
  static Executor& detached(int num_workers) { return Executor::detached(num_workers); }
  /// `fn(arg)` runs on one of `pool`'s threads; `fn` must not throw.
  static void enqueue(Executor& pool, void (*fn)(void*) noexcept, void* arg) {
    pool.enqueue(fn, arg);
  }
};

}  // namespace loom::detail
