// The geometry of reshape, concatenate and stack: result shapes, chunks and the errors.
#include <fmt/format.h>

#include "loom/array/join.hpp"
#include "loom/array/linalg.hpp"
#include "loom/array/reshape.hpp"
#include "loom/core/detail/checked_shape.hpp"
#include "loom/core/error.hpp"

namespace loom::array::detail {

namespace {

std::size_t normalize_axis(const char* what, int axis, std::size_t ndim) {
  const int a = axis < 0 ? axis + static_cast<int>(ndim) : axis;
  if (a < 0 || a >= static_cast<int>(ndim)) {
    throw ShapeError(fmt::format("{}: axis {} is out of range for {} axes", what, axis, ndim));
  }
  return static_cast<std::size_t>(a);
}

}  // namespace

ReshapeGeometry reshape_geometry(const Shape& shape, const Chunks& chunks,
                                 const std::vector<std::int64_t>& spec, std::size_t itemsize) {
  std::vector<std::int64_t> extents = spec;
  std::int64_t known = 1;
  std::size_t inferred = extents.size();
  for (std::size_t a = 0; a < extents.size(); ++a) {
    if (extents[a] == -1 && inferred == extents.size()) {
      inferred = a;
    } else if (extents[a] < 0) {
      throw ShapeError(
          fmt::format("reshape: bad extent {} in the new shape of an array of shape {}", extents[a],
                      shape.str()));
    } else {
      known = loom::detail::checked_mul(known, extents[a], "reshape: the new shape's elements");
    }
  }
  if (inferred < extents.size()) {
    if (known == 0 || shape.elements() % known != 0) {
      throw ShapeError(
          fmt::format("reshape: cannot infer the -1 in a new shape for shape {}", shape.str()));
    }
    extents[inferred] = shape.elements() / known;
  }
  Shape target(extents);
  (void)loom::detail::checked_elements(target, itemsize, "reshape");
  if (target.elements() != shape.elements()) {
    throw ShapeError(fmt::format("reshape: an array of shape {} ({} elements) cannot become {}",
                                 shape.str(), shape.elements(), target.str()));
  }
  // Only axes of length 1 come or go: the other axes keep their chunks.
  std::vector<std::vector<std::int64_t>> kept;
  std::vector<std::int64_t> old_rest;
  std::vector<std::int64_t> new_rest;
  for (std::size_t a = 0; a < shape.size(); ++a) {
    if (shape[a] != 1) {
      old_rest.push_back(shape[a]);
      kept.push_back(chunks.axis(a));
    }
  }
  for (std::int64_t e : extents) {
    if (e != 1) new_rest.push_back(e);
  }
  if (old_rest == new_rest) {
    std::vector<std::vector<std::int64_t>> per_axis;
    std::size_t k = 0;
    for (std::int64_t e : extents) {
      per_axis.push_back(e == 1 ? std::vector<std::int64_t>{1} : kept[k++]);
    }
    return {std::move(target), Chunks(std::move(per_axis))};
  }
  // Else the leading axes both shapes share keep theirs; the others are cut automatically into
  // chunks of about the input's chunk size.
  std::vector<std::int64_t> lengths(extents.size(), 0);
  for (std::size_t a = 0; a < extents.size() && a < shape.size() && extents[a] == shape[a]; ++a) {
    lengths[a] = chunks.chunksize()[a];
  }
  const std::int64_t bytes = std::max<std::int64_t>(
      chunks.chunksize().elements() * static_cast<std::int64_t>(itemsize), 1);
  Chunks c = normalize_chunks(target, lengths, itemsize, bytes);
  return {std::move(target), std::move(c)};
}

JoinGeometry concatenate_geometry(const std::vector<const Chunks*>& inputs, int axis) {
  if (inputs.empty()) throw ShapeError("concatenate: no arrays given");
  const Shape first = inputs.front()->shape();
  if (first.size() == 0) throw ShapeError("concatenate: 0-d arrays have no axis to join along");
  JoinGeometry g;
  g.axis = normalize_axis("concatenate", axis, first.size());
  std::vector<std::vector<std::int64_t>> per_axis = inputs.front()->per_axis();
  per_axis[g.axis].clear();
  std::vector<std::int64_t> extents = first.extents();
  extents[g.axis] = 0;
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    const Shape s = inputs[k]->shape();
    bool fits = s.size() == first.size();
    for (std::size_t a = 0; fits && a < s.size(); ++a) fits = a == g.axis || s[a] == first[a];
    if (!fits) {
      throw ShapeError(
          fmt::format("concatenate: array {} has shape {}, which does not fit {} along axis {}", k,
                      s.str(), first.str(), g.axis));
    }
    extents[g.axis] = loom::detail::checked_add(extents[g.axis], s[g.axis], "concatenate: extents");
    for (std::int64_t len : inputs[k]->axis(g.axis)) {
      if (len > 0) per_axis[g.axis].push_back(len);
    }
  }
  if (per_axis[g.axis].empty()) per_axis[g.axis].push_back(0);
  g.shape = Shape(std::move(extents));
  g.chunks = Chunks(std::move(per_axis));
  return g;
}

