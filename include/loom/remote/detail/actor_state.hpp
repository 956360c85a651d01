#pragma once
// The state of one actor: ActorBase, its untyped part (the mailbox that runs calls in order, its
// life and resources, its worker process in processes mode; src/remote/actor.cpp), ActorState<C>
// with the instance, and ActorPtr<C>, the reference that handles and pending calls hold.

#include <atomic>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <typeinfo>
#include <utility>

#include "loom/core/detail/assert.hpp"
#include "loom/core/detail/intrusive_ref.hpp"
#include "loom/core/detail/spin_lock.hpp"
#include "loom/core/executor.hpp"
#include "loom/remote/detail/exchange.hpp"
#include "loom/remote/detail/task_record.hpp"
#include "loom/remote/options.hpp"

namespace loom::detail {

/// The untyped part of an actor: its mailbox and its life. src/remote/actor.cpp.
class ActorBase : public TaskRecord::Dispatcher {
 public:
  ActorBase(const ActorOptions& options, const std::string& type_name);
  ActorBase(const ActorBase&) = delete;
  ActorBase& operator=(const ActorBase&) = delete;

  void retain() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  /// retain() unless the actor is already being destroyed (a name lookup racing its end).
  [[nodiscard]] bool try_retain() noexcept {
    std::int32_t n = refs_.load(std::memory_order_relaxed);
    while (n > 0) {
      if (refs_.compare_exchange_weak(n, n + 1, std::memory_order_relaxed)) return true;
    }
    return false;
  }
  void release() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  [[nodiscard]] std::uint64_t id() const noexcept { return id_; }
  /// The spec of the actor's creation and of its method calls.
  [[nodiscard]] const std::shared_ptr<const TaskSpec>& creation_spec() const noexcept {
    return creation_spec_;
  }
  [[nodiscard]] const std::shared_ptr<const TaskSpec>& call_spec() const noexcept {
    return call_spec_;
  }

  /// Watches the creation task: calls wait for it; its failure fails every call.
  void watch_creation(const EntryRef& creation);
  /// A new call, in call order (before its dependencies are armed).
  void post(TaskRecord* call);
  /// A call's dependencies are ready.
  void ready(TaskRecord* call) noexcept override;
  /// Throws the creation's failure (from inside a call).
  void check_created() const;

  /// ActorHandles (not pending calls): the name is released with the last one.
  void handle_added() noexcept { handles_.fetch_add(1, std::memory_order_relaxed); }
  void handle_dropped() noexcept {
    if (handles_.fetch_sub(1, std::memory_order_acq_rel) == 1) unregister_name();
  }
  /// Registers the actor's name for get_actor (ConfigError when a live actor has it).
  void register_name(const std::type_info& type);
  /// loom::kill: queued and later calls fail, the resources and the name are released, the
  /// instance (or its process) goes; no restart.
  void kill() noexcept;
  [[nodiscard]] bool killed() const noexcept { return killed_.load(); }
  /// Throws loom::Error "actor killed" once the actor was killed (from inside a call).
  void check_alive() const;
  [[nodiscard]] int max_task_retries() const noexcept { return max_task_retries_; }

  /// Processes mode: the actor lives in a worker process of its own.
  [[nodiscard]] bool in_processes() const noexcept { return in_processes_; }
  void start_process(ActorConstructThunk construct, std::string args);
  [[nodiscard]] ActorProcess& process() const noexcept {
    LOOM_ASSERT(process_ != nullptr, "an actor's process used before it started");
    return *process_;
  }
  [[nodiscard]] const std::string& name() const noexcept { return creation_spec_->name; }

 protected:
  virtual ~ActorBase();

 private:
  struct CreationWaiter final : Waiter {
    ActorBase* actor = nullptr;
    void notify() noexcept override { actor->creation_done(); }
  };
  void creation_done() noexcept;
  void release_after_kill() noexcept;
  void destroy_instance_once() noexcept;
  void unregister_name() noexcept;
  /// Destroys the instance (threads mode; ActorState<C>).
  virtual void destroy_instance() noexcept {}
  void schedule() noexcept;
  void drain_serial() noexcept;
  void drain_concurrent() noexcept;
  void finish_concurrent() noexcept;
  static void drain_entry(void* self) noexcept;
  static void run_concurrent_entry(void* job) noexcept;

  std::atomic<std::int32_t> refs_{1};
  std::uint64_t id_;
  int max_concurrency_;
  int max_restarts_;
  bool in_processes_ = false;
  std::shared_ptr<ActorProcess> process_;
  std::shared_ptr<const TaskSpec> creation_spec_;
  std::shared_ptr<const TaskSpec> call_spec_;
  Executor* pool_ = nullptr;
  void* runtime_ = nullptr;  // the runtime that holds the actor's resources

  SpinLock mutex_;
  std::deque<TaskRecord*> mailbox_;
  // The head call, waiting for its arguments. Set under the lock; read without it by ready()
  // (sequentially consistent with the call's dependency count: see drain_serial).
  std::atomic<TaskRecord*> blocked_{nullptr};
  bool open_ = false;       // created (or failed to be)
  bool scheduled_ = false;  // a drain is queued or running
  bool holds_resources_ = false;
  int running_ = 0;  // calls running (max_concurrency > 1)
  EntryRef creation_;
  CreationWaiter creation_waiter_;
  std::exception_ptr creation_error_;
  int max_task_retries_ = 0;
  std::atomic<bool> killed_{false};
  std::atomic<bool> instance_gone_{false};
  std::atomic<bool> named_{false};  // registered for get_actor
  std::atomic<std::int32_t> handles_{0};
};

template <class C>
class ActorState final : public ActorBase {
 public:
  using ActorBase::ActorBase;
  std::optional<C> instance;

 private:
  void destroy_instance() noexcept override {
    try {
      instance.reset();
    } catch (...) {  // NOLINT(bugprone-empty-catch): a throwing destructor of a killed actor
    }
  }
};

/// The live actor registered as `name` (retained), checked to be a `type`; loom::Error naming
/// both when there is none or it is of another class.
ActorBase* find_named_actor(std::string_view name, const std::type_info& type,
                            const std::string& type_name);

/// An owning reference to an actor.
template <class C>
using ActorPtr = IntrusiveRef<ActorState<C>>;

/// Throws loom::Error: an empty (default-made or moved-from) ActorHandle was used.
[[noreturn]] void throw_empty_actor();

}  // namespace loom::detail
