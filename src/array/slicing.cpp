#include "loom/array/slicing.hpp"

#include <fmt/format.h>

#include "loom/core/config.hpp"
#include "loom/core/error.hpp"

namespace loom::array::detail {

namespace {

std::int64_t floor_div(std::int64_t a, std::int64_t b) {  // b > 0; no overflow near the limits
  return a >= 0 ? a / b : -(-(a + 1) / b) - 1;
}

// ceil(a / b) for b > 0 without forming a + b - 1 (which overflows for a step near INT64_MAX).
std::int64_t ceil_div(std::int64_t a, std::int64_t b) {
  return a > 0 ? (a - 1) / b + 1 : -(-a / b);
}

std::int64_t position(std::int64_t i, std::size_t axis, std::int64_t extent) {
  const std::int64_t p = i < 0 ? i + extent : i;
  if (p < 0 || p >= extent) {
    throw IndexError(
        fmt::format("index {} is out of bounds for axis {} with size {}", i, axis, extent));
  }
  return p;
}

// A slice normalized as Python's slice.indices does: the first position and the length.
void normalize(const Slice& s, std::int64_t n, AxisMap& m, std::int64_t& length) {
  // A step of INT64_MIN cannot be negated; any step beyond the extent takes one element, so
  // -INT64_MAX means the same.
  const std::int64_t step = s.step == INT64_MIN ? -INT64_MAX : s.step;
  auto clip = [&](std::int64_t v, std::int64_t lo, std::int64_t hi) {
    if (v < 0) v += n;
    return std::clamp(v, lo, hi);
  };
  std::int64_t start = 0;
  std::int64_t stop = 0;
  if (step > 0) {
    start = s.start ? clip(*s.start, 0, n) : 0;
    stop = s.stop ? clip(*s.stop, 0, n) : n;
    length = stop > start ? (stop - start - 1) / step + 1 : 0;  // no overflow near INT64_MAX
  } else {
    start = s.start ? clip(*s.start, -1, n - 1) : n - 1;
    stop = s.stop ? clip(*s.stop, -1, n - 1) : -1;
    length = start > stop ? (start - stop - 1) / (-step) + 1 : 0;
  }
  m.kind = AxisMap::kRange;
  m.start = start;
  m.step = step;
}

// What a range keeps of each input chunk, in output order (empty pieces dropped).
std::vector<std::int64_t> range_chunks(const AxisMap& m, std::int64_t length,
                                       const std::vector<std::int64_t>& input) {
  std::vector<std::int64_t> out;
  std::vector<std::pair<std::int64_t, std::int64_t>> bounds;  // [c0, c1) per input chunk
  std::int64_t c0 = 0;
  for (std::int64_t len : input) {
    bounds.emplace_back(c0, c0 + len);
    c0 += len;
  }
  if (m.step < 0) std::reverse(bounds.begin(), bounds.end());
  for (const auto& [lo, hi] : bounds) {
    std::int64_t k_lo = 0;
    std::int64_t k_hi = 0;
    if (m.step > 0) {
      k_lo = ceil_div(lo - m.start, m.step);
      k_hi = ceil_div(hi - m.start, m.step);
    } else {
      const std::int64_t t = -m.step;
      k_lo = floor_div(m.start - hi, t) + 1;
      k_hi = floor_div(m.start - lo, t) + 1;
    }
    k_lo = std::clamp<std::int64_t>(k_lo, 0, length);
    k_hi = std::clamp<std::int64_t>(k_hi, 0, length);
    if (k_hi > k_lo) out.push_back(k_hi - k_lo);
  }
  if (out.empty()) out.push_back(0);
  return out;
}

// A new chunk wherever the listed positions move to another input chunk.
std::vector<std::int64_t> list_chunks(const std::vector<std::int64_t>& list,
                                      const std::vector<std::int64_t>& input) {
  std::vector<std::int64_t> ends;  // the end of each input chunk
  std::int64_t end = 0;
  for (std::int64_t len : input) ends.push_back(end += len);
  std::vector<std::int64_t> out;
  std::size_t previous = static_cast<std::size_t>(-1);
  for (std::int64_t p : list) {
    const auto c =
        static_cast<std::size_t>(std::upper_bound(ends.begin(), ends.end(), p) - ends.begin());
    if (c != previous || out.empty()) {
      out.push_back(0);
      previous = c;
    }
    ++out.back();
  }
  if (out.empty()) out.push_back(0);
  return out;
}

}  // namespace

SliceGeometry slice_geometry(const Shape& shape, const Chunks& chunks,
                             const std::vector<Index>& index, std::size_t itemsize) {
  const std::size_t ndim = shape.size();
  if (index.size() > ndim) {
    throw IndexError(
        fmt::format("too many indices: {} for an array of shape {}", index.size(), shape.str()));
  }
  if (ndim > kMaxIndexedAxes) {
    throw ShapeError(fmt::format("indexing an array of shape {}: at most {} axes", shape.str(),
                                 kMaxIndexedAxes));
  }
  SliceGeometry g;
  g.axes.resize(ndim);
  std::vector<std::int64_t> extents;
  std::vector<std::vector<std::int64_t>> per_axis;
  std::vector<bool> listed;
  for (std::size_t a = 0; a < ndim; ++a) {
    AxisMap& m = g.axes[a];
    const Index whole{All{}};
    const Index& ix = a < index.size() ? index[a] : whole;
    std::int64_t length = 0;
    if (const auto* i = std::get_if<std::int64_t>(&ix.value())) {
      m.kind = AxisMap::kFixed;
      m.start = position(*i, a, shape[a]);
      continue;
    }
    m.out_axis = extents.size();
    if (const auto* list = std::get_if<std::vector<std::int64_t>>(&ix.value())) {
      m.kind = AxisMap::kList;
      for (std::int64_t p : *list) m.list.push_back(position(p, a, shape[a]));
      length = static_cast<std::int64_t>(m.list.size());
      per_axis.push_back(list_chunks(m.list, chunks.axis(a)));
    } else {
      Slice s{};  // da::all
      if (const auto* given = std::get_if<Slice>(&ix.value())) s = *given;
      if (s.step == 0) throw IndexError(fmt::format("slice step of axis {} is 0", a));
      normalize(s, shape[a], m, length);
      per_axis.push_back(range_chunks(m, length, chunks.axis(a)));
    }
    listed.push_back(m.kind == AxisMap::kList);
    extents.push_back(length);
  }
  // A gathered chunk larger than the auto-chunk target is split along its listed axis.
  if (config::get_bool("array.slicing.split_large_chunks")) {
    const double target = static_cast<double>(array::auto_chunk_bytes());
    for (std::size_t o = 0; o < per_axis.size(); ++o) {
      if (!listed[o]) continue;
      double others = static_cast<double>(itemsize);
      for (std::size_t q = 0; q < per_axis.size(); ++q) {
        if (q != o)
          others *= static_cast<double>(*std::max_element(per_axis[q].begin(), per_axis[q].end()));
      }
      const auto limit =
          std::max<std::int64_t>(1, static_cast<std::int64_t>(target / std::max(others, 1.0)));
      std::vector<std::int64_t> split;
      for (std::int64_t len : per_axis[o]) {
        for (; len > limit; len -= limit) split.push_back(limit);
        if (len > 0 || split.empty()) split.push_back(len);
      }
      per_axis[o] = std::move(split);
    }
  }
  g.shape = Shape(std::move(extents));
  g.chunks = Chunks(std::move(per_axis));
  return g;
}

}  // namespace loom::array::detail
