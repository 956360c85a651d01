#pragma once
// The scheduler of a LocalCluster (docs/cluster.md, "Scheduling"): workers (thread groups in the
// driver, or worker processes behind WorkerHost), a short queue per worker, a backlog for what
// does not fit, work stealing, retries after worker crashes, close.
//
// A ready task goes to the worker holding most of its input bytes among those whose queue has
// room (at most kQueuedPerThread tasks waiting per thread); when none has room it waits in the
// backlog, which threads drain as they finish. A thread with nothing to do takes from its own
// queue, then the backlog, then steals the newest task queued at the busiest other worker
// (`scheduler.work-stealing`). Every step costs at most one pass over the workers: the
// operation counters let a test check that the work per task does not grow with the tasks.
//
// States are never freed (like the remote runtimes): a task that becomes ready after its
// cluster closed still finds the state, sees it closed and is cancelled "cluster closed".

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "cluster/worker_host.hpp"
#include "core/temp_folder.hpp"
#include "loom/cluster/local_cluster.hpp"
#include "loom/remote/detail/exchange.hpp"

namespace loom::detail {

/// The scheduler's own operation counts (cumulative).
struct SchedulerCounters {
  std::int64_t placements = 0;       // tasks placed (ready, or retried)
  std::int64_t placement_steps = 0;  // workers and inputs looked at while placing
  std::int64_t queue_pushes = 0;
  std::int64_t queue_pops = 0;
  std::int64_t backlog_pushes = 0;
  std::int64_t steals = 0;
  std::int64_t steal_steps = 0;  // workers looked at while looking for work
  std::int64_t wakeups = 0;      // threads woken
};

struct ClusterSettings {
  bool processes = false;
  int threads_per_worker = 1;
  std::int64_t memory_limit = 0;  // per worker, 0: none
  int allowed_failures = 3;
  std::chrono::duration<double> worker_ttl{30.0};
  bool work_stealing = true;
};

class ClusterState final : public ClusterBackend {
 public:
  static constexpr int kQueuedPerThread = 2;

  /// A new state (kept for the life of the process) with `n_workers` workers started.
  static ClusterState& create(const ClusterSettings& settings, int n_workers);

  // ClusterBackend
  void ready(TaskRecord* record) noexcept override;
  void check_submit(const TaskSpec& spec) override;

  [[nodiscard]] std::vector<WorkerInfo> workers() const;
  void scale(int n_workers);
  void restart();
  void close() noexcept;
  [[nodiscard]] bool closed() const;
  [[nodiscard]] SchedulerCounters counters() const;
  [[nodiscard]] const ClusterSettings& settings() const noexcept { return settings_; }
  [[nodiscard]] int size() const;

  /// The next task submitted on this thread runs on worker `id` (Client::run).
  static int& pinned_worker() noexcept;

  explicit ClusterState(const ClusterSettings& settings);
  ~ClusterState();
  ClusterState(const ClusterState&) = delete;
  ClusterState& operator=(const ClusterState&) = delete;

 private:
  struct Queued {
    TaskRecord* record = nullptr;
    int pinned = -1;  // a worker id: never stolen
    int avoid = -1;   // the worker it crashed on: not stolen back by it
  };
  struct Worker {
    int id = 0;
    std::deque<Queued> queue;
    std::vector<TaskRecord*> running;
    int idle = 0;  // runner threads waiting
    std::int64_t done = 0;
    std::int64_t restarts = 0;
    bool retiring = false;
    std::condition_variable cv;
    std::vector<std::thread> runners;
    std::unique_ptr<WorkerHost> host;  // processes only
  };

  void start_worker(int id);                          // mutex_ not held
  void runner(Worker* worker) noexcept;               // a runner thread's loop
  bool take(Worker& worker, Queued& out);             // mutex_ held
  void place(Queued queued, int avoid);               // mutex_ held
  void wake(Worker& worker);                          // mutex_ held
  void stop_workers(std::vector<std::unique_ptr<Worker>> gone) noexcept;  // mutex_ not held
  [[nodiscard]] int crash_limit(const TaskSpec& spec) const noexcept;

  const ClusterSettings settings_;
  std::shared_ptr<TempFolder> folder_;  // processes: the shared folder of large arrays
  mutable std::mutex mutex_;
  std::mutex admin_mutex_;  // scale, restart, close: one at a time
  std::vector<std::unique_ptr<Worker>> workers_;
  std::deque<Queued> backlog_;
  bool closed_ = false;
  SchedulerCounters counters_;
};

}  // namespace loom::detail
