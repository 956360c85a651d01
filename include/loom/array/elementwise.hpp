#pragma once
// Element-wise arithmetic, functions and comparisons on chunked arrays. Each makes a node that
// evaluates its operands run by run into small buffers: a chain is fused, whatever its length.
// Operands broadcast as in NumPy and their element types promote as NumPy's do (promote_t;
// a C++ scalar acts as a Python scalar: scalar_promote_t); `/` is true division.

#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <type_traits>

#include <fmt/format.h>

#include "loom/array/array.hpp"
#include "loom/array/creation.hpp"
#include "loom/array/detail/broadcast.hpp"

namespace loom::array {

namespace detail {

template <class R, class T, class Op>
class BinaryNode final : public Node<R> {
 public:
  BinaryNode(NodePtr<T> a, NodePtr<T> b, Chunks chunks, Op op)
      : Node<R>(a->shape(), std::move(chunks)), a_(std::move(a)), b_(std::move(b)), op_(op) {}
  void eval(const std::int64_t* start, std::int64_t n, R* out) const override {
    T xb[kTile];
    T yb[kTile];
    const T* x = a_->values(start, n, xb);
    const T* y = b_->values(start, n, yb);
    const Op op = op_;
    for (std::int64_t i = 0; i < n; ++i) out[i] = static_cast<R>(op(x[i], y[i]));
  }
  void prepare() const override {
    a_->prepare();
    b_->prepare();
  }
  [[nodiscard]] const char* kind() const noexcept override { return "elementwise"; }
  [[nodiscard]] std::vector<const NodeBase*> inputs() const override {
    return {a_.get(), b_.get()};
  }
  [[nodiscard]] std::int64_t tasks() const override {
    return a_->tasks() + b_->tasks() + this->chunks().npartitions();
  }

 private:
  NodePtr<T> a_;
  NodePtr<T> b_;
  Op op_;
};

/// op(x, scalar) or op(scalar, x).
template <class R, class T, class Op, bool ScalarFirst>
class ScalarNode final : public OneInputNode<R, T> {
 public:
  ScalarNode(NodePtr<T> a, T scalar, Op op)
      : OneInputNode<R, T>(a, a->shape(), a->chunks(), "elementwise"), scalar_(scalar), op_(op) {}
  [[nodiscard]] double sum_run(const std::int64_t* start, std::int64_t n,
                               R* buffer) const override {
    if constexpr (std::is_same_v<R, T>) {  // the op fused with the sum: one loop
      const T* x = this->input_->values(start, n, buffer);
      const T s = scalar_;
      const Op op = op_;
      return sum_lanes(n, [&](std::int64_t i) {
        if constexpr (ScalarFirst) {
          return static_cast<R>(op(s, x[i]));
        } else {
          return static_cast<R>(op(x[i], s));
        }
      });
    } else {
      return Node<R>::sum_run(start, n, buffer);
    }
  }
  void eval(const std::int64_t* start, std::int64_t n, R* out) const override {
    T xb[kTile];
    const T* x = this->input_->values(start, n, xb);
    const T s = scalar_;  // locals: the loop then vectorizes (no aliasing with `out`)
    const Op op = op_;
    for (std::int64_t i = 0; i < n; ++i) {
      if constexpr (ScalarFirst) {
        out[i] = static_cast<R>(op(s, x[i]));
      } else {
        out[i] = static_cast<R>(op(x[i], s));
      }
    }
  }

 private:
  T scalar_;
  Op op_;
};

/// Sum of f(i) for i < n as doubles, in 8 interleaved lanes (see sum_as_double).
template <class F>
double sum_lanes(std::int64_t n, F f) {
  double lanes[8] = {};
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int k = 0; k < 8; ++k) lanes[k] += static_cast<double>(f(i + k));
  }
  double t = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) +
             ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
  for (; i < n; ++i) t += static_cast<double>(f(i));
  return t;
}

