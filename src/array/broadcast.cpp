#include "loom/array/detail/broadcast.hpp"

#include <fmt/format.h>

#include "loom/core/error.hpp"

namespace loom::array::detail {

Shape broadcast_shapes(const char* what, const Shape& a, const Shape& b) {
  const std::size_t ndim = std::max(a.size(), b.size());
  if (ndim > BroadcastNode<double>::kMaxAxes) {
    throw ShapeError(fmt::format("{}: shapes {} and {} have more than {} axes", what, a.str(),
                                 b.str(), BroadcastNode<double>::kMaxAxes));
  }
  std::vector<std::int64_t> extents(ndim);
  for (std::size_t k = 0; k < ndim; ++k) {  // k-th axis from the end
    const std::int64_t x = k < a.size() ? a[a.size() - 1 - k] : 1;
    const std::int64_t y = k < b.size() ? b[b.size() - 1 - k] : 1;
    if (x != y && x != 1 && y != 1) {
      throw ShapeError(
          fmt::format("{}: shapes {} and {} do not broadcast (axis {} from the end: {} and {})",
                      what, a.str(), b.str(), k, x, y));
    }
    extents[ndim - 1 - k] = x == 1 ? y : x;
  }
  return Shape(std::move(extents));
}

Chunks broadcast_chunks(const Shape& shape, const std::vector<const Chunks*>& from) {
  const std::size_t ndim = shape.size();
  std::vector<std::vector<std::int64_t>> per_axis(ndim);
  for (std::size_t a = 0; a < ndim; ++a) {
    for (const Chunks* c : from) {
      if (c->ndim() + a < ndim) continue;  // the operand has no such axis
      const std::size_t own = a - (ndim - c->ndim());
      if (c->shape()[own] == shape[a]) {
        per_axis[a] = c->axis(own);
        break;
      }
    }
    if (per_axis[a].empty()) per_axis[a] = {shape[a]};  // every operand is stretched here
  }
  return Chunks(std::move(per_axis));
}

}  // namespace loom::array::detail
