// init/shutdown, and waiting for objects: get, wait, cancel, put.

#include "loom/remote/runtime.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <vector>

#include <fmt/format.h>

#include "core/suspend_latch.hpp"
#include "core/temp_folder.hpp"
#include "loom/core/config.hpp"
#include "loom/core/error.hpp"
#include "loom/core/executor.hpp"
#include "loom/io/serialize.hpp"
#include "loom/remote/detail/exchange.hpp"
#include "object_store.hpp"
#include "processes.hpp"
#include "scheduler.hpp"

namespace loom {

namespace detail {

namespace {

std::filesystem::path shared_folder;  // the processes mode's store folder
std::atomic<bool> shared_folder_set{false};

struct Runtimes {
  std::mutex mutex;
  std::atomic<RuntimeState*> current{nullptr};
  std::vector<std::unique_ptr<RuntimeState>> all;  // never freed: see scheduler.hpp
};

Runtimes& runtimes() {
  static Runtimes r;
  return r;
}

std::int64_t physical_memory() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page = ::sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<std::int64_t>(pages) * page : std::int64_t{1} << 32;
}

void validate(const InitOptions& o) {
  if (o.num_cpus && (!(*o.num_cpus > 0) || *o.num_cpus > 65536)) {
    throw ConfigError(
        fmt::format("loom::init: num_cpus = {} (use a positive number)", *o.num_cpus));
  }
  if (!(o.num_gpus >= 0) || o.num_gpus > 65536 ||
      std::abs(o.num_gpus - std::round(o.num_gpus)) > 1e-9) {
    throw ConfigError(
        fmt::format("loom::init: num_gpus = {} (use a whole number, 0 or more)", o.num_gpus));
  }
  for (const auto& [name, amount] : o.resources) {
    if (!(amount >= 0) || !std::isfinite(amount)) {
      throw ConfigError(
          fmt::format("loom::init: resource '{}' = {} (use 0 or more)", name, amount));
    }
    if (name == "CPU" || name == "GPU" || name == "memory") {
      throw ConfigError(
          fmt::format("loom::init: '{}' is not a custom resource (use num_cpus, "
                      "num_gpus or memory)",
                      name));
    }
  }
  if (o.object_store_memory < 0) {
    throw ConfigError(
        fmt::format("loom::init: object_store_memory = {} is negative", o.object_store_memory));
  }
  if (o.mode != "threads" && o.mode != "processes") {
    throw ConfigError(
        fmt::format("loom::init: mode '{}' (use \"threads\" or \"processes\")", o.mode));
  }
}

RuntimeState* start_locked(const InitOptions& given) {
  Runtimes& r = runtimes();
  validate(given);
  InitOptions options = given;
  if (!options.num_cpus) options.num_cpus = static_cast<double>(cpu_count());
  if (options.object_store_memory == 0) {
    options.object_store_memory = physical_memory() * 3 / 10;  // Ray's default share
  }
  StoreLimits limits;
  limits.memory_limit = options.object_store_memory;
  const double target = config::get_double("worker.memory.target");
  const double spill = config::get_double("worker.memory.spill");
  const double pause = config::get_double("worker.memory.pause");
  const double fraction = target > 0 ? target : spill;
  const auto limit = static_cast<double>(limits.memory_limit);
  limits.spill_above = fraction > 0 ? static_cast<std::int64_t>(fraction * limit) : 0;
  limits.pause_above = pause > 0 ? static_cast<std::int64_t>(pause * limit) : 0;
  if (limits.spill_above > 0) {
    limits.spill_base = options.spill_dir.empty() ? temporary_directory(TempPurpose::spill)
                                                  : std::filesystem::path(options.spill_dir);
    // The folder itself is made on the first spill; a place that cannot hold it is said now.
    std::error_code error;
    std::filesystem::create_directories(limits.spill_base, error);
    if (error || ::access(limits.spill_base.c_str(), W_OK | X_OK) != 0) {
      throw ConfigError(fmt::format("loom::init: spill_dir '{}' is not a writable folder{}",
                                    limits.spill_base.string(),
                                    error ? ": " + error.message() : std::string()));
    }
  }
  const int threads = std::max(1, static_cast<int>(std::ceil(*options.num_cpus - 1e-9)));
  auto state = std::make_unique<RuntimeState>(options, threads, physical_memory());
  if (options.mode == "processes") {
    // Each worker's share of the machine, as Dask's default memory_limit; past `terminate` of
    // it a worker is replaced.
    const double terminate = config::get_double("worker.memory.terminate");
    const auto restart_above =
        terminate > 0 ? static_cast<std::int64_t>(terminate *
                                                  static_cast<double>(physical_memory()) / threads)
                      : 0;
    state->start_processes(threads, restart_above);  // forks here: this thread holds no other lock
    shared_folder = state->processes()->folder();
    shared_folder_set.store(true, std::memory_order_release);
  }
  configure_store(limits);
  RuntimeState* raw = state.get();
  r.all.push_back(std::move(state));
  r.current.store(raw, std::memory_order_release);
  return raw;
}

}  // namespace

RuntimeState* current_runtime() noexcept {
  return runtimes().current.load(std::memory_order_acquire);
}

RuntimeState& ensure_runtime() {
  if (RuntimeState* rt = current_runtime()) return *rt;
  check_not_in_worker();
  if (live_clients() > 0) {
    throw ConfigError(
        "the remote runtime cannot start while a loom::Client exists: remote tasks, put and get "
        "run on the client's cluster (actors need loom::init without a client)");
  }
  Runtimes& r = runtimes();
  std::lock_guard lock(r.mutex);
  if (RuntimeState* rt = r.current.load(std::memory_order_acquire)) return *rt;
  return *start_locked(InitOptions{});
}

// ---- waiting ----

namespace {

/// Blocks a thread until notified or a deadline.
struct BlockingWaiter final : Waiter {
  std::mutex mutex;
  std::condition_variable cv;
  bool done = false;
  void notify() noexcept override {
    std::lock_guard lock(mutex);  // under the lock: the waiter may leave as soon as it sees done
    done = true;
    cv.notify_one();
  }
  // Waits until notified or `until`; true when notified.
  template <class Deadline>
  bool wait(const Deadline& until) {
    std::unique_lock lock(mutex);
    if (until) return cv.wait_until(lock, *until, [this] { return done; });
    cv.wait(lock, [this] { return done; });
    return true;
  }
  void wait_done() {
    std::unique_lock lock(mutex);
    cv.wait(lock, [this] { return done; });
  }
};

/// Suspends a remote task (its thread goes on with other tasks) until notified.
struct SuspendWaiter final : Waiter {
  SuspendLatch latch{1};
  void notify() noexcept override { latch.arrive(); }
};

using Clock = std::chrono::steady_clock;

/// A remote task that blocks its thread (a wait, a get with a timeout) lends its CPUs while it
/// does, so that what it waits for can start; the runtime gives blocked threads company (the
/// pool grows when more tasks run than it has threads).
class LendWhileBlocked {
 public:
  LendWhileBlocked() : running_(running_record()) {
    if (running_.record != nullptr && running_.holds_resources) runtime_ = current_runtime();
    if (runtime_ != nullptr) runtime_->lend(running_.record);
  }
  ~LendWhileBlocked() {
    if (runtime_ != nullptr) runtime_->reclaim(running_.record);
  }
  LendWhileBlocked(const LendWhileBlocked&) = delete;
  LendWhileBlocked& operator=(const LendWhileBlocked&) = delete;

