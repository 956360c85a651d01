#pragma once
// One submitted remote task or actor call: the type-erased part that the scheduler and the
// actor mailboxes handle (src/remote/). The typed part (the function and its arguments) is
// TypedCall in remote/detail/bind.hpp.
//
// A record waits for its ObjectRef arguments with one Waiter per argument and a counter; when
// the counter reaches zero it is ready: a task goes to the resource scheduler, an actor call
// waits for its turn in the actor's mailbox.

#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "loom/core/detail/assert.hpp"
#include "loom/core/detail/function_ref.hpp"
#include "loom/core/detail/small_alloc.hpp"
#include "loom/remote/detail/object_entry.hpp"
#include "loom/remote/detail/resource_set.hpp"
#include "loom/remote/options.hpp"

namespace loom::detail {

/// Runs a registered function in a worker process: serialized arguments in, serialized result
/// out (LOOM_REMOTE makes one per function).
using WorkerThunk = std::string (*)(std::string_view args);
/// A function's address with its type erased (restored with its registered type).
using ErasedFunction = void (*)();

/// What the calls of one RemoteFunction (or one actor's creation) share.
struct TaskSpec {
  std::string name;
  /// Resources one task holds while it runs.
  ResourceSet request{.cpus = 1};
  int max_retries = 3;
  std::variant<bool, RetryOn> retry_exceptions = false;
  /// An actor's creation: the resources stay taken until the actor dies.
  bool holds_resources = false;
  /// The function's thunk for the processes mode (registered functions only).
  WorkerThunk worker_thunk = nullptr;
  /// A cluster's way across for callables that need no registration (the callable rule): a
  /// captureless lambda (made anew in the worker) or a plain function pointer (`function`,
  /// passed as a code address). Null when the callable or its values cannot cross.
  WorkerThunk captureless_thunk = nullptr;
  ErasedFunction function = nullptr;
  /// The callable's type, for messages (the callable rule names it).
  const std::string& (*callable_type)() = nullptr;
};

/// Thrown by TypedCall::invoke when an argument's task failed: the record fails with that
/// error, unchanged and without retries.
struct DependencyFailed {
  std::exception_ptr error;
};

class TaskRecord : public Cancellable {
 public:
  enum class State : std::uint8_t { waiting, running, finished, cancelled };

  TaskRecord(const TaskRecord&) = delete;
  TaskRecord& operator=(const TaskRecord&) = delete;
  static void* operator new(std::size_t size) { return small_allocate(size); }
  static void operator delete(void* pointer) noexcept { small_deallocate(pointer); }

  void retain() noexcept override { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept override {
    const std::int32_t before = refs_.fetch_sub(1, std::memory_order_acq_rel);
    LOOM_ASSERT(before > 0, "a task record released more often than retained");
    if (before == 1) delete this;
  }
  /// Drops a waiting record (its result becomes loom::Cancelled) or asks a running one to stop.
  void cancel() noexcept override;
  /// cancel(), with `why` as the loom::Cancelled message's reason ("cluster closed").
  void cancel_because(const char* why) noexcept;

  [[nodiscard]] std::uint64_t id() const noexcept { return id_; }
  [[nodiscard]] const TaskSpec& spec() const noexcept { return *spec_; }
  /// The result's entry (empty once the record finished).
  [[nodiscard]] const EntryRef& result() const noexcept { return result_; }
  /// Publishes the outcome (a value, or an error when `error` is set) and lets go of the
  /// arguments and the result.
  void finish(std::shared_ptr<StoredValue> value, std::exception_ptr error) noexcept;
  [[nodiscard]] std::atomic<State>& state() noexcept { return state_; }
  [[nodiscard]] std::stop_source& stop_source() noexcept { return stop_; }
  [[nodiscard]] std::vector<int>& gpu_ids() noexcept { return gpu_ids_; }
  /// "name #id", or "task #id" without a name.
  [[nodiscard]] std::string label() const;

  /// Runs the function once with the resolved arguments and returns the value to store (null
  /// for void); throws what the function throws, or DependencyFailed.
  virtual std::shared_ptr<StoredValue> invoke() = 0;
  [[nodiscard]] virtual const ValueOps* result_ops() const noexcept = 0;
  /// Destroys the function's arguments (and so the refs to argument objects).
  virtual void release_inputs() noexcept = 0;
  /// Visits the entries of the ObjectRef arguments (while the inputs are held): a cluster
  /// places the task where most of their bytes are.
  virtual void for_each_input(FunctionRef<void(ObjectEntry*)> visit) const noexcept {
    (void)visit;
  }

  // ---- dependencies (called by the typed part while it is built) ----
  /// Waits for `entry` through `waiter` (which must live as long as the record).
  void depend_on(ObjectEntry* entry, Waiter& waiter) noexcept;
  /// Called once every dependency has been registered: the record is ready when they are.
  void arm() noexcept;
  /// A dependency finished.
  void dependency_done() noexcept;
  [[nodiscard]] bool dependencies_ready() const noexcept {
    return pending_.load() == 0;  // sequentially consistent: actor mailboxes rely on it
  }

  /// Collected messages of failed attempts ("attempt 1: std::runtime_error: boom").
  std::vector<std::string> attempt_errors;
  int attempts = 0;

  /// Where a ready record goes: the scheduler (tasks) or an actor's mailbox (calls).
  class Dispatcher {
   public:
    virtual void ready(TaskRecord* record) noexcept = 0;

   protected:
    ~Dispatcher() = default;
  };

 protected:
  TaskRecord(std::shared_ptr<const TaskSpec> spec, Dispatcher* dispatcher);
  virtual ~TaskRecord();

 private:
  std::atomic<std::int32_t> refs_{1};
  std::atomic<std::int32_t> pending_{1};  // unfinished dependencies + 1 until armed
  std::atomic<State> state_{State::waiting};
  std::uint64_t id_;
  std::shared_ptr<const TaskSpec> spec_;
  Dispatcher* dispatcher_;
  EntryRef result_;
  std::stop_source stop_{std::nostopstate};
  std::vector<int> gpu_ids_;
};

/// Waits for one argument object on behalf of a record.
struct DependencyWaiter final : Waiter {
  TaskRecord* record = nullptr;
  void notify() noexcept override { record->dependency_done(); }
};

/// The scheduler of tasks (resources, retries) of the running runtime; starts one with default
/// options when none runs (as Ray's auto-init).
TaskRecord::Dispatcher& task_dispatcher();
/// Throws loom::ResourceError when the running runtime can never satisfy `request`.
void check_resources(const ResourceSet& request, const std::string& what);
/// check_resources for a task of `spec` (names it only when it throws).
void check_task_resources(const TaskSpec& spec);
/// Resolves options against the runtime: the request a task (or actor) makes.
std::shared_ptr<const TaskSpec> make_task_spec(const TaskOptions& options);
std::shared_ptr<const TaskSpec> make_actor_spec(const ActorOptions& options);

}  // namespace loom::detail
