#pragma once
// The indices of `x(...)` on chunked arrays, as NumPy's basic and integer indexing:
//
//   x(da::slice(0, 100), da::all)          // rows 0..99, every column
//   x(da::slice(none, none, -1))           // reversed along axis 0
//   x(5, da::slice(2, none, 3))            // row 5 (the axis is dropped), every third column
//   x(std::vector<std::int64_t>{3, 0, 3})  // rows 3, 0 and 3 again
//
// Negative positions count from the end; slice bounds are clipped as in Python.

#include <concepts>
#include <cstdint>
#include <optional>
#include <utility>
#include <variant>
#include <vector>

namespace loom::array {

/// A missing slice bound (Python's None).
inline constexpr std::nullopt_t none = std::nullopt;

/// start:stop:step along one axis.
struct Slice {
  std::optional<std::int64_t> start;
  std::optional<std::int64_t> stop;
  std::int64_t step = 1;
};

[[nodiscard]] inline Slice slice(std::optional<std::int64_t> start,
                                 std::optional<std::int64_t> stop, std::int64_t step = 1) {
  return Slice{start, stop, step};
}

/// The whole axis (`:`).
struct All {};
inline constexpr All all{};

/// One index: a position (drops the axis), a slice, the whole axis, or a list of positions.
class Index {
 public:
  template <std::integral I>
  Index(I position)  // NOLINT(google-explicit-constructor)
      : value_(static_cast<std::int64_t>(position)) {}
  Index(Slice s) : value_(s) {}               // NOLINT(google-explicit-constructor)
  Index(All /*unused*/) : value_(All{}) {}    // NOLINT(google-explicit-constructor)
  Index(std::vector<std::int64_t> positions)  // NOLINT(google-explicit-constructor)
      : value_(std::move(positions)) {}

  [[nodiscard]] const std::variant<std::int64_t, Slice, All, std::vector<std::int64_t>>& value()
      const noexcept {
    return value_;
  }

 private:
  std::variant<std::int64_t, Slice, All, std::vector<std::int64_t>> value_;
};

}  // namespace loom::array
