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
// starts when the object is there and gets the stored object itself.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <typeinfo>
#include <utility>

#include "loom/remote/detail/bind.hpp"
#include "loom/remote/detail/task_record.hpp"
#include "loom/remote/object_ref.hpp"
#include "loom/remote/options.hpp"

namespace loom {

namespace detail {

template <class F>
struct FunctionInvoker {
  std::shared_ptr<const F> f;
  template <class... X>
  decltype(auto) operator()(X&&... x) const {
    return std::invoke(*f, std::forward<X>(x)...);
  }
};

// ---- registration (LOOM_REMOTE) ----

using ErasedFunction = void (*)();
void register_function(std::string_view name, const std::type_info& signature,
                       ErasedFunction function);
void register_class(std::string_view name, const std::type_info& type);
/// The registered function `name` of signature `signature`; ConfigError when there is none or
/// the signature differs.
ErasedFunction find_function(std::string_view name, const std::type_info& signature,
                             const std::string& signature_name);
/// The name `function` was registered under ("" when it was not).
std::string registered_name(ErasedFunction function);

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
                    reinterpret_cast<ErasedFunction>(F));  // NOLINT: restored with its type
  return true;
}

}  // namespace detail

template <class F>
class RemoteFunction {
  static_assert(detail::HasSignature<F>,
                "loom::task(f): f needs one call signature (a function, a function pointer or "
                "a lambda that is not generic)");
  using Traits = detail::CallableTraits<F>;

 public:
  using result_type = typename Traits::result;

  explicit RemoteFunction(F f, std::string name = {})
      : f_(std::make_shared<const F>(std::move(f))), name_(std::move(name)) {
    TaskOptions options;
    options.name = name_;
    spec_ = detail::make_task_spec(options);
  }

  /// The same function with other options (Ray's `.options(...)`); an empty name keeps the
  /// registered one.
  [[nodiscard]] RemoteFunction options(const TaskOptions& options) const {
    RemoteFunction copy = *this;
    TaskOptions named = options;
    if (named.name.empty()) named.name = name_;
    copy.spec_ = detail::make_task_spec(named);
    return copy;
  }

  /// Submits a call; it starts once its ObjectRef arguments are ready and its resources free.
  /// A request the runtime can never meet is a loom::ResourceError here.
  template <class... Args>
  auto remote(Args&&... args) const {
    detail::check_resources(
        spec_->request, spec_->name.empty() ? std::string("task") : "task '" + spec_->name + "'");
    return detail::submit_call<result_type, typename Traits::params>(
        spec_, detail::task_dispatcher(), detail::FunctionInvoker<F>{f_},
        [](detail::TaskRecord*) {}, std::forward<Args>(args)...);
  }

  /// The name tasks get (from options, or the registered name).
  [[nodiscard]] const std::string& name() const noexcept { return spec_->name; }

 private:
  std::shared_ptr<const F> f_;
  std::string name_;
  std::shared_ptr<const detail::TaskSpec> spec_;
};

/// Makes `f` a remote function.
template <class F>
[[nodiscard]] RemoteFunction<std::decay_t<F>> task(F&& f) {
  using D = std::decay_t<F>;
  if constexpr (std::is_pointer_v<D> && std::is_function_v<std::remove_pointer_t<D>>) {
    std::string name = detail::registered_name(reinterpret_cast<detail::ErasedFunction>(f));
    return RemoteFunction<D>(f, std::move(name));
  } else {
    return RemoteFunction<D>(std::forward<F>(f));
  }
}

/// The function registered with LOOM_REMOTE under `name`, with the signature spelled out:
/// `task_named<int(int)>("square")`. ConfigError when none is registered or the signature
/// differs.
template <class Signature>
[[nodiscard]] RemoteFunction<Signature*> task_named(std::string_view name) {
  static_assert(std::is_function_v<Signature>, "task_named<R(Args...)>: give a function type");
  auto* f = reinterpret_cast<Signature*>(  // NOLINT: registered with this very type
      detail::find_function(name, typeid(Signature), detail::type_name<Signature>()));
  return RemoteFunction<Signature*>(f, std::string(name));
}

}  // namespace loom

#define LOOM_REMOTE_CONCAT2(a, b) a##b
#define LOOM_REMOTE_CONCAT(a, b) LOOM_REMOTE_CONCAT2(a, b)
/// Registers a function or an actor class by name (namespace scope): `LOOM_REMOTE(square);`,
/// `LOOM_REMOTE(Counter);`. Needed for `task_named` and the processes mode.
#define LOOM_REMOTE(name)                                                         \
  [[maybe_unused]] static const bool LOOM_REMOTE_CONCAT(loom_remote_, __LINE__) = \
      ::loom::detail::register_remote<name>(#name)
