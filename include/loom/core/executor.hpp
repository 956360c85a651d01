#pragma once
// The thread pool: oneTBB task arenas (docs/core.md, "The thread pool").
//
// One process-wide arena runs everything by default; its size comes from the config key
// `scheduler.num_threads`, else the environment variable LOOM_NUM_THREADS, else cpu_count().
// Arenas of other sizes (Parallel's n_jobs) are created on first use and kept.

#include <memory>

#include "loom/core/detail/function_ref.hpp"

namespace loom {

namespace detail {
struct ExecutorAccess;
}  // namespace detail

/// Usable cores: the CPU affinity mask, capped by a cgroup CPU quota (as joblib's cpu_count).
[[nodiscard]] int cpu_count();

/// joblib's effective_n_jobs: n > 0 is n; -1 is all cores, -2 all but one, ... (at least 1);
/// 0 is a ConfigError.
[[nodiscard]] int effective_n_jobs(int n_jobs);

class Executor {
 public:
  /// The default arena, sized as the header comment says. Changing `scheduler.num_threads`
  /// makes later calls return an arena of the new size.
  static Executor& global();
  /// A cached arena of exactly `num_threads` threads (more than the cores is allowed: for
  /// I/O-bound work).
  static Executor& with_threads(int num_threads);
  [[nodiscard]] int num_threads() const noexcept { return num_threads_; }

  /// Runs `f` inside this arena: the calling thread joins it, and tasks `f` spawns run on the
  /// arena's threads. Returns when `f` returns.
  void run(detail::FunctionRef<void()> f);
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;
  ~Executor();

 private:
  // Detached arenas and fire-and-forget work are for the remote runtime only; it reaches them
  // through detail::ExecutorAccess (src/core/executor_access.hpp).
  friend struct detail::ExecutorAccess;
  /// A cached arena of `num_workers` threads that nobody joins: work reaches it through
  /// `enqueue` (the remote runtime's workers).
  static Executor& detached(int num_workers);
  /// Fire and forget: `fn(arg)` runs on one of the arena's threads (from any thread; cheap).
  /// `fn` must not throw.
  void enqueue(void (*fn)(void*) noexcept, void* arg);

  Executor(int num_threads, int reserved_for_callers);
  struct Impl;
  int num_threads_;
  std::unique_ptr<Impl> impl_;  // opaque: users' builds need no TBB headers from loom
};

namespace detail {
/// The number of threads the default arena has now (config, then LOOM_NUM_THREADS, then cores).
int default_num_threads();
/// Whether this thread is inside Executor::run (so already in a loom arena).
bool in_executor() noexcept;
}  // namespace detail

}  // namespace loom
