#pragma once
// The engine of remote functions (private to loom): the invokers that run a task's function on
// its resolved arguments, in this process or in a worker, and the thunks that decode them.

#include <functional>
#include <istream>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <typeinfo>
#include <utility>

#include "loom/io/serialize.hpp"
#include "loom/remote/detail/bind.hpp"
#include "loom/remote/detail/exchange.hpp"
#include "loom/remote/detail/generic_call.hpp"
#include "loom/remote/detail/task_record.hpp"
#include "loom/remote/object_ref.hpp"
#include "loom/remote/options.hpp"

namespace loom::detail {

template <class F>
struct FunctionInvoker {
  std::shared_ptr<const F> f;
  template <class... X>
  decltype(auto) operator()(X&&... x) const {
    return std::invoke(*f, std::forward<X>(x)...);
  }
};

template <class F>
requires std::is_function_v<std::remove_pointer_t<F>>
struct CrossesProcesses<FunctionInvoker<F>> : std::true_type {
};
// A stateless closure crosses when LOOM_REMOTE registered it (its spec then has a thunk).
template <class F>
requires kStatelessClosure<F>
struct CrossesProcesses<FunctionInvoker<F>> : std::true_type {
};

// ---- registration (LOOM_REMOTE) ----

void register_function(std::string_view name, const std::type_info& signature,
                       ErasedFunction function, WorkerThunk thunk);
void register_class(std::string_view name, const std::type_info& type);
/// A stateless closure (a lambda at namespace scope, generic or not) registered by name.
void register_closure(std::string_view name, const std::type_info& type);
/// The name a closure type was registered under ("" when it was not).
std::string registered_closure(const std::type_info& type);
struct RegisteredFunction {
  std::string name;
  ErasedFunction function = nullptr;
  WorkerThunk thunk = nullptr;  // null when its arguments or result cannot be serialized
};
/// The registered function `name` of signature `signature`; ConfigError when there is none or
/// the signature differs.
RegisteredFunction find_function(std::string_view name, const std::type_info& signature,
                                 const std::string& signature_name);
/// How `function` was registered (an empty name when it was not).
RegisteredFunction registered_function(ErasedFunction function);

/// Runs F in a worker process: reads its arguments, returns its serialized result.
template <auto F>
std::string worker_thunk(std::string_view args) {
  using Traits = CallableTraits<decltype(F)>;
  using R = typename Traits::result;
  return [&]<class... P>(std::type_identity<std::tuple<P...>>) {
    std::tuple<std::remove_cvref_t<P>...> values;
    read_worker_arguments(args, values);
    return worker_reply<R>([&] { return std::apply(F, std::move(values)); });
  }(std::type_identity<typename Traits::params>{});
}

template <auto F>
constexpr WorkerThunk thunk_of() {
  using Traits = CallableTraits<decltype(F)>;
  using R = typename Traits::result;
  constexpr bool ok = crossable_v<R> && []<class... P>(std::type_identity<std::tuple<P...>>) {
    return (crossable_v<P> && ...);
  }(std::type_identity<typename Traits::params>{});
  if constexpr (ok) {
    return &worker_thunk<F>;
  } else {
    return nullptr;
  }
}

/// The callable rule's unregistered ways across (a cluster's worker processes): a plain
/// function through its address, a captureless lambda made anew in the worker.
template <class Signature>
std::string pointer_thunk(std::string_view args) {
  using Traits = CallableTraits<Signature>;
  using R = typename Traits::result;
  auto* f = reinterpret_cast<Signature*>(worker_function());  // NOLINT: sent with this type
  return [&]<class... P>(std::type_identity<std::tuple<P...>>) {
    std::tuple<std::remove_cvref_t<P>...> values;
    read_worker_arguments(args, values);
    return worker_reply<R>([&] { return std::apply(f, std::move(values)); });
  }(std::type_identity<typename Traits::params>{});
}
template <class L>
std::string lambda_thunk(std::string_view args) {
  using Traits = CallableTraits<L>;
  using R = typename Traits::result;
  return [&]<class... P>(std::type_identity<std::tuple<P...>>) {
    std::tuple<std::remove_cvref_t<P>...> values;
    read_worker_arguments(args, values);
    const L f{};
    return worker_reply<R>([&] { return std::apply(f, std::move(values)); });
  }(std::type_identity<typename Traits::params>{});
}

/// A captureless lambda (or another empty callable made from nothing): its type names it.
template <class F>
inline constexpr bool is_captureless_v = std::is_class_v<F> && std::is_empty_v<F> &&
                                         std::is_default_constructible_v<F> && HasSignature<F>;
/// A callable object with state that the serialization layer can write: its state crosses.
template <class F>
inline constexpr bool is_serializable_callable_v =
    std::is_class_v<F> && !is_captureless_v<F> && HasSignature<F> && Serializable<F>;

template <class F>
std::string object_thunk(std::string_view args) {
  using Traits = CallableTraits<F>;
  using R = typename Traits::result;
  return [&]<class... P>(std::type_identity<std::tuple<P...>>) {
    std::tuple<F, std::remove_cvref_t<P>...> values;  // the callable's state, then the arguments
    read_worker_arguments(args, values);
    return worker_reply<R>([&] {
      return std::apply([](F& f, auto&... a) -> R { return std::invoke(f, std::move(a)...); },
                        values);
    });
  }(std::type_identity<typename Traits::params>{});
}

template <class F>
constexpr WorkerThunk captureless_thunk_of() {
  if constexpr (!HasSignature<F>) {
    return nullptr;
  } else {
    using Traits = CallableTraits<F>;
    using R = typename Traits::result;
    constexpr bool ok = crossable_v<R> && []<class... P>(std::type_identity<std::tuple<P...>>) {
      return (crossable_v<P> && ...);
    }(std::type_identity<typename Traits::params>{});
    if constexpr (!ok) {
      return nullptr;
    } else if constexpr (std::is_pointer_v<F> && std::is_function_v<std::remove_pointer_t<F>>) {
      return &pointer_thunk<std::remove_pointer_t<F>>;
    } else if constexpr (is_captureless_v<F>) {
      return &lambda_thunk<F>;
    } else if constexpr (is_serializable_callable_v<F>) {
      return &object_thunk<F>;
    } else {
      return nullptr;
    }
  }
}

// A captureless lambda crosses too: it is a stateless closure (the specialization above).
template <class F>
requires is_serializable_callable_v<F>
struct CrossesProcesses<FunctionInvoker<F>> : std::true_type {
};
template <class F>
requires is_serializable_callable_v<F>
struct InvokerState<FunctionInvoker<F>> {
  template <class Archive>
  static void write(Archive& archive, const FunctionInvoker<F>& invoker) {
    archive(*invoker.f);
  }
};

template <class T>
requires std::is_class_v<T>
bool register_remote(const char* name) {
  register_class(name, typeid(T));
  return true;
}
template <auto F>
requires std::is_function_v<std::remove_pointer_t<decltype(F)>>
bool register_remote(const char* name) {
  register_function(name, typeid(std::remove_pointer_t<decltype(F)>),
                    reinterpret_cast<ErasedFunction>(F),  // NOLINT: restored with its type
                    thunk_of<F>());
  return true;
}
/// A lambda (`constexpr auto twice = [](auto x) {...};`): loom::task(twice) crosses to worker
/// processes with the parameters each call deduces; each signature listed
/// (`LOOM_REMOTE(twice, int(int))`) also registers that instantiation as a function, for
/// task_named<int(int)>("twice").
template <auto F, class... Signatures>
requires kStatelessClosure<decltype(F)>
bool register_remote(const char* name) {
  register_closure(name, typeid(decltype(F)));
  (register_remote<static_cast<Signatures*>(F)>(name), ...);
  return true;
}

}  // namespace loom::detail
