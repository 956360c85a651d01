#include "loom/core/current_task.hpp"

#include "loom/core/error.hpp"

namespace loom {

namespace {
thread_local const TaskContext* current = nullptr;
}  // namespace

const TaskContext& current_task() {
  if (current == nullptr) {
    throw Error("loom::current_task() was called outside a loom task");
  }
  return *current;
}

bool in_task() noexcept { return current != nullptr; }

namespace detail {
const TaskContext* exchange_current_task(const TaskContext* context) noexcept {
  const TaskContext* previous = current;
  current = context;
  return previous;
}

TaskScope::TaskScope(const TaskContext* context) noexcept : previous_(current) {
  current = context;
}
TaskScope::~TaskScope() { current = previous_; }
}  // namespace detail

}  // namespace loom
