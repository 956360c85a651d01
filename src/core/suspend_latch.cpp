// SuspendLatch (suspend_latch.hpp): the waiting task is suspended; the last arrival resumes it.

#include "core/suspend_latch.hpp"

#include <oneapi/tbb/task.h>

#include "loom/core/current_task.hpp"
#include "loom/core/detail/assert.hpp"

namespace loom::detail {

void SuspendLatch::arrive(std::int64_t n) noexcept {
  const std::int64_t before = count_.fetch_sub(n, std::memory_order_acq_rel);
  // An arrival after the last one would touch a latch that its waiter may have freed.
  LOOM_ASSERT(before >= n, "SuspendLatch: more arrivals than its count");
  if (before != n) return;
  if (phase_.exchange(1, std::memory_order_acq_rel) == 2) {
    tbb::task::resume(static_cast<tbb::task::suspend_point>(resume_point_));
  }
}

void SuspendLatch::wait() {
  if (phase_.load(std::memory_order_acquire) == 1) return;
  // The thread runs other tasks meanwhile, and this task may resume on another thread: the
  // current-task pointer (thread-local) travels with the task.
  const TaskContext* mine = exchange_current_task(nullptr);
  tbb::task::suspend([this](tbb::task::suspend_point point) {
    resume_point_ = point;
    if (phase_.exchange(2, std::memory_order_acq_rel) == 1) tbb::task::resume(point);
  });
  exchange_current_task(mine);
}

}  // namespace loom::detail
