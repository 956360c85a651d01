// Actor mailboxes: calls run in call order, one at a time (a drain task on the pool runs them
// in a loop), or up to max_concurrency at once.

#include "loom/remote/detail/actor_state.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "core/executor_access.hpp"
#include "loom/core/detail/assert.hpp"
#include "loom/core/detail/type_name.hpp"
#include "loom/core/error.hpp"
#include "loom/remote/detail/exchange.hpp"
#include "scheduler.hpp"

namespace loom::detail {

namespace {

std::atomic<std::uint64_t> next_actor_id{1};

// Named actors (get_actor): name -> the live actor and its class. Not owning: an actor takes
// its name out when it is killed or destroyed.
struct NamedActor {
  ActorBase* actor;
  const std::type_info* type;
};
struct NamedActors {
  std::mutex mutex;
  std::map<std::string, NamedActor, std::less<>> by_name;
};
NamedActors& named_actors() {
  static NamedActors n;
  return n;
}

// A drain gives its thread back after this many calls, so that one busy actor does not keep
// others (and tasks) waiting.
constexpr int kCallsPerDrain = 1024;

struct ConcurrentJob {
  ActorBase* actor;
  TaskRecord* call;
};

}  // namespace

void throw_empty_actor() {
  throw Error("an empty ActorHandle was used (default-constructed or moved from)");
}

ActorBase* find_named_actor(std::string_view name, const std::type_info& type,
                            const std::string& type_name) {
  NamedActors& n = named_actors();
  const std::lock_guard lock(n.mutex);
  const auto it = n.by_name.find(name);
  if (it == n.by_name.end() || !it->second.actor->try_retain()) {
    throw Error(fmt::format("get_actor<{}>(\"{}\"): no live actor has that name (named actors "
                            "are made with actor<C>().options({{.name = \"{}\", .named = true}}))",
                            type_name, name, name));
  }
  if (*it->second.type != type) {
    it->second.actor->release();
    throw Error(fmt::format("get_actor<{}>(\"{}\"): the actor of that name is a {}, not a {}",
                            type_name, name, demangle(it->second.type->name()), type_name));
  }
  return it->second.actor;
}

void ActorBase::register_name(const std::type_info& type) {
  NamedActors& n = named_actors();
  const std::lock_guard lock(n.mutex);
  const auto [it, inserted] = n.by_name.emplace(name(), NamedActor{this, &type});
  if (!inserted) {
    throw ConfigError(fmt::format(
        "actor name '{}' is taken: actor #{} ({}) has it (loom::kill it, or choose another name)",
        name(), it->second.actor->id(), demangle(it->second.type->name())));
  }
  named_.store(true);
}

void ActorBase::unregister_name() noexcept {
  if (!named_.exchange(false)) return;
  NamedActors& n = named_actors();
  const std::lock_guard lock(n.mutex);
  const auto it = n.by_name.find(name());
  if (it != n.by_name.end() && it->second.actor == this) n.by_name.erase(it);
}

ActorBase::ActorBase(const ActorOptions& options, const std::string& type_name)
    : id_(next_actor_id.fetch_add(1, std::memory_order_relaxed)),
      max_concurrency_(options.max_concurrency),
      max_restarts_(options.max_restarts),
      max_task_retries_(options.max_task_retries) {
  ActorOptions named = options;
  if (named.name.empty()) named.name = type_name;
  creation_spec_ = make_actor_spec(named);
  TaskOptions calls;
  calls.name = named.name;
  calls.num_cpus = 0;
  calls.max_retries = 0;
  call_spec_ = make_task_spec(calls);
  RuntimeState& runtime = ensure_runtime();
  pool_ = &runtime.pool();
  runtime_ = &runtime;
  creation_waiter_.actor = this;
  in_processes_ = processes_store_folder() != nullptr;
}

void ActorBase::start_process(ActorConstructThunk construct, std::string args) {
  process_ = start_actor_process(fmt::format("'{}' #{}", creation_spec_->name, id_), max_restarts_,
                                 construct, std::move(args));
}

ActorBase::~ActorBase() {
  unregister_name();
  if (holds_resources_) {
    static_cast<RuntimeState*>(runtime_)->release_held(creation_spec_->request, {});
  }
}

void ActorBase::watch_creation(const EntryRef& creation) {
  creation_ = creation;
  retain();  // until the creation is done
  if (!creation_->add_waiter(&creation_waiter_)) creation_done();
}

void ActorBase::creation_done() noexcept {
  bool start = false;
  {
    std::lock_guard lock(mutex_);
    creation_error_ = creation_->error();
    holds_resources_ = creation_error_ == nullptr && creation_spec_->request.cpus > 0;
    open_ = true;
    if (!scheduled_ && blocked_.load() == nullptr && !mailbox_.empty()) start = scheduled_ = true;
  }
  if (start) schedule();
  if (killed_.load()) release_after_kill();  // killed while it was being created
  release();
}

void ActorBase::kill() noexcept {
  if (killed_.exchange(true)) return;
  unregister_name();
  bool open = false;
  {
    std::lock_guard lock(mutex_);
    open = open_;
  }
  // Before its creation is over, creation_done() does the rest.
  if (open) release_after_kill();
}

void ActorBase::release_after_kill() noexcept {
  bool release = false;
  bool idle = false;
  {
    std::lock_guard lock(mutex_);
    release = std::exchange(holds_resources_, false);
    idle = !scheduled_ && running_ == 0;
  }
  if (release) static_cast<RuntimeState*>(runtime_)->release_held(creation_spec_->request, {});
  if (process_) kill_actor_process(*process_);
  // A running call keeps the instance until it returns (the drain destroys it then).
  if (idle) destroy_instance_once();
}

void ActorBase::destroy_instance_once() noexcept {
  if (!instance_gone_.exchange(true)) destroy_instance();
}

void ActorBase::check_alive() const {
  if (killed_.load()) {
    throw Error(fmt::format("'{}' #{}: actor killed (loom::kill)", creation_spec_->name, id_));
  }
}

void ActorBase::check_created() const {
  if (creation_error_) {
    try {
      std::rethrow_exception(creation_error_);
    } catch (const std::exception& e) {
      throw Error(fmt::format("actor '{}' #{} could not be created: {}", creation_spec_->name, id_,
                              e.what()));
    }
  }
}

void ActorBase::post(TaskRecord* call) {
  call->retain();  // the mailbox's reference
  bool start = false;
  {
    std::lock_guard lock(mutex_);
    mailbox_.push_back(call);
    if (open_ && !scheduled_ && blocked_.load() == nullptr) start = scheduled_ = true;
  }
  if (start) schedule();
}

void ActorBase::ready(TaskRecord* call) noexcept {
  bool start = false;
  // Most calls are not the blocked head: no lock. A drain that blocks on `call` stores blocked_
  // before it looks at the call's count again, and this load comes after the count reached
  // zero: one of the two sees the other.
  if (blocked_.load() == call) {
    std::lock_guard lock(mutex_);
    if (blocked_.load() == call) {
      blocked_.store(nullptr);
      start = scheduled_ = true;
    }
  }
  call->release();  // the waiting phase's reference (the mailbox holds its own)
  if (start) schedule();
}

void ActorBase::schedule() noexcept {
  retain();  // the drain's reference
  ExecutorAccess::enqueue(*pool_, &ActorBase::drain_entry, this);
}

void ActorBase::drain_entry(void* self) noexcept {
  auto* actor = static_cast<ActorBase*>(self);
  if (actor->max_concurrency_ == 1) {
    actor->drain_serial();
  } else {
    actor->drain_concurrent();
  }
  actor->release();
}

namespace {
bool runnable(TaskRecord* call) {
  return call->dependencies_ready() ||
         call->state().load(std::memory_order_acquire) == TaskRecord::State::cancelled;
}
}  // namespace

void ActorBase::drain_serial() noexcept {
  for (int n = 0;; ++n) {
    if (killed_.load()) destroy_instance_once();  // no call runs here
    TaskRecord* call = nullptr;
    bool stop = false;
    bool killed = false;
    {
      std::lock_guard lock(mutex_);
      if (mailbox_.empty()) {
        stop = true;
      } else {
        call = mailbox_.front();
        if (!runnable(call)) {
          blocked_.store(call);
          if (!runnable(call)) {  // looked at again after blocked_ is visible: see ready()
            stop = true;
          } else {
            blocked_.store(nullptr);
          }
        }
      }
      if (stop) {
        scheduled_ = false;
        // Killed before this point: every later call fails before it touches the instance.
        killed = killed_.load();
      } else {
        mailbox_.pop_front();
      }
    }
    if (stop) {
      if (killed) destroy_instance_once();
      return;
    }
    execute_record(call, /*allow_retries=*/false);
    call->release();
    if (n + 1 >= kCallsPerDrain) {
      schedule();  // still scheduled_: the next drain goes on
      return;
    }
  }
}

void ActorBase::drain_concurrent() noexcept {
  bool idle = false;
  {
    std::lock_guard lock(mutex_);
    while (!mailbox_.empty() && running_ < max_concurrency_) {
      TaskRecord* call = mailbox_.front();
      if (!runnable(call)) {
        blocked_.store(call);
        if (!runnable(call)) break;  // as in drain_serial
        blocked_.store(nullptr);
      }
      mailbox_.pop_front();
      ++running_;
      retain();
      ExecutorAccess::enqueue(*pool_, &ActorBase::run_concurrent_entry,
                              new ConcurrentJob{this, call});
    }
    scheduled_ = false;
    idle = running_ == 0 && killed_.load();  // see finish_concurrent
  }
  if (idle) destroy_instance_once();
}

void ActorBase::run_concurrent_entry(void* job) noexcept {
  auto* j = static_cast<ConcurrentJob*>(job);
  execute_record(j->call, /*allow_retries=*/false);
  j->call->release();
  j->actor->finish_concurrent();
  j->actor->release();
  delete j;
}

void ActorBase::finish_concurrent() noexcept {
  bool start = false;
  bool idle = false;
  {
    std::lock_guard lock(mutex_);
    LOOM_ASSERT(running_ > 0, "an actor call finished that was not counted as running");
    --running_;
    if (!scheduled_ && blocked_.load() == nullptr && !mailbox_.empty()) start = scheduled_ = true;
    // Killed with no call running: every later call fails before it touches the instance.
    idle = running_ == 0 && killed_.load();
  }
  if (idle) destroy_instance_once();
  if (start) schedule();
}

}  // namespace loom::detail
