#pragma once
// The engine of element-wise expressions (private to loom): binary, scalar, unary and where
// nodes, fused run by run into their consumer, and the casts between element types. The public
// operators and functions are in elementwise.hpp.

#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <type_traits>

#include <fmt/format.h>

#include "loom/array/array.hpp"
#include "loom/array/creation.hpp"
#include "loom/array/detail/broadcast.hpp"

namespace loom::array::detail {

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

template <class Scalar>
class WhereNode final : public Node<Scalar> {
 public:
  WhereNode(NodePtr<bool> c, NodePtr<Scalar> a, NodePtr<Scalar> b, Chunks chunks)
      : Node<Scalar>(a->shape(), std::move(chunks)),
        c_(std::move(c)),
        a_(std::move(a)),
        b_(std::move(b)) {}
  void eval(const std::int64_t* start, std::int64_t n, Scalar* out) const override {
    bool cb[kTile];
    Scalar xb[kTile];
    Scalar yb[kTile];
    const bool* c = c_->values(start, n, cb);
    const Scalar* x = a_->values(start, n, xb);
    const Scalar* y = b_->values(start, n, yb);
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
  NodePtr<Scalar> a_;
  NodePtr<Scalar> b_;
};

[[noreturn]] void throw_shape_mismatch(const char* what, const Shape& a, const Shape& b);
/// NumPy refuses integers to negative integer powers.
[[noreturn]] void throw_negative_power();

template <class R, class T, class Op>
Array<R> with_scalar(const Array<T>& a, T s, Op op) {
  return detail::make_array<R>(
      std::make_shared<ScalarNode<R, T, Op, false>>(detail::node_of(a), s, op));
}
template <class R, class T, class Op>
Array<R> scalar_with(T s, const Array<T>& a, Op op) {
  return detail::make_array<R>(
      std::make_shared<ScalarNode<R, T, Op, true>>(detail::node_of(a), s, op));
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
  template <class Scalar>
  Scalar operator()(Scalar x, Scalar y) const {
    if constexpr (std::is_same_v<Scalar, bool>) {
      return x || !y;
    } else if constexpr (std::is_integral_v<Scalar>) {
      if (y < 0) throw_negative_power();
      Scalar r = 1;  // by squaring, wrapping on overflow as NumPy's integers do
      using U = std::make_unsigned_t<Scalar>;
      U base = static_cast<U>(x);
      U acc = 1;
      for (U e = static_cast<U>(y); e != 0; e >>= 1) {
        if ((e & 1U) != 0) acc *= base;
        base *= base;
      }
      r = static_cast<Scalar>(acc);
      return r;
    } else {
      return y == Scalar(2) ? x * x : std::pow(x, y);
    }
  }
};

}  // namespace loom::array::detail
