#pragma once
// rechunk and transpose. Nodes evaluate by global position, so rechunking only changes how the
// work is split (no data moves, no memory beyond a run per thread); a transpose gathers its
// runs from the input (in place when the input is in memory).

#include <cstdint>
#include <memory>
#include <numeric>
#include <vector>

#include "loom/array/array.hpp"
#include "loom/array/detail/rechunk_node.hpp"

namespace loom::array {

/// The same values cut into other chunks (`{-1, 1000}` etc., as at creation).
template <Element Scalar>
[[nodiscard]] Array<Scalar> rechunk(const Array<Scalar>& a,
                                    const std::vector<std::int64_t>& chunks) {
  Chunks c = normalize_chunks(a.shape(), chunks, sizeof(Scalar));
  return detail::make_array<Scalar>(
      std::make_shared<detail::RechunkNode<Scalar>>(detail::node_of(a), std::move(c)));
}

/// The same values cut into explicit chunks: per axis, the list of chunk lengths (Dask's tuple
/// of tuples, irregular allowed: `{{300, 300, 403}, {997}}`); ShapeError when an axis's lengths
/// do not add up to its extent.
template <Element Scalar>
[[nodiscard]] Array<Scalar> rechunk(const Array<Scalar>& a,
                                    const std::vector<std::vector<std::int64_t>>& chunks) {
  Chunks c = detail::explicit_chunks(a.shape(), chunks);
  return detail::make_array<Scalar>(
      std::make_shared<detail::RechunkNode<Scalar>>(detail::node_of(a), std::move(c)));
}

/// Axes reversed (numpy's .T), or permuted: output axis i is input axis axes[i].
template <Element Scalar>
[[nodiscard]] Array<Scalar> transpose(const Array<Scalar>& a, std::vector<std::size_t> axes = {}) {
  const std::size_t ndim = a.ndim();
  if (axes.empty()) {
    axes.resize(ndim);
    std::iota(axes.rbegin(), axes.rend(), std::size_t{0});
  }
  std::vector<bool> seen(ndim, false);
  if (axes.size() != ndim) throw ShapeError("transpose: the axes are not a permutation");
  for (std::size_t x : axes) {
    if (x >= ndim || seen[x]) throw ShapeError("transpose: the axes are not a permutation");
    seen[x] = true;
  }
  std::vector<std::int64_t> extents(ndim);
  std::vector<std::vector<std::int64_t>> per_axis(ndim);
  for (std::size_t i = 0; i < ndim; ++i) {
    extents[i] = a.shape()[axes[i]];
    per_axis[i] = a.chunks().axis(axes[i]);
  }
  bool identity = true;
  for (std::size_t i = 0; i < ndim; ++i) identity = identity && axes[i] == i;
  if (identity) return a;
  return detail::make_array<Scalar>(std::make_shared<detail::TransposeNode<Scalar>>(
      detail::node_of(a), std::move(axes), Shape(std::move(extents)), Chunks(std::move(per_axis))));
}

}  // namespace loom::array
