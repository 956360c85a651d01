#pragma once
// concatenate and stack (numpy's): a node reads each run from the input that holds it; the
// chunks along the joined axis are the inputs' chunks one after another.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "loom/array/array.hpp"
#include "loom/array/detail/concat_node.hpp"
#include "loom/array/reshape.hpp"

namespace loom::array {

/// The arrays joined along an existing axis (numpy.concatenate); the other extents must match.
template <Element Scalar>
[[nodiscard]] Array<Scalar> concatenate(const std::vector<Array<Scalar>>& arrays, int axis = 0) {
  std::vector<const Chunks*> chunks;
  for (const auto& a : arrays) chunks.push_back(&a.chunks());
  detail::JoinGeometry g = detail::concatenate_geometry(chunks, axis);
  if (arrays.size() == 1) return arrays.front();
  std::vector<detail::NodePtr<Scalar>> nodes;
  for (const auto& a : arrays) nodes.push_back(detail::node_of(a));
  return detail::make_array<Scalar>(std::make_shared<detail::ConcatNode<Scalar>>(
      std::move(nodes), g.axis, std::move(g.shape), std::move(g.chunks)));
}

/// The arrays (of one shape) joined along a new axis (numpy.stack).
template <Element Scalar>
[[nodiscard]] Array<Scalar> stack(const std::vector<Array<Scalar>>& arrays, int axis = 0) {
  std::vector<Shape> shapes;
  for (const auto& a : arrays) shapes.push_back(a.shape());
  const std::size_t at = detail::stack_axis(shapes, axis);
  std::vector<Array<Scalar>> expanded;
  for (const auto& a : arrays) {
    std::vector<std::int64_t> e = a.shape().extents();
    e.insert(e.begin() + static_cast<std::ptrdiff_t>(at), 1);
    expanded.push_back(a.reshape(e));
  }
  return concatenate(expanded, static_cast<int>(at));
}

}  // namespace loom::array
