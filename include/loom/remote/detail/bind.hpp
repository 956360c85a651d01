#pragma once
// The typed part of a remote call: the function's signature, its arguments as stored until it
// runs, and how ObjectRef arguments become dependencies and are resolved to the stored values.
//
// An argument `ObjectRef<U>` where the function takes `U`, `const U&` (or anything made from a
// `const U&`) is a dependency: the call runs once the object is there and receives the stored
// object itself (`const U&`: no copy). A parameter declared `ObjectRef<U>` receives the ref.

#include <array>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <istream>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "loom/io/serialize.hpp"
#include "loom/remote/detail/exchange.hpp"
#include "loom/remote/detail/stored.hpp"
#include "loom/remote/detail/task_record.hpp"
#include "loom/remote/object_ref.hpp"

namespace loom::detail {

// ---- signatures ----

template <class F>
struct CallableTraits : CallableTraits<decltype(&std::remove_cvref_t<F>::operator())> {};
template <class R, class... A>
struct CallableTraits<R(A...)> {
  using result = R;
  using params = std::tuple<A...>;
};
template <class R, class... A>
struct CallableTraits<R (*)(A...)> : CallableTraits<R(A...)> {};
template <class R, class... A>
struct CallableTraits<R (*)(A...) noexcept> : CallableTraits<R(A...)> {};
template <class C, class R, class... A>
struct CallableTraits<R (C::*)(A...) const> : CallableTraits<R(A...)> {};
template <class C, class R, class... A>
struct CallableTraits<R (C::*)(A...) const noexcept> : CallableTraits<R(A...)> {};
template <class C, class R, class... A>
struct CallableTraits<R (C::*)(A...)> : CallableTraits<R(A...)> {};
template <class C, class R, class... A>
struct CallableTraits<R (C::*)(A...) noexcept> : CallableTraits<R(A...)> {};

/// Callables with one signature: functions, pointers to them, member functions, and classes
/// with one (non-template) operator() (a generic lambda has none).
template <class F>
concept HasSignature = std::is_function_v<std::remove_pointer_t<std::remove_cvref_t<F>>> ||
                       std::is_member_function_pointer_v<std::remove_cvref_t<F>> ||
                       requires { &std::remove_cvref_t<F>::operator(); };

// ---- arguments ----

/// Whether argument type `A` given for parameter `P` is a dependency (resolved before the call).
template <class P, class A>
inline constexpr bool is_dependency =
    IsObjectRef<std::remove_cvref_t<A>>::value && !IsObjectRef<std::remove_cvref_t<P>>::value;

/// How an argument is kept until the call: the ref for a dependency, else the parameter's value.
template <class P, class A>
using RemoteArg =
    std::conditional_t<is_dependency<P, A>, std::remove_cvref_t<A>, std::remove_cvref_t<P>>;

template <class P, class A>
constexpr void check_argument() {
  if constexpr (is_dependency<P, A>) {
    using U = typename std::remove_cvref_t<A>::value_type;
    static_assert(!(std::is_lvalue_reference_v<P> && !std::is_const_v<std::remove_reference_t<P>>),
                  "a task parameter that receives a stored object must be `T` or `const T&`: "
                  "stored objects are immutable");
    static_assert(std::is_constructible_v<std::remove_cvref_t<P>, const U&>,
                  "an ObjectRef<U> argument needs a parameter made from `const U&`");
  } else {
    static_assert(std::is_constructible_v<std::remove_cvref_t<P>, A>,
                  "an argument does not convert to the function's parameter type");
  }
}

template <class Params, class... Args>
constexpr std::size_t count_dependencies() {
  return []<std::size_t... I>(std::index_sequence<I...>) {
    return (std::size_t{0} + ... + (is_dependency<std::tuple_element_t<I, Params>, Args> ? 1 : 0));
  }
  (std::index_sequence_for<Args...>{});
}

/// The value of a dependency while the call runs (keeps it from spilling).
template <class Stored, class P>
decltype(auto) pass_argument(Stored& stored, const std::shared_ptr<StoredValue>& resolved) {
  if constexpr (IsObjectRef<Stored>::value && !IsObjectRef<std::remove_cvref_t<P>>::value) {
    return stored_value<typename Stored::value_type>(*resolved);
  } else if constexpr (std::is_rvalue_reference_v<P>) {
    return std::move(stored);
  } else {
    return static_cast<Stored&>(stored);
  }
}

/// Values that can cross to a worker process: serializable all the way down (cereal's own test
/// looks only at the outer type: a shared_ptr<std::atomic<int>> passes it).
template <class T>
struct CrossableImpl : std::bool_constant<Serializable<T>> {};
template <class T>
struct CrossableImpl<std::shared_ptr<T>> : CrossableImpl<std::remove_const_t<T>> {};
template <class T>
struct CrossableImpl<std::unique_ptr<T>> : CrossableImpl<std::remove_const_t<T>> {};
template <class T>
struct CrossableImpl<std::optional<T>> : CrossableImpl<T> {};
template <class T, class A>
struct CrossableImpl<std::vector<T, A>> : CrossableImpl<T> {};
template <class A, class B>
struct CrossableImpl<std::pair<A, B>>
    : std::bool_constant<CrossableImpl<std::remove_const_t<A>>::value && CrossableImpl<B>::value> {
};
template <class... T>
struct CrossableImpl<std::tuple<T...>> : std::bool_constant<(CrossableImpl<T>::value && ...)> {};
template <class T>
inline constexpr bool crossable_v =
    std::is_void_v<T> || CrossableImpl<std::remove_cvref_t<T>>::value;

/// Invokers whose calls may run in a worker process: plain functions (registered by name).
template <class Invoker>
struct CrossesProcesses : std::false_type {};

/// What of the invoker itself crosses before the arguments (a Serializable callable's state).
template <class Invoker>
struct InvokerState {
  template <class Archive>
  static void write(Archive& /*archive*/, const Invoker& /*invoker*/) {}
};

/// Whether parameter P, given stored argument S, can cross to a worker process.
template <class P, class S>
constexpr bool crossable_argument() {
  if constexpr (IsObjectRef<std::remove_cvref_t<P>>::value) {
    return false;  // a ref itself does not cross
  } else if constexpr (IsObjectRef<S>::value) {
    return crossable_v<typename S::value_type>;
  } else {
    return crossable_v<S>;
  }
}

/// What crosses to a worker for parameter P: the argument itself when it has P's type, else P's
/// type made from it (the worker reads P's type).
template <class P, class A>
decltype(auto) as_parameter(A&& a) {
  using V = std::remove_cvref_t<P>;
  if constexpr (std::is_same_v<std::remove_cvref_t<A>, V>) {
    return std::forward<A>(a);
  } else {
    return V(std::forward<A>(a));
  }
}

/// Reads the arguments a worker received, into `values` (in the worker).
template <class Tuple>
void read_worker_arguments(std::string_view args, Tuple& values) {
  const ArrayFiles files{worker_exchange_folder(), 0, false, "r"};
  const ArrayFilesScope scope(&files);
  BytesSource source(args);
  const SourceScope source_scope(&source);
  std::istream stream(&source);
  cereal::BinaryInputArchive archive(stream);
  std::apply([&archive](auto&... v) { (archive(v), ...); }, values);
}

/// In a worker: runs `call` and serializes its result (large arrays as files of the shared
/// folder); "" for void.
template <class R, class Call>
std::string worker_reply(Call&& call) {
  if constexpr (std::is_void_v<R>) {
    std::forward<Call>(call)();
    return std::string();
  } else {
    const auto result = std::forward<Call>(call)();
    const ArrayFiles files{worker_exchange_folder(), kShareMinBytes, true};
    const ArrayFilesScope scope(&files);
    return serialize(result);
  }
}

/// The value to store for a call's result (null for void).
template <class R, class Call>
std::shared_ptr<StoredValue> store_result(Call&& call) {
  if constexpr (std::is_void_v<R>) {
    std::forward<Call>(call)();
    return nullptr;
  } else {
    return make_stored(std::forward<Call>(call)());
  }
}

template <class R>
const ValueOps* result_value_ops() noexcept {
  if constexpr (std::is_void_v<R>) {
    return nullptr;
  } else {
    return value_ops<std::remove_cvref_t<R>>();
  }
}

/// A remote call with its arguments. `Invoker` is called as `invoker(args...)`.
template <class R, class Params, class Invoker, class... Stored>
class TypedCall final : public TaskRecord {
  static constexpr std::size_t kArgs = sizeof...(Stored);

