#pragma once
// Making chunked arrays: zeros, ones, full, arange, from_array, and random values that depend
// only on their seed and each element's position (never on the chunks or the threads).

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

#include "loom/array/array.hpp"
#include "loom/array/creation_options.hpp"
#include "loom/array/detail/creation_nodes.hpp"
#include "loom/core/random.hpp"
#include "loom/io/npy.hpp"

namespace loom::array {

/// An array of `value` everywhere.
template <Element Scalar>
[[nodiscard]] Array<Scalar> full(const Shape& shape, Scalar value, const Options& options = {}) {
  detail::check_creation_shape(shape);
  Chunks chunks = normalize_chunks(shape, options.chunks, sizeof(Scalar));
  return detail::make_array<Scalar>(
      std::make_shared<detail::FillNode<Scalar>>(shape, std::move(chunks), value));
}
template <Element Scalar = double>
[[nodiscard]] Array<Scalar> zeros(const Shape& shape, const Options& options = {}) {
  return full<Scalar>(shape, Scalar(0), options);
}
template <Element Scalar = double>
[[nodiscard]] Array<Scalar> ones(const Shape& shape, const Options& options = {}) {
  return full<Scalar>(shape, Scalar(1), options);
}

/// start, start + step, ... below stop (1-d), as numpy.arange.
template <Element Scalar = std::int64_t>
[[nodiscard]] Array<Scalar> arange(Scalar start, Scalar stop, Scalar step = Scalar(1),
                                   const Options& options = {}) {
  if (step == Scalar(0)) throw ShapeError("arange: step must not be 0");
  const double span =
      (static_cast<double>(stop) - static_cast<double>(start)) / static_cast<double>(step);
  if (!(span < 9.2e18)) {  // NaN too: no length can be computed
    throw ShapeError("arange: (stop - start) / step elements do not fit in int64 (or a bound "
                     "is NaN)");
  }
  const auto n = static_cast<std::int64_t>(std::max(0.0, std::ceil(span)));
  return detail::generated<Scalar>(Shape{n}, options, [start, step](std::int64_t i) {
    return static_cast<Scalar>(start + static_cast<Scalar>(i) * step);
  });
}
template <Element Scalar = std::int64_t>
[[nodiscard]] Array<Scalar> arange(Scalar stop, const Options& options = {}) {
  return arange<Scalar>(Scalar(0), stop, Scalar(1), options);
}

/// A chunked view of an existing array (its buffer is shared, not copied).
template <Element Scalar>
[[nodiscard]] Array<Scalar> from_array(NDArray<Scalar> array, const Options& options = {}) {
  Chunks chunks = normalize_chunks(array.shape(), options.chunks, sizeof(Scalar));
  return detail::make_array<Scalar>(
      std::make_shared<detail::FromArrayNode<Scalar>>(std::move(array), std::move(chunks)));
}

/// A chunked view of a `.npy` file, memory-mapped read-only: chunks are read from the file (the
/// page cache) as they are evaluated. A loom::Error names the file when it is missing or not a
/// .npy file of `T`.
template <Element Scalar>
[[nodiscard]] Array<Scalar> from_npy(const std::filesystem::path& path,
                                     const Options& options = {}) {
  return from_array(load_npy<Scalar>(path, {.mmap_mode = "r"}), options);
}

namespace random {

/// Uniform values in [0, 1) (dask.array.random.random).
[[nodiscard]] inline Array<double> random(const Shape& shape, const Options& options = {}) {
  const std::uint64_t seed = options.seed;
  return detail::generated<double>(shape, options, [seed](std::int64_t i) {
    return loom::detail::counter_uniform(seed, static_cast<std::uint64_t>(i));
  });
}

/// Normal values (dask.array.random.normal).
[[nodiscard]] inline Array<double> normal(const Shape& shape, double loc = 0.0, double scale = 1.0,
                                          const Options& options = {}) {
  const std::uint64_t seed = options.seed;
  return detail::generated<double>(shape, options, [seed, loc, scale](std::int64_t i) {
    return loc + scale * loom::detail::counter_normal(seed, static_cast<std::uint64_t>(i));
  });
}

/// Standard normal values: `normal(shape, {.chunks, .seed})`.
[[nodiscard]] inline Array<double> normal(const Shape& shape, const Options& options) {
  return normal(shape, 0.0, 1.0, options);
}

/// Integers in [low, high) (dask.array.random.randint).
[[nodiscard]] inline Array<std::int64_t> randint(std::int64_t low, std::int64_t high,
                                                 const Shape& shape, const Options& options = {}) {
  if (high <= low) throw ShapeError("randint: high must be greater than low");
  const std::uint64_t seed = options.seed;
  const auto range = static_cast<std::uint64_t>(high - low);
  return detail::generated<std::int64_t>(shape, options, [seed, low, range](std::int64_t i) {
    return low + static_cast<std::int64_t>(
                     loom::detail::counter_bits(seed, static_cast<std::uint64_t>(i)) % range);
  });
}

}  // namespace random
template <Element Scalar>
Array<Scalar> Array<Scalar>::persist() const {
  return detail::make_array<Scalar>(
      std::make_shared<detail::FromArrayNode<Scalar>>(compute(), chunks()));
}

/// Writes the array to a `.npy` file chunk by chunk, in parallel, straight into the mapped
/// file: the whole array is never held in memory of its own.
template <Element Scalar>
void to_npy(const Array<Scalar>& a, const std::filesystem::path& path) {
  NDArray<Scalar> out = open_memmap<Scalar>(path, a.shape());
  detail::evaluate_into(*detail::node_of(a), out.mutable_data());
}

template <Element Scalar>
void Array<Scalar>::to_npy(const std::filesystem::path& path) const {
  array::to_npy(*this, path);
}

}  // namespace loom::array
