#pragma once
// The engine of matrix products (private to loom): DotNode, whose output chunk (i, j) is the sum
// over the shared axis of Eigen GEMMs of the operands' blocks, each evaluated into a dense matrix.

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include <fmt/format.h>
#include <Eigen/Core>

#include "loom/array/array.hpp"
#include "loom/array/detail/materialized.hpp"
#include "loom/core/ndarray.hpp"

namespace loom::array::detail {

template <class Scalar>
using DenseMatrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Rows [r0, r0 + nr) and columns [c0, c0 + nc) of a 2-d node, as a dense matrix.
template <class Scalar>
DenseMatrix<Scalar> dense_block(const Node<Scalar>& node, std::int64_t r0, std::int64_t nr,
                                std::int64_t c0, std::int64_t nc) {
  DenseMatrix<Scalar> m(nr, nc);
  for (std::int64_t r = 0; r < nr; ++r) {
    for (std::int64_t c = 0; c < nc; c += kTile) {
      const std::int64_t start[2] = {r0 + r, c0 + c};
      node.eval(start, std::min(kTile, nc - c), m.data() + r * nc + c);
    }
  }
  return m;
}

template <class Scalar>
class DotNode final : public MaterializedNode<Scalar> {
 public:
  DotNode(NodePtr<Scalar> a, NodePtr<Scalar> b)
      : MaterializedNode<Scalar>(Shape{a->shape()[0], b->shape()[1]},
                                 Chunks({a->chunks().axis(0), b->chunks().axis(1)})),
        a_(std::move(a)),
        b_(std::move(b)) {}
  [[nodiscard]] const char* kind() const noexcept override { return "dot"; }
  [[nodiscard]] std::vector<const NodeBase*> inputs() const override {
    return {a_.get(), b_.get()};
  }
  [[nodiscard]] std::int64_t tasks() const override {
    return a_->tasks() + b_->tasks() + this->chunks().npartitions() * a_->chunks().blocks(1);
  }

 private:
  void prepare_inputs() const override {
    a_->prepare();
    b_->prepare();
  }
  NDArray<Scalar> materialize() const override {
    auto result = NDArray<Scalar>::uninitialized(this->shape());
    Scalar* data = result.mutable_data();
    const Chunks& out = this->chunks();
    const std::vector<std::int64_t>& shared = a_->chunks().axis(1);
    const std::int64_t ncols = this->shape()[1];
    auto block_product = [&](std::int64_t block) {
      const auto index = out.block_index(block);
      const auto offset = out.block_offset(index);
      const Shape bshape = out.block_shape(index);
      DenseMatrix<Scalar> c = DenseMatrix<Scalar>::Zero(bshape[0], bshape[1]);
      std::int64_t k0 = 0;
      for (const std::int64_t nk : shared) {
        if (nk > 0) {
          c.noalias() += dense_block(*a_, offset[0], bshape[0], k0, nk) *
                         dense_block(*b_, k0, nk, offset[1], bshape[1]);
        }
        k0 += nk;
      }
      for (std::int64_t r = 0; r < bshape[0]; ++r) {
        std::copy_n(c.data() + r * bshape[1], bshape[1],
                    data + (offset[0] + r) * ncols + offset[1]);
      }
    };
    parallel_blocks(out.npartitions(), block_product, {"array", "dot", "chunk"});
    return result;
  }

  NodePtr<Scalar> a_;
  NodePtr<Scalar> b_;
};

// Compiled once, in libloom (src/array/instantiations.cpp): the GEMM blocks of every element
// type that has a matrix product (all but bool).
extern template class DotNode<float>;
extern template class DotNode<double>;
extern template class DotNode<std::int32_t>;
extern template class DotNode<std::int64_t>;

}  // namespace loom::array::detail
