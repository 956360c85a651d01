#pragma once
// The lazy expression behind a da::Array: a tree of nodes that evaluate *runs* — up to kTile
// consecutive elements along the last axis, starting at a global index — into a buffer. An
// element-wise chain evaluates run by run (children into small stack buffers), so a fused chain
// of any length makes no chunk-size or full-size temporaries; leaves generate their values
// from the global position (zeros, arange, random: independent of chunking) or read them from
// a whole NDArray (from_array). Output chunks only decide how work is split into tasks.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "loom/array/chunks.hpp"
#include "loom/core/detail/checked_shape.hpp"
#include "loom/core/shape.hpp"

namespace loom::array::detail {

/// The longest run a node is asked for (elements): a few KiB per buffer, cache-resident.
inline constexpr std::int64_t kTile = 1024;

class NodeBase {
 public:
  NodeBase(Shape shape, Chunks chunks) : shape_(std::move(shape)), chunks_(std::move(chunks)) {}
  NodeBase(const NodeBase&) = delete;
  NodeBase& operator=(const NodeBase&) = delete;
  virtual ~NodeBase() = default;

  [[nodiscard]] const Shape& shape() const noexcept { return shape_; }
  [[nodiscard]] const Chunks& chunks() const noexcept { return chunks_; }
  /// Tasks the graph would have, as Dask counts them in its repr (one per chunk per layer).
  [[nodiscard]] virtual std::int64_t tasks() const = 0;
  /// Computes, before the runs are evaluated in parallel, what this subtree computes whole
  /// (reductions, matrix products): done inside a parallel loop instead, the first thread
  /// would compute it while the others wait.
  virtual void prepare() const {}
  /// What the node does ("random", "elementwise", "sum"...) and what it reads, for visualize().
  [[nodiscard]] virtual const char* kind() const noexcept { return "source"; }
  [[nodiscard]] virtual std::vector<const NodeBase*> inputs() const { return {}; }

 private:
  Shape shape_;
  Chunks chunks_;
};

/// The sum of n values as doubles, in 8 interleaved partial sums: no single chain of dependent
/// additions (which would bound the loop by the adder's latency), and the loop vectorizes.
template <class Scalar>
double sum_as_double(const Scalar* x, std::int64_t n) {
  double lanes[8] = {};
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int k = 0; k < 8; ++k) lanes[k] += static_cast<double>(x[i + k]);
  }
  double t = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) +
             ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
  for (; i < n; ++i) t += static_cast<double>(x[i]);
  return t;
}

template <class Scalar>
class Node : public NodeBase {
 public:
  /// Every array's shape is checked here, whatever step made it (broadcasting, dot, concatenate,
  /// reshape): its elements, and their bytes, must fit in int64 (ShapeError naming the shape).
  Node(Shape shape, Chunks chunks) : NodeBase(std::move(shape), std::move(chunks)) {
    (void)loom::detail::checked_elements(this->shape(), sizeof(Scalar), "array");
  }
  /// Writes the `n` (<= kTile) elements that start at global index `start` (one entry per axis)
  /// and run along the last axis, into `out`.
  virtual void eval(const std::int64_t* start, std::int64_t n, Scalar* out) const = 0;
  /// The same run, when its values already lie in memory (a materialized leaf): a pointer to
  /// them, so that the caller reads them in place instead of copying; nullptr otherwise.
  [[nodiscard]] virtual const Scalar* view(const std::int64_t* /*start*/,
                                           std::int64_t /*n*/) const {
    return nullptr;
  }
  /// All the values, row-major in the node's own shape, when they lie in memory that way (a
  /// materialized leaf or result); nullptr otherwise (views into other arrays included).
  [[nodiscard]] virtual const Scalar* whole() const { return nullptr; }
  /// The run's values: in place when they can be, else evaluated into `buffer`.
  const Scalar* values(const std::int64_t* start, std::int64_t n, Scalar* buffer) const {
    if (const Scalar* v = view(start, n)) return v;
    eval(start, n, buffer);
    return buffer;
  }
  /// The sum of the run's values as a double (`buffer`: kTile elements of scratch). Sums and
  /// means of floats call this, so that an element-wise step overriding it applies its
  /// operation and adds in one loop instead of writing the run and reading it again.
  [[nodiscard]] virtual double sum_run(const std::int64_t* start, std::int64_t n,
                                       Scalar* buffer) const {
    return sum_as_double(values(start, n, buffer), n);
  }
};

template <class Scalar>
using NodePtr = std::shared_ptr<const Node<Scalar>>;

/// A node of element type R computed from one input of element type T, one task per chunk on
/// top of the input's (element-wise steps, rechunk, transpose).
template <class R, class T>
class OneInputNode : public Node<R> {
 public:
  OneInputNode(NodePtr<T> input, Shape shape, Chunks chunks, const char* kind)
      : Node<R>(std::move(shape), std::move(chunks)), input_(std::move(input)), kind_(kind) {}
  void prepare() const override { input_->prepare(); }
  [[nodiscard]] const char* kind() const noexcept override { return kind_; }
  [[nodiscard]] std::vector<const NodeBase*> inputs() const override { return {input_.get()}; }
  [[nodiscard]] std::int64_t tasks() const override {
    return input_->tasks() + this->chunks().npartitions();
  }

 protected:
  NodePtr<T> input_;

 private:
  const char* kind_;
};

/// Row-major strides (in elements) of `shape`.
inline std::vector<std::int64_t> strides_of(const Shape& shape) {
  std::vector<std::int64_t> s(shape.size(), 1);
  for (std::size_t a = shape.size(); a-- > 1;) s[a - 1] = s[a] * shape[a];
  return s;
}

/// The flat (row-major) index of a global position.
inline std::int64_t flat_index(const std::int64_t* start,
                               const std::vector<std::int64_t>& strides) {
  std::int64_t flat = 0;
  for (std::size_t a = 0; a < strides.size(); ++a) flat += start[a] * strides[a];
  return flat;
}

}  // namespace loom::array::detail