 private:
  RunningRecord running_;
  RuntimeState* runtime_ = nullptr;
};

std::optional<Clock::time_point> deadline_of(std::optional<std::chrono::milliseconds> timeout) {
  if (!timeout) return std::nullopt;
  return Clock::now() + *timeout;
}

}  // namespace

void wait_finished(ObjectEntry* entry, std::optional<std::chrono::milliseconds> timeout) {
  if (entry->finished()) return;
  const RunningRecord running = running_record();
  if (running.record != nullptr && running.suspendable && !timeout) {
    // Inside a remote task: suspend, and lend the task's CPUs meanwhile (as Ray does), so that
    // the tasks it waits for can start.
    SuspendWaiter waiter;
    if (!entry->add_waiter(&waiter)) return;
    RuntimeState* runtime = running.holds_resources ? current_runtime() : nullptr;
    if (runtime != nullptr) runtime->lend(running.record);
    waiter.latch.wait();
    running_record() = running;  // the task may go on on another thread
    if (runtime != nullptr) runtime->reclaim(running.record);
    return;
  }
  BlockingWaiter waiter;
  if (!entry->add_waiter(&waiter)) return;
  const LendWhileBlocked lent;
  if (waiter.wait(deadline_of(timeout))) return;
  if (!entry->remove_waiter(&waiter)) {
    waiter.wait_done();  // being notified right now: it finished after all
    return;
  }
  throw Timeout(fmt::format("get: object #{} was not ready within {} ms (its task goes on)",
                            entry->id(), timeout->count()));
}

std::shared_ptr<StoredValue> wait_value(const EntryRef& entry,
                                        std::optional<std::chrono::milliseconds> timeout) {
  if (!entry) throw_empty_ref();
  wait_finished(entry.get(), timeout);
  return entry->value();
}

void wait_void(const EntryRef& entry, std::optional<std::chrono::milliseconds> timeout) {
  if (!entry) throw_empty_ref();
  wait_finished(entry.get(), timeout);
  if (auto error = entry->error()) std::rethrow_exception(error);
}

namespace {

struct CountState {
  std::mutex mutex;
  std::condition_variable cv;
  std::size_t finished = 0;
  std::size_t notifying = 0;  // registered waiters that have not notified yet
};

struct CountWaiter final : Waiter {
  CountState* state = nullptr;
  void notify() noexcept override {
    std::lock_guard lock(state->mutex);
    ++state->finished;
    --state->notifying;
    state->cv.notify_all();
  }
};

}  // namespace

std::vector<char> wait_entries(std::span<ObjectEntry* const> entries, std::size_t num_returns,
                               std::optional<std::chrono::milliseconds> timeout) {
  if (num_returns > entries.size()) {
    throw Error(fmt::format("wait: num_returns = {} is more than the {} refs given", num_returns,
                            entries.size()));
  }
  for (ObjectEntry* e : entries) {
    if (e == nullptr) throw_empty_ref();
  }
  const auto ready_flags = [&] {
    std::vector<char> flags(entries.size());
    for (std::size_t i = 0; i < entries.size(); ++i) flags[i] = entries[i]->finished() ? 1 : 0;
    return flags;
  };
  std::vector<char> flags = ready_flags();
  std::size_t ready = static_cast<std::size_t>(std::count(flags.begin(), flags.end(), 1));
  if (ready >= num_returns) return flags;

  CountState state;
  std::vector<CountWaiter> waiters(entries.size());
  {
    std::lock_guard lock(state.mutex);
    state.finished = ready;
  }
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (flags[i] != 0) continue;
    waiters[i].state = &state;
    {
      std::lock_guard lock(state.mutex);
      ++state.notifying;
    }
    if (!entries[i]->add_waiter(&waiters[i])) {
      std::lock_guard lock(state.mutex);
      --state.notifying;
      ++state.finished;
    }
  }
  const auto until = deadline_of(timeout);
  const LendWhileBlocked lent;
  {
    std::unique_lock lock(state.mutex);
    const auto enough = [&] { return state.finished >= num_returns; };
    if (until) {
      state.cv.wait_until(lock, *until, enough);
    } else {
      state.cv.wait(lock, enough);
    }
  }
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (waiters[i].state != nullptr && entries[i]->remove_waiter(&waiters[i])) {
      std::lock_guard lock(state.mutex);
      --state.notifying;
    }
  }
  {
    std::unique_lock lock(state.mutex);
    state.cv.wait(lock, [&] { return state.notifying == 0; });
  }
  return ready_flags();
}

