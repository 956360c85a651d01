// loom::as_completed's engine (cluster/as_completed.hpp): one waiter per entry, a queue of the
// finished indices.

#include "loom/cluster/as_completed.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>

#include <fmt/format.h>

#include "loom/core/error.hpp"

namespace loom::detail {

struct CompletionQueue::State {
  struct Slot final : Waiter {
    State* state = nullptr;
    std::size_t index = 0;
    void notify() noexcept override {
      const std::lock_guard lock(state->mutex);
      state->finished.push_back(index);
      --state->notifying;
      state->cv.notify_all();
    }
  };
  std::mutex mutex;
  std::condition_variable cv;
  std::deque<std::size_t> finished;
  std::deque<Slot> slots;  // stable addresses
  std::vector<EntryRef> entries;
  std::size_t added = 0;
  std::size_t yielded = 0;
  std::size_t notifying = 0;  // registered waiters not notified yet
  std::optional<std::chrono::steady_clock::time_point> deadline;
  double timeout_seconds = 0;
};

CompletionQueue::CompletionQueue(std::optional<std::chrono::duration<double>> timeout)
    : state_(std::make_unique<State>()) {
  if (timeout) {
    if (!(timeout->count() >= 0)) {
      throw ConfigError(fmt::format("as_completed: timeout = {}s is negative", timeout->count()));
    }
    state_->timeout_seconds = timeout->count();
    state_->deadline = std::chrono::steady_clock::now() +
                       std::chrono::duration_cast<std::chrono::steady_clock::duration>(*timeout);
  }
}

CompletionQueue::~CompletionQueue() {
  State& s = *state_;
  for (std::size_t i = 0; i < s.slots.size(); ++i) {
    if (s.entries[i]->remove_waiter(&s.slots[i])) {
      const std::lock_guard lock(s.mutex);
      --s.notifying;
    }
  }
  std::unique_lock lock(s.mutex);
  s.cv.wait(lock, [&] { return s.notifying == 0; });  // one being notified right now
}

void CompletionQueue::add(const EntryRef& entry) {
  if (!entry) throw_empty_ref();
  State& s = *state_;
  State::Slot* slot = nullptr;
  {
    const std::lock_guard lock(s.mutex);
    slot = &s.slots.emplace_back();
    slot->state = &s;
    slot->index = s.added++;
    s.entries.push_back(entry);
    ++s.notifying;
  }
  if (!entry->add_waiter(slot)) {
    const std::lock_guard lock(s.mutex);
    --s.notifying;
    s.finished.push_back(slot->index);
    s.cv.notify_all();
  }
}

std::optional<std::size_t> CompletionQueue::next() {
  State& s = *state_;
  std::unique_lock lock(s.mutex);
  if (s.yielded == s.added) return std::nullopt;
  const auto some = [&] { return !s.finished.empty(); };
  if (s.deadline) {
    if (!s.cv.wait_until(lock, *s.deadline, some)) {
      throw Timeout(fmt::format("as_completed: {} of {} refs were not ready within {}s",
                                s.added - s.yielded, s.added, s.timeout_seconds));
    }
  } else {
    s.cv.wait(lock, some);
  }
  const std::size_t index = s.finished.front();
  s.finished.pop_front();
  ++s.yielded;
  return index;
}

}  // namespace loom::detail
