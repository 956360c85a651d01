#pragma once
// A node whose whole result is computed once, before anything reads it (reductions, matrix
// products, map_blocks), and kept: its runs are then read in place.

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <vector>

#include "loom/array/detail/node.hpp"
#include "loom/core/ndarray.hpp"

namespace loom::array::detail {

template <class R>
class MaterializedNode : public Node<R> {
 public:
  using Node<R>::Node;
  /// Prepares the inputs and computes the result, once, with all the threads (see
  /// NodeBase::prepare).
  void prepare() const final {
    std::call_once(once_, [this] {
      prepare_inputs();
      result_ = materialize();
    });
  }
  void eval(const std::int64_t* start, std::int64_t n, R* out) const final {
    std::copy_n(view(start, n), n, out);
  }
  [[nodiscard]] const R* view(const std::int64_t* start, std::int64_t /*n*/) const final {
    prepare();
    return result_.data() + (start != nullptr ? flat_index(start, strides_) : 0);
  }
  [[nodiscard]] const R* whole() const final {
    prepare();
    return result_.data();
  }

 protected:
  virtual void prepare_inputs() const = 0;
  /// The whole result, in this node's shape.
  [[nodiscard]] virtual NDArray<R> materialize() const = 0;

 private:
  std::vector<std::int64_t> strides_ = strides_of(this->shape());
  mutable std::once_flag once_;
  mutable NDArray<R> result_;
};

// Compiled once, in libloom (src/array/instantiations.cpp), for the five element types.
extern template class MaterializedNode<float>;
extern template class MaterializedNode<double>;
extern template class MaterializedNode<std::int32_t>;
extern template class MaterializedNode<std::int64_t>;
extern template class MaterializedNode<bool>;

}  // namespace loom::array::detail
