#pragma once
// How an actor's constructor and methods run: in the runtime's threads on the instance itself,
// or in processes mode through the actor's worker process (arguments and results serialized,
// large arrays as files of the store's shared folder), and the thunks that run them there.

#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "loom/core/detail/assert.hpp"
#include "loom/core/error.hpp"
#include "loom/core/trace.hpp"
#include "loom/io/serialize.hpp"
#include "loom/remote/detail/actor_state.hpp"
#include "loom/remote/detail/bind.hpp"
#include "loom/remote/detail/exchange.hpp"
#include "loom/remote/object_ref.hpp"

namespace loom::detail {

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
  LOOM_ASSERT(member.size() == sizeof(M), "an actor method's pointer arrived with another size");
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

/// The trace event of one actor call, named "Class::method" (the method's symbol, found with
/// dladdr: the program is linked with -rdynamic, else "Actor::method@0x..."); recorded when the
/// call ends. Off, it costs one relaxed load.
class ActorCallTrace {
 public:
  template <class M>
  ActorCallTrace(const std::string& actor_name, const M& method) noexcept : on_(trace::enabled()) {
    if (!on_) return;
    actor_name_ = &actor_name;
    static_assert(sizeof(M) >= sizeof(address_), "a member function pointer holds an address");
    std::memcpy(&address_, &method, sizeof(address_));  // Itanium ABI: the function, or 1 + offset
    begin_ = std::chrono::steady_clock::now();
  }
  ActorCallTrace(const ActorCallTrace&) = delete;
  ActorCallTrace& operator=(const ActorCallTrace&) = delete;
  ~ActorCallTrace() {
    if (on_) finish();
  }

 private:
  void finish() noexcept;
  bool on_;
  const std::string* actor_name_ = nullptr;
  std::uintptr_t address_ = 0;
  std::chrono::steady_clock::time_point begin_{};
};

template <class C, class M>
struct MethodInvoker {
  ActorPtr<C> actor;
  M method;
  template <class... X>
  decltype(auto) operator()(X&&... x) const {
    actor->check_created();
    actor->check_alive();
    const ActorCallTrace traced(actor->name(), method);
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
          // A crash restarts the actor (max_restarts); max_task_retries runs the call again
          // on the new instance.
          for (int attempt = 0;; ++attempt) {
            try {
              reply = call_actor_process(
                  actor->process(), &actor_method_thunk<C, M>,
                  std::string_view(reinterpret_cast<const char*>(&method), sizeof(M)), args);
              break;
            } catch (const WorkerCrashed&) {
              const int retries = actor->max_task_retries();
              if ((retries >= 0 && attempt >= retries) || actor->killed() ||
                  !actor_process_alive(actor->process())) {
                throw;
              }
            }
          }
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
    actor->check_alive();  // killed before its creation ran
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

}  // namespace loom::detail
