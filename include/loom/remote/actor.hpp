#pragma once
// Actors (Ray's @ray.remote classes): an instance that lives in the runtime, whose methods are
// called through a handle and run one at a time, in call order (max_concurrency = 1).
//
//   loom::ActorHandle<Counter> counter = loom::actor<Counter>().remote();   // ctor args here
//   loom::ObjectRef<int> n = counter.task(&Counter::increment).remote();
//
// An exception in a method fails that call only. Handles are copyable and may be passed into
// tasks; the actor dies when the last handle and the last pending call are gone.

#include <atomic>
#include <climits>
#include <cstdint>
#include <cstring>
#include <deque>
#include <exception>
#include <functional>
#include <istream>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "loom/core/detail/spin_lock.hpp"
#include "loom/core/detail/type_name.hpp"
#include "loom/core/executor.hpp"
#include "loom/io/serialize.hpp"
#include "loom/remote/detail/bind.hpp"
#include "loom/remote/detail/exchange.hpp"
#include "loom/remote/detail/task_record.hpp"
#include "loom/remote/options.hpp"

namespace loom {

namespace detail {

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
  [[nodiscard]] ActorProcess& process() const noexcept { return *process_; }
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
class ActorPtr {
 public:
  ActorPtr() noexcept = default;
  explicit ActorPtr(ActorState<C>* adopt) noexcept : p_(adopt) {}
  ActorPtr(const ActorPtr& o) noexcept : p_(o.p_) {
    if (p_ != nullptr) p_->retain();
  }
  ActorPtr(ActorPtr&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  ActorPtr& operator=(ActorPtr o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  ~ActorPtr() {
    if (p_ != nullptr) p_->release();
  }
  ActorState<C>* operator->() const noexcept { return p_; }
  ActorState<C>& operator*() const noexcept { return *p_; }
  explicit operator bool() const noexcept { return p_ != nullptr; }

 private:
  ActorState<C>* p_ = nullptr;
};

/// The arguments of a call to a worker process: large arrays as files of the shared folder
/// (those of the store by reference), the files written listed in `written`.
template <class... X>
std::string serialize_for_worker(std::vector<std::string>* written, std::int64_t max_nbytes,
                                 const X&... x) {
  std::string payload;
  const ArrayFiles files{*processes_store_folder(), max_nbytes, true, "r", written};
  const ArrayFilesScope scope(&files);
  StringSink sink(payload);
  std::ostream stream(&sink);
  cereal::BinaryOutputArchive archive(stream);
  (archive(x), ...);
  return payload;
}

/// Reads a worker's reply as a `V` (large arrays map the files the worker wrote).
template <class V>
V deserialize_from_worker(const std::string& reply) {
  ArrayFiles files{*processes_store_folder(), 0, false, "r"};
  files.own_files = true;
  const ArrayFilesScope scope(&files);
  return deserialize<V>(reply);
}

template <class C, class... A>
void* actor_construct_thunk(std::string_view args) {
  std::tuple<A...> values;
  read_worker_arguments(args, values);
  return std::apply([](auto&&... a) { return static_cast<void*>(new C(std::move(a)...)); },
                    std::move(values));
}

template <class C, class M>
std::string actor_method_thunk(void* instance, std::string_view member, std::string_view args) {
  M method;
  std::memcpy(&method, member.data(), sizeof(M));  // the same program: the pointer holds
  using Traits = CallableTraits<M>;
  using R = typename Traits::result;
  return [&]<class... P>(std::type_identity<std::tuple<P...>>) {
    std::tuple<std::remove_cvref_t<P>...> values;
    read_worker_arguments(args, values);
    C& object = *static_cast<C*>(instance);
    return worker_reply<R>([&] {
      return std::apply(
          [&](auto&&... a) -> R { return std::invoke(method, object, std::move(a)...); },
          std::move(values));
    });
  }(std::type_identity<typename Traits::params>{});
}

template <class C, class M>
struct MethodInvoker {
  ActorPtr<C> actor;
  M method;
  template <class... X>
  decltype(auto) operator()(X&&... x) const {
    actor->check_created();
    using R = typename CallableTraits<M>::result;
    if (actor->in_processes()) {
      if constexpr ((crossable_v<X> && ...) && crossable_v<R>) {
        std::vector<std::string> written;
        std::string reply;
        try {
          using Params = typename CallableTraits<M>::params;
          const std::string args = [&]<std::size_t... I>(std::index_sequence<I...>) {
            auto all = std::forward_as_tuple(x...);
            return serialize_for_worker(
                &written, kShareMinBytes,
                as_parameter<std::tuple_element_t<I, Params>>(std::get<I>(all))...);
          }
          (std::index_sequence_for<X...>{});
          reply = call_actor_process(
              actor->process(), &actor_method_thunk<C, M>,
              std::string_view(reinterpret_cast<const char*>(&method), sizeof(M)), args);
        } catch (...) {
          remove_exchange_files(*processes_store_folder(), written);
          throw;
        }
        remove_exchange_files(*processes_store_folder(), written);
        if constexpr (std::is_void_v<R>) {
          return;
        } else {
          return deserialize_from_worker<std::remove_cvref_t<R>>(reply);
        }
      } else {
        throw_not_crossable("a method of actor '" + actor->name() + "'");
      }
    }
    if constexpr (std::is_void_v<R>) {
      std::invoke(method, *actor->instance, std::forward<X>(x)...);
    } else {
      return static_cast<std::remove_cvref_t<R>>(
          std::invoke(method, *actor->instance, std::forward<X>(x)...));
    }
  }
};

template <class C>
struct Construct {
  ActorPtr<C> actor;
  template <class... X>
  void operator()(X&&... x) const {
    if (actor->in_processes()) {
      if constexpr ((crossable_v<X> && ...)) {
        // Inline arguments (no files): a restarted actor is constructed from them again.
        actor->start_process(&actor_construct_thunk<C, std::remove_cvref_t<X>...>,
                             serialize_for_worker(nullptr, INT64_MAX, x...));
      } else {
        throw_not_crossable("the constructor of actor '" + actor->name() + "'");
      }
    } else {
      actor->instance.emplace(std::forward<X>(x)...);
    }
  }
};

/// The constructor's parameter for an argument: the stored object for a ref, else the value.
template <class A>
struct CtorParam {  // A is decayed: a string literal is kept as const char*
  using type = const A&;
};
template <class U>
struct CtorParam<ObjectRef<U>> {
  using type = const U&;
};

[[noreturn]] void throw_empty_actor();

}  // namespace detail

template <class C>
class ActorHandle;

/// A method of an actor, ready to be called with `.remote(args...)`.
template <class C, class M>
class ActorMethod {
  static_assert(std::is_member_function_pointer_v<M>,
                "handle.task(&C::method): give a member function of the actor's class");

