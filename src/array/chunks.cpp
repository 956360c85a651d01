#include "loom/array/chunks.hpp"
#include "loom/array/rechunk.hpp"
#include "loom/array/reduction.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "loom/core/config.hpp"
#include "loom/core/detail/checked_shape.hpp"
#include "loom/core/error.hpp"

namespace loom::array {

Chunks::Chunks(std::vector<std::vector<std::int64_t>> per_axis) : per_axis_(std::move(per_axis)) {
  for (std::size_t a = 0; a < per_axis_.size(); ++a) {
    const auto& lengths = per_axis_[a];
    const bool empty_axis = lengths.size() == 1 && lengths[0] == 0;
    if (lengths.empty() || (!empty_axis && std::any_of(lengths.begin(), lengths.end(),
                                                       [](std::int64_t n) { return n <= 0; }))) {
      throw ShapeError(fmt::format("chunks: axis {} has lengths ({}): each must be positive", a,
                                   fmt::join(lengths, ", ")));
    }
  }
  // The sums (the shape) and the block count must fit: checked once here, so that shape() and
  // npartitions() need not be.
  std::int64_t blocks = 1;
  for (std::size_t a = 0; a < per_axis_.size(); ++a) {
    std::int64_t sum = 0;
    for (const std::int64_t n : per_axis_[a]) sum = loom::detail::checked_add(sum, n, "chunks");
    blocks = loom::detail::checked_mul(blocks, static_cast<std::int64_t>(per_axis_[a].size()),
                                       "chunks: the number of blocks");
    if (blocks > detail::kMaxBlocks) {
      throw ShapeError(fmt::format("chunks: more than {} blocks (at axis {} of {} axes)",
                                   detail::kMaxBlocks, a, per_axis_.size()));
    }
  }
}

Shape Chunks::shape() const {
  std::vector<std::int64_t> extents;
  extents.reserve(per_axis_.size());
  for (const auto& lengths : per_axis_) {
    extents.push_back(std::accumulate(lengths.begin(), lengths.end(), std::int64_t{0}));
  }
  return Shape(std::move(extents));
}

std::int64_t Chunks::npartitions() const noexcept {
  std::int64_t n = 1;
  for (const auto& lengths : per_axis_) n *= static_cast<std::int64_t>(lengths.size());
  return n;
}

Shape Chunks::chunksize() const {
  std::vector<std::int64_t> extents;
  for (const auto& lengths : per_axis_) {
    extents.push_back(*std::max_element(lengths.begin(), lengths.end()));
  }
  return Shape(std::move(extents));
}

std::vector<std::int64_t> Chunks::block_offset(std::span<const std::int64_t> index) const {
  std::vector<std::int64_t> offset(per_axis_.size());
  for (std::size_t a = 0; a < per_axis_.size(); ++a) {
    const auto& lengths = per_axis_[a];
    offset[a] = std::accumulate(lengths.begin(), lengths.begin() + index[a], std::int64_t{0});
  }
  return offset;
}

Shape Chunks::block_shape(std::span<const std::int64_t> index) const {
  std::vector<std::int64_t> extents(per_axis_.size());
  for (std::size_t a = 0; a < per_axis_.size(); ++a) {
    extents[a] = per_axis_[a][static_cast<std::size_t>(index[a])];
  }
  return Shape(std::move(extents));
}

std::vector<std::int64_t> Chunks::block_index(std::int64_t flat) const {
  std::vector<std::int64_t> index(per_axis_.size());
  for (std::size_t a = per_axis_.size(); a-- > 0;) {
    const auto n = static_cast<std::int64_t>(per_axis_[a].size());
    index[a] = flat % n;
    flat /= n;
  }
  return index;
}

std::string Chunks::str() const {
  std::string out = "(";
  for (std::size_t a = 0; a < per_axis_.size(); ++a) {
    if (a > 0) out += ", ";
    out += '(' + fmt::format("{}", fmt::join(per_axis_[a], ", "));
    out += per_axis_[a].size() == 1 ? ",)" : ")";
  }
  out += per_axis_.size() == 1 ? ",)" : ")";
  return out;
}

std::int64_t auto_chunk_bytes() { return config::get_bytes("array.chunk-size"); }

namespace {

std::vector<std::int64_t> regular(const Shape& shape, std::size_t axis, std::int64_t length) {
  const std::int64_t extent = shape[axis];
  if (extent == 0) return {0};
  // The count first: a huge extent cut into short chunks must not size a huge list.
  if (extent / length + (extent % length != 0 ? 1 : 0) > detail::kMaxBlocks) {
    throw ShapeError(fmt::format("chunks: an array of shape {} cut into chunks of {} along axis {} "
                                 "would have more than {} blocks",
                                 shape.str(), length, axis, detail::kMaxBlocks));
  }
  std::vector<std::int64_t> out(static_cast<std::size_t>(extent / length), length);
  if (extent % length != 0) out.push_back(extent % length);
  return out;
}

}  // namespace

Chunks normalize_chunks(const Shape& shape, std::span<const std::int64_t> spec,
                        std::size_t itemsize) {
  return normalize_chunks(shape, spec, itemsize, auto_chunk_bytes());
}

Chunks normalize_chunks(const Shape& shape, std::span<const std::int64_t> spec,
                        std::size_t itemsize, std::int64_t target_bytes) {
  const std::size_t ndim = shape.size();
  const bool empty = loom::detail::checked_elements(shape, itemsize, "chunks") == 0 &&
                     std::all_of(shape.begin(), shape.end(), [](std::int64_t e) { return e >= 0; });
  std::vector<std::int64_t> lengths(spec.begin(), spec.end());
  if (lengths.empty()) lengths.assign(ndim, 0);
  if (lengths.size() != ndim) {
    throw ShapeError(fmt::format("chunks: {} lengths given for an array of shape {}",
                                 lengths.size(), shape.str()));
  }
  for (std::size_t a = 0; a < ndim; ++a) {
    if (lengths[a] < -1) {
      throw ShapeError(
          fmt::format("chunks: length {} on axis {} (use a positive length, -1 for "
                      "the whole axis, 0 for auto)",
                      lengths[a], a));
    }
    if (lengths[a] == -1 || (lengths[a] > shape[a] && shape[a] > 0)) lengths[a] = shape[a];
  }
  // Auto axes share what the fixed ones leave of the target, as evenly as they can; an axis
  // shorter than its share is taken whole and the rest share again.
  std::vector<std::size_t> automatic;
  double budget = static_cast<double>(target_bytes) / static_cast<double>(itemsize);
  for (std::size_t a = 0; a < ndim; ++a) {
    if (lengths[a] == 0) {
      automatic.push_back(a);
    } else {
      budget /= static_cast<double>(std::max<std::int64_t>(lengths[a], 1));
    }
  }
  std::sort(automatic.begin(), automatic.end(),
            [&](std::size_t x, std::size_t y) { return shape[x] < shape[y]; });
  for (std::size_t k = 0; k < automatic.size(); ++k) {
    const std::size_t a = automatic[k];
    if (empty) {  // no values: one block per axis, however long (an empty array costs nothing)
      lengths[a] = std::max<std::int64_t>(shape[a], 1);
      continue;
    }
    const double share =
        std::pow(std::max(budget, 1.0), 1.0 / static_cast<double>(automatic.size() - k));
    const std::int64_t length = std::clamp<std::int64_t>(static_cast<std::int64_t>(share), 1,
                                                         std::max<std::int64_t>(shape[a], 1));
    lengths[a] = length;
    budget /= static_cast<double>(length);
  }
  std::vector<std::vector<std::int64_t>> per_axis(ndim);
  for (std::size_t a = 0; a < ndim; ++a)
    per_axis[a] = regular(shape, a, std::max<std::int64_t>(lengths[a], 1));
  return Chunks(std::move(per_axis));
}

}  // namespace loom::array

