#pragma once
// Overflow-checked sizes of shapes: the element count and byte size of a shape that came from
// outside (a user's config, a file, an argument) are computed with checked arithmetic, so a
// shape like (4294967296, 4294967296) is a ShapeError naming it instead of a count that wraps
// to 0 and an allocation too small for the writes that follow.

#include <cstddef>
#include <cstdint>

#include "loom/core/shape.hpp"

namespace loom::detail {

/// The number of elements of `shape`; loom::ShapeError "<what>: shape (...) ..." when the
/// product of its extents (its non-zero extents, as NumPy checks them: an empty array of
/// impossible extents is refused too) or that times `itemsize` bytes does not fit in int64.
/// Negative extents are left to the caller's own check (0 is returned for them).
std::int64_t checked_elements(const Shape& shape, std::size_t itemsize, const char* what);

/// a + b, a * b for non-negative extents and counts; ShapeError naming `what` on overflow.
std::int64_t checked_add(std::int64_t a, std::int64_t b, const char* what);
std::int64_t checked_mul(std::int64_t a, std::int64_t b, const char* what);

}  // namespace loom::detail
