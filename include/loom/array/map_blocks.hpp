#pragma once
// map_blocks: a function applied to every block (dask's map_blocks). Each block of the input
// is evaluated into an NDArray and handed to f, in parallel; f returns the block's new values
// (any element type, the block's shape). The results are kept, as a matrix product's are, so
// that later steps read them in place.
//
//   auto y = x.map_blocks([](const loom::NDArray<double>& b) { return normalize(b); });

#include <cstdint>
#include <memory>
#include <mutex>
#include <type_traits>
#include <utility>

#include <fmt/format.h>

#include "loom/array/array.hpp"
#include "loom/array/detail/materialized.hpp"

namespace loom::array::detail {

template <class R, class T, class F>
class MapBlocksNode final : public MaterializedNode<R> {
 public:
  MapBlocksNode(NodePtr<T> input, F f)
      : MaterializedNode<R>(input->shape(), input->chunks()),
        input_(std::move(input)),
        f_(std::move(f)) {}
  [[nodiscard]] const char* kind() const noexcept override { return "map_blocks"; }
  [[nodiscard]] std::vector<const NodeBase*> inputs() const override { return {input_.get()}; }
  [[nodiscard]] std::int64_t tasks() const override {
    return input_->tasks() + this->chunks().npartitions();
  }

 private:
  void prepare_inputs() const override { input_->prepare(); }
  NDArray<R> materialize() const override {
    auto result = NDArray<R>::uninitialized(this->shape());
    R* data = result.mutable_data();
    const Chunks& c = this->chunks();
    const Node<T>& input = *input_;
    parallel_blocks(c.npartitions(), [&](std::int64_t b) {
      const auto index = c.block_index(b);
      const auto offset = c.block_offset(index);
      const Shape bshape = c.block_shape(index);
      auto block = NDArray<T>::uninitialized(bshape);
      T* in = block.mutable_data();
      const std::vector<std::int64_t> local = strides_of(bshape);
      auto local_of = [&](const std::int64_t* start) {
        std::int64_t flat = 0;
        for (std::size_t a = 0; a < offset.size(); ++a) flat += (start[a] - offset[a]) * local[a];
        return flat;
      };
      for_each_run(c, b, [&](const std::int64_t* start, std::int64_t n) {
        input.eval(start, n, in + (start != nullptr ? local_of(start) : 0));
      });
      NDArray<R> out;
      try {
        out = NDArray<R>(f_(std::as_const(block)));
      } catch (const Error&) {
        throw;
      } catch (const std::exception& e) {  // named by its block; the original nested
        throw TaskError(fmt::format("map_blocks block {}", Shape(index).str()), e.what());
      }
      if (out.shape() != bshape) {
        throw ShapeError(
            fmt::format("map_blocks: the function returned shape {} for block {} "
                        "of shape {}",
                        out.shape().str(), Shape(index).str(), bshape.str()));
      }
      for_each_run(c, b, [&](const std::int64_t* start, std::int64_t n) {
        const std::int64_t at = start != nullptr ? local_of(start) : 0;
        std::copy_n(out.data() + at, n,
                    data + (start != nullptr ? flat_index(start, strides_) : 0));
      });
    });
    return result;
  }

  NodePtr<T> input_;
  F f_;
  std::vector<std::int64_t> strides_ = strides_of(this->shape());
};

template <class F, class T>
using block_result_t = std::remove_cvref_t<std::invoke_result_t<F&, const NDArray<T>&>>;

}  // namespace loom::array::detail

namespace loom::array {

/// f applied to each block of `a` (dask.array.map_blocks); f takes a `const NDArray<T>&` and
/// returns an NDArray<R> of the block's shape, else loom::ShapeError names the block.
template <class F, Element Scalar>
[[nodiscard]] auto map_blocks(F f, const Array<Scalar>& a) {
  using Out = detail::block_result_t<F, Scalar>;
  using R = typename Out::value_type;
  static_assert(Element<R>, "map_blocks: f must return an NDArray of a chunked-array dtype");
  return detail::make_array<R>(
      std::make_shared<detail::MapBlocksNode<R, Scalar, F>>(detail::node_of(a), std::move(f)));
}

template <Element Scalar>
template <class F>
auto Array<Scalar>::map_blocks(F f) const {
  return array::map_blocks(std::move(f), *this);
}

}  // namespace loom::array