void cancel_entry(const EntryRef& entry) {
  if (!entry) throw_empty_ref();
  entry->cancel_producer();
}

const std::filesystem::path* processes_store_folder() noexcept {
  if (const WorkerChannel* channel = this_thread_channel()) return &channel->folder();
  return shared_folder_set.load(std::memory_order_acquire) ? &shared_folder : nullptr;
}

std::string run_in_worker(TaskRecord& record, const std::string& args) {
  if (WorkerChannel* channel = this_thread_channel()) return channel->call(record, args);
  RuntimeState* runtime = current_runtime();
  if (runtime == nullptr || runtime->processes() == nullptr) {
    throw Error(fmt::format("{}: the processes-mode runtime is gone", record.label()));
  }
  return runtime->processes()->run(record, args);
}

namespace {
std::atomic<ClusterBackend*> current_cluster{nullptr};
std::atomic<int> clients_alive{0};
thread_local WorkerChannel* channel_of_thread = nullptr;
}  // namespace

ClusterBackend* cluster_backend() noexcept {
  return current_cluster.load(std::memory_order_acquire);
}
void set_cluster_backend(ClusterBackend* backend) noexcept {
  current_cluster.store(backend, std::memory_order_release);
}
int live_clients() noexcept { return clients_alive.load(std::memory_order_acquire); }
void add_live_client(int delta) noexcept {
  clients_alive.fetch_add(delta, std::memory_order_acq_rel);
}
WorkerChannel*& this_thread_channel() noexcept { return channel_of_thread; }

