#pragma once
// The node that runs `f(args...)` for delayed(f)(args...), and the argument resolution rule
// (docs/core.md): a Delayed<U> argument is passed as its value when f accepts a U there (it is
// then a dependency), and as the handle itself only when f takes Delayed<U> and not U.

#include <array>
#include <cstddef>
#include <functional>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>

#include "loom/core/detail/delayed_access.hpp"
#include "loom/core/detail/node.hpp"
#include "loom/core/detail/type_name.hpp"

namespace loom {
template <class Scalar>
class Delayed;
}  // namespace loom

namespace loom::detail {

/// Throws loom::Error: argument `index` of a delayed call is an empty (default-made) Delayed.
[[noreturn]] void throw_empty_argument(std::size_t index);

template <class T>
struct IsDelayed : std::false_type {};
template <class U>
struct IsDelayed<Delayed<U>> : std::true_type {};

template <class T>
struct IsReferenceWrapper : std::false_type {};
template <class U>
struct IsReferenceWrapper<std::reference_wrapper<U>> : std::true_type {};

/// How a stored argument reaches f, by form (0 is preferred):
/// - a Delayed<U>: 0 its value as `const U&`, 1 a copy of its value (for f taking `U&&`), 2 the
///   handle itself (then it is not a dependency);
/// - a plain argument: 0 an rvalue (the node runs f once), 1 and 2 an lvalue (for f taking `T&`);
/// - std::ref(x): always `x&`.
template <class Stored, int Form>
struct ArgForm {
  using type = std::conditional_t<Form != 0, Stored&, Stored&&>;
  static constexpr bool is_dependency = false;
  static type get(Stored& s) noexcept { return static_cast<type>(s); }
};

template <class U, int Form>
struct ArgForm<std::reference_wrapper<U>, Form> {
  using type = U&;
  static constexpr bool is_dependency = false;
  static type get(std::reference_wrapper<U>& s) noexcept { return s.get(); }
};

template <class U, int Form>
struct ArgForm<Delayed<U>, Form> {
  using type =
      std::conditional_t<Form == 0, const U&, std::conditional_t<Form == 1, U, Delayed<U>&>>;
  static constexpr bool is_dependency = Form != 2;
  static type get(Delayed<U>& s) {
    if constexpr (Form == 2) {
      return s;
    } else {
      return static_cast<const ValueNode<U>*>(DelayedAccess::node(s))->value();
    }
  }
};

template <int Form>
struct ArgForm<Delayed<void>, Form> {
  using type = std::conditional_t<Form == 2, Delayed<void>&, std::monostate>;
  static constexpr bool is_dependency = Form != 2;
  static type get(Delayed<void>& s) noexcept {
    if constexpr (Form == 2) {
      return s;
    } else {
      return {};
    }
  }
};

constexpr std::size_t pow3(std::size_t n) { return n == 0 ? 1 : 3 * pow3(n - 1); }

// The form of position I of N under Mask: digit I of Mask written in base 3, most significant
// first, so that trying masks in increasing order prefers the preferred forms at earlier
// positions.
template <std::size_t Mask, std::size_t N, std::size_t I>
inline constexpr int kFormAt = static_cast<int>((Mask / pow3(N - 1 - I)) % 3);

template <class F, std::size_t Mask, class Tuple, class Seq>
struct InvocableWithMask;
template <class F, std::size_t Mask, class... S, std::size_t... I>
struct InvocableWithMask<F, Mask, std::tuple<S...>, std::index_sequence<I...>>
    : std::is_invocable<F&, typename ArgForm<S, kFormAt<Mask, sizeof...(S), I>>::type...> {};

inline constexpr std::size_t kNoMask = ~std::size_t{0};

// Masks are tried in order, and a later one is instantiated only when the earlier ones failed:
// a generic lambda is then only ever instantiated with forms it will get (its body is not
// SFINAE-friendly).
template <class F, class Tuple, std::size_t M, std::size_t End>
constexpr std::size_t first_mask_from() {
  if constexpr (M == End) {
    return kNoMask;
  } else if constexpr (InvocableWithMask<
                           F, M, Tuple,
                           std::make_index_sequence<std::tuple_size_v<Tuple>>>::value) {
    return M;
  } else {
    return first_mask_from<F, Tuple, M + 1, End>();
  }
}

/// The chosen mask: every combination for up to 4 arguments; beyond that (3^n instantiations
/// would slow builds) every position in the same form: 0, then 1, then 2.
template <class F, class Tuple>
constexpr std::size_t choose_mask() {
  constexpr std::size_t n = std::tuple_size_v<Tuple>;
  if constexpr (n <= 4) {
    return first_mask_from<F, Tuple, 0, pow3(n)>();
  } else {
    constexpr std::size_t all_twos = pow3(n) - 1;
    constexpr std::size_t all_ones = all_twos / 2;
    constexpr std::size_t zeros = first_mask_from<F, Tuple, 0, 1>();
    if constexpr (zeros != kNoMask) {
      return zeros;
    } else {
      constexpr std::size_t ones = first_mask_from<F, Tuple, all_ones, all_ones + 1>();
      if constexpr (ones != kNoMask) {
        return ones;
      } else {
        return first_mask_from<F, Tuple, all_twos, all_twos + 1>();
      }
    }
  }
}

template <class F, class Tuple, std::size_t Mask,
          class Seq = std::make_index_sequence<std::tuple_size_v<Tuple>>>
struct CallTraits;
template <class F, class... S, std::size_t Mask, std::size_t... I>
struct CallTraits<F, std::tuple<S...>, Mask, std::index_sequence<I...>> {
  template <std::size_t J>
  using Form = ArgForm<std::tuple_element_t<J, std::tuple<S...>>, kFormAt<Mask, sizeof...(S), J>>;
  using raw_result = std::invoke_result_t<F&, typename Form<I>::type...>;
  using result = std::remove_cvref_t<raw_result>;
  static constexpr std::array<bool, sizeof...(S)> dependency = {Form<I>::is_dependency...};
  static constexpr std::size_t num_deps = (std::size_t{0} + ... + (Form<I>::is_dependency ? 1 : 0));

