#pragma once
// The engine of rechunk and transpose (private to loom): nodes that evaluate by global position,
// so a rechunk only changes how the work is split; a transpose gathers its runs from its input.

#include <cstdint>
#include <memory>
#include <numeric>
#include <vector>

#include "loom/array/array.hpp"

namespace loom::array::detail {

/// Checks explicit per-axis chunk lengths against a shape.
Chunks explicit_chunks(const Shape& shape, const std::vector<std::vector<std::int64_t>>& chunks);

template <class Scalar>
class RechunkNode final : public OneInputNode<Scalar, Scalar> {
 public:
  RechunkNode(NodePtr<Scalar> input, Chunks chunks)
      : OneInputNode<Scalar, Scalar>(input, input->shape(), std::move(chunks), "rechunk") {}
  void eval(const std::int64_t* start, std::int64_t n, Scalar* out) const override {
    this->input_->eval(start, n, out);
  }
  [[nodiscard]] const Scalar* view(const std::int64_t* start, std::int64_t n) const override {
    return this->input_->view(start, n);
  }
  [[nodiscard]] const Scalar* whole() const override { return this->input_->whole(); }
};

/// Output axis a is input axis perm[a].
template <class Scalar>
class TransposeNode final : public OneInputNode<Scalar, Scalar> {
 public:
  TransposeNode(NodePtr<Scalar> input, std::vector<std::size_t> perm, Shape shape, Chunks chunks)
      : OneInputNode<Scalar, Scalar>(std::move(input), std::move(shape), std::move(chunks),
                                     "transpose"),
        perm_(std::move(perm)),
        input_strides_(strides_of(this->input_->shape())) {}
  void eval(const std::int64_t* start, std::int64_t n, Scalar* out) const override {
    const std::size_t ndim = perm_.size();
    std::vector<std::int64_t> at(ndim);
    for (std::size_t a = 0; a < ndim; ++a) at[perm_[a]] = start[a];
    const std::size_t moving = perm_[ndim - 1];  // the input axis the run walks along
    const std::int64_t first = at[moving];
    if (const Scalar* whole = this->input_->whole(); whole != nullptr) {
      // In memory: a strided gather.
      const std::int64_t base = flat_index(at.data(), input_strides_);
      const std::int64_t stride = input_strides_[moving];
      for (std::int64_t i = 0; i < n; ++i) out[i] = whole[base + i * stride];
      return;
    }
    for (std::int64_t i = 0; i < n; ++i) {
      at[moving] = first + i;
      this->input_->eval(at.data(), 1, out + i);
    }
  }

 private:
  std::vector<std::size_t> perm_;
  std::vector<std::int64_t> input_strides_;
};

// Compiled once, in libloom (src/array/instantiations.cpp), for the five element types.
extern template class RechunkNode<float>;
extern template class RechunkNode<double>;
extern template class RechunkNode<std::int32_t>;
extern template class RechunkNode<std::int64_t>;
extern template class RechunkNode<bool>;
extern template class TransposeNode<float>;
extern template class TransposeNode<double>;
extern template class TransposeNode<std::int32_t>;
extern template class TransposeNode<std::int64_t>;
extern template class TransposeNode<bool>;

}  // namespace loom::array::detail
