#pragma once
// Element-wise arithmetic, functions and comparisons on chunked arrays. Each makes a node that
// evaluates its operands run by run into small buffers: a chain is fused, whatever its length.
// Operands broadcast as in NumPy and their element types promote as NumPy's do (promote_t;
// a C++ scalar acts as a Python scalar: scalar_promote_t); `/` is true division.

#include <cmath>
#include <cstdint>
#include <functional>
#include <type_traits>

#include "loom/array/array.hpp"
#include "loom/array/creation.hpp"
#include "loom/array/detail/broadcast.hpp"
#include "loom/array/detail/elementwise_nodes.hpp"

namespace loom::array {

/// A C++ number used as an operand (it acts as a Python scalar does in NumPy).
template <class S>
concept Number = std::is_arithmetic_v<S>;

/// `a` converted to element type U.
template <Element Scalar>
template <Element To>
Array<To> Array<Scalar>::astype() const {
  return detail::cast<To>(*this);
}

// Each operator for array-array, array-scalar and scalar-array, with NumPy's promotion; Cmp:
// a comparison (the result is bool), Div: true division.
#define LOOM_ARRAY_OPERATOR(op, functor, name, Cmp, Div)                                         \
  template <Element A, Element B>                                                                \
  [[nodiscard]] auto operator op(const Array<A>& a, const Array<B>& b) {                         \
    using C = std::conditional_t<Div, true_divide_t<promote_t<A, B>>, promote_t<A, B>>;          \
    return detail::binary<std::conditional_t<Cmp, bool, C>, C>(name, a, b, functor{});           \
  }                                                                                              \
  template <Element Scalar, Number S>                                                            \
  [[nodiscard]] auto operator op(const Array<Scalar>& a, S s) {                                  \
    using C = std::conditional_t<Div, true_divide_t<scalar_promote_t<Scalar, S>>,                \
                                 scalar_promote_t<Scalar, S>>;                                   \
    return detail::with_scalar<std::conditional_t<Cmp, bool, C>>(detail::cast<C>(a),             \
                                                                 static_cast<C>(s), functor{});  \
  }                                                                                              \
  template <Element Scalar, Number S>                                                            \
  [[nodiscard]] auto operator op(S s, const Array<Scalar>& a) {                                  \
    using C = std::conditional_t<Div, true_divide_t<scalar_promote_t<Scalar, S>>,                \
                                 scalar_promote_t<Scalar, S>>;                                   \
    return detail::scalar_with<std::conditional_t<Cmp, bool, C>>(static_cast<C>(s),              \
                                                                 detail::cast<C>(a), functor{}); \
  }
LOOM_ARRAY_OPERATOR(+, std::plus<>, "+", false, false)
LOOM_ARRAY_OPERATOR(-, std::minus<>, "-", false, false)
LOOM_ARRAY_OPERATOR(*, std::multiplies<>, "*", false, false)
LOOM_ARRAY_OPERATOR(/, std::divides<>, "/", false, true)
LOOM_ARRAY_OPERATOR(<, std::less<>, "<", true, false)
LOOM_ARRAY_OPERATOR(<=, std::less_equal<>, "<=", true, false)
LOOM_ARRAY_OPERATOR(>, std::greater<>, ">", true, false)
LOOM_ARRAY_OPERATOR(>=, std::greater_equal<>, ">=", true, false)
LOOM_ARRAY_OPERATOR(==, std::equal_to<>, "==", true, false)
LOOM_ARRAY_OPERATOR(!=, std::not_equal_to<>, "!=", true, false)
#undef LOOM_ARRAY_OPERATOR

// Logical operators of boolean arrays (masks), broadcasting.
[[nodiscard]] inline Array<bool> operator&(const Array<bool>& a, const Array<bool>& b) {
  return detail::binary<bool, bool>("&", a, b, std::logical_and<>{});
}
[[nodiscard]] inline Array<bool> operator|(const Array<bool>& a, const Array<bool>& b) {
  return detail::binary<bool, bool>("|", a, b, std::logical_or<>{});
}
[[nodiscard]] inline Array<bool> operator^(const Array<bool>& a, const Array<bool>& b) {
  return detail::binary<bool, bool>("^", a, b, std::not_equal_to<>{});
}
[[nodiscard]] inline Array<bool> operator~(const Array<bool>& a) {
  return detail::unary<bool>(a, [](bool x) { return !x; });
}

template <Element Scalar>
[[nodiscard]] Array<Scalar> operator-(const Array<Scalar>& a) {
  return detail::unary<Scalar>(a, [](Scalar x) { return static_cast<Scalar>(-x); });
}

template <Element Scalar, Number S>
[[nodiscard]] auto pow(const Array<Scalar>& a, S exponent) {
  using C = scalar_promote_t<Scalar, S>;
  if constexpr (std::is_integral_v<C> && !std::is_same_v<C, bool>) {
    if (exponent < S(0)) detail::throw_negative_power();
  }
  if (exponent == S(2))
    return detail::unary<C>(detail::cast<C>(a), [](C x) { return static_cast<C>(x * x); });
  return detail::with_scalar<C>(detail::cast<C>(a), static_cast<C>(exponent), detail::Pow{});
}
template <Element A, Element B>
[[nodiscard]] auto pow(const Array<A>& a, const Array<B>& exponent) {
  using C = promote_t<A, B>;
  return detail::binary<C, C>("pow", a, exponent, detail::Pow{});
}
// exp, log and sqrt of integers and bools are float64, of float32 float32 (as NumPy).
template <Element Scalar>
[[nodiscard]] Array<mean_type<Scalar>> exp(const Array<Scalar>& a) {
  using C = mean_type<Scalar>;
  return detail::unary<C>(detail::cast<C>(a), [](C x) { return std::exp(x); });
}
template <Element Scalar>
[[nodiscard]] Array<mean_type<Scalar>> log(const Array<Scalar>& a) {
  using C = mean_type<Scalar>;
  return detail::unary<C>(detail::cast<C>(a), [](C x) { return std::log(x); });
}
template <Element Scalar>
[[nodiscard]] Array<mean_type<Scalar>> sqrt(const Array<Scalar>& a) {
  using C = mean_type<Scalar>;
  return detail::unary<C>(detail::cast<C>(a), [](C x) { return std::sqrt(x); });
}
template <Element Scalar>
[[nodiscard]] Array<Scalar> abs(const Array<Scalar>& a) {
  return detail::unary<Scalar>(
      a, [](Scalar x) { return x < Scalar(0) ? static_cast<Scalar>(-x) : x; });
}

/// Elements of `a` where `condition`, else of `b` (numpy.where): the three broadcast together,
/// `a` and `b` promote; either may be a scalar.
template <Element A, Element B>
[[nodiscard]] Array<promote_t<A, B>> where(const Array<bool>& condition, const Array<A>& a,
                                           const Array<B>& b) {
  using C = promote_t<A, B>;
  const Shape shape = detail::broadcast_shapes(
      "where", condition.shape(), detail::broadcast_shapes("where", a.shape(), b.shape()));
  Chunks chunks = detail::broadcast_chunks(shape, {&a.chunks(), &b.chunks(), &condition.chunks()});
  return detail::make_array<C>(std::make_shared<detail::WhereNode<C>>(
      detail::broadcast_node(detail::node_of(condition), shape, chunks),
      detail::broadcast_node(detail::node_of(detail::cast<C>(a)), shape, chunks),
      detail::broadcast_node(detail::node_of(detail::cast<C>(b)), shape, chunks),
      std::move(chunks)));
}
template <Element Scalar, Number S>
[[nodiscard]] auto where(const Array<bool>& condition, const Array<Scalar>& a, S b) {
  using C = scalar_promote_t<Scalar, S>;
  return where(condition, detail::cast<C>(a), full<C>(Shape{}, static_cast<C>(b)));
}
template <Element Scalar, Number S>
[[nodiscard]] auto where(const Array<bool>& condition, S a, const Array<Scalar>& b) {
  using C = scalar_promote_t<Scalar, S>;
  return where(condition, full<C>(Shape{}, static_cast<C>(a)), detail::cast<C>(b));
}

/// `a` stretched to `shape` (numpy.broadcast_to); loom::ShapeError when it does not broadcast.
template <Element Scalar>
[[nodiscard]] Array<Scalar> broadcast_to(const Array<Scalar>& a, const Shape& shape) {
  if (detail::broadcast_shapes("broadcast_to", a.shape(), shape) != shape) {
    detail::throw_shape_mismatch("broadcast_to", a.shape(), shape);
  }
  const Chunks chunks = detail::broadcast_chunks(shape, {&a.chunks()});
  return detail::make_array<Scalar>(detail::broadcast_node(detail::node_of(a), shape, chunks));
}

}  // namespace loom::array
