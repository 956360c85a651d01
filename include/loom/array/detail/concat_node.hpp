#pragma once
// The engine of concatenate and stack (private to loom): the joined geometry and ConcatNode,
// which reads each run from the input that holds it.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "loom/array/array.hpp"
#include "loom/array/reshape.hpp"

namespace loom::array::detail {

template <class Scalar>
class ConcatNode final : public Node<Scalar> {
 public:
  ConcatNode(std::vector<NodePtr<Scalar>> inputs, std::size_t axis, Shape shape, Chunks chunks)
      : Node<Scalar>(std::move(shape), std::move(chunks)), inputs_(std::move(inputs)), axis_(axis) {
    std::int64_t at = 0;
    for (const auto& in : inputs_) {
      offsets_.push_back(at);
      at += in->shape()[axis_];
    }
    offsets_.push_back(at);
  }
  void eval(const std::int64_t* start, std::int64_t n, Scalar* out) const override {
    std::vector<std::int64_t> pos(start, start + this->shape().size());
    while (n > 0) {
      const std::size_t k = holder(pos[axis_]);
      const std::int64_t global = pos[axis_];
      pos[axis_] -= offsets_[k];
      std::int64_t m = n;
      if (axis_ + 1 == pos.size()) m = std::min(n, offsets_[k + 1] - global);
      inputs_[k]->eval(pos.data(), m, out);
      pos[axis_] = global + (axis_ + 1 == pos.size() ? m : 0);
      out += m;
      n -= m;
    }
  }
  [[nodiscard]] const Scalar* view(const std::int64_t* start, std::int64_t n) const override {
    std::vector<std::int64_t> pos(start, start + this->shape().size());
    const std::size_t k = holder(pos[axis_]);
    if (axis_ + 1 == pos.size() && pos[axis_] + n > offsets_[k + 1]) return nullptr;
    pos[axis_] -= offsets_[k];
    return inputs_[k]->view(pos.data(), n);
  }
  void prepare() const override {
    for (const auto& in : inputs_) in->prepare();
  }
  [[nodiscard]] const char* kind() const noexcept override { return "concatenate"; }
  [[nodiscard]] std::vector<const NodeBase*> inputs() const override {
    std::vector<const NodeBase*> v;
    for (const auto& in : inputs_) v.push_back(in.get());
    return v;
  }
  [[nodiscard]] std::int64_t tasks() const override {
    std::int64_t t = this->chunks().npartitions();
    for (const auto& in : inputs_) t += in->tasks();
    return t;
  }

 private:
  // The input that holds position p along the axis.
  std::size_t holder(std::int64_t p) const {
    const auto it = std::upper_bound(offsets_.begin(), offsets_.end() - 1, p);
    return static_cast<std::size_t>(it - offsets_.begin()) - 1;
  }

  std::vector<NodePtr<Scalar>> inputs_;
  std::size_t axis_;
  std::vector<std::int64_t> offsets_;
};

/// The joined shape and chunks; loom::ShapeError names the first input that does not fit.
struct JoinGeometry {
  std::size_t axis = 0;
  Shape shape;
  Chunks chunks;
};
[[nodiscard]] JoinGeometry concatenate_geometry(const std::vector<const Chunks*>& inputs, int axis);
[[nodiscard]] std::size_t stack_axis(const std::vector<Shape>& shapes, int axis);

}  // namespace loom::array::detail
