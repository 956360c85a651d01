// loom::LocalCluster (cluster/local_cluster.hpp): options, Dask's defaults, and the scheduler.

#include "loom/cluster/local_cluster.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include <fmt/format.h>

#include "cluster/cluster_state.hpp"
#include "loom/core/config.hpp"
#include "loom/core/error.hpp"
#include "loom/core/executor.hpp"

namespace loom {

namespace {

// The machine's memory, or the cgroup's limit when it is lower.
std::int64_t system_memory() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page = ::sysconf(_SC_PAGE_SIZE);
  std::int64_t total =
      pages > 0 && page > 0 ? static_cast<std::int64_t>(pages) * page : std::int64_t{1} << 32;
  std::ifstream cgroup("/sys/fs/cgroup/memory.max");
  std::string text;
  if (cgroup >> text && text != "max") {
    try {
      const std::int64_t limit = std::stoll(text);
      if (limit > 0) total = std::min(total, limit);
    } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch): unreadable, keep total
    }
  }
  return total;
}

// Dask's nprocesses_nthreads: up to 4 cores a process each, else the smallest factor of the
// core count at least its square root.
int dask_processes(int cores) {
  if (cores <= 4) return cores;
  for (int f = 1; f <= cores; ++f) {
    if (cores % f == 0 && static_cast<double>(f) >= std::sqrt(static_cast<double>(cores))) {
      return f;
    }
  }
  return cores;
}

LocalClusterOptions resolve(LocalClusterOptions o) {
  if (o.n_workers && *o.n_workers <= 0) {
    throw ConfigError(fmt::format("LocalCluster: n_workers = {} (use 1 or more)", *o.n_workers));
  }
  if (o.threads_per_worker && *o.threads_per_worker <= 0) {
    throw ConfigError(fmt::format("LocalCluster: threads_per_worker = {} (use 1 or more)",
                                  *o.threads_per_worker));
  }
  if (o.n_workers && *o.n_workers > 4096) {
    throw ConfigError(fmt::format("LocalCluster: n_workers = {} is more than 4096",
                                  *o.n_workers));
  }
  if (o.threads_per_worker && *o.threads_per_worker > 1024) {
    throw ConfigError(fmt::format("LocalCluster: threads_per_worker = {} is more than 1024",
                                  *o.threads_per_worker));
  }
  if (!o.memory_limit.is_auto() && o.memory_limit.bytes() < 0) {
    throw ConfigError(fmt::format("LocalCluster: memory_limit = {} is negative",
                                  o.memory_limit.bytes()));
  }
  const int cores = std::max(1, cpu_count());
  if (!o.n_workers && !o.threads_per_worker) {
    o.n_workers = o.processes ? dask_processes(cores) : 1;
    o.threads_per_worker = std::max(1, cores / *o.n_workers);
  } else if (!o.n_workers) {
    o.n_workers = std::max(1, cores / *o.threads_per_worker);
  } else if (!o.threads_per_worker) {
    o.threads_per_worker = std::max(1, cores / *o.n_workers);
  }
  if (o.memory_limit.is_auto()) o.memory_limit = system_memory() / *o.n_workers;
  return o;
}

detail::ClusterSettings settings_of(const LocalClusterOptions& o) {
  detail::ClusterSettings s;
  s.processes = o.processes;
  s.threads_per_worker = *o.threads_per_worker;
  s.memory_limit = o.memory_limit.bytes();
  s.allowed_failures =
      static_cast<int>(std::min<std::int64_t>(config::get_int("scheduler.allowed-failures").value_or(3), 1 << 20));
  s.worker_ttl = config::get_duration("scheduler.worker-ttl");
  s.work_stealing = config::get_bool("scheduler.work-stealing");
  return s;
}

}  // namespace

Cluster::~Cluster() = default;

LocalCluster::LocalCluster(LocalClusterOptions options)
    : options_(resolve(std::move(options))),
      state_(&detail::ClusterState::create(settings_of(options_), *options_.n_workers)) {}

LocalCluster::~LocalCluster() { close(); }

std::vector<WorkerInfo> LocalCluster::workers() const { return state_->workers(); }

void LocalCluster::scale(int n_workers) { state_->scale(n_workers); }

void LocalCluster::restart() { state_->restart(); }

void LocalCluster::close() { state_->close(); }

detail::ClusterBackend& LocalCluster::backend() { return *state_; }

namespace detail {
ClusterBackend& backend_of_cluster(Cluster& cluster) { return cluster.backend(); }
ClusterState& cluster_state_of(LocalCluster& cluster) noexcept { return *cluster.state_; }
}  // namespace detail

}  // namespace loom
