// Remote tasks: the records, resource counting, the FIFO of tasks waiting for resources, one
// attempt of a task (retries, cancellation, errors).

#include "scheduler.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "core/executor_access.hpp"
#include "loom/core/current_task.hpp"
#include "loom/core/detail/assert.hpp"
#include "loom/core/detail/trace_span.hpp"
#include "loom/core/error.hpp"
#include "loom/core/trace.hpp"
#include "object_store.hpp"
#include "processes.hpp"

namespace loom::detail {

namespace {

std::atomic<std::uint64_t> next_task_id{1};
thread_local RunningRecord this_thread_record;

bool whole(double x) { return std::abs(x - std::round(x)) < kResourceEpsilon; }

}  // namespace

RunningRecord& running_record() noexcept { return this_thread_record; }

// ---- TaskRecord ----

TaskRecord::TaskRecord(std::shared_ptr<const TaskSpec> spec, Dispatcher* dispatcher)
    : id_(next_task_id.fetch_add(1, std::memory_order_relaxed)),
      spec_(std::move(spec)),
      dispatcher_(dispatcher),
      result_(EntryRef::adopt(ObjectEntry::create())) {
  result_->set_producer(this);
}

TaskRecord::~TaskRecord() = default;

std::string TaskRecord::label() const {
  return spec_->name.empty() ? fmt::format("task #{}", id_)
                             : fmt::format("{} #{}", spec_->name, id_);
}

void TaskRecord::depend_on(ObjectEntry* entry, Waiter& waiter) noexcept {
  pending_.fetch_add(1, std::memory_order_relaxed);
  if (!entry->add_waiter(&waiter)) pending_.fetch_sub(1, std::memory_order_relaxed);
}

void TaskRecord::arm() noexcept {
  retain();  // the waiting phase's reference, handed to the dispatcher when ready
  dependency_done();
}

void TaskRecord::dependency_done() noexcept {
  if (pending_.fetch_sub(1) == 1) dispatcher_->ready(this);  // sequentially consistent
}

void TaskRecord::cancel() noexcept {
  State expected = State::waiting;
  if (state_.compare_exchange_strong(expected, State::cancelled, std::memory_order_acq_rel)) {
    // Made before it is published (here and below): the temporary exception, whose message
    // buffer the stored copy shares, is gone before any waiter reads it.
    std::exception_ptr error =
        std::make_exception_ptr(Cancelled(fmt::format("{} was cancelled before it ran", label())));
    result_->set_error(std::move(error));
    result_->clear_producer();
  } else if (expected == State::running) {
    stop_.request_stop();
  }
}

void TaskRecord::cancel_because(const char* why) noexcept {
  State expected = State::waiting;
  if (state_.compare_exchange_strong(expected, State::cancelled, std::memory_order_acq_rel)) {
    std::exception_ptr error =
        std::make_exception_ptr(Cancelled(fmt::format("{}: {}", label(), why)));
    result_->set_error(std::move(error));
    result_->clear_producer();
  } else if (expected == State::running) {
    stop_.request_stop();
  }
}

// ---- one attempt ----

namespace {

// The trace event of one attempt: the task's name, the attempt number, the process it ran in.
void trace_attempt(const TaskRecord& record, std::chrono::steady_clock::time_point begin) noexcept {
  std::string args;
  std::string name;
  try {
    const std::int64_t worker = last_call_worker_pid();
    args = fmt::format("\"id\":{},\"attempt\":{},\"worker\":{}", record.id(), record.attempts,
                       worker != 0 ? worker : trace::detail::process_id());
    name = record.spec().name.empty() ? std::string("task") : record.spec().name;
  } catch (...) {
    return;
  }
  trace::detail::record_span("remote", name, std::move(args), begin,
                             std::chrono::steady_clock::now());
}

bool retry_allowed(const TaskSpec& spec, const std::exception_ptr& error) {
  if (const bool* flag = std::get_if<bool>(&spec.retry_exceptions)) return *flag;
  return std::get<RetryOn>(spec.retry_exceptions).matches(error);
}

}  // namespace

void TaskRecord::finish(std::shared_ptr<StoredValue> value, std::exception_ptr error) noexcept {
  // Once, from running: a second finish would publish through the result it gave away.
  LOOM_ASSERT(state_.load(std::memory_order_relaxed) == State::running && result_,
              "a task record finishes once, while it runs");
  // The record lets go of its arguments and of its result before the result's waiters wake:
  // who sees the result sees the store without them.
  state_.store(State::finished, std::memory_order_release);
  release_inputs();
  EntryRef result = std::move(result_);
  result->clear_producer();
  ObjectEntry::publish(std::move(result), std::move(value), result_ops(), std::move(error));
}

Outcome execute_record(TaskRecord* record, bool allow_retries, int crash_retries,
                       bool suspendable) noexcept {
  // Running tasks can be asked to stop; actor calls cannot (their stop state would be an
  // allocation per call for nothing).
  if (allow_retries && !record->stop_source().stop_possible()) {
    record->stop_source() = std::stop_source();
  }
  TaskRecord::State expected = TaskRecord::State::waiting;
  if (!record->state().compare_exchange_strong(expected, TaskRecord::State::running,
                                               std::memory_order_acq_rel)) {
    record->release_inputs();  // cancelled while it waited
    return Outcome::failed;
  }
  ++record->attempts;
  const TaskSpec& spec = record->spec();
  // A task's attempt is a trace event (actor calls are traced as Class::method instead).
  struct TraceAttempt {
    TaskRecord* record;
    bool on = false;
    std::chrono::steady_clock::time_point begin{};
    ~TraceAttempt() {
      if (on) trace_attempt(*record, begin);
    }
  } trace_attempt_scope{record, allow_retries && trace::enabled()};
  if (trace_attempt_scope.on) {
    trace_attempt_scope.begin = std::chrono::steady_clock::now();
    last_call_worker_pid() = 0;
  }
  const TaskContext context(spec.name, record->id(), &record->stop_source(), record->gpu_ids());
  const TaskScope scope(&context);
  const RunningRecord previous = std::exchange(
      this_thread_record,
      RunningRecord{record, suspendable && allow_retries && spec.request.cpus > 0, suspendable});
  const int crash_limit = crash_retries >= 0 ? crash_retries : spec.max_retries;
  struct Restore {
    RunningRecord previous;
    ~Restore() { this_thread_record = previous; }
  } restore{previous};
  try {
    std::shared_ptr<StoredValue> value = record->invoke();
    if (record->stop_source().stop_requested()) {
      std::exception_ptr error = std::make_exception_ptr(
          Cancelled(fmt::format("{} was cancelled while it ran", record->label())));
      record->finish(nullptr, std::move(error));
      return Outcome::failed;
    }
    record->finish(std::move(value), nullptr);
    return Outcome::succeeded;
  } catch (const DependencyFailed& failed) {
    record->finish(nullptr, failed.error);
    return Outcome::failed;
  } catch (const Cancelled&) {
    record->finish(nullptr, std::current_exception());  // its worker process was killed
    return Outcome::failed;
  } catch (const WorkerCrashed& crashed) {
    // max_retries re-runs a task whose worker died, whatever retry_exceptions says.
    record->attempt_errors.push_back(
        fmt::format("attempt {}: loom::WorkerCrashed: {}", record->attempts, crashed.what()));
    if (allow_retries && !record->stop_source().stop_requested() &&
        record->attempts <= crash_limit) {
      record->state().store(TaskRecord::State::waiting, std::memory_order_release);
      return Outcome::retry;
    }
    const std::string message =
        record->attempts == 1
            ? fmt::format("{} failed: loom::WorkerCrashed: {}", record->label(), crashed.what())
            : fmt::format("{} failed after {} attempts: {}", record->label(), record->attempts,
                          fmt::join(record->attempt_errors, "; "));
    // A TaskError, as for any final failure; the WorkerCrashed is nested in it.
    std::exception_ptr error = std::make_exception_ptr(TaskError(record->label(), message));
    record->finish(nullptr, std::move(error));
    return Outcome::failed;
  } catch (...) {
    const std::exception_ptr error = std::current_exception();
    record->attempt_errors.push_back(fmt::format("attempt {}: {}: {}", record->attempts,
                                                 current_exception_type_name(),
                                                 current_exception_message()));
    if (allow_retries && !record->stop_source().stop_requested() &&
        record->attempts <= spec.max_retries && retry_allowed(spec, error)) {
      record->state().store(TaskRecord::State::waiting, std::memory_order_release);
      return Outcome::retry;
    }
    std::string message;
    if (record->attempts == 1) {
      message = fmt::format("{} failed: {}: {}", record->label(), current_exception_type_name(),
                            current_exception_message());
    } else {
      message = fmt::format("{} failed after {} attempts: {}", record->label(), record->attempts,
                            fmt::join(record->attempt_errors, "; "));
    }
    std::exception_ptr failure = std::make_exception_ptr(TaskError(record->label(), message));
    record->finish(nullptr, std::move(failure));
    return Outcome::failed;
  }
}

// ---- the runtime's scheduler ----

namespace {
// A record that will not run (cancelled, or its runtime closed): its result says so.
void drop(TaskRecord* record) noexcept {
  record->cancel();
  record->release_inputs();
  record->release();
}
void drop_all(std::vector<TaskRecord*>& records) noexcept {
  for (TaskRecord* r : records) drop(r);
  records.clear();
}
}  // namespace

RuntimeState::RuntimeState(const InitOptions& options, int pool_threads, std::int64_t memory)
    : options_(options), pool_(&ExecutorAccess::detached(pool_threads)), threads_(pool_threads) {
  totals_.cpus = *options.num_cpus;
  const int whole_gpus = static_cast<int>(std::floor(options.num_gpus + kResourceEpsilon));
  totals_.gpus = whole_gpus;
  totals_.memory = memory;
  for (const auto& [name, amount] : options.resources) totals_.custom[name] = amount;
  free_ = totals_;
  free_gpus_.assign(static_cast<std::size_t>(whole_gpus), 1.0);
}

bool RuntimeState::closed() const noexcept {
  std::lock_guard lock(mutex_);
  return closing_;
}

bool RuntimeState::can_start(const TaskRecord& record) const noexcept {
  const ResourceSet& r = record.spec().request;
  if (!free_.fits(r)) return false;
  // GPUs are handed out by device: a fraction needs one GPU with that much free, a whole number
  // that many GPUs wholly free (the free total above may be spread over several).
  if (r.gpus > 0) {
    if (r.gpus < 1.0) {
      if (std::none_of(free_gpus_.begin(), free_gpus_.end(),
                       [&](double f) { return f + kResourceEpsilon >= r.gpus; })) {
        return false;
      }
    } else {
      const auto need = static_cast<std::ptrdiff_t>(std::round(r.gpus));
      if (std::count_if(free_gpus_.begin(), free_gpus_.end(),
                        [](double f) { return f > 1.0 - kResourceEpsilon; }) < need) {
        return false;
      }
    }
  }
  // Above the store's pause threshold only one task runs at a time (so memory can go down).
  return !(store_over_pause() && !running_.empty());
}

void RuntimeState::acquire(TaskRecord& record) noexcept {
  const ResourceSet& r = record.spec().request;
  free_.subtract(r);
  auto& ids = record.gpu_ids();
  ids.clear();
  if (r.gpus > 0 && r.gpus < 1.0) {
    for (std::size_t i = 0; i < free_gpus_.size(); ++i) {
      if (free_gpus_[i] + kResourceEpsilon >= r.gpus) {
        free_gpus_[i] -= r.gpus;
        ids.push_back(static_cast<int>(i));
        break;
      }
    }
  } else if (r.gpus >= 1.0) {
    const auto need = static_cast<std::size_t>(std::round(r.gpus));
    for (std::size_t i = 0; i < free_gpus_.size() && ids.size() < need; ++i) {
      if (free_gpus_[i] > 1.0 - kResourceEpsilon) {
        free_gpus_[i] = 0;
        ids.push_back(static_cast<int>(i));
      }
    }
  }
  LOOM_ASSERT(r.gpus <= 0 || !ids.empty(), "a task was started without the GPUs it asks for");
  running_.push_back(&record);
  // Fractional CPUs (and zero-CPU tasks) can run more tasks than the pool has threads: a task
  // that may start gets a thread, from a larger arena when needed.
  if (static_cast<int>(running_.size()) > threads_) {
    threads_ = std::max(threads_ * 2, static_cast<int>(running_.size()));
    pool_ = &ExecutorAccess::detached(threads_);
  }
}

void RuntimeState::give_back(const ResourceSet& r, const std::vector<int>& gpu_ids) noexcept {
  free_.add(r);
  const double each = r.gpus < 1.0 ? r.gpus : 1.0;
  for (int id : gpu_ids) {
    LOOM_ASSERT(id >= 0 && static_cast<std::size_t>(id) < free_gpus_.size(),
                "a GPU id given back is not one of the runtime's");
    free_gpus_[static_cast<std::size_t>(id)] += each;
  }
}

TaskRecord* RuntimeState::next_startable(std::vector<TaskRecord*>& dropped) noexcept {
  while (!queue_.empty()) {
    TaskRecord* head = queue_.front();
    if (head->state().load(std::memory_order_acquire) == TaskRecord::State::cancelled) {
      queue_.pop_front();
      dropped.push_back(head);
      continue;
    }
    if (!can_start(*head)) return nullptr;
    queue_.pop_front();
    acquire(*head);
    return head;
  }
  return nullptr;
}

void RuntimeState::ready(TaskRecord* record) noexcept {
  if (record->state().load(std::memory_order_acquire) == TaskRecord::State::cancelled) {
    record->release_inputs();
    record->release();
    return;
  }
  std::unique_lock lock(mutex_);
  if (closing_) {
    lock.unlock();
    drop(record);
    return;
  }
  if (queue_.empty() && can_start(*record)) {
    acquire(*record);
    Executor* pool = pool_;
    lock.unlock();
    ExecutorAccess::enqueue(*pool, &RuntimeState::run_chain, record);
    return;
  }
  queue_.push_back(record);
}

void RuntimeState::run_chain(void* first) noexcept {
  RuntimeState* self = current_runtime();
  LOOM_ASSERT(self != nullptr, "a task runs while its runtime is gone (close waits for it)");
  auto* record = static_cast<TaskRecord*>(first);
  std::vector<TaskRecord*> dropped;
  std::vector<TaskRecord*> started;
  Executor* pool = nullptr;
  while (record != nullptr) {
    const Outcome outcome = execute_record(record, /*allow_retries=*/true);
    const bool again = outcome == Outcome::retry;
    TaskRecord* next = nullptr;
    {
      std::lock_guard lock(self->mutex_);
      auto& running = self->running_;
      const auto it = std::find(running.begin(), running.end(), record);
      LOOM_ASSERT(it != running.end(), "a task that ran is not among the running ones");
      running.erase(it);
      const bool keep = record->spec().holds_resources && outcome == Outcome::succeeded;
      if (!keep) self->give_back(record->spec().request, record->gpu_ids());
      if (again) {
        if (self->closing_) {
          dropped.push_back(record);
        } else {
          self->queue_.push_back(record);
        }
      }
      next = self->next_startable(dropped);
      if (next != nullptr) {
        // The first runs on this thread; the others that fit now get threads of their own.
        while (TaskRecord* more = self->next_startable(dropped)) started.push_back(more);
      }
      if (running.empty() && self->closing_) self->idle_.notify_all();
      pool = self->pool_;
    }
    for (TaskRecord* s : started) ExecutorAccess::enqueue(*pool, &RuntimeState::run_chain, s);
    started.clear();
    if (!again) record->release();
    drop_all(dropped);
    record = next;
  }
}

void RuntimeState::lend(TaskRecord* record) noexcept {
  const double cpus = record->spec().request.cpus;
  give_and_start([this, cpus] { free_.cpus += cpus; });
}

void RuntimeState::reclaim(TaskRecord* record) noexcept {
  std::lock_guard lock(mutex_);
  free_.cpus -= record->spec().request.cpus;
}

void RuntimeState::release_held(const ResourceSet& request,
                                const std::vector<int>& gpu_ids) noexcept {
  give_and_start([&] { give_back(request, gpu_ids); });
}

void RuntimeState::give_and_start(FunctionRef<void()> give) noexcept {
  std::vector<TaskRecord*> dropped;
  std::vector<TaskRecord*> started;
  {
    std::lock_guard lock(mutex_);
    give();
    while (TaskRecord* next = next_startable(dropped)) started.push_back(next);
  }
  drop_all(dropped);
  for (TaskRecord* s : started) ExecutorAccess::enqueue(pool(), &RuntimeState::run_chain, s);
}

void RuntimeState::start_processes(int workers, std::int64_t restart_above) {
  store_folder_ = std::make_shared<TempFolder>("store", TempPurpose::shared_memory);
  processes_ = std::make_unique<ProcessPool>(workers, store_folder_->path(), restart_above);
}

void RuntimeState::close() noexcept {
  std::deque<TaskRecord*> queued;
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
    queued.swap(queue_);
    for (TaskRecord* r : running_) r->cancel();
  }
  for (TaskRecord* r : queued) drop(r);
  {
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [this] { return running_.empty(); });
  }
  processes_.reset();  // the workers exit
  // Objects of the shared folder stay readable: their files are mapped, and unlinking a mapped
  // file leaves the mapping.
  store_folder_.reset();
}

