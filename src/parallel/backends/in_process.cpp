// Running batches of Parallel calls on this process's threads (threads and sequential
// backends), with per-call timeouts.

#include "parallel/backends/in_process.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "loom/core/current_task.hpp"
#include "loom/core/detail/assert.hpp"
#include "loom/core/error.hpp"
#include "loom/core/trace.hpp"
#include "parallel/backend.hpp"

namespace loom::detail {

using Clock = std::chrono::steady_clock;

InProcessRunner::InProcessRunner(RunState& run, std::size_t slots)
    : run_(run), slots_(std::max<std::size_t>(slots, 1)), slot_in_use_(slots_, false) {}

InProcessRunner::~InProcessRunner() { stop_watchdog(); }

void InProcessRunner::StopClocks::operator()() const noexcept {
  for (auto& clock : runner->clocks_) {
    std::lock_guard lock(clock->mutex);
    clock->stop.request_stop();
  }
}

std::size_t InProcessRunner::acquire_slot() {
  std::lock_guard lock(slots_mutex_);
  for (std::size_t k = 1; k < slot_in_use_.size(); ++k) {
    if (!slot_in_use_[k]) {
      slot_in_use_[k] = true;
      return k;
    }
  }
  LOOM_ASSERT(false, "more runners than n_jobs - 1: two would share a timeout clock");
  return 0;
}

void InProcessRunner::release_slot(std::size_t slot) {
  std::lock_guard lock(slots_mutex_);
  LOOM_ASSERT(slot > 0 && slot < slot_in_use_.size() && slot_in_use_[slot],
              "a runner slot released that was not acquired");
  slot_in_use_[slot] = false;
}

void InProcessRunner::start_watchdog() {
  if (!run_.opt.timeout || watchdog_.joinable()) return;
  for (std::size_t i = 0; i < slots_; ++i) clocks_.push_back(std::make_unique<CallClock>());
  stop_clocks_.emplace(run_.stop.get_token(), StopClocks{this});
  const auto limit = std::chrono::duration_cast<Clock::duration>(*run_.opt.timeout);
  watchdog_ = std::jthread([this, limit](const std::stop_token& quit) {
    while (!quit.stop_requested()) {
      const auto now = Clock::now();
      for (auto& clock : clocks_) {
        std::lock_guard lock(clock->mutex);
        if (clock->running && now - clock->start > limit) clock->stop.request_stop();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
}

void InProcessRunner::stop_watchdog() noexcept {
  if (watchdog_.joinable()) {
    watchdog_.request_stop();
    watchdog_.join();
  }
}

void InProcessRunner::run_call(std::size_t i, std::size_t slot) {
  const std::stop_source* stop_for_call = &run_.stop;
  Clock::time_point begin{};
  CallClock* clock = nullptr;
  if (run_.opt.timeout) {
    LOOM_ASSERT(slot < clocks_.size(), "a runner slot without a clock (watchdog not started?)");
    clock = clocks_[slot].get();
    std::lock_guard lock(clock->mutex);
    clock->stop = std::stop_source();
    if (run_.failed.load(std::memory_order_relaxed)) clock->stop.request_stop();
    begin = clock->start = Clock::now();
    clock->running = true;
    stop_for_call = &clock->stop;
  }
  try {
    const TaskContext here("Parallel", i, stop_for_call);
    const TaskScope scope(&here);
    run_.job.run_and_store(i);
  } catch (...) {
    // A call that throws after overrunning (say, when asked to stop) timed out.
    const bool overran = clock != nullptr && Clock::now() - begin > *run_.opt.timeout;
    if (!overran) run_.fail(call_error(i));
  }
  if (clock != nullptr) {
    {
      std::lock_guard lock(clock->mutex);
      clock->running = false;
    }
    const std::chrono::duration<double> took = Clock::now() - begin;
    if (took > *run_.opt.timeout) {
      run_.fail(std::make_exception_ptr(Timeout(
          fmt::format("loom::Parallel: call {} ran {}, longer than its timeout of {}", i,
                      format_seconds(took.count()), format_seconds(run_.opt.timeout->count())))));
    }
  }
}

void InProcessRunner::run_batch(const Batch& batch, std::size_t slot) {
  const auto begin = Clock::now();
  std::size_t ran = 0;
  if (run_.opt.timeout) {
    // Each call has its own clock and stop request.
    for (; ran < batch.count; ++ran) {
      if (run_.failed.load(std::memory_order_acquire)) break;
      run_call(batch.first + ran, slot);
    }
    // A call that failed does not count as done (generators never hand out its slot).
    if (run_.failed.load(std::memory_order_acquire) && ran > 0) --ran;
  } else {
    // The whole batch in one virtual call: fine-grained calls cost no more than a loop.
    try {
      const TaskContext here("Parallel", batch.first, &run_.stop);
      const TaskScope scope(&here);
      run_.job.run_range(batch.first, batch.count, ran, run_.failed);
    } catch (...) {
      run_.fail(call_error(batch.first + ran));
    }
  }
  if (trace::enabled()) trace_batch(batch, run_.opt.backend->name, begin);
  run_.finish_batch(batch, ran, std::chrono::duration<double>(Clock::now() - begin).count());
}

}  // namespace loom::detail