 public:
  ActorMethod(detail::ActorPtr<C> actor, M method) : actor_(std::move(actor)), method_(method) {}

  template <class... Args>
  auto remote(Args&&... args) const {
    using Traits = detail::CallableTraits<M>;
    detail::ActorState<C>& actor = *actor_;
    return detail::submit_call<typename Traits::result, typename Traits::params>(
        actor.call_spec(), actor, detail::MethodInvoker<C, M>{actor_, method_},
        [&actor](detail::TaskRecord* call) { actor.post(call); }, std::forward<Args>(args)...);
  }

 private:
  detail::ActorPtr<C> actor_;
  M method_;
};

template <class C>
class ActorHandle {
 public:
  /// An empty handle (calling through it is a loom::Error).
  ActorHandle() noexcept = default;

  /// A method to call: `handle.task(&C::method).remote(args...)`.
  template <class M>
  [[nodiscard]] ActorMethod<C, M> task(M method) const {
    if (!actor_) detail::throw_empty_actor();
    return ActorMethod<C, M>(actor_, method);
  }
  [[nodiscard]] bool valid() const noexcept { return static_cast<bool>(actor_); }
  [[nodiscard]] std::uint64_t id() const {
    if (!actor_) detail::throw_empty_actor();
    return actor_->id();
  }

  /// For loom's own code.
  explicit ActorHandle(detail::ActorPtr<C> actor) noexcept : actor_(std::move(actor)) {}

 private:
  detail::ActorPtr<C> actor_;
};

/// An actor class with its options: `actor<C>().options({...}).remote(ctor args...)`.
template <class C>
class ActorClass {
  static_assert(std::is_class_v<C>, "loom::actor<C>(): C must be a class");

 public:
  [[nodiscard]] ActorClass options(const ActorOptions& options = {}) const {
    ActorClass copy = *this;
    copy.options_ = options;
    return copy;
  }

  /// Creates the actor: the constructor runs as a task (ObjectRef arguments are resolved).
  template <class... Args>
  [[nodiscard]] ActorHandle<C> remote(Args&&... args) const {
    static_assert(
        std::is_constructible_v<C, typename detail::CtorParam<std::decay_t<Args>>::type...>,
        "actor<C>().remote(args...): C has no constructor taking these arguments");
    detail::ActorPtr<C> actor(new detail::ActorState<C>(options_, detail::type_name<C>()));
    if (actor->in_processes() && !detail::class_registered(typeid(C))) {
      detail::throw_not_crossable("actor '" + actor->name() +
                                  "' (LOOM_REMOTE(ClassName) registers an actor class)");
    }
    detail::check_resources(actor->creation_spec()->request,
                            "actor '" + actor->creation_spec()->name + "'");
    using Params = std::tuple<typename detail::CtorParam<std::decay_t<Args>>::type...>;
    auto created = detail::submit_call<void, Params>(
        actor->creation_spec(), detail::task_dispatcher(), detail::Construct<C>{actor},
        [](detail::TaskRecord*) {}, std::forward<Args>(args)...);
    actor->watch_creation(created.entry());
    return ActorHandle<C>(std::move(actor));
  }

 private:
  ActorOptions options_{};
};

/// Ray's `Class.remote(...)`: `loom::actor<Counter>().remote()`.
template <class C>
[[nodiscard]] ActorClass<C> actor() {
  return {};
}

}  // namespace loom
