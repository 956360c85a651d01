#pragma once
// The engine of map_blocks (private to loom): MapBlocksNode, which evaluates each input block,
// calls the user's function on it in parallel and keeps the results.

#include <fmt/format.h>
#include <cstdint>
#include <memory>
#include <mutex>
#include <type_traits>
#include <utility>

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
    auto map_block = [&](std::int64_t b) {
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
    };
    parallel_blocks(c.npartitions(), map_block, {"array", "map_blocks", "chunk"});
    return result;
  }

  NodePtr<T> input_;
  F f_;
  std::vector<std::int64_t> strides_ = strides_of(this->shape());
};

template <class F, class T>
using block_result_t = std::remove_cvref_t<std::invoke_result_t<F&, const NDArray<T>&>>;

}  // namespace loom::array::detail
