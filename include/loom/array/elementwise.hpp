#pragma once
// Element-wise arithmetic, functions and comparisons on chunked arrays. Each makes a node that
// evaluates its operands run by run into small buffers: a chain is fused, whatever its length.
// (Operands of one shape and element type, or an array and a scalar; broadcasting and type
// promotion are to come.)

#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <type_traits>

#include <fmt/format.h>

#include "loom/array/array.hpp"

namespace loom::array {

namespace detail {

template <class R, class T, class Op>
class BinaryNode final : public Node<R> {
 public:
  BinaryNode(NodePtr<T> a, NodePtr<T> b, Op op)
      : Node<R>(a->shape(), a->chunks()), a_(std::move(a)), b_(std::move(b)), op_(op) {}
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

template <class R, class T, class Op>
class UnaryNode final : public OneInputNode<R, T> {
 public:
  UnaryNode(NodePtr<T> a, Op op)
      : OneInputNode<R, T>(a, a->shape(), a->chunks(), "elementwise"), op_(op) {}
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
  WhereNode(NodePtr<bool> c, NodePtr<T> a, NodePtr<T> b)
      : Node<T>(a->shape(), a->chunks()), c_(std::move(c)), a_(std::move(a)), b_(std::move(b)) {}
  void eval(const std::int64_t* start, std::int64_t n, T* out) const override {
    bool c[kTile];
    T y[kTile];
    c_->eval(start, n, c);
    a_->eval(start, n, out);
    b_->eval(start, n, y);
    for (std::int64_t i = 0; i < n; ++i) out[i] = c[i] ? out[i] : y[i];
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

template <class R, class T, class Op>
Array<R> binary(const char* what, const Array<T>& a, const Array<T>& b, Op op) {
  if (a.shape() != b.shape()) throw_shape_mismatch(what, a.shape(), b.shape());
  return Array<R>(std::make_shared<BinaryNode<R, T, Op>>(a.node(), b.node(), op));
}
template <class R, class T, class Op>
Array<R> with_scalar(const Array<T>& a, T s, Op op) {
  return Array<R>(std::make_shared<ScalarNode<R, T, Op, false>>(a.node(), s, op));
}
template <class R, class T, class Op>
Array<R> scalar_with(T s, const Array<T>& a, Op op) {
  return Array<R>(std::make_shared<ScalarNode<R, T, Op, true>>(a.node(), s, op));
}
template <class R, class T, class Op>
Array<R> unary(const Array<T>& a, Op op) {
  return Array<R>(std::make_shared<UnaryNode<R, T, Op>>(a.node(), op));
}

struct Pow {
  template <class T>
  T operator()(T x, T y) const {
    if constexpr (std::is_integral_v<T>) {
      T r = 1;
      for (T k = 0; k < y; ++k) r *= x;
      return r;
    } else {
      return y == T(2) ? x * x : std::pow(x, y);
    }
  }
};

}  // namespace detail

template <class T>
using Scalar = std::type_identity_t<T>;

// Each operator for array-array, array-scalar and scalar-array; R is the result element type
// (T for arithmetic, bool for comparisons).
#define LOOM_ARRAY_OPERATOR(op, functor, name, R)                            \
  template <Element T>                                                       \
  [[nodiscard]] Array<R> operator op(const Array<T>& a, const Array<T>& b) { \
    return detail::binary<R>(name, a, b, functor{});                         \
  }                                                                          \
  template <Element T>                                                       \
  [[nodiscard]] Array<R> operator op(const Array<T>& a, Scalar<T> s) {       \
    return detail::with_scalar<R>(a, s, functor{});                          \
  }                                                                          \
  template <Element T>                                                       \
  [[nodiscard]] Array<R> operator op(Scalar<T> s, const Array<T>& a) {       \
    return detail::scalar_with<R>(s, a, functor{});                          \
  }
LOOM_ARRAY_OPERATOR(+, std::plus<>, "+", T)
LOOM_ARRAY_OPERATOR(-, std::minus<>, "-", T)
LOOM_ARRAY_OPERATOR(*, std::multiplies<>, "*", T)
LOOM_ARRAY_OPERATOR(/, std::divides<>, "/", T)
LOOM_ARRAY_OPERATOR(<, std::less<>, "<", bool)
LOOM_ARRAY_OPERATOR(<=, std::less_equal<>, "<=", bool)
LOOM_ARRAY_OPERATOR(>, std::greater<>, ">", bool)
LOOM_ARRAY_OPERATOR(>=, std::greater_equal<>, ">=", bool)
LOOM_ARRAY_OPERATOR(==, std::equal_to<>, "==", bool)
LOOM_ARRAY_OPERATOR(!=, std::not_equal_to<>, "!=", bool)
#undef LOOM_ARRAY_OPERATOR

template <Element T>
[[nodiscard]] Array<T> operator-(const Array<T>& a) {
  return detail::unary<T>(a, [](T x) { return static_cast<T>(-x); });
}

template <Element T>
[[nodiscard]] Array<T> pow(const Array<T>& a, Scalar<T> exponent) {
  if (exponent == T(2)) return detail::unary<T>(a, [](T x) { return static_cast<T>(x * x); });
  return detail::with_scalar<T>(a, exponent, detail::Pow{});
}
template <Element T>
[[nodiscard]] Array<T> pow(const Array<T>& a, const Array<T>& exponent) {
  return detail::binary<T>("pow", a, exponent, detail::Pow{});
}
template <Element T>
requires std::is_floating_point_v<T>
[[nodiscard]] Array<T> exp(const Array<T>& a) {
  return detail::unary<T>(a, [](T x) { return std::exp(x); });
}
template <Element T>
requires std::is_floating_point_v<T>
[[nodiscard]] Array<T> log(const Array<T>& a) {
  return detail::unary<T>(a, [](T x) { return std::log(x); });
}
template <Element T>
requires std::is_floating_point_v<T>
[[nodiscard]] Array<T> sqrt(const Array<T>& a) {
  return detail::unary<T>(a, [](T x) { return std::sqrt(x); });
}
template <Element T>
[[nodiscard]] Array<T> abs(const Array<T>& a) {
  return detail::unary<T>(a, [](T x) { return x < T(0) ? static_cast<T>(-x) : x; });
}
/// Elements of `a` where `condition`, else of `b` (numpy.where).
template <Element T>
[[nodiscard]] Array<T> where(const Array<bool>& condition, const Array<T>& a, const Array<T>& b) {
  if (a.shape() != b.shape()) detail::throw_shape_mismatch("where", a.shape(), b.shape());
  if (condition.shape() != a.shape()) {
    detail::throw_shape_mismatch("where", condition.shape(), a.shape());
  }
  return Array<T>(std::make_shared<detail::WhereNode<T>>(condition.node(), a.node(), b.node()));
}

}  // namespace loom::array
