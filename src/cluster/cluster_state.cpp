// A LocalCluster's scheduler (cluster_state.hpp): placement, queues, stealing, runner threads,
// scale, restart and close.

#include "cluster/cluster_state.hpp"

#include <algorithm>
#include <array>
#include <deque>
#include <utility>

#include <fmt/format.h>

#include "loom/core/error.hpp"
#include "remote/processes.hpp"
#include "remote/scheduler.hpp"

namespace loom::detail {

namespace {

constexpr const char* kClosed = "cluster closed";

// A record that will not run: its result says "cluster closed".
void drop(TaskRecord* record) noexcept {
  record->cancel_because(kClosed);
  record->release_inputs();
  record->release();
}

}  // namespace

ClusterState::ClusterState(const ClusterSettings& settings) : settings_(settings) {
  if (settings_.processes) {
    folder_ = std::make_shared<TempFolder>("cluster", TempPurpose::shared_memory);
  }
}

ClusterState::~ClusterState() { close(); }

ClusterState& ClusterState::create(const ClusterSettings& settings, int n_workers) {
  static std::mutex mutex;
  static std::deque<ClusterState> all;  // never shrinks: see the header
  ClusterState* state = nullptr;
  {
    const std::lock_guard lock(mutex);
    state = &all.emplace_back(settings);
  }
  try {
    for (int id = 0; id < n_workers; ++id) state->start_worker(id);
  } catch (...) {
    state->close();
    throw;
  }
  return *state;
}

int& ClusterState::pinned_worker() noexcept {
  thread_local int pinned = -1;
  return pinned;
}

int ClusterState::crash_limit(const TaskSpec& spec) const noexcept {
  // A task's own max_retries counts when it set one (3 is TaskOptions' default), else
  // scheduler.allowed-failures, as Dask.
  return spec.max_retries != TaskOptions{}.max_retries ? spec.max_retries
                                                       : settings_.allowed_failures;
}

void ClusterState::start_worker(int id) {
  auto worker = std::make_unique<Worker>();
  worker->id = id;
  if (settings_.processes) {
    // Forks here, from a thread that holds none of the cluster's locks.
    worker->host = std::make_unique<WorkerHost>(id, settings_.threads_per_worker, folder_->path(),
                                                settings_.worker_ttl);
  }
  Worker* raw = worker.get();
  const std::lock_guard lock(mutex_);
  workers_.push_back(std::move(worker));
  for (int t = 0; t < settings_.threads_per_worker; ++t) {
    raw->runners.emplace_back([this, raw] { runner(raw); });
  }
}

void ClusterState::check_submit(const TaskSpec& spec) {
  check_not_in_worker();  // a task in a worker process: the remote API is the driver's
  {
    const std::lock_guard lock(mutex_);
    if (closed_) throw Cancelled(kClosed);
  }
  const std::string what = spec.name.empty() ? std::string("task") : "task '" + spec.name + "'";
  const ResourceSet& r = spec.request;
  if (r.cpus > settings_.threads_per_worker + kResourceEpsilon) {
    throw ResourceError(fmt::format(
        "{}: num_cpus = {} but a worker of this LocalCluster has {} thread(s)", what, r.cpus,
        settings_.threads_per_worker));
  }
  if (r.gpus > 0 || !r.custom.empty()) {
    throw ResourceError(
        fmt::format("{}: asks for GPUs or custom resources, which LocalCluster workers do not "
                    "have",
                    what));
  }
  if (settings_.memory_limit > 0 && r.memory > settings_.memory_limit) {
    throw ResourceError(fmt::format("{}: memory = {} bytes is more than a worker's limit of {}",
                                    what, r.memory, settings_.memory_limit));
  }
  if (settings_.processes && spec.worker_thunk == nullptr && spec.captureless_thunk == nullptr) {
    const std::string type = spec.callable_type != nullptr ? spec.callable_type() : "?";
    throw ConfigError(fmt::format(
        "{} (callable {}): a LocalCluster with processes = true runs a task in a worker process "
        "only when its function is registered (LOOM_REMOTE(fn) at namespace scope, then "
        "loom::task(fn) or loom::task_named<R(Args...)>(\"fn\")), is a captureless lambda or "
        "a plain function pointer, or is a callable object that can be serialized (a serialize "
        "member, as for cereal), and its arguments and result can be serialized; register "
        "the function (captured values become arguments), or use a LocalCluster with "
        "processes = false",
        what, type));
  }
}

void ClusterState::ready(TaskRecord* record) noexcept {
  if (record->state().load(std::memory_order_acquire) == TaskRecord::State::cancelled) {
    record->release_inputs();
    record->release();
    return;
  }
  const int pinned = pinned_worker();
  std::unique_lock lock(mutex_);
  if (closed_) {
    lock.unlock();
    drop(record);
    return;
  }
  place(Queued{record, pinned}, -1);
}

void ClusterState::place(Queued queued, int avoid) {
  ++counters_.placements;
  const auto n = static_cast<int>(workers_.size());
  if (queued.pinned >= 0 && queued.pinned < n && !workers_[queued.pinned]->retiring) {
    Worker& w = *workers_[queued.pinned];
    w.queue.push_back(queued);
    ++counters_.queue_pushes;
    wake(w);
    return;
  }
  queued.pinned = -1;
  queued.avoid = avoid;
  // Where the inputs are: a few homes are enough (a task's inputs rarely span more workers).
  struct Home {
    int worker;
    std::int64_t bytes;
  };
  std::array<Home, 8> homes{};
  std::size_t n_homes = 0;
  std::int64_t steps = 0;
  queued.record->for_each_input([&](ObjectEntry* entry) {
    ++steps;
    const int home = entry->home();
    if (home < 0) return;
    const auto bytes = static_cast<std::int64_t>(entry->stored_bytes());
    for (std::size_t i = 0; i < n_homes; ++i) {
      if (homes[i].worker == home) {
        homes[i].bytes += bytes;
        return;
      }
    }
    if (n_homes < homes.size()) homes[n_homes++] = Home{home, bytes};
  });
  const auto limit =
      static_cast<std::size_t>(settings_.threads_per_worker) * (1 + kQueuedPerThread);
  Worker* best = nullptr;
  std::int64_t best_bytes = -1;
  std::size_t best_load = 0;
  for (const auto& w : workers_) {
    ++steps;
    if (w->retiring || (w->id == avoid && n > 1)) continue;
    const std::size_t load = w->queue.size() + w->running.size();
    if (load >= limit) continue;
    std::int64_t bytes = 0;
    for (std::size_t i = 0; i < n_homes; ++i) {
      if (homes[i].worker == w->id) bytes = homes[i].bytes;
    }
    if (best == nullptr || bytes > best_bytes || (bytes == best_bytes && load < best_load)) {
      best = w.get();
      best_bytes = bytes;
      best_load = load;
    }
  }
  counters_.placement_steps += steps;
  if (best != nullptr) {
    best->queue.push_back(queued);
    ++counters_.queue_pushes;
    wake(*best);
    return;
  }
  backlog_.push_back(queued);
  ++counters_.backlog_pushes;
  // Every queue is full, unless only the worker to avoid had room: wake an idle thread anyway.
  for (const auto& w : workers_) {
    ++counters_.steal_steps;
    if (w->idle > 0 && !w->retiring) {
      w->cv.notify_one();
      ++counters_.wakeups;
      break;
    }
  }
}

void ClusterState::wake(Worker& worker) {
  if (worker.idle > 0) {
    worker.cv.notify_one();
    ++counters_.wakeups;
    // Woken threads count as idle until they run: more queued than that, and another worker's
    // idle thread may take one.
    if (worker.queue.size() <= static_cast<std::size_t>(worker.idle)) return;
  }
  if (!settings_.work_stealing) return;
  for (const auto& w : workers_) {  // an idle thread elsewhere may steal it
    ++counters_.steal_steps;
    if (w.get() != &worker && w->idle > 0 && !w->retiring) {
      w->cv.notify_one();
      ++counters_.wakeups;
      return;
    }
  }
}

bool ClusterState::take(Worker& worker, Queued& out) {
  if (!worker.queue.empty()) {
    out = worker.queue.front();
    worker.queue.pop_front();
    ++counters_.queue_pops;
    return true;
  }
  if (!backlog_.empty()) {
    out = backlog_.front();
    backlog_.pop_front();
    ++counters_.queue_pops;
    return true;
  }
  if (!settings_.work_stealing) return false;
  Worker* victim = nullptr;
  for (const auto& w : workers_) {
    ++counters_.steal_steps;
    if (w.get() == &worker || w->queue.empty()) continue;
    if (victim == nullptr || w->queue.size() > victim->queue.size()) victim = w.get();
  }
  if (victim == nullptr) return false;
  // The newest unpinned task (the victim runs its oldest next); queues are short.
  for (auto it = victim->queue.rbegin(); it != victim->queue.rend(); ++it) {
    ++counters_.steal_steps;
    if (it->pinned >= 0 || it->avoid == worker.id) continue;
    out = *it;
    victim->queue.erase(std::next(it).base());
    ++counters_.steals;
    return true;
  }
  return false;
}

void ClusterState::runner(Worker* worker) noexcept {
  this_thread_channel() = worker->host.get();  // processes: calls cross to the worker process
  std::unique_lock lock(mutex_);
  for (;;) {
    if (closed_ || worker->retiring) break;
    Queued queued;
    if (!take(*worker, queued)) {
      ++worker->idle;
      worker->cv.wait(lock);
      --worker->idle;
      continue;
    }
    TaskRecord* record = queued.record;
    worker->running.push_back(record);
    lock.unlock();
    if (const EntryRef& result = record->result()) result->set_home(worker->id);
    const Outcome outcome =
        execute_record(record, /*allow_retries=*/true, crash_limit(record->spec()),
                       /*suspendable=*/false);
    lock.lock();
    auto& running = worker->running;
    running.erase(std::find(running.begin(), running.end(), record));
    if (outcome == Outcome::retry) {
      if (!closed_) {
        place(Queued{record, queued.pinned}, worker->id);  // another worker when there is one
        continue;
      }
      lock.unlock();
      drop(record);
      lock.lock();
      continue;
    }
    ++worker->done;
    lock.unlock();
    record->release();
    lock.lock();
  }
  lock.unlock();
  this_thread_channel() = nullptr;
}

void ClusterState::stop_workers(std::vector<std::unique_ptr<Worker>> gone) noexcept {
  for (auto& w : gone) {
    if (w->host) w->host->shutdown();  // running calls end: "cluster closed" or a retry
  }
  {
    const std::lock_guard lock(mutex_);
    for (auto& w : gone) w->cv.notify_all();
  }
  for (auto& w : gone) {
    for (auto& t : w->runners) t.join();
  }
}

void ClusterState::close() noexcept {
  const std::lock_guard admin(admin_mutex_);
  std::vector<Queued> dropped;
  std::vector<std::unique_ptr<Worker>> gone;
  {
    const std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = true;
    dropped.assign(backlog_.begin(), backlog_.end());
    backlog_.clear();
    for (auto& w : workers_) {
      w->retiring = true;
      dropped.insert(dropped.end(), w->queue.begin(), w->queue.end());
      w->queue.clear();
      // Threads cannot be killed: running tasks are asked to stop (processes: their worker
      // process is shut down below instead).
      if (!settings_.processes) {
        for (TaskRecord* r : w->running) r->cancel_because(kClosed);
      }
    }
    gone = std::move(workers_);
    workers_.clear();
  }
  for (const Queued& q : dropped) drop(q.record);
  stop_workers(std::move(gone));
  folder_.reset();  // mapped objects stay readable: unlinking a mapped file keeps the mapping
}

bool ClusterState::closed() const {
  const std::lock_guard lock(mutex_);
  return closed_;
}

int ClusterState::size() const {
  const std::lock_guard lock(mutex_);
  return static_cast<int>(workers_.size());
}

void ClusterState::scale(int n_workers) {
  if (n_workers < 0) {
    throw ConfigError(fmt::format(
        "LocalCluster::scale({}): the number of workers must be 0 or more", n_workers));
  }
  const std::lock_guard admin(admin_mutex_);
  int current = 0;
  {
    const std::lock_guard lock(mutex_);
    if (closed_) throw Cancelled(kClosed);
    current = static_cast<int>(workers_.size());
  }
  for (int id = current; id < n_workers; ++id) start_worker(id);
  if (n_workers >= current) return;
  std::vector<std::unique_ptr<Worker>> gone;
  {
    const std::lock_guard lock(mutex_);
    std::vector<Queued> moved;
    while (static_cast<int>(workers_.size()) > n_workers) {
      std::unique_ptr<Worker> w = std::move(workers_.back());
      workers_.pop_back();
      w->retiring = true;
      moved.insert(moved.end(), w->queue.begin(), w->queue.end());
      w->queue.clear();
      gone.push_back(std::move(w));
    }
    for (const Queued& q : moved) place(Queued{q.record, -1}, -1);
  }
  stop_workers(std::move(gone));
}

void ClusterState::restart() {
  const std::lock_guard admin(admin_mutex_);
  std::vector<Worker*> all;
  {
    const std::lock_guard lock(mutex_);
    if (closed_) throw Cancelled(kClosed);
    for (auto& w : workers_) {
      all.push_back(w.get());
      if (!w->host) ++w->restarts;  // thread workers have no process to replace
    }
  }
  for (Worker* w : all) {
    if (w->host) w->host->restart(std::chrono::seconds(10));
  }
}

std::vector<WorkerInfo> ClusterState::workers() const {
  std::vector<WorkerInfo> out;
  const std::lock_guard lock(mutex_);
  for (const auto& w : workers_) {
    WorkerInfo info{};
    info.id = w->id;
    info.pid = w->host ? w->host->pid() : 0;
    info.address = fmt::format("local/{}", w->id);
    info.threads = settings_.threads_per_worker;
    info.tasks_running = static_cast<std::int64_t>(w->running.size());
    info.tasks_done = w->done;
    info.restarts = w->restarts + (w->host ? w->host->restarts() : 0);
    info.bytes_in_memory = info.pid > 0 ? resident_bytes(static_cast<pid_t>(info.pid)) : 0;
    info.bytes_spilled = 0;
    info.memory_limit = settings_.memory_limit;
    info.paused = false;
    out.push_back(std::move(info));
  }
  return out;
}

SchedulerCounters ClusterState::counters() const {
  const std::lock_guard lock(mutex_);
  return counters_;
}

}  // namespace loom::detail
