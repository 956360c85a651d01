#pragma once
// loom::LocalCluster: workers on this machine that outlive single calls (Dask's LocalCluster).
// docs/cluster.md.
//
//   loom::LocalCluster cluster({.n_workers = 4, .threads_per_worker = 2,
//                               .memory_limit = "2GB", .processes = true});
//   loom::Client client(cluster);          // remote tasks, put and get now run on the cluster
//
// processes = true: each worker is a process (forked from the driver) running
// `threads_per_worker` tasks at once; processes = false: each worker is a group of
// `threads_per_worker` threads in this process.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loom/core/byte_size.hpp"

namespace loom {

class Cluster;
class LocalCluster;
namespace detail {
class ClusterBackend;
/// The scheduler a Client hands remote tasks to.
ClusterBackend& backend_of_cluster(Cluster& cluster);
class ClusterState;
/// The scheduler behind a LocalCluster (loom's tests read its counters).
ClusterState& cluster_state_of(LocalCluster& cluster) noexcept;
}  // namespace detail

struct WorkerInfo {
  int id;                  // 0..n-1, stable across restarts of that slot
  std::int64_t pid;        // 0 for thread workers (processes = false)
  std::string address;     // "local/2"
  int threads;
  std::int64_t tasks_running, tasks_done, restarts;
  std::int64_t bytes_in_memory, bytes_spilled, memory_limit;  // memory_limit 0: none
  bool paused;
};

/// What a Client needs of a cluster; LocalCluster implements it.
class Cluster {
 public:
  Cluster() = default;
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;
  virtual ~Cluster();
  [[nodiscard]] virtual std::vector<WorkerInfo> workers() const = 0;
  /// Every worker; running tasks are retried (the allowed failures count).
  virtual void restart() = 0;
  /// Idempotent; pending gets throw loom::Cancelled "cluster closed".
  virtual void close() = 0;

 private:
  friend detail::ClusterBackend& detail::backend_of_cluster(Cluster& cluster);
  [[nodiscard]] virtual detail::ClusterBackend& backend() = 0;
};

struct LocalClusterOptions {
  /// Unset: Dask's rule from cpu_count() (processes: up to 4 cores one worker each, beyond a
  /// factor near the square root; threads: one worker).
  std::optional<int> n_workers;
  /// Unset: cpu_count() / n_workers (at least 1).
  std::optional<int> threads_per_worker;
  /// Per worker; "auto": the machine's (or cgroup's) memory / n_workers; 0: no limit.
  ByteSize memory_limit = "auto";
  /// false: thread groups in this process.
  bool processes = true;
};

class LocalCluster final : public Cluster {
 public:
  /// Starts the workers; ConfigError on bad options (naming the value).
  explicit LocalCluster(LocalClusterOptions options = {});
  ~LocalCluster() override;  // close(): every process reaped

  [[nodiscard]] std::vector<WorkerInfo> workers() const override;
  /// Adds workers or retires the highest ids (their queued tasks move elsewhere; running ones
  /// finish). ConfigError for n < 0; loom::Cancelled "cluster closed" after close().
  void scale(int n_workers);
  void restart() override;
  void close() override;

  /// The options after defaults were resolved (memory_limit in bytes).
  [[nodiscard]] const LocalClusterOptions& options() const noexcept { return options_; }

 private:
  friend detail::ClusterState& detail::cluster_state_of(LocalCluster& cluster) noexcept;
  [[nodiscard]] detail::ClusterBackend& backend() override;
  LocalClusterOptions options_;
  detail::ClusterState* state_ = nullptr;
};

}  // namespace loom
