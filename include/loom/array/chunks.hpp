#pragma once
// How a chunked array is cut (dask.array's `chunks`): for each axis, the lengths of its chunks.
//
//   da::Chunks c = da::normalize_chunks(loom::Shape{1003, 997}, {200, 300}, sizeof(double));
//   c.str();          // "((200, 200, 200, 200, 200, 3), (300, 300, 300, 97))"
//   c.npartitions();  // 24
//
// A chunk spec gives one length per axis: a positive length (the last chunk takes the rest),
// -1 for the whole axis, or 0 for "auto" (about `array.chunk-size`, 128 MiB, per chunk).

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "loom/core/shape.hpp"

namespace loom::array {

class Chunks {
 public:
  Chunks() = default;
  /// From the lengths per axis (each positive, or a single 0 for an empty axis).
  explicit Chunks(std::vector<std::vector<std::int64_t>> per_axis);

  [[nodiscard]] std::size_t ndim() const noexcept { return per_axis_.size(); }
  [[nodiscard]] const std::vector<std::int64_t>& axis(std::size_t a) const { return per_axis_[a]; }
  [[nodiscard]] const std::vector<std::vector<std::int64_t>>& per_axis() const noexcept {
    return per_axis_;
  }
  /// The array's shape (the sums).
  [[nodiscard]] Shape shape() const;
  /// Blocks along one axis, and in all (Dask's numblocks and npartitions).
  [[nodiscard]] std::int64_t blocks(std::size_t a) const noexcept {
    return static_cast<std::int64_t>(per_axis_[a].size());
  }
  [[nodiscard]] std::int64_t npartitions() const noexcept;
  /// The largest chunk along each axis (Dask's chunksize).
  [[nodiscard]] Shape chunksize() const;
  /// Where block `index` (one block number per axis) starts, and its shape.
  [[nodiscard]] std::vector<std::int64_t> block_offset(std::span<const std::int64_t> index) const;
  [[nodiscard]] Shape block_shape(std::span<const std::int64_t> index) const;
  /// The block number per axis of the `flat`-th block (row-major over the block grid).
  [[nodiscard]] std::vector<std::int64_t> block_index(std::int64_t flat) const;
  /// "((200, 200, 3), (300,))", as Dask prints chunks.
  [[nodiscard]] std::string str() const;
  friend bool operator==(const Chunks&, const Chunks&) = default;

 private:
  std::vector<std::vector<std::int64_t>> per_axis_;
};

/// The chunk length meaning "auto" in a spec: `{.chunks = {da::auto_chunks, 1000}}`.
inline constexpr std::int64_t auto_chunks = 0;

/// Chunks of `shape` from a spec (one entry per axis: a length, -1 whole, 0 auto), elements of
/// `itemsize` bytes. An empty spec is auto for every axis. loom::ShapeError for a spec of the
/// wrong rank or a negative length other than -1.
[[nodiscard]] Chunks normalize_chunks(const Shape& shape, std::span<const std::int64_t> spec,
                                      std::size_t itemsize);
/// The same with auto chunks of about `target_bytes` instead of `array.chunk-size`.
[[nodiscard]] Chunks normalize_chunks(const Shape& shape, std::span<const std::int64_t> spec,
                                      std::size_t itemsize, std::int64_t target_bytes);
/// The target bytes of an auto chunk: config `array.chunk-size`.
[[nodiscard]] std::int64_t auto_chunk_bytes();

namespace detail {
/// The most blocks an array may have (in all, and so along any axis): chunk lists are sized
/// by chunk specs that may come from a config or a file, and a graph of more blocks than this
/// could not be run anyway. More is a ShapeError naming the shape, before anything is allocated.
inline constexpr std::int64_t kMaxBlocks = std::int64_t{1} << 24;
}  // namespace detail

}  // namespace loom::array