std::size_t stack_axis(const std::vector<Shape>& shapes, int axis) {
  if (shapes.empty()) throw ShapeError("stack: no arrays given");
  for (std::size_t k = 1; k < shapes.size(); ++k) {
    if (shapes[k] != shapes.front()) {
      throw ShapeError(fmt::format("stack: array {} has shape {}, array 0 has {}", k,
                                   shapes[k].str(), shapes.front().str()));
    }
  }
  return normalize_axis("stack", axis, shapes.front().size() + 1);
}

TensordotPlan tensordot_plan(const Shape& a, const Shape& b, const std::vector<int>& a_axes,
                             const std::vector<int>& b_axes) {
  auto fail = [&](const std::string& why) {
    throw ShapeError(fmt::format("tensordot: shapes {} and {}: {}", a.str(), b.str(), why));
  };
  if (a_axes.size() != b_axes.size()) fail("the two axis lists differ in length");
  TensordotPlan p;
  std::vector<bool> used_a(a.size(), false);
  std::vector<bool> used_b(b.size(), false);
  std::vector<std::size_t> ca;
  std::vector<std::size_t> cb;
  for (std::size_t i = 0; i < a_axes.size(); ++i) {
    const int x = a_axes[i] < 0 ? a_axes[i] + static_cast<int>(a.size()) : a_axes[i];
    const int y = b_axes[i] < 0 ? b_axes[i] + static_cast<int>(b.size()) : b_axes[i];
    if (x < 0 || x >= static_cast<int>(a.size()) || y < 0 || y >= static_cast<int>(b.size())) {
      fail(fmt::format("axis pair ({}, {}) is out of range", a_axes[i], b_axes[i]));
    }
    const auto ux = static_cast<std::size_t>(x);
    const auto uy = static_cast<std::size_t>(y);
    if (used_a[ux] || used_b[uy]) fail("an axis is given twice");
    if (a[ux] != b[uy]) {
      fail(fmt::format("axis {} of a has {} elements, axis {} of b has {}", x, a[ux], y, b[uy]));
    }
    used_a[ux] = used_b[uy] = true;
    ca.push_back(ux);
    cb.push_back(uy);
    p.k *= a[ux];
  }
  for (std::size_t x = 0; x < a.size(); ++x) {
    if (used_a[x]) continue;
    p.perm_a.push_back(x);
    p.m *= a[x];
    p.result.push_back(a[x]);
  }
  p.perm_a.insert(p.perm_a.end(), ca.begin(), ca.end());
  p.perm_b = cb;
  for (std::size_t y = 0; y < b.size(); ++y) {
    if (used_b[y]) continue;
    p.perm_b.push_back(y);
    p.n *= b[y];
    p.result.push_back(b[y]);
  }
  return p;
}

}  // namespace loom::array::detail