 public:
  template <class... Args>
  TypedCall(std::shared_ptr<const TaskSpec> spec, Dispatcher* dispatcher, Invoker invoker,
            Args&&... args)
      : TaskRecord(std::move(spec), dispatcher),
        invoker_(std::move(invoker)),
        args_(std::in_place, Stored(std::forward<Args>(args))...) {
    std::size_t next = 0;
    [&]<std::size_t... I>(std::index_sequence<I...>) { (watch<I>(next), ...); }
    (std::index_sequence_for<Stored...>{});
  }

  std::shared_ptr<StoredValue> invoke() override {
    std::array<std::shared_ptr<StoredValue>, kArgs + 1> resolved{};
    [&]<std::size_t... I>(std::index_sequence<I...>) { (resolve<I>(resolved[I]), ...); }
    (std::index_sequence_for<Stored...>{});
    if constexpr (CrossesProcesses<Invoker>::value) {
      if (const WorkerChannel* channel = this_thread_channel()) {
        return invoke_in_worker(resolved, channel->folder());  // a cluster's worker process
      }
      if (spec().worker_thunk != nullptr) {
        if (const std::filesystem::path* folder = processes_store_folder()) {
          return invoke_in_worker(resolved, *folder);
        }
      }
    }
    return store_result<R>([&]() -> R {
      return [&]<std::size_t... I>(std::index_sequence<I...>)->R {
        return invoker_(pass_argument<Stored, std::tuple_element_t<I, Params>>(std::get<I>(*args_),
                                                                               resolved[I])...);
      }
      (std::index_sequence_for<Stored...>{});
    });
  }
  [[nodiscard]] const ValueOps* result_ops() const noexcept override {
    return result_value_ops<R>();
  }

