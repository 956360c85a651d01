#pragma once
// loom::Shape: the extents of an N-d array (docs/arrays-on-disk.md), a small value type.

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <span>
#include <string>
#include <vector>

namespace loom {

class Shape {
 public:
  Shape() = default;  // rank 0: a scalar
  /// From braces of any integer types: `Shape{n, 5}` with `std::size_t n`.
  template <std::integral... Extents>
  Shape(Extents... extents)  // NOLINT(google-explicit-constructor): braces read as shapes
      : extents_{static_cast<std::int64_t>(extents)...} {}
  explicit Shape(std::span<const std::int64_t> extents) : extents_(extents.begin(), extents.end()) {}
  explicit Shape(std::vector<std::int64_t> extents) : extents_(std::move(extents)) {}

  /// The rank (number of axes).
  [[nodiscard]] std::size_t size() const noexcept { return extents_.size(); }
  [[nodiscard]] std::int64_t operator[](std::size_t axis) const noexcept { return extents_[axis]; }
  [[nodiscard]] auto begin() const noexcept { return extents_.begin(); }
  [[nodiscard]] auto end() const noexcept { return extents_.end(); }
  [[nodiscard]] const std::vector<std::int64_t>& extents() const noexcept { return extents_; }
  /// The number of elements (1 for rank 0).
  [[nodiscard]] std::int64_t elements() const noexcept {
    std::int64_t n = 1;
    for (auto e : extents_) n *= e;
    return n;
  }
  friend bool operator==(const Shape&, const Shape&) = default;
  /// "(10000, 1000)" as NumPy prints shapes ("(5,)" for one axis, "()" for none).
  [[nodiscard]] std::string str() const;
  friend std::ostream& operator<<(std::ostream& os, const Shape& s) { return os << s.str(); }

 private:
  std::vector<std::int64_t> extents_;
};

}  // namespace loom