template <class R, class T, class Op>
class UnaryNode final : public OneInputNode<R, T> {
 public:
  UnaryNode(NodePtr<T> a, Op op)
      : OneInputNode<R, T>(a, a->shape(), a->chunks(), "elementwise"), op_(op) {}
  [[nodiscard]] double sum_run(const std::int64_t* start, std::int64_t n,
                               R* buffer) const override {
    if constexpr (std::is_same_v<R, T>) {  // the op fused with the sum: one loop
      const T* x = this->input_->values(start, n, buffer);
      const Op op = op_;
      return sum_lanes(n, [&](std::int64_t i) { return static_cast<R>(op(x[i])); });
    } else {
      return Node<R>::sum_run(start, n, buffer);
    }
  }
  void eval(const std::int64_t* start, std::int64_t n, R* out) const override {
    const Op op = op_;
    if constexpr (std::is_same_v<R, T>) {
      const T* x = this->input_->values(start, n, out);  // evaluated in place when not in memory
      for (std::int64_t i = 0; i < n; ++i) out[i] = op(x[i]);
    } else {
      T xb[kTile];
      const T* x = this->input_->values(start, n, xb);
      for (std::int64_t i = 0; i < n; ++i) out[i] = static_cast<R>(op(x[i]));
    }
  }

 private:
  Op op_;
};

template <class T>
class WhereNode final : public Node<T> {
 public:
  WhereNode(NodePtr<bool> c, NodePtr<T> a, NodePtr<T> b, Chunks chunks)
      : Node<T>(a->shape(), std::move(chunks)),
        c_(std::move(c)),
        a_(std::move(a)),
        b_(std::move(b)) {}
  void eval(const std::int64_t* start, std::int64_t n, T* out) const override {
    bool cb[kTile];
    T xb[kTile];
    T yb[kTile];
    const bool* c = c_->values(start, n, cb);
    const T* x = a_->values(start, n, xb);
    const T* y = b_->values(start, n, yb);
    for (std::int64_t i = 0; i < n; ++i) out[i] = c[i] ? x[i] : y[i];
  }
  void prepare() const override {
    c_->prepare();
    a_->prepare();
    b_->prepare();
  }
  [[nodiscard]] const char* kind() const noexcept override { return "where"; }
  [[nodiscard]] std::vector<const NodeBase*> inputs() const override {
    return {c_.get(), a_.get(), b_.get()};
  }
  [[nodiscard]] std::int64_t tasks() const override {
    return c_->tasks() + a_->tasks() + b_->tasks() + this->chunks().npartitions();
  }

 private:
  NodePtr<bool> c_;
  NodePtr<T> a_;
  NodePtr<T> b_;
};

[[noreturn]] void throw_shape_mismatch(const char* what, const Shape& a, const Shape& b);
/// NumPy refuses integers to negative integer powers.
[[noreturn]] void throw_negative_power();

template <class R, class T, class Op>
Array<R> with_scalar(const Array<T>& a, T s, Op op) {
  return detail::make_array<R>(std::make_shared<ScalarNode<R, T, Op, false>>(detail::node_of(a), s, op));
}
template <class R, class T, class Op>
Array<R> scalar_with(T s, const Array<T>& a, Op op) {
  return detail::make_array<R>(std::make_shared<ScalarNode<R, T, Op, true>>(detail::node_of(a), s, op));
}
template <class R, class T, class Op>
Array<R> unary(const Array<T>& a, Op op) {
  return detail::make_array<R>(std::make_shared<UnaryNode<R, T, Op>>(detail::node_of(a), op));
}
/// `a` as element type C (itself when it already is).
template <class C, class T>
Array<C> cast(const Array<T>& a) {
  if constexpr (std::is_same_v<C, T>) {
    return a;
  } else {
    return unary<C>(a, [](T x) { return static_cast<C>(x); });
  }
}
/// op of two arrays, both converted to C and broadcast to their common shape; R is the result.
template <class R, class C, class A, class B, class Op>
Array<R> binary(const char* what, const Array<A>& a, const Array<B>& b, Op op) {
  const Shape shape = broadcast_shapes(what, a.shape(), b.shape());
  Chunks chunks = broadcast_chunks(shape, {&a.chunks(), &b.chunks()});
  NodePtr<C> x = broadcast_node(detail::node_of(cast<C>(a)), shape, chunks);
  NodePtr<C> y = broadcast_node(detail::node_of(cast<C>(b)), shape, chunks);
  return detail::make_array<R>(
      std::make_shared<BinaryNode<R, C, Op>>(std::move(x), std::move(y), std::move(chunks), op));
}

struct Pow {
  template <class T>
  T operator()(T x, T y) const {
    if constexpr (std::is_same_v<T, bool>) {
      return x || !y;
    } else if constexpr (std::is_integral_v<T>) {
      if (y < 0) throw_negative_power();
      T r = 1;  // by squaring, wrapping on overflow as NumPy's integers do
      using U = std::make_unsigned_t<T>;
      U base = static_cast<U>(x);
      U acc = 1;
      for (U e = static_cast<U>(y); e != 0; e >>= 1) {
        if ((e & 1U) != 0) acc *= base;
        base *= base;
      }
      r = static_cast<T>(acc);
      return r;
    } else {
      return y == T(2) ? x * x : std::pow(x, y);
    }
  }
};

}  // namespace detail