  /// Whether the arguments and the result can cross to a worker process.
  static constexpr bool kCrossable = [] {
    bool ok = crossable_v<R>;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      ((ok = ok && crossable_argument<std::tuple_element_t<I, Params>, Stored>()), ...);
    }
    (std::index_sequence_for<Stored...>{});
    return ok;
  }();

  void release_inputs() noexcept override { args_.reset(); }

  void for_each_input(FunctionRef<void(ObjectEntry*)> visit) const noexcept override {
    if (!args_) return;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (visit_input<I>(visit), ...);
    }
    (std::index_sequence_for<Stored...>{});
  }

 private:
  static constexpr std::size_t kDeps = [] {
    std::size_t n = 0;
    ((n += (IsObjectRef<Stored>::value ? 1 : 0)), ...);
    return n;
  }();

  // Processes mode: the arguments (stored values for dependencies) go to a worker; large
  // arrays cross as files of the shared folder (those of the store by reference).
  std::shared_ptr<StoredValue> invoke_in_worker(
      const std::array<std::shared_ptr<StoredValue>, kArgs + 1>& resolved,
      const std::filesystem::path& folder) {
    if constexpr (!kCrossable) {
      throw_not_crossable(label());
    } else {
      std::vector<std::string> written;
      std::string payload;
      std::string reply;
      try {
        {
          const ArrayFiles files{folder, kShareMinBytes, true, "r", &written};
          const ArrayFilesScope scope(&files);
          StringSink sink(payload);
          std::ostream stream(&sink);
          cereal::BinaryOutputArchive archive(stream);
          InvokerState<Invoker>::write(archive, invoker_);
          [&]<std::size_t... I>(std::index_sequence<I...>) {
            (archive(as_parameter<std::tuple_element_t<I, Params>>(
                 pass_argument<Stored, std::tuple_element_t<I, Params>>(std::get<I>(*args_),
                                                                        resolved[I]))),
             ...);
          }
          (std::index_sequence_for<Stored...>{});
        }
        reply = run_in_worker(*this, payload);
      } catch (...) {
        remove_exchange_files(folder, written);
        throw;
      }
      remove_exchange_files(folder, written);
      if constexpr (std::is_void_v<R>) {
        return nullptr;
      } else {
        using V = std::remove_cvref_t<R>;
        ArrayFiles files{folder, 0, false, "r"};
        files.own_files = true;  // a large result lives in its file until nobody uses it
        const ArrayFilesScope scope(&files);
        return make_stored(deserialize<V>(reply));
      }
    }
  }

  template <std::size_t I>
  void watch(std::size_t& next) {
    using S = std::tuple_element_t<I, std::tuple<Stored...>>;
    if constexpr (IsObjectRef<S>::value &&
                  !IsObjectRef<std::remove_cvref_t<std::tuple_element_t<I, Params>>>::value) {
      const auto& entry = ObjectRefAccess::entry(std::get<I>(*args_));
      DependencyWaiter& waiter = waiters_[next++];
      waiter.record = this;
      depend_on(entry.get(), waiter);
    }
  }
  template <std::size_t I>
  void visit_input(FunctionRef<void(ObjectEntry*)> visit) const noexcept {
    using S = std::tuple_element_t<I, std::tuple<Stored...>>;
    if constexpr (IsObjectRef<S>::value &&
                  !IsObjectRef<std::remove_cvref_t<std::tuple_element_t<I, Params>>>::value) {
      visit(ObjectRefAccess::entry(std::get<I>(*args_)).get());
    }
  }
  template <std::size_t I>
  void resolve(std::shared_ptr<StoredValue>& out) {
    using S = std::tuple_element_t<I, std::tuple<Stored...>>;
    if constexpr (IsObjectRef<S>::value &&
                  !IsObjectRef<std::remove_cvref_t<std::tuple_element_t<I, Params>>>::value) {
      ObjectEntry* entry = ObjectRefAccess::entry(std::get<I>(*args_)).get();
      if (auto error = entry->error()) throw DependencyFailed{error};
      out = entry->value();
    }
  }

  Invoker invoker_;
  std::optional<std::tuple<Stored...>> args_;
  std::array<DependencyWaiter, kDeps> waiters_{};
};

