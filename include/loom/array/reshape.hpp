#pragma once
// reshape: the same values, row-major, in another shape (numpy.reshape). A node maps each run
// of the result to the input's runs (a run may span several input rows), so any chunking of
// the input works and nothing is copied ahead. The result keeps the input's chunks when only
// axes of length 1 come or go, and the leading axes the two shapes share; the rest is cut
// into chunks about as large as the input's.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "loom/array/array.hpp"
#include "loom/array/detail/reshape_node.hpp"

namespace loom::array {

template <Element Scalar>
[[nodiscard]] Array<Scalar> reshape(const Array<Scalar>& a,
                                    const std::vector<std::int64_t>& shape) {
  detail::ReshapeGeometry g =
      detail::reshape_geometry(a.shape(), a.chunks(), shape, sizeof(Scalar));
  if (g.shape == a.shape()) return a;
  return detail::make_array<Scalar>(std::make_shared<detail::ReshapeNode<Scalar>>(
      detail::node_of(a), std::move(g.shape), std::move(g.chunks)));
}

template <Element Scalar>
Array<Scalar> Array<Scalar>::reshape(const std::vector<std::int64_t>& shape) const {
  return array::reshape(*this, shape);
}

}  // namespace loom::array