// ---- the dispatcher and specs ----

namespace {

class TaskDispatcher final : public TaskRecord::Dispatcher {
 public:
  void ready(TaskRecord* record) noexcept override {
    RuntimeState* runtime = current_runtime();
    if (runtime == nullptr) {
      drop(record);
      return;
    }
    runtime->ready(record);
  }
};

}  // namespace

TaskRecord::Dispatcher& task_dispatcher() {
  static TaskDispatcher dispatcher;
  ensure_runtime();
  return dispatcher;
}

void check_task_resources(const TaskSpec& spec) {
  if (ensure_runtime().totals().fits(spec.request)) return;  // no message made in the usual case
  check_resources(spec.request,
                  spec.name.empty() ? std::string("task") : "task '" + spec.name + "'");
}

void check_resources(const ResourceSet& request, const std::string& what) {
  const std::string shortfall = ensure_runtime().totals().describe(request, what);
  if (!shortfall.empty()) throw ResourceError(shortfall);
}

namespace {

void check_amount(double amount, const char* what, const std::string& name) {
  if (!(amount >= 0) || !std::isfinite(amount)) {
    throw ResourceError(
        fmt::format("{}: {} = {} is not a non-negative amount", name, what, amount));
  }
}

ResourceSet make_request(double cpus, double gpus, std::int64_t memory,
                         const std::map<std::string, double>& custom, const std::string& name) {
  check_amount(cpus, "num_cpus", name);
  check_amount(gpus, "num_gpus", name);
  if (gpus > 1.0 && !whole(gpus)) {
    throw ResourceError(fmt::format(
        "{}: num_gpus = {}: more than one GPU must be a whole number (fractions share one GPU)",
        name, gpus));
  }
  if (memory < 0) throw ResourceError(fmt::format("{}: memory = {} is negative", name, memory));
  ResourceSet r{cpus, gpus, memory, {}};
  for (const auto& [key, amount] : custom) {
    check_amount(amount, key.c_str(), name);
    if (amount > 0) r.custom.emplace(key, amount);
  }
  return r;
}

}  // namespace

