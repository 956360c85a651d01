#pragma once
// Basic and integer indexing of chunked arrays: `x(da::slice(0, 100), da::all)`, `x(5)`,
// `x(std::vector<std::int64_t>{3, 0, 3})` (see loom/array/index.hpp). The result is lazy: a node
// that maps each of its positions to the input's, reading runs in place when it can. Its
// chunks follow the input's (each input chunk keeps what the slice selects of it); a list of
// positions that would gather more than `array.chunk-size` into one chunk is split when
// `array.slicing.split_large_chunks` is true (the default).

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "loom/array/array.hpp"
#include "loom/array/detail/slice_node.hpp"
#include "loom/array/index.hpp"

namespace loom::array {

template <Element Scalar>
Array<Scalar> Array<Scalar>::at(const std::vector<Index>& index) const {
  if (index.empty()) return *this;
  detail::SliceGeometry g = detail::slice_geometry(shape(), chunks(), index, sizeof(Scalar));
  return detail::make_array<Scalar>(
      std::make_shared<detail::SliceNode<Scalar>>(node(), std::move(g)));
}

}  // namespace loom::array
