#pragma once
// Walking the blocks of a chunked array as runs along the last axis, and running blocks in
// parallel on loom's pool.

#include <algorithm>
#include <cstdint>
#include <vector>

#include "loom/array/chunks.hpp"
#include "loom/array/detail/node.hpp"
#include "loom/core/detail/parallel_blocks.hpp"

namespace loom::array::detail {

using loom::detail::parallel_blocks;  // blocks in parallel on loom's pool

/// Calls f(start, n) for every run of block `flat_block`: runs lie along the last axis and hold
/// at most kTile elements; `start` is the global index of the run's first element.
template <class F>
void for_each_run(const Chunks& chunks, std::int64_t flat_block, F&& f) {
  const std::size_t ndim = chunks.ndim();
  if (ndim == 0) {
    f(static_cast<const std::int64_t*>(nullptr), std::int64_t{1});
    return;
  }
  const std::vector<std::int64_t> index = chunks.block_index(flat_block);
  const std::vector<std::int64_t> offset = chunks.block_offset(index);
  const Shape shape = chunks.block_shape(index);
  if (shape.elements() == 0) return;
  std::vector<std::int64_t> start = offset;
  const std::int64_t row = shape[ndim - 1];
  for (;;) {
    for (std::int64_t c = 0; c < row; c += kTile) {
      start[ndim - 1] = offset[ndim - 1] + c;
      f(static_cast<const std::int64_t*>(start.data()), std::min(kTile, row - c));
    }
    // The next row: an odometer over the other axes.
    std::size_t a = ndim - 1;
    while (a-- > 0) {
      if (++start[a] < offset[a] + shape[a]) break;
      start[a] = offset[a];
    }
    if (a == static_cast<std::size_t>(-1)) return;
  }
}

/// Evaluates `node` into `data` (its whole shape, row-major): whole-array steps first, each
/// with all the threads, then the blocks in parallel, run by run (compute, to_npy).
template <class Scalar>
void evaluate_into(const Node<Scalar>& node, Scalar* data) {
  // An empty array has no values to make: no block is visited (nor its inputs prepared),
  // however many blocks its chunks list.
  if (node.shape().elements() == 0) return;
  const std::vector<std::int64_t> strides = strides_of(node.shape());
  node.prepare();
  const Chunks& c = node.chunks();
  auto block_step = [&](std::int64_t block) {
    for_each_run(c, block, [&](const std::int64_t* start, std::int64_t n) {
      node.eval(start, n, data + (start != nullptr ? flat_index(start, strides) : 0));
    });
  };
  parallel_blocks(c.npartitions(), block_step, {"array", node.kind()});
}

}  // namespace loom::array::detail