std::shared_ptr<const TaskSpec> make_task_spec(const TaskOptions& options) {
  const std::string what = options.name.empty() ? "task" : "task '" + options.name + "'";
  if (options.max_retries < 0 && options.max_retries != -1) {
    throw ConfigError(fmt::format("{}: max_retries = {} (use 0 or more, or -1 for no limit)", what,
                                  options.max_retries));
  }
  auto spec = std::make_shared<TaskSpec>();
  spec->name = options.name;
  spec->request =
      make_request(options.num_cpus, options.num_gpus, options.memory, options.resources, what);
  spec->max_retries =
      options.max_retries == -1 ? std::numeric_limits<int>::max() : options.max_retries;
  spec->retry_exceptions = options.retry_exceptions;
  return spec;
}

std::shared_ptr<const TaskSpec> make_actor_spec(const ActorOptions& options) {
  const std::string what = options.name.empty() ? "actor" : "actor '" + options.name + "'";
  if (options.max_restarts < 0 && options.max_restarts != -1) {
    throw ConfigError(fmt::format("{}: max_restarts = {} (use 0 or more, or -1 for no limit)", what,
                                  options.max_restarts));
  }
  if (options.max_concurrency < 1) {
    throw ConfigError(
        fmt::format("{}: max_concurrency = {} (at least 1)", what, options.max_concurrency));
  }
  auto spec = std::make_shared<TaskSpec>();
  spec->name = options.name;
  spec->request = make_request(options.num_cpus, 0, 0, {}, what);
  spec->max_retries = 0;
  spec->holds_resources = true;
  return spec;
}

}  // namespace loom::detail
