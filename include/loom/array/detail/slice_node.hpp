#pragma once
// The engine of basic and integer indexing (private to loom): the normalized index geometry and
// SliceNode, which reads its runs from its input at the selected positions.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "loom/array/array.hpp"
#include "loom/array/index.hpp"

namespace loom::array::detail {

/// How one input axis is read: at a fixed position (the axis is dropped), along a range
/// (start + step * k for output position k) or at listed positions.
struct AxisMap {
  enum Kind { kFixed, kRange, kList } kind = kRange;
  std::size_t out_axis = 0;  // for kRange and kList
  std::int64_t start = 0;    // the fixed position, or the range's first
  std::int64_t step = 1;
  std::vector<std::int64_t> list;

  [[nodiscard]] std::int64_t at(std::int64_t k) const {
    return kind == kList ? list[static_cast<std::size_t>(k)] : start + step * k;
  }
};

struct SliceGeometry {
  std::vector<AxisMap> axes;  // one per input axis
  Shape shape;
  Chunks chunks;
};

inline constexpr std::size_t kMaxIndexedAxes = 32;

/// The geometry of `index` on an array of `shape` cut in `chunks`: loom::IndexError for
/// positions out of range, a zero step or too many indices.
[[nodiscard]] SliceGeometry slice_geometry(const Shape& shape, const Chunks& chunks,
                                           const std::vector<Index>& index, std::size_t itemsize);

template <class Scalar>
class SliceNode final : public OneInputNode<Scalar, Scalar> {
 public:
  SliceNode(NodePtr<Scalar> input, SliceGeometry g)
      : OneInputNode<Scalar, Scalar>(std::move(input), g.shape, g.chunks, "slice"),
        axes_(std::move(g.axes)) {
    const std::size_t out_ndim = this->shape().size();
    for (std::size_t a = 0; a < axes_.size(); ++a) {
      if (axes_[a].kind != AxisMap::kFixed && axes_[a].out_axis + 1 == out_ndim) moving_ = a;
    }
    contiguous_ = out_ndim > 0 && moving_ + 1 == axes_.size() &&
                  axes_[moving_].kind == AxisMap::kRange && axes_[moving_].step == 1;
  }
  void eval(const std::int64_t* start, std::int64_t n, Scalar* out) const override {
    std::int64_t pos[kMaxIndexedAxes];
    const std::int64_t* at = map(start, pos);
    if (this->shape().size() == 0) {
      this->input_->eval(at, 1, out);
      return;
    }
    if (contiguous_) {
      this->input_->eval(at, n, out);
      return;
    }
    const AxisMap& m = axes_[moving_];
    const std::int64_t k0 = start[this->shape().size() - 1];
    if (moving_ + 1 == axes_.size() && m.kind == AxisMap::kRange) {
      // Strided along the input's last axis: read spans of up to kTile and pick.
      const std::int64_t stride = m.step < 0 ? -m.step : m.step;
      const std::int64_t per_span = (kTile - 1) / stride + 1;
      Scalar span[kTile];
      for (std::int64_t i = 0; i < n; i += per_span) {
        const std::int64_t count = std::min(per_span, n - i);
        const std::int64_t first = m.at(k0 + i);
        const std::int64_t last = m.at(k0 + i + count - 1);
        pos[moving_] = std::min(first, last);
        const Scalar* v = this->input_->values(pos, (count - 1) * stride + 1, span);
        for (std::int64_t j = 0; j < count; ++j) out[i + j] = v[m.at(k0 + i + j) - pos[moving_]];
      }
      return;
    }
    for (std::int64_t i = 0; i < n; ++i) {  // one element at a time
      pos[moving_] = m.at(k0 + i);
      const Scalar* v = this->input_->values(pos, 1, out + i);
      out[i] = *v;
    }
  }
  [[nodiscard]] const Scalar* view(const std::int64_t* start, std::int64_t n) const override {
    if (!contiguous_) return nullptr;
    std::int64_t pos[kMaxIndexedAxes];
    return this->input_->view(map(start, pos), n);
  }

 private:
  // The input position of an output position (nullptr for a 0-d input).
  const std::int64_t* map(const std::int64_t* start, std::int64_t* pos) const {
    if (axes_.empty()) return nullptr;
    for (std::size_t a = 0; a < axes_.size(); ++a) {
      const AxisMap& m = axes_[a];
      pos[a] = m.kind == AxisMap::kFixed ? m.start : m.at(start[m.out_axis]);
    }
    return pos;
  }

  std::vector<AxisMap> axes_;
  std::size_t moving_ = 0;  // the input axis the output's last axis walks along
  bool contiguous_ = false;
};

}  // namespace loom::array::detail
