#pragma once
// The engine of reshape (private to loom): the reshaped geometry (NumPy's rules, chunks kept
// where they line up) and ReshapeNode, which reads its runs by flat position.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "loom/array/array.hpp"

namespace loom::array::detail {

template <class Scalar>
class ReshapeNode final : public OneInputNode<Scalar, Scalar> {
 public:
  ReshapeNode(NodePtr<Scalar> input, Shape shape, Chunks chunks)
      : OneInputNode<Scalar, Scalar>(std::move(input), std::move(shape), std::move(chunks),
                                     "reshape"),
        out_strides_(strides_of(this->shape())),
        in_strides_(strides_of(this->input_->shape())) {}
  void eval(const std::int64_t* start, std::int64_t n, Scalar* out) const override {
    std::int64_t flat = start != nullptr ? flat_index(start, out_strides_) : 0;
    std::vector<std::int64_t> pos(in_strides_.size());
    while (n > 0) {
      const std::int64_t m = unravel(flat, pos, n);
      this->input_->eval(pos.empty() ? nullptr : pos.data(), m, out);
      out += m;
      flat += m;
      n -= m;
    }
  }
  [[nodiscard]] const Scalar* view(const std::int64_t* start, std::int64_t n) const override {
    std::vector<std::int64_t> pos(in_strides_.size());
    const std::int64_t flat = start != nullptr ? flat_index(start, out_strides_) : 0;
    if (unravel(flat, pos, n) < n) return nullptr;
    return this->input_->view(pos.empty() ? nullptr : pos.data(), n);
  }

 private:
  // The input position of flat index `flat`, and how many of n elements from there lie on
  // its row.
  std::int64_t unravel(std::int64_t flat, std::vector<std::int64_t>& pos, std::int64_t n) const {
    if (pos.empty()) return std::min<std::int64_t>(n, 1);
    for (std::size_t a = 0; a < pos.size(); ++a) {
      pos[a] = flat / in_strides_[a];
      flat %= in_strides_[a];
    }
    return std::min(n, this->input_->shape()[pos.size() - 1] - pos.back());
  }

  std::vector<std::int64_t> out_strides_;
  std::vector<std::int64_t> in_strides_;
};

/// The shape `spec` asks for (one -1 inferred) and the result's chunks; loom::ShapeError names
/// both shapes when the sizes differ.
struct ReshapeGeometry {
  Shape shape;
  Chunks chunks;
};
[[nodiscard]] ReshapeGeometry reshape_geometry(const Shape& shape, const Chunks& chunks,
                                               const std::vector<std::int64_t>& spec,
                                               std::size_t itemsize);

}  // namespace loom::array::detail
