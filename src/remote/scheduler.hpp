#pragma once
// The remote runtime of one init/shutdown: its resources, the queue of tasks waiting for them,
// and the pool its tasks run on. Runtimes are never freed (a handful per process): a record that
// becomes ready after shutdown still finds its runtime, sees it closed and is cancelled.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/temp_folder.hpp"
#include "loom/core/detail/spin_lock.hpp"
#include "loom/core/executor.hpp"
#include "loom/remote/detail/task_record.hpp"
#include "loom/remote/options.hpp"
#include "processes.hpp"

namespace loom::detail {

class RuntimeState {
 public:
  RuntimeState(const InitOptions& options, int pool_threads, std::int64_t memory);

  [[nodiscard]] const InitOptions& options() const noexcept { return options_; }
  /// The arena tasks run on now (it grows when more tasks may run than it has threads).
  [[nodiscard]] Executor& pool() const noexcept {
    std::lock_guard lock(mutex_);
    return *pool_;
  }
  /// What the runtime has (init's options; `gpus` counts whole GPUs).
  [[nodiscard]] const ResourceSet& totals() const noexcept { return totals_; }

  /// A task whose dependencies are ready (takes over one reference).
  void ready(TaskRecord* record) noexcept;
  /// Closes the runtime: queued tasks are cancelled, running ones asked to stop; returns when
  /// none runs any more.
  void close() noexcept;
  [[nodiscard]] bool closed() const noexcept;

  /// A running task about to block (in `get`) lends its CPUs to others; `reclaim` takes them
  /// back when it goes on (even beyond the total for a moment).
  void lend(TaskRecord* record) noexcept;
  void reclaim(TaskRecord* record) noexcept;
  /// An actor that held resources for its life died.
  void release_held(const ResourceSet& request, const std::vector<int>& gpu_ids) noexcept;

  /// Runs `record` (resources held) and then whatever its end made startable.
  static void run_chain(void* record) noexcept;

  /// Processes mode: the worker processes and the store's shared folder (set up by init).
  void start_processes(int workers, std::int64_t restart_above);
  [[nodiscard]] ProcessPool* processes() const noexcept { return processes_.get(); }

 private:
  bool can_start(const TaskRecord& record) const noexcept;  // mutex held
  void acquire(TaskRecord& record) noexcept;                // mutex held
  void give_back(const ResourceSet& request, const std::vector<int>& gpu_ids) noexcept;
  TaskRecord* next_startable(std::vector<TaskRecord*>& dropped) noexcept;  // mutex held
  // Runs `give` under the lock (resources come back), then starts what fits now.
  void give_and_start(FunctionRef<void()> give) noexcept;

  InitOptions options_;
  ResourceSet totals_;

  mutable SpinLock mutex_;  // short sections: the queue and the counters
  Executor* pool_;
  int threads_;
  std::condition_variable_any idle_;
  ResourceSet free_;
  std::vector<double> free_gpus_;  // the free fraction of each GPU (1.0: whole)
  std::deque<TaskRecord*> queue_;
  std::vector<TaskRecord*> running_;
  bool closing_ = false;
  std::shared_ptr<TempFolder> store_folder_;
  std::unique_ptr<ProcessPool> processes_;
};

/// The running runtime (null when none).
RuntimeState* current_runtime() noexcept;
/// The running runtime; starts one with default options when none runs.
RuntimeState& ensure_runtime();

/// How an attempt ended: `retry` means it failed and should run again (retries are allowed and
/// its policy says so); otherwise the record is finished.
enum class Outcome : std::uint8_t { succeeded, failed, retry };
/// Runs one attempt of a record whose turn it is. `crash_retries`: re-runs after a worker crash
/// (-1: the task's max_retries). `suspendable`: whether a blocking get inside the task may
/// suspend it (only on the pool's threads; a cluster's runner threads block instead).
Outcome execute_record(TaskRecord* record, bool allow_retries, int crash_retries = -1,
                       bool suspendable = true) noexcept;

/// The record running on this thread (null outside remote tasks and actor calls), and whether
/// it holds scheduler resources.
struct RunningRecord {
  TaskRecord* record = nullptr;
  bool holds_resources = false;
  bool suspendable = true;
};
RunningRecord& running_record() noexcept;

}  // namespace loom::detail
