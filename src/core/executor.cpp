#include "loom/core/executor.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <fmt/format.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/info.h>
#include <oneapi/tbb/task_arena.h>

#include "loom/core/config.hpp"
#include "loom/core/error.hpp"

namespace loom {
namespace {

// cgroup v2 `cpu.max` ("max 100000" or "150000 100000"), else v1's quota and period.
std::optional<int> cgroup_cpu_limit() {
  auto ceil_div = [](double quota, double period) -> std::optional<int> {
    if (quota <= 0 || period <= 0) return std::nullopt;
    return std::max(1, static_cast<int>(std::ceil(quota / period)));
  };
  if (std::ifstream v2("/sys/fs/cgroup/cpu.max"); v2) {
    std::string quota;
    double period = 0;
    if (v2 >> quota >> period && quota != "max") return ceil_div(std::atof(quota.c_str()), period);
    return std::nullopt;
  }
  std::ifstream q("/sys/fs/cgroup/cpu/cpu.cfs_quota_us");
  std::ifstream p("/sys/fs/cgroup/cpu/cpu.cfs_period_us");
  double quota = 0;
  double period = 0;
  if (q >> quota && p >> period) return ceil_div(quota, period);
  return std::nullopt;
}

}  // namespace

int cpu_count() {
  static const int count = [] {
    int n = 0;
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) == 0) n = CPU_COUNT(&set);
    if (n <= 0) n = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
    if (auto limit = cgroup_cpu_limit()) n = std::min(n, *limit);
    return std::max(n, 1);
  }();
  return count;
}

int effective_n_jobs(int n_jobs) {
  if (n_jobs == 0) {
    throw ConfigError("n_jobs == 0 has no meaning: use a positive count, or -1 for all cores");
  }
  if (n_jobs > 0) return n_jobs;
  return std::max(cpu_count() + 1 + n_jobs, 1);
}

namespace detail {
int default_num_threads() {
  if (auto n = config::get_int("scheduler.num_threads")) return static_cast<int>(*n);
  if (const char* env = std::getenv("LOOM_NUM_THREADS"); env != nullptr && *env != '\0') {
    char* end = nullptr;
    const long n = std::strtol(env, &end, 10);
    if (end == env || *end != '\0' || n < 1 || n > 1 << 16) {
      throw ConfigError(fmt::format("LOOM_NUM_THREADS='{}' is not a positive integer", env));
    }
    return static_cast<int>(n);
  }
  return cpu_count();
}
}  // namespace detail

struct Executor::Impl {
  tbb::task_arena arena;
  Impl(int n, int reserved) : arena(n, static_cast<unsigned>(reserved)) {}
};

namespace {

struct ExecutorCache {
  std::mutex mutex;
  std::map<int, std::unique_ptr<Executor>> executors;
  std::map<int, std::unique_ptr<Executor>> detached;
  // oneTBB caps all arenas at the hardware concurrency unless told otherwise; n_jobs above the
  // cores is honoured (I/O-bound work), so the cap follows the largest arena asked for.
  std::unique_ptr<tbb::global_control> parallelism;
  int parallelism_limit = 0;
};

ExecutorCache& cache() {
  static ExecutorCache c;
  return c;
}

}  // namespace

Executor::Executor(int num_threads, int reserved_for_callers)
    : num_threads_(num_threads), impl_(std::make_unique<Impl>(num_threads, reserved_for_callers)) {}

Executor::~Executor() = default;

namespace {
// Raises oneTBB's cap on threads (all arenas together) to `threads` when it is below.
void allow_parallelism(ExecutorCache& c, int threads) {
  const int hardware = tbb::info::default_concurrency();
  if (threads > std::max(hardware, c.parallelism_limit)) {
    c.parallelism = std::make_unique<tbb::global_control>(
        tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
    c.parallelism_limit = threads;
  }
}
}  // namespace

Executor& Executor::with_threads(int num_threads) {
  if (num_threads < 1) {
    throw ConfigError(fmt::format("an executor needs at least one thread, not {}", num_threads));
  }
  auto& c = cache();
  std::lock_guard lock(c.mutex);
  auto& slot = c.executors[num_threads];
  if (!slot) {
    allow_parallelism(c, num_threads);
    slot.reset(new Executor(num_threads, 1));  // NOLINT: private constructor, owned at once
  }
  return *slot;
}

Executor& Executor::detached(int num_workers) {
  if (num_workers < 1) {
    throw ConfigError(fmt::format("an executor needs at least one thread, not {}", num_workers));
  }
  auto& c = cache();
  std::lock_guard lock(c.mutex);
  auto& slot = c.detached[num_workers];
  if (!slot) {
    // oneTBB counts the threads that call in too: `num_workers` pool threads need one more.
    allow_parallelism(c, num_workers + 1);
    slot.reset(new Executor(num_workers, 0));  // NOLINT: private constructor, owned at once
  }
  return *slot;
}

Executor& Executor::global() { return with_threads(detail::default_num_threads()); }

namespace {
thread_local int running_in_executor = 0;
}  // namespace

namespace detail {
bool in_executor() noexcept { return running_in_executor > 0; }
}  // namespace detail

void Executor::run(detail::FunctionRef<void()> f) {
  impl_->arena.execute([&] {
    ++running_in_executor;
    struct Leave {
      ~Leave() { --running_in_executor; }
    } leave;
    f();
  });
}

void Executor::enqueue(void (*fn)(void*) noexcept, void* arg) {
  impl_->arena.enqueue([fn, arg] { fn(arg); });
}

}  // namespace loom