template <class R, class Params, class Invoker, class Seq, class... Args>
struct CallType;
template <class R, class Params, class Invoker, std::size_t... I, class... Args>
struct CallType<R, Params, Invoker, std::index_sequence<I...>, Args...> {
  using type = TypedCall<R, Params, Invoker, RemoteArg<std::tuple_element_t<I, Params>, Args>...>;
};

template <class A>
void check_not_empty(const A& arg) {
  if constexpr (IsObjectRef<std::remove_cvref_t<A>>::value) {
    if (!arg.valid()) throw_empty_ref();
  }
}

/// The ref type of a call returning R.
template <class R>
using ResultRef = ObjectRef<std::conditional_t<std::is_void_v<R>, void, std::remove_cvref_t<R>>>;

/// Builds a call of `invoker` with `args` for a function with parameters `Params`, hands it to
/// `post` (an actor's mailbox keeps call order there), arms it and returns the ref to its
/// result.
template <class R, class Params, class Invoker, class Post, class... Args>
ResultRef<R> submit_call(std::shared_ptr<const TaskSpec> spec, TaskRecord::Dispatcher& dispatcher,
                         Invoker invoker, Post&& post, Args&&... args) {
  static_assert(std::tuple_size_v<Params> == sizeof...(Args),
                "remote(): the number of arguments does not match the function's parameters");
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (check_argument<std::tuple_element_t<I, Params>, Args&&>(), ...);
  }
  (std::index_sequence_for<Args...>{});
  (check_not_empty(args), ...);
  using Call =
      typename CallType<R, Params, Invoker, std::index_sequence_for<Args...>, Args...>::type;
  auto* call =
      new Call(std::move(spec), &dispatcher, std::move(invoker), std::forward<Args>(args)...);
  auto ref = ObjectRefAccess::adopt<typename ResultRef<R>::value_type>(call->result());
  post(static_cast<TaskRecord*>(call));
  call->arm();
  call->release();
  return ref;
}

}  // namespace loom::detail
