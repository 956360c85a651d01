#pragma once
// Running batches of calls on this process's threads, for the threads and sequential backends:
// the fast path (a whole batch in one virtual call) and per-call timeouts (a clock per runner
// slot, watched by a thread).

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <vector>

#include "parallel/run_state.hpp"

namespace loom::detail {

class InProcessRunner {
 public:
  /// `slots`: how many runners may run calls at once (each has a clock when there is a timeout).
  InProcessRunner(RunState& run, std::size_t slots);
  /// Stops the watchdog. The runners must be done.
  ~InProcessRunner();
  InProcessRunner(const InProcessRunner&) = delete;
  InProcessRunner& operator=(const InProcessRunner&) = delete;

  /// With a timeout: makes the clocks and starts the thread that watches them (once).
  void start_watchdog();
  /// Stops and joins the watchdog thread. Never throws.
  void stop_watchdog() noexcept;
  /// Runs a batch as runner `slot`: stores the results or records the failure, then reports
  /// the batch finished.
  void run_batch(const Batch& batch, std::size_t slot);
  /// A free runner slot for a runner that starts (slot 0 is the caller's); release it after.
  std::size_t acquire_slot();
  void release_slot(std::size_t slot);

 private:
  /// Runs call `i` as runner `slot` under its clock: stores its result, or records its failure.
  void run_call(std::size_t i, std::size_t slot);

  // Timeouts: one clock per runner slot.
  struct CallClock {
    std::mutex mutex;
    bool running = false;
    std::chrono::steady_clock::time_point start;
    std::stop_source stop;
  };
  // A failure of the run asks the running calls to stop through their clocks' stop sources.
  struct StopClocks {
    InProcessRunner* runner;
    void operator()() const noexcept;
  };

  RunState& run_;
  std::size_t slots_;
  std::mutex slots_mutex_;
  std::vector<bool> slot_in_use_;  // guarded by slots_mutex_
  std::vector<std::unique_ptr<CallClock>> clocks_;
  std::optional<std::stop_callback<StopClocks>> stop_clocks_;  // after clocks_: dies first
  std::jthread watchdog_;
};

}  // namespace loom::detail