/// A C++ number used as an operand (it acts as a Python scalar does in NumPy).
template <class S>
concept Number = std::is_arithmetic_v<S>;

/// `a` converted to element type U.
template <Element E>
template <Element U>
Array<U> Array<E>::astype() const {
  return detail::cast<U>(*this);
}

// Each operator for array-array, array-scalar and scalar-array, with NumPy's promotion; Cmp:
// a comparison (the result is bool), Div: true division.
#define LOOM_ARRAY_OPERATOR(op, functor, name, Cmp, Div)                                         \
  template <Element A, Element B>                                                                \
  [[nodiscard]] auto operator op(const Array<A>& a, const Array<B>& b) {                         \
    using C = std::conditional_t<Div, true_divide_t<promote_t<A, B>>, promote_t<A, B>>;          \
    return detail::binary<std::conditional_t<Cmp, bool, C>, C>(name, a, b, functor{});           \
  }                                                                                              \
  template <Element T, Number S>                                                                 \
  [[nodiscard]] auto operator op(const Array<T>& a, S s) {                                       \
    using C =                                                                                    \
        std::conditional_t<Div, true_divide_t<scalar_promote_t<T, S>>, scalar_promote_t<T, S>>;  \
    return detail::with_scalar<std::conditional_t<Cmp, bool, C>>(detail::cast<C>(a),             \
                                                                 static_cast<C>(s), functor{});  \
  }                                                                                              \
  template <Element T, Number S>                                                                 \
  [[nodiscard]] auto operator op(S s, const Array<T>& a) {                                       \
    using C =                                                                                    \
        std::conditional_t<Div, true_divide_t<scalar_promote_t<T, S>>, scalar_promote_t<T, S>>;  \
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

template <Element T>
[[nodiscard]] Array<T> operator-(const Array<T>& a) {
  return detail::unary<T>(a, [](T x) { return static_cast<T>(-x); });
}

template <Element T, Number S>
[[nodiscard]] auto pow(const Array<T>& a, S exponent) {
  using C = scalar_promote_t<T, S>;
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
template <Element T>
[[nodiscard]] Array<mean_type<T>> exp(const Array<T>& a) {
  using C = mean_type<T>;
  return detail::unary<C>(detail::cast<C>(a), [](C x) { return std::exp(x); });
}
template <Element T>
[[nodiscard]] Array<mean_type<T>> log(const Array<T>& a) {
  using C = mean_type<T>;
  return detail::unary<C>(detail::cast<C>(a), [](C x) { return std::log(x); });
}
template <Element T>
[[nodiscard]] Array<mean_type<T>> sqrt(const Array<T>& a) {
  using C = mean_type<T>;
  return detail::unary<C>(detail::cast<C>(a), [](C x) { return std::sqrt(x); });
}
template <Element T>
[[nodiscard]] Array<T> abs(const Array<T>& a) {
  return detail::unary<T>(a, [](T x) { return x < T(0) ? static_cast<T>(-x) : x; });
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
      detail::broadcast_node(detail::node_of(detail::cast<C>(b)), shape, chunks), std::move(chunks)));
}
template <Element T, Number S>
[[nodiscard]] auto where(const Array<bool>& condition, const Array<T>& a, S b) {
  using C = scalar_promote_t<T, S>;
  return where(condition, detail::cast<C>(a), full<C>(Shape{}, static_cast<C>(b)));
}
template <Element T, Number S>
[[nodiscard]] auto where(const Array<bool>& condition, S a, const Array<T>& b) {
  using C = scalar_promote_t<T, S>;
  return where(condition, full<C>(Shape{}, static_cast<C>(a)), detail::cast<C>(b));
}

/// `a` stretched to `shape` (numpy.broadcast_to); loom::ShapeError when it does not broadcast.
template <Element T>
[[nodiscard]] Array<T> broadcast_to(const Array<T>& a, const Shape& shape) {
  if (detail::broadcast_shapes("broadcast_to", a.shape(), shape) != shape) {
    detail::throw_shape_mismatch("broadcast_to", a.shape(), shape);
  }
  const Chunks chunks = detail::broadcast_chunks(shape, {&a.chunks()});
  return detail::make_array<T>(detail::broadcast_node(detail::node_of(a), shape, chunks));
}

}  // namespace loom::array