void check_not_in_worker() {
  if (in_remote_worker()) {
    throw Error(
        "the remote API (tasks, actors, put, get) is for the driver: a task running in a "
        "processes-mode worker cannot use it");
  }
}

NpyData create_shared_array(const std::filesystem::path& folder, DType dtype, const Shape& shape) {
  static std::atomic<std::uint64_t> counter{0};
  const std::filesystem::path path =
      folder / fmt::format("object-{}-{}.npy", ::getpid(), counter.fetch_add(1));
  NpyData data = create_npy(path, dtype, shape);
  data.buffer = owning_file_buffer(std::move(data.buffer));
  return data;
}

void remove_exchange_files(const std::filesystem::path& folder,
                           const std::vector<std::string>& names) noexcept {
  for (const auto& name : names) {
    std::error_code ignored;
    std::filesystem::remove(folder / name, ignored);
  }
}

void throw_not_crossable(const std::string& what) {
  throw ConfigError(fmt::format(
      "{}: the processes mode runs functions registered with LOOM_REMOTE(fn) whose arguments and "
      "result can be serialized (a lambda, an unregistered function, a raw pointer or an "
      "ObjectRef parameter cannot cross to a worker process)",
      what));
}

EntryRef put_value(std::shared_ptr<StoredValue> value, const ValueOps* ops) {
  check_not_in_worker();
  if (cluster_backend() == nullptr) ensure_runtime();  // a client's objects need no runtime
  return EntryRef::adopt(ObjectEntry::create_ready(std::move(value), ops));
}

}  // namespace detail

void init(const InitOptions& options) {
  detail::check_not_in_worker();
  auto& r = detail::runtimes();
  std::lock_guard lock(r.mutex);
  if (r.current.load(std::memory_order_acquire) != nullptr) {
    throw Error("loom::init: the runtime is already running (loom::shutdown() first)");
  }
  if (detail::live_clients() > 0) {
    throw ConfigError(
        "loom::init: a loom::Client exists (its cluster runs remote tasks); destroy the client "
        "first, or use one of the two");
  }
  detail::start_locked(options);
}

void shutdown() {
  if (detail::running_record().record != nullptr) {
    throw Error("loom::shutdown() from inside a remote task or actor method");
  }
  auto& r = detail::runtimes();
  std::lock_guard lock(r.mutex);
  detail::RuntimeState* state = r.current.load(std::memory_order_acquire);
  if (state == nullptr) return;
  state->close();
  detail::shared_folder_set.store(false, std::memory_order_release);
  r.current.store(nullptr, std::memory_order_release);
  detail::configure_store({});
}

bool is_initialized() noexcept { return detail::current_runtime() != nullptr; }

ObjectStoreStats object_store_stats() { return detail::store_stats(); }

Runtime::Runtime(const InitOptions& options) { init(options); }

Runtime::~Runtime() {
  try {
    shutdown();
  } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor must not throw
  }
}

}  // namespace loom
