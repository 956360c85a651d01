#pragma once
// Matrix products of chunked arrays: output chunk (i, j) is the sum over the shared axis's
// chunks k of Eigen GEMMs of the operands' blocks (i, k) and (k, j), each block evaluated into
// a dense matrix first. Output chunks are computed in parallel, once.

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include <fmt/format.h>
#include <Eigen/Core>

#include "loom/array/array.hpp"
#include "loom/array/detail/dot_node.hpp"
#include "loom/array/detail/materialized.hpp"
#include "loom/array/rechunk.hpp"
#include "loom/array/reshape.hpp"
#include "loom/core/ndarray.hpp"

namespace loom::array {

/// The matrix product of two 2-d arrays (numpy.dot / matmul for 2-d).
template <Element Scalar>
requires(!std::is_same_v<Scalar, bool>)
    [[nodiscard]] Array<Scalar> dot(const Array<Scalar>& a, const Array<Scalar>& b) {
  if (a.ndim() != 2 || b.ndim() != 2 || a.shape()[1] != b.shape()[0]) {
    throw ShapeError(fmt::format("dot: shapes {} and {} do not fit (2-d, inner extents equal)",
                                 a.shape().str(), b.shape().str()));
  }
  return detail::make_array<Scalar>(
      std::make_shared<detail::DotNode<Scalar>>(detail::node_of(a), detail::node_of(b)));
}
template <Element Scalar>
requires(!std::is_same_v<Scalar, bool>)
    [[nodiscard]] Array<Scalar> matmul(const Array<Scalar>& a, const Array<Scalar>& b) {
  return dot(a, b);
}

namespace detail {
/// The permutations and extents of a tensordot: the free axes of a then its contracted ones,
/// the contracted axes of b then its free ones; loom::ShapeError for axes that do not pair up.
struct TensordotPlan {
  std::vector<std::size_t> perm_a;
  std::vector<std::size_t> perm_b;
  std::int64_t m = 1;  // free elements of a
  std::int64_t k = 1;  // contracted elements
  std::int64_t n = 1;  // free elements of b
  std::vector<std::int64_t> result;
};
TensordotPlan tensordot_plan(const Shape& a, const Shape& b, const std::vector<int>& a_axes,
                             const std::vector<int>& b_axes);
}  // namespace detail

/// The sum of products over axes `a_axes` of a paired with `b_axes` of b (numpy.tensordot with
/// axes=(a_axes, b_axes)): the arrays are transposed and reshaped to matrices, multiplied as
/// blocked GEMMs and reshaped to a's free axes followed by b's.
template <Element Scalar>
requires(!std::is_same_v<Scalar, bool>)
    [[nodiscard]] Array<Scalar> tensordot(const Array<Scalar>& a, const Array<Scalar>& b,
                                          const std::vector<int>& a_axes,
                                          const std::vector<int>& b_axes) {
  const detail::TensordotPlan p = detail::tensordot_plan(a.shape(), b.shape(), a_axes, b_axes);
  const Array<Scalar> x = transpose(a, p.perm_a).reshape({p.m, p.k});
  const Array<Scalar> y = transpose(b, p.perm_b).reshape({p.k, p.n});
  return dot(x, y).reshape(p.result);
}
/// The last `axes` axes of a with the first `axes` of b (numpy.tensordot(a, b, axes)).
template <Element Scalar>
requires(!std::is_same_v<Scalar, bool>)
    [[nodiscard]] Array<Scalar> tensordot(const Array<Scalar>& a, const Array<Scalar>& b,
                                          int axes = 2) {
  if (axes < 0 || static_cast<std::size_t>(axes) > std::min(a.ndim(), b.ndim())) {
    throw ShapeError(fmt::format("tensordot: {} axes for shapes {} and {}", axes, a.shape().str(),
                                 b.shape().str()));
  }
  std::vector<int> a_axes;
  std::vector<int> b_axes;
  for (int i = 0; i < axes; ++i) {
    a_axes.push_back(static_cast<int>(a.ndim()) - axes + i);
    b_axes.push_back(i);
  }
  return tensordot(a, b, a_axes, b_axes);
}

template <Element Scalar>
Array<Scalar> Array<Scalar>::rechunk(const std::vector<std::int64_t>& chunks) const {
  return array::rechunk(*this, chunks);
}

template <Element Scalar>
Array<Scalar> Array<Scalar>::rechunk(const std::vector<std::vector<std::int64_t>>& chunks) const {
  return array::rechunk(*this, chunks);
}

template <Element Scalar>
Array<Scalar> Array<Scalar>::T() const {
  return array::transpose(*this);
}

template <Element Scalar>
Array<Scalar> Array<Scalar>::transpose(std::vector<std::size_t> axes) const {
  return array::transpose(*this, std::move(axes));
}

template <Element Scalar>
Array<Scalar> Array<Scalar>::dot(const Array& other) const {
  return array::dot(*this, other);
}

}  // namespace loom::array