namespace loom::array::detail {

void check_creation_shape(const Shape& shape) {
  for (std::size_t a = 0; a < shape.size(); ++a) {
    if (shape[a] < 0) {
      throw ShapeError(
          fmt::format("an array of shape {}: extents must not be negative", shape.str()));
    }
  }
  (void)loom::detail::checked_elements(shape, 1, "an array");
}

void throw_shape_mismatch(const char* what, const Shape& a, const Shape& b) {
  throw ShapeError(fmt::format("{}: shapes {} and {} do not match", what, a.str(), b.str()));
}

Chunks explicit_chunks(const Shape& shape, const std::vector<std::vector<std::int64_t>>& chunks) {
  if (chunks.size() != shape.size()) {
    throw ShapeError(fmt::format("rechunk: {} axes of chunks for an array of shape {}",
                                 chunks.size(), shape.str()));
  }
  for (std::size_t a = 0; a < chunks.size(); ++a) {
    std::int64_t sum = 0;
    for (std::int64_t len : chunks[a]) {
      if (len < 0 || (len == 0 && chunks[a].size() > 1)) {
        throw ShapeError(fmt::format("rechunk: chunk length {} on axis {}", len, a));
      }
      sum = loom::detail::checked_add(sum, len, "rechunk: chunk lengths");
    }
    if (sum != shape[a] || chunks[a].empty()) {
      throw ShapeError(
          fmt::format("rechunk: the chunks of axis {} add up to {}, not {}", a, sum, shape[a]));
    }
  }
  return Chunks(chunks);
}

void throw_negative_power() {
  throw Error("pow: integers to negative integer powers are not allowed (use a float array)");
}

void throw_empty_reduction(const char* what) {
  throw ShapeError(fmt::format("{}() of an empty array: the reduction has no identity", what));
}

}  // namespace loom::array::detail

namespace loom::array::detail {

ReducedGeometry reduced_geometry(const char* what, const Shape& shape, const Chunks& chunks,
                                 const ReduceOptions& options) {
  const auto ndim = static_cast<int>(shape.size());
  ReducedGeometry g;
  g.keepdims = options.keepdims;
  if (options.split_every < 0 || options.split_every == 1) {
    throw ShapeError(fmt::format("{}: split_every is {}; use 0 (the default, 4) or at least 2",
                                 what, options.split_every));
  }
  g.split_every = options.split_every == 0 ? 4 : options.split_every;
  g.reduced.assign(shape.size(), options.axis.axes.empty());
  for (int axis : options.axis.axes) {
    const int a = axis < 0 ? axis + ndim : axis;
    if (a < 0 || a >= ndim) {
      throw ShapeError(fmt::format("{}: axis {} is out of range for an array of shape {}", what,
                                   axis, shape.str()));
    }
    if (g.reduced[static_cast<std::size_t>(a)]) {
      throw ShapeError(fmt::format("{}: axis {} is given twice", what, axis));
    }
    g.reduced[static_cast<std::size_t>(a)] = true;
  }
  std::vector<std::int64_t> extents;
  std::vector<std::vector<std::int64_t>> per_axis;
  for (std::size_t a = 0; a < shape.size(); ++a) {
    if (!g.reduced[a]) {
      extents.push_back(shape[a]);
      per_axis.push_back(chunks.axis(a));
    } else if (g.keepdims) {
      extents.push_back(1);
      per_axis.push_back({1});
    }
  }
  g.shape = Shape(std::move(extents));
  g.chunks = Chunks(std::move(per_axis));
  return g;
}

}  // namespace loom::array::detail
