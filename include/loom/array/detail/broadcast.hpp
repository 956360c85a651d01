#pragma once
// NumPy broadcasting for chunked arrays: an operand is stretched to the common shape by a node
// that maps each output position to the input's (size-1 and missing leading axes read
// position 0). Nothing is copied; a run along a stretched last axis is one value repeated.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "loom/array/chunks.hpp"
#include "loom/array/detail/node.hpp"
#include "loom/core/shape.hpp"

namespace loom::array::detail {

template <class Scalar>
class BroadcastNode final : public OneInputNode<Scalar, Scalar> {
 public:
  BroadcastNode(NodePtr<Scalar> input, Shape shape, Chunks chunks)
      : OneInputNode<Scalar, Scalar>(std::move(input), std::move(shape), std::move(chunks),
                                     "broadcast") {
    const Shape& in = this->input_->shape();
    lead_ = this->shape().size() - in.size();
    stretched_.resize(in.size());
    for (std::size_t a = 0; a < in.size(); ++a) {
      stretched_[a] = in[a] == 1 && this->shape()[lead_ + a] != 1;
    }
    last_stretched_ = in.size() == 0 || stretched_.back();
  }
  void eval(const std::int64_t* start, std::int64_t n, Scalar* out) const override {
    std::int64_t pos[kMaxAxes];
    const std::int64_t* at = map(start, pos);
    if (last_stretched_) {
      Scalar v;
      this->input_->eval(at, 1, &v);
      std::fill(out, out + n, v);
    } else {
      this->input_->eval(at, n, out);
    }
  }
  [[nodiscard]] const Scalar* view(const std::int64_t* start, std::int64_t n) const override {
    if (last_stretched_) return nullptr;
    std::int64_t pos[kMaxAxes];
    return this->input_->view(map(start, pos), n);
  }

  static constexpr std::size_t kMaxAxes = 32;

 private:
  // The input position of an output position (nullptr for a 0-d input).
  const std::int64_t* map(const std::int64_t* start, std::int64_t* pos) const {
    if (stretched_.empty()) return nullptr;
    for (std::size_t a = 0; a < stretched_.size(); ++a) {
      pos[a] = stretched_[a] ? 0 : start[lead_ + a];
    }
    return pos;
  }

  std::size_t lead_ = 0;
  std::vector<bool> stretched_;
  bool last_stretched_ = false;
};

/// The shape two operands broadcast to, or loom::ShapeError naming both ("what: shapes (3, 4)
/// and (5,) do not broadcast").
[[nodiscard]] Shape broadcast_shapes(const char* what, const Shape& a, const Shape& b);

/// Chunks of the broadcast result: each axis from the first operand that spans it (an operand
/// stretched along an axis has one chunk there).
[[nodiscard]] Chunks broadcast_chunks(const Shape& shape, const std::vector<const Chunks*>& from);

/// `input` stretched to `shape` (already checked to be a broadcast of it).
template <class Scalar>
NodePtr<Scalar> broadcast_node(NodePtr<Scalar> input, const Shape& shape, const Chunks& chunks) {
  if (input->shape() == shape) return input;
  return std::make_shared<BroadcastNode<Scalar>>(std::move(input), shape, chunks);
}

}  // namespace loom::array::detail
