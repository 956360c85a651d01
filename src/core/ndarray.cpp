#include "loom/core/ndarray.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

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

void check_extents(const Shape& shape) {
  for (std::size_t a = 0; a < shape.size(); ++a) {
    if (shape[a] < 0) {
      throw ShapeError(fmt::format("NDArray: negative extent {} in shape {}", shape[a], shape.str()));
    }
  }
}

}  // namespace detail
}  // namespace loom
