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

using ErasedFunction = void (*)();
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
