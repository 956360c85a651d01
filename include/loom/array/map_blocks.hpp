#pragma once
// map_blocks: a function applied to every block (dask's map_blocks). Each block of the input
// is evaluated into an NDArray and handed to f, in parallel; f returns the block's new values
// (any element type, the block's shape). The results are kept, as a matrix product's are, so
// that later steps read them in place.
//
//   auto y = x.map_blocks([](const loom::NDArray<double>& b) { return normalize(b); });

#include <cstdint>
#include <memory>
#include <mutex>
#include <type_traits>
#include <utility>

#include <fmt/format.h>

#include "loom/array/array.hpp"
#include "loom/array/detail/map_blocks_node.hpp"
#include "loom/array/detail/materialized.hpp"

namespace loom::array {

/// f applied to each block of `a` (dask.array.map_blocks); f takes a `const NDArray<T>&` and
/// returns an NDArray<R> of the block's shape, else loom::ShapeError names the block.
template <class F, Element Scalar>
[[nodiscard]] auto map_blocks(F f, const Array<Scalar>& a) {
  using Out = detail::block_result_t<F, Scalar>;
  using R = typename Out::value_type;
  static_assert(Element<R>, "map_blocks: f must return an NDArray of a chunked-array dtype");
  return detail::make_array<R>(
      std::make_shared<detail::MapBlocksNode<R, Scalar, F>>(detail::node_of(a), std::move(f)));
}

template <Element Scalar>
template <class F>
auto Array<Scalar>::map_blocks(F f) const {
  return array::map_blocks(std::move(f), *this);
}

}  // namespace loom::array
