#pragma once
// Remote functions (Ray's @ray.remote): loom::task(f).remote(args...) -> ObjectRef<R>.
//
//   auto square = loom::task([](int x) { return x * x; });
//   loom::ObjectRef<int> r = square.remote(3);                  // starts now
//   auto heavy = loom::task(train).options({.num_cpus = 2, .max_retries = 1});
//   LOOM_REMOTE(train);                                          // registered by name
//   auto same = loom::task_named<Model(const Data&)>("train");
//
// An ObjectRef<U> argument where the function takes U (or const U&) is a dependency: the task
// starts when the object is there and gets the stored object itself. Generic lambdas work too:
// `loom::task([](const auto& v) { ... }).remote(ref)` gets the stored value.

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
#include "loom/remote/detail/remote_call.hpp"
#include "loom/remote/detail/task_record.hpp"
#include "loom/remote/object_ref.hpp"
#include "loom/remote/options.hpp"

namespace loom {

namespace detail {
struct RemoteFunctionAccess;

/// `result_type` of a RemoteFunction whose function has one signature (none for a generic one).
template <class F>
struct RemoteResultType {};
template <HasSignature F>
struct RemoteResultType<F> {
  using result_type = typename CallableTraits<F>::result;
};
}  // namespace detail

template <class F>
class RemoteFunction : public detail::RemoteResultType<F> {
 public:
  /// The same function with other options (Ray's `.options(...)`); an empty name keeps the
  /// registered one.
  [[nodiscard]] RemoteFunction options(const TaskOptions& options = {}) const {
    RemoteFunction copy = *this;
    copy.spec_ = make_spec(options);
    return copy;
  }

  /// Submits a call; it starts once its ObjectRef arguments are ready and its resources free.
  /// A request the runtime can never meet is a loom::ResourceError here; in processes mode, a
  /// function that is not registered (or whose values cannot be serialized) a ConfigError.
  /// A generic callable gets the parameters these arguments make (detail/generic_call.hpp).
  template <class... Args>
  auto remote(Args&&... args) const {
    if constexpr (detail::HasSignature<F>) {
      using Traits = detail::CallableTraits<F>;
      return submit<typename Traits::result, typename Traits::params>(std::forward<Args>(args)...);
    } else {
      using Call = detail::GenericCall<F, std::remove_cvref_t<Args>...>;
      static_assert(Call::ok,
                    "loom::task(f).remote(args...): f cannot be called with these arguments (an "
                    "ObjectRef<U> argument gives f a `const U&`, or the ref itself when f takes "
                    "only the ref)");
      using Params = typename Call::params;
      return submit<typename detail::InvokeResult<F, Params>::type, Params>(
          std::forward<Args>(args)...);
    }
  }

  /// The name tasks get (from options, or the registered name).
  [[nodiscard]] const std::string& name() const noexcept { return spec_->name; }

 private:
  friend struct detail::RemoteFunctionAccess;
  /// `f` under its registered name and worker entry (none for an unregistered function).
  explicit RemoteFunction(F f, std::string name = {}, detail::WorkerThunk thunk = nullptr)
      : f_(std::make_shared<const F>(std::move(f))), name_(std::move(name)), thunk_(thunk) {
    if constexpr (detail::kStatelessClosure<F>) {
      if (name_.empty()) name_ = detail::registered_closure(typeid(F));
      closure_registered_ = !name_.empty();
    }
    spec_ = make_spec(TaskOptions{});
  }

  /// One call with its parameters `Params` and result `R` (worked out from the arguments for a
  /// generic callable): to the current client's cluster when there is one, else to the runtime.
  template <class R, class Params, class... Args>
  auto submit(Args&&... args) const {
    std::shared_ptr<const detail::TaskSpec> spec = spec_;
    detail::ClusterBackend* cluster = detail::cluster_backend();
    if constexpr (detail::kStatelessClosure<F>) {
      // A registered lambda crossing to a worker process: the thunk of this call's parameters
      // (a fork of this program rebuilds the closure in the worker).
      if (spec_->worker_thunk == nullptr && closure_registered_ &&
          (cluster != nullptr || detail::processes_store_folder() != nullptr)) {
        constexpr detail::WorkerThunk thunk = detail::closure_thunk_for<F, R, Params>();
        if (thunk != nullptr) {
          auto with_thunk = std::make_shared<detail::TaskSpec>(*spec_);
          with_thunk->worker_thunk = thunk;
          spec = std::move(with_thunk);
        }
      }
    }
    detail::TaskRecord::Dispatcher* dispatcher = nullptr;
    if (cluster != nullptr) {
      cluster->check_submit(*spec);  // a client is current: its cluster runs the task
      dispatcher = cluster;
    } else {
      detail::check_task_resources(*spec);
      if (spec->worker_thunk == nullptr && detail::processes_store_folder() != nullptr) {
        detail::throw_not_crossable(spec->name.empty() ? std::string("this task") : spec->name);
      }
      dispatcher = &detail::task_dispatcher();
    }
    return detail::submit_call<R, Params>(std::move(spec), *dispatcher,
                                          detail::FunctionInvoker<F>{f_},
                                          [](detail::TaskRecord*) {}, std::forward<Args>(args)...);
  }

