#pragma once
// Actors (Ray's @ray.remote classes): an instance that lives in the runtime, whose methods are
// called through a handle and run one at a time, in call order (max_concurrency = 1).
//
//   loom::ActorHandle<Counter> counter = loom::actor<Counter>().remote();   // ctor args here
//   loom::ObjectRef<int> n = counter.task(&Counter::increment).remote();
//
// An exception in a method fails that call only. Handles are copyable and may be passed into
// tasks; the actor dies when the last handle and the last pending call are gone, or at
// loom::kill(handle). `.options({.name = "ps", .named = true})` makes it reachable through
// loom::get_actor<C>("ps").

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include "loom/core/detail/type_name.hpp"
#include "loom/remote/detail/actor_calls.hpp"
#include "loom/remote/detail/actor_state.hpp"
#include "loom/remote/detail/bind.hpp"
#include "loom/remote/detail/task_record.hpp"
#include "loom/remote/options.hpp"

namespace loom {

template <class C>
class ActorHandle;
template <class C>
class ActorClass;

/// A method of an actor, ready to be called with `.remote(args...)`.
template <class C, class M>
class ActorMethod {
  static_assert(std::is_member_function_pointer_v<M>,
                "handle.task(&C::method): give a member function of the actor's class");

 public:
  template <class... Args>
  auto remote(Args&&... args) const {
    using Traits = detail::CallableTraits<M>;
    detail::ActorState<C>& actor = *actor_;
    return detail::submit_call<typename Traits::result, typename Traits::params>(
        actor.call_spec(), actor, detail::MethodInvoker<C, M>{actor_, method_},
        [&actor](detail::TaskRecord* call) { actor.post(call); }, std::forward<Args>(args)...);
  }

 private:
  friend class ActorHandle<C>;  // handle.task(&C::method)
  ActorMethod(detail::ActorPtr<C> actor, M method) : actor_(std::move(actor)), method_(method) {}
  detail::ActorPtr<C> actor_;
  M method_;
};

template <class C>
class ActorHandle {
 public:
  /// An empty handle (calling through it is a loom::Error).
  ActorHandle() noexcept = default;
  // Handles are counted apart from the actor's other references: a named actor's name goes
  // with its last handle.
  ActorHandle(const ActorHandle& other) noexcept : actor_(other.actor_) {
    if (actor_) actor_->handle_added();
  }
  ActorHandle(ActorHandle&& other) noexcept : actor_(std::exchange(other.actor_, {})) {}
  ActorHandle& operator=(const ActorHandle& other) noexcept {
    if (this != &other) *this = ActorHandle(other);
    return *this;
  }
  ActorHandle& operator=(ActorHandle&& other) noexcept {
    if (this != &other) {
      drop();
      actor_ = std::exchange(other.actor_, {});
    }
    return *this;
  }
  ~ActorHandle() { drop(); }

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

 private:
  friend class ActorClass<C>;  // makes the handle of the actor it created
  template <class D>
  friend ActorHandle<D> get_actor(std::string_view name);
  template <class D>
  friend void kill(const ActorHandle<D>& handle);
  explicit ActorHandle(detail::ActorPtr<C> actor) noexcept : actor_(std::move(actor)) {
    if (actor_) actor_->handle_added();
  }
  void drop() noexcept {
    if (actor_) actor_->handle_dropped();
    actor_ = {};
  }
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
    auto actor =
        detail::ActorPtr<C>::adopt(new detail::ActorState<C>(options_, detail::type_name<C>()));
    if (options_.named) actor->register_name(typeid(C));
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
    actor->watch_creation(detail::ObjectRefAccess::entry(created));
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

/// Ray's `ray.get_actor("ps")`: a handle to the live actor made with `.named = true` under that
/// name. No such actor, or one of another class, is a loom::Error naming both.
template <class C>
[[nodiscard]] ActorHandle<C> get_actor(std::string_view name) {
  detail::ActorBase* found = detail::find_named_actor(name, typeid(C), detail::type_name<C>());
  // NOLINTNEXTLINE: find_named_actor checked that it is an ActorState<C> (and retained it)
  return ActorHandle<C>(detail::ActorPtr<C>::adopt(static_cast<detail::ActorState<C>*>(found)));
}

/// Ray's `ray.kill(actor)`: queued and later calls fail with loom::Error "actor killed" (a
/// running call finishes in threads mode; in processes mode the actor's process is killed),
/// its resources and its name are released, and it is not restarted.
template <class C>
void kill(const ActorHandle<C>& handle) {
  if (!handle.actor_) detail::throw_empty_actor();
  handle.actor_->kill();
}

}  // namespace loom
