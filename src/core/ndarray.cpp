#include "loom/core/ndarray.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "loom/core/detail/checked_shape.hpp"
#include "loom/core/error.hpp"

namespace loom {

std::string Shape::str() const {
  if (extents_.size() == 1) return fmt::format("({},)", extents_[0]);
  return fmt::format("({})", fmt::join(extents_, ", "));
}

namespace detail {

void throw_read_only(const std::string& what) { throw Error("NDArray: " + what); }

void throw_bad_shape(const std::string& what) { throw ShapeError(what); }

void throw_index(std::size_t axis, std::int64_t index, std::int64_t extent) {
  throw std::out_of_range(
      fmt::format("NDArray::at: index {} is out of range for axis {} of extent {}", index, axis,
                  extent));
}

void throw_rank(std::size_t given, std::size_t rank) {
  throw std::out_of_range(
      fmt::format("NDArray::at: {} indices for an array of rank {}", given, rank));
}

void check_extents(const Shape& shape, std::size_t itemsize) {
  for (std::size_t a = 0; a < shape.size(); ++a) {
    if (shape[a] < 0) {
      throw ShapeError(fmt::format("NDArray: negative extent {} in shape {}", shape[a], shape.str()));
    }
  }
  (void)checked_elements(shape, itemsize, "NDArray");
}

std::int64_t checked_elements(const Shape& shape, std::size_t itemsize, const char* what) {
  std::int64_t n = 1;
  bool empty = false;
  for (const std::int64_t e : shape) {
    if (e < 0) return 0;
    if (e == 0) {
      empty = true;
      continue;
    }
    if (__builtin_mul_overflow(n, e, &n)) {
      throw ShapeError(fmt::format("{}: shape {} has more elements than int64 can count", what,
                                   shape.str()));
    }
  }
  std::int64_t bytes = 0;
  if (__builtin_mul_overflow(n, static_cast<std::int64_t>(itemsize), &bytes)) {
    throw ShapeError(fmt::format("{}: shape {} of {}-byte elements is more bytes than int64 can "
                                 "count ({} elements)",
                                 what, shape.str(), itemsize, n));
  }
  return empty ? 0 : n;
}

std::int64_t checked_add(std::int64_t a, std::int64_t b, const char* what) {
  std::int64_t out = 0;
  if (__builtin_add_overflow(a, b, &out)) {
    throw ShapeError(fmt::format("{}: {} + {} does not fit in int64", what, a, b));
  }
  return out;
}

std::int64_t checked_mul(std::int64_t a, std::int64_t b, const char* what) {
  std::int64_t out = 0;
  if (__builtin_mul_overflow(a, b, &out)) {
    throw ShapeError(fmt::format("{}: {} x {} does not fit in int64", what, a, b));
  }
  return out;
}

}  // namespace detail
}  // namespace loom
