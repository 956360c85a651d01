#pragma once
// A countdown that a running task can wait on without blocking its thread: the task is
// suspended (oneTBB resumable tasks) and the last arrival resumes it, possibly on another
// thread. A helping wait (task_group::wait) could instead run a task that needs this very task's
// result, lower on the same stack, and never return.

#include <atomic>
#include <cstdint>

namespace loom::detail {

class SuspendLatch {
 public:
  explicit SuspendLatch(std::int64_t count) noexcept : count_(count) {}
  SuspendLatch(const SuspendLatch&) = delete;
  SuspendLatch& operator=(const SuspendLatch&) = delete;

  /// Adds to the count (before the waiter could see it reach zero).
  void add(std::int64_t n) noexcept { count_.fetch_add(n, std::memory_order_relaxed); }
  /// `n` arrivals. The last one resumes the waiter; nothing touches `this` after it.
  void arrive(std::int64_t n = 1) noexcept;
  /// From inside a task: suspends it until the count reaches zero (returns at once if it has).
  void wait();

 private:
  std::atomic<std::int64_t> count_;
  std::atomic<int> phase_{0};  // 1: reached zero, 2: waiter suspended; the second one resumes
  void* resume_point_ = nullptr;
};

}  // namespace loom::detail
