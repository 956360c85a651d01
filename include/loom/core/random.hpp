#pragma once
// Counter-based random numbers: each value depends only on (seed, flat element index), never on
// thread timing or chunking (docs/design.md). loom::random::rand / randn make NDArrays;
// the chunked arrays use the same generator per element.

#include <cmath>
#include <cstdint>
#include <numbers>

#include "loom/core/ndarray.hpp"

namespace loom {

namespace detail {

/// A 64-bit hash of (seed, counter): SplitMix64's finalizer over a Weyl sequence, twice mixed.
constexpr std::uint64_t counter_bits(std::uint64_t seed, std::uint64_t counter) noexcept {
  std::uint64_t z =
      seed * 0x9E3779B97F4A7C15ULL + counter * 0xD1B54A32D192ED03ULL + 0x8CB92BA72F3D8DD7ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  z = (z ^ (z >> 32)) * 0xD6E8FEB86659FD93ULL;
  return z ^ (z >> 32);
}

/// Uniform in [0, 1), 53 random bits.
constexpr double counter_uniform(std::uint64_t seed, std::uint64_t index) noexcept {
  return static_cast<double>(counter_bits(seed, index) >> 11) * 0x1.0p-53;
}

/// Standard normal (Box-Muller over two counters of the element).
inline double counter_normal(std::uint64_t seed, std::uint64_t index) noexcept {
  const double u1 = (static_cast<double>(counter_bits(seed, 2 * index) >> 11) + 0.5) * 0x1.0p-53;
  const double u2 = counter_uniform(seed, 2 * index + 1);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

}  // namespace detail

namespace random {

namespace detail {
/// An array whose element i is `value(seed, i)`.
template <class Generator>
NDArray<double> generate(Shape shape, std::uint64_t seed, Generator value) {
  NDArray<double> a(std::move(shape));
  double* p = a.mutable_data();
  for (std::int64_t i = 0; i < a.size(); ++i) p[i] = value(seed, static_cast<std::uint64_t>(i));
  return a;
}
}  // namespace detail

/// Uniform values in [0, 1), like numpy.random.rand.
inline NDArray<double> rand(Shape shape, std::uint64_t seed = 0) {
  return detail::generate(std::move(shape), seed, loom::detail::counter_uniform);
}

/// Standard normal values, like numpy.random.randn.
inline NDArray<double> randn(Shape shape, std::uint64_t seed = 0) {
  return detail::generate(std::move(shape), seed, loom::detail::counter_normal);
}

}  // namespace random
}  // namespace loom