  static decltype(auto) call(F& f, std::tuple<S...>& args) {
    return std::invoke(f, Form<I>::get(std::get<I>(args))...);
  }
};

/// The stored form of an argument: by value, `std::ref` kept as a reference.
template <class A>
using StoredArg = std::decay_t<A>;

template <class F, class... Args>
struct DelayedCall {
  using Tuple = std::tuple<StoredArg<Args>...>;
  static constexpr std::size_t mask = choose_mask<F, Tuple>();
  static_assert(mask != kNoMask,
                "loom::delayed(f)(args...): f cannot be called with these arguments (a "
                "Delayed<U> argument is passed as a const U&, a copy of the U, or the handle; "
                "other arguments as rvalues or lvalues of their decayed type)");
  using Traits = CallTraits<F, Tuple, mask>;
  using Result = typename Traits::result;
};

template <class Result, class F, class Tuple, std::size_t Mask>
class CallNode;

template <class Result, class F, class... S, std::size_t Mask>
class CallNode<Result, F, std::tuple<S...>, Mask> final : public ValueNode<Result> {
  using Traits = CallTraits<F, std::tuple<S...>, Mask>;
  static constexpr std::size_t kDeps = Traits::num_deps;

 public:
  template <class FF, class... A>
  CallNode(std::string name, FF&& f, A&&... args) : ValueNode<Result>(std::move(name)) {
    inputs_.emplace(std::piecewise_construct, std::forward_as_tuple(std::forward<FF>(f)),
                    std::forward_as_tuple(std::forward<A>(args)...));
    if constexpr (kDeps > 0) {
      collect_deps(std::make_index_sequence<sizeof...(S)>{});
      for (auto& edge : edges_) edge.successor = this;
      this->set_deps(deps_.data(), edges_.data(), static_cast<std::uint32_t>(kDeps));
    }
  }

  [[nodiscard]] const std::string& result_type() const noexcept override {
    return type_name<Result>();
  }

 protected:
  void invoke() override {
    auto& [f, args] = *inputs_;
    if constexpr (std::is_void_v<Result>) {
      Traits::call(f, args);
    } else {
      this->value_.emplace(Traits::call(f, args));
    }
  }

  void release_inputs() noexcept override {
    this->set_deps(nullptr, nullptr, 0);
    inputs_.reset();
  }

 private:
  template <std::size_t... I>
  void collect_deps(std::index_sequence<I...> /*unused*/) {
    auto& args = inputs_->second;
    std::size_t k = 0;
    (
        [&] {
          if constexpr (Traits::dependency[I]) {
            NodeBase* dep = DelayedAccess::node(std::get<I>(args));
            if (dep == nullptr) throw_empty_argument(I);
            deps_[k++] = dep;
          }
        }(),
        ...);
  }

  std::optional<std::pair<F, std::tuple<S...>>> inputs_;
  std::array<NodeBase*, kDeps> deps_{};
  std::array<Edge, kDeps> edges_{};
};

}  // namespace loom::detail
