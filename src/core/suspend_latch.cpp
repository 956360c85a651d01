#include "loom/core/detail/suspend_latch.hpp"

#include <oneapi/tbb/task.h>

namespace loom::detail {

void SuspendLatch::arrive(std::int64_t n) noexcept {
  if (count_.fetch_sub(n, std::memory_order_acq_rel) != n) return;
  if (phase_.exchange(1, std::memory_order_acq_rel) == 2) {
    tbb::task::resume(static_cast<tbb::task::suspend_point>(resume_point_));
  }
}

void SuspendLatch::wait() {
  if (phase_.load(std::memory_order_acquire) == 1) return;
  tbb::task::suspend([this](tbb::task::suspend_point point) {
    resume_point_ = point;
    if (phase_.exchange(2, std::memory_order_acq_rel) == 1) tbb::task::resume(point);
  });
}

}  // namespace loom::detail