  std::shared_ptr<const detail::TaskSpec> make_spec(const TaskOptions& options) const {
    TaskOptions named = options;
    if (named.name.empty()) named.name = name_;
    auto spec = std::make_shared<detail::TaskSpec>(*detail::make_task_spec(named));
    spec->worker_thunk = thunk_;
    spec->captureless_thunk = detail::captureless_thunk_of<F>();
    spec->callable_type = &detail::type_name<F>;
    if constexpr (std::is_pointer_v<F> && std::is_function_v<std::remove_pointer_t<F>>) {
      spec->function = reinterpret_cast<detail::ErasedFunction>(*f_);  // NOLINT: typed again there
    }
    return spec;
  }

  std::shared_ptr<const F> f_;
  std::string name_;
  detail::WorkerThunk thunk_ = nullptr;
  bool closure_registered_ = false;
  std::shared_ptr<const detail::TaskSpec> spec_;
};

namespace detail {
/// The one door to RemoteFunction's constructor, for loom's own code (task, task_named): a
/// user gets remote functions from those, never with a worker entry of their own.
struct RemoteFunctionAccess {
  template <class F>
  static RemoteFunction<F> make(F f, std::string name = {}, WorkerThunk thunk = nullptr) {
    return RemoteFunction<F>(std::move(f), std::move(name), thunk);
  }
};
}  // namespace detail

/// Makes `f` a remote function.
template <class F>
[[nodiscard]] RemoteFunction<std::decay_t<F>> task(F&& f) {
  using D = std::decay_t<F>;
  if constexpr (std::is_pointer_v<D> && std::is_function_v<std::remove_pointer_t<D>>) {
    detail::RegisteredFunction r =
        detail::registered_function(reinterpret_cast<detail::ErasedFunction>(f));
    return detail::RemoteFunctionAccess::make<D>(f, std::move(r.name), r.thunk);
  } else {
    return detail::RemoteFunctionAccess::make<D>(std::forward<F>(f));
  }
}

/// The function registered with LOOM_REMOTE under `name`, with the signature spelled out:
/// `task_named<int(int)>("square")`. ConfigError when none is registered or the signature
/// differs.
template <class Signature>
[[nodiscard]] RemoteFunction<Signature*> task_named(std::string_view name) {
  static_assert(std::is_function_v<Signature>, "task_named<R(Args...)>: give a function type");
  const detail::RegisteredFunction r =
      detail::find_function(name, typeid(Signature), detail::type_name<Signature>());
  auto* f = reinterpret_cast<Signature*>(r.function);  // NOLINT: registered with this very type
  return detail::RemoteFunctionAccess::make<Signature*>(f, r.name, r.thunk);
}

}  // namespace loom

#define LOOM_REMOTE_CONCAT2(a, b) a##b
#define LOOM_REMOTE_CONCAT(a, b) LOOM_REMOTE_CONCAT2(a, b)
/// Registers a function or an actor class by name (namespace scope): `LOOM_REMOTE(square);`,
/// `LOOM_REMOTE(Counter);`. Needed for `task_named` and the processes mode. A lambda at namespace
/// scope (`constexpr auto twice = [](auto x) { return 2 * x; };`) registers the same way; signatures
/// after its name register those instantiations for task_named: `LOOM_REMOTE(twice, int(int));`.
#define LOOM_REMOTE(name, ...)                                                    \
  [[maybe_unused]] static const bool LOOM_REMOTE_CONCAT(loom_remote_, __LINE__) = \
      ::loom::detail::register_remote<name __VA_OPT__(, ) __VA_ARGS__>(#name)
