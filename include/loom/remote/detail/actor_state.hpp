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
};

template <class C>
class ActorState final : public ActorBase {
 public:
  using ActorBase::ActorBase;
  std::optional<C> instance;
};

/// An owning reference to an actor.
template <class C>
using ActorPtr = IntrusiveRef<ActorState<C>>;

/// Throws loom::Error: an empty (default-made or moved-from) ActorHandle was used.
[[noreturn]] void throw_empty_actor();

}  // namespace loom::detail
