#pragma once
// Remote calls of callables without one signature (generic lambdas, `auto` parameters): the
// parameter list is deduced from the arguments of each `.remote(args...)` call.
//
// The rule is the one of signatures: an `ObjectRef<U>` argument gives the callable the stored
// `const U&` when it can be called so, and the ref itself only when it cannot (it takes
// `ObjectRef<U>` and not `U`). Other arguments are kept as their decayed type and passed as
// lvalues. With several refs, the combinations are tried with as few refs as possible first.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "loom/remote/detail/bind.hpp"
#include "loom/remote/object_ref.hpp"

namespace loom::detail {

/// The parameter a generic callable gets for argument `A`: `const U&` for a ref resolved to its
/// value, else the kept argument (the ref itself, or the decayed value) as an lvalue.
template <class A, bool AsRef>
struct GenericParamOf {
  using type = std::decay_t<A>&;
};
template <class U>
requires(!std::is_void_v<U>)
struct GenericParamOf<ObjectRef<U>, false> {
  using type = const U&;
};
template <class A, bool AsRef>
using GenericParam = typename GenericParamOf<std::remove_cvref_t<A>, AsRef>::type;

template <class Args, class Seq, std::uint64_t AsRefMask>
struct MaskedParams;
template <class... A, std::size_t... I, std::uint64_t AsRefMask>
struct MaskedParams<std::tuple<A...>, std::index_sequence<I...>, AsRefMask> {
  using type = std::tuple<GenericParam<A, ((AsRefMask >> I) & 1U) != 0>...>;
};

template <class F, class Params>
struct InvocableWith : std::false_type {};
template <class F, class... P>
struct InvocableWith<F, std::tuple<P...>> : std::is_invocable<const F&, P...> {};

template <class F, class Params>
struct InvokeResult;
template <class F, class... P>
struct InvokeResult<F, std::tuple<P...>> {
  using type = std::invoke_result_t<const F&, P...>;
};

/// Bit i set: argument i is an ObjectRef.
template <class... A>
constexpr std::uint64_t ref_arguments() {
  std::uint64_t mask = 0;
  std::uint64_t bit = 1;
  ((mask |= IsObjectRef<std::remove_cvref_t<A>>::value ? bit : 0, bit <<= 1), ...);
  return mask;
}

inline constexpr std::uint64_t kNoRefMask = ~std::uint64_t{0};

/// The first subset of `Refs` (in increasing order; with more than 6 refs only "none" and
/// "all") whose arguments pass as refs so that F can be called; kNoRefMask when none.
template <class F, class Args, std::uint64_t Refs, std::uint64_t Mask>
constexpr std::uint64_t first_callable_mask() {
  using Params = typename MaskedParams<Args, std::make_index_sequence<std::tuple_size_v<Args>>,
                                       Mask>::type;
  if constexpr (InvocableWith<F, Params>::value) {
    return Mask;
  } else if constexpr (Mask == Refs) {
    return kNoRefMask;
  } else if constexpr (std::popcount(Refs) > 6) {
    return first_callable_mask<F, Args, Refs, Refs>();
  } else {
    return first_callable_mask<F, Args, Refs, ((Mask | ~Refs) + 1) & Refs>();
  }
}

/// The deduced call of `F` with arguments `A...`: `ok` and `params` (a std::tuple of parameter
/// types for submit_call).
template <class F, class... A>
struct GenericCall {
  static_assert(sizeof...(A) < 64, "loom::task(f).remote(...): at most 63 arguments");
  static constexpr std::uint64_t kMask =
      first_callable_mask<F, std::tuple<A...>, ref_arguments<A...>(), 0>();
  static constexpr bool ok = kMask != kNoRefMask;
  using params = typename MaskedParams<std::tuple<A...>, std::index_sequence_for<A...>,
                                       (ok ? kMask : 0)>::type;
};

template <class F, class... A>
using GenericResult =
    typename InvokeResult<F, typename GenericCall<F, std::remove_cvref_t<A>...>::params>::type;

// ---- processes mode: registered closures ----

/// Closures that can run in a worker process: captureless lambdas (rebuilt there from nothing,
/// in a fork of this very program).
template <class F>
inline constexpr bool kStatelessClosure =
    std::is_class_v<F> && std::is_empty_v<F> && std::is_default_constructible_v<F>;

/// In a worker: runs a stateless closure `F` on arguments of types `P...`.
template <class F, class R, class... P>
std::string closure_thunk(std::string_view args) {
  std::tuple<std::remove_cvref_t<P>...> values;
  read_worker_arguments(args, values);
  return worker_reply<R>([&]() -> R {
    return std::apply([](auto&... v) -> R { return std::invoke(F{}, v...); }, values);
  });
}

/// The thunk for a call of closure `F` with parameters `Params` (null when its values cannot
/// be serialized).
template <class F, class R, class Params>
constexpr WorkerThunk closure_thunk_for() {
  return []<class... P>(std::type_identity<std::tuple<P...>>) -> WorkerThunk {
    if constexpr (crossable_v<R> &&
                  ((crossable_v<P> && !IsObjectRef<std::remove_cvref_t<P>>::value) && ...)) {
      return &closure_thunk<F, R, P...>;
    } else {
      return nullptr;
    }
  }(std::type_identity<Params>{});
}

}  // namespace loom::detail
