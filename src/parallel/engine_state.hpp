#pragma once
// The engine's shared state (src/parallel): dispatch of batches, completion, errors, progress.
// engine.cpp drives the threads and sequential backends, processes.cpp the processes backend.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <vector>

#include "core/worker_process.hpp"
#include "loom/core/detail/progress.hpp"
#include "loom/core/detail/temp_folder.hpp"
#include "loom/io/serialize.hpp"
#include "loom/parallel/detail/engine.hpp"

namespace loom::detail {

struct Batch {
  std::size_t first = 0;
  std::size_t count = 0;
};

/// joblib's auto batching: batches grow until one takes about MIN_IDEAL (0.2 s) and shrink when
/// one takes more than MAX_IDEAL (2 s); near the end they are split finely so that no worker is
/// left with a long tail.
class BatchSizer {
 public:
  BatchSizer(bool automatic, std::int64_t fixed, int n_jobs)
      : automatic_(automatic), fixed_(std::max<std::int64_t>(fixed, 1)), n_jobs_(n_jobs) {}
  std::size_t next(std::size_t remaining) const;
  void completed(std::size_t count, double seconds);

  static constexpr double kMinIdeal = 0.2;
  static constexpr double kMaxIdeal = 2.0;

 private:
  bool automatic_;
  std::int64_t fixed_;
  int n_jobs_;
  std::int64_t effective_ = 1;
  double per_call_ = 0;  // smoothed seconds per call
};

struct ParallelEngine::State {
  State(const ResolvedOptions& options, ParallelJob& job);

  const ResolvedOptions opt;
  ParallelJob& job;
  const std::size_t n;

  std::mutex mutex;  // guards everything below that is not atomic
  std::condition_variable changed;
  BatchSizer sizer;
  std::size_t cursor = 0;                     // calls dispatched
  std::size_t completed = 0;                  // calls finished
  std::size_t handed_out = 0;                 // results given to the consumer (generators)
  std::unique_ptr<std::atomic<bool>[]> done;  // per call (generators)
  std::deque<std::size_t> finished_order;     // completion order (unordered generator)
  std::exception_ptr error;
  std::atomic<bool> failed{false};
  std::stop_source stop;  // asks running calls to stop (failure, destruction)
  ProgressReporter progress;
  bool started = false;

  /// The next batch to run, within the pre-dispatch window; nullopt when there is none now.
  std::optional<Batch> take();
  /// Records a finished batch (its calls' results are stored).
  void finish_batch(const Batch& batch, std::size_t ran, double seconds);
  /// Records the first failure; later ones are dropped. Stops dispatching.
  void fail(std::exception_ptr e);
  /// With the mutex held: whether result `next` is ready to hand out; sets it.
  bool ready_to_hand_out(std::size_t& index);
  [[nodiscard]] bool all_handed_out() const { return handed_out >= n; }
  [[nodiscard]] std::size_t window_end() const;
  [[nodiscard]] bool generator() const { return opt.return_as != ReturnAs::list; }

  // Processes backend (processes.cpp).
  struct Worker {
    WorkerProcess process;
    std::optional<Batch> batch;  // what it runs now
    std::size_t returned = 0;    // results of that batch received
    std::chrono::steady_clock::time_point started;
  };
  std::vector<Worker> workers;
  TempFolder results_folder;  // large NDArray results; removed with the workers
  ArrayFiles array_files;     // how the parent reads them
  void start_workers();
  void pump();  // one step of the driver loop: dispatch, wait for frames, handle them
  void stop_workers() noexcept;

  // Threads and sequential backends (engine.cpp).
  std::atomic<int> active_runners{0};
  std::shared_ptr<void> group;  // the generator's tbb::task_group (engine.cpp)
  /// Runs call `i` as runner `slot`: stores its result, or records its failure.
  void run_call(std::size_t i, std::size_t slot);
  /// Runs a batch; returns how many calls ran before a failure stopped it.
  void run_batch(const Batch& batch, std::size_t slot);

  // Timeouts (threads and sequential): one clock per runner, watched by a thread.
  struct CallClock {
    std::mutex mutex;
    bool running = false;
    std::chrono::steady_clock::time_point start;
    std::stop_source stop;
  };
  std::vector<std::unique_ptr<CallClock>> clocks;
  std::vector<bool> slot_in_use;  // runner slots (clocks), guarded by `mutex`
  std::size_t acquire_slot();
  void release_slot(std::size_t slot);
  std::jthread watchdog;
  void start_watchdog(std::size_t slots);
};

/// A TaskError for call `index` made inside a catch block (the current exception is nested).
std::exception_ptr call_error(std::size_t index);

}  // namespace loom::detail
