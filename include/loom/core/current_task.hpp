#pragma once
// What a running task can know about itself: loom::current_task().

#include <cstdint>
#include <span>
#include <stop_token>
#include <string_view>

namespace loom {

/// Describes the task running on this thread. Facades fill in what they know (Parallel's
/// timeout, the remote runtime's GPU ids); the core gives the name and cancellation.
class TaskContext {
 public:
  TaskContext(std::string_view name, std::uint64_t id, const std::stop_source* stop,
              std::span<const int> gpu_ids = {}) noexcept
      : name_(name), id_(id), stop_(stop), gpu_ids_(gpu_ids) {}

  /// The task's name ("" when unnamed).
  [[nodiscard]] std::string_view name() const noexcept { return name_; }
  [[nodiscard]] std::uint64_t id() const noexcept { return id_; }
  /// True once the work this task belongs to was cancelled (a sibling failed, a timeout, or
  /// loom::cancel): long tasks should poll it and return early.
  [[nodiscard]] bool stop_requested() const noexcept {
    return stop_ != nullptr && stop_->stop_requested();
  }
  [[nodiscard]] std::stop_token stop_token() const noexcept {
    return stop_ != nullptr ? stop_->get_token() : std::stop_token{};
  }
  /// GPU ids assigned by the remote runtime (`num_gpus`); empty elsewhere.
  [[nodiscard]] std::span<const int> gpu_ids() const noexcept { return gpu_ids_; }

 private:
  std::string_view name_;
  std::uint64_t id_;
  const std::stop_source* stop_;
  std::span<const int> gpu_ids_;
};

/// The task running on this thread. Outside a task: a loom::Error.
[[nodiscard]] const TaskContext& current_task();
/// Whether this thread is running a loom task now.
[[nodiscard]] bool in_task() noexcept;

namespace detail {
/// Sets this thread's current task and returns the previous one.
const TaskContext* exchange_current_task(const TaskContext* context) noexcept;

/// Makes `context` the current task of this thread until the scope ends (nests).
class TaskScope {
 public:
  explicit TaskScope(const TaskContext* context) noexcept;
  ~TaskScope();
  TaskScope(const TaskScope&) = delete;
  TaskScope& operator=(const TaskScope&) = delete;

 private:
  const TaskContext* previous_;
};
}  // namespace detail

}  // namespace loom
