#pragma once
// The engine of array reductions (private to loom): the reduced geometry, ReduceNode (each input
// block reduced run by run into partials, merged as a tree) and the finishers of var/std,
// min/max and argmin/argmax. The public reductions are members of Array (reduction.hpp).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "loom/array/array.hpp"
#include "loom/array/detail/accumulators.hpp"
#include "loom/array/detail/materialized.hpp"

namespace loom::array::detail {

/// Which axes a reduction removes, and the shape and chunks of its result.
struct ReducedGeometry {
  std::vector<bool> reduced;  // per input axis
  bool keepdims = false;
  int split_every = 4;
  Shape shape;    // of the result
  Chunks chunks;  // of the result
};
/// Checks and normalizes the axes (negative from the end; ShapeError when out of range or
/// repeated).
ReducedGeometry reduced_geometry(const char* what, const Shape& shape, const Chunks& chunks,
                                 const ReduceOptions& options);

template <class Acc, class T>
concept SumsRuns = std::is_floating_point_v<T> && requires(Acc acc) {
  acc.add_sum(1.0, std::int64_t{1});
};

template <class Acc, class T>
concept Positional = requires(Acc acc, const T* x) {
  acc.add_at(x, 1, 0, true);
};

/// The reduction of `input` along some axes, computed once when first evaluated: each input
/// block is reduced in parallel, run by run, into accumulators for its part of the result;
/// then the partials of each result block are merged as a tree and finished.
template <class R, class T, class Acc, class Finish>
class ReduceNode final : public MaterializedNode<R> {
 public:
  ReduceNode(NodePtr<T> input, ReducedGeometry geometry, Finish finish)
      : MaterializedNode<R>(geometry.shape, geometry.chunks),
        input_(std::move(input)),
        reduced_(std::move(geometry.reduced)),
        split_every_(geometry.split_every),
        finish_(finish) {
    // Row-major strides over the reduced axes alone: positions for argmin/argmax.
    std::int64_t stride = 1;
    reduced_strides_.assign(reduced_.size(), 0);
    for (std::size_t a = reduced_.size(); a-- > 0;) {
      if (!reduced_[a]) continue;
      reduced_strides_[a] = stride;
      stride *= input_->shape()[a];
    }
  }
  [[nodiscard]] const char* kind() const noexcept override { return "reduce"; }
  [[nodiscard]] std::vector<const NodeBase*> inputs() const override { return {input_.get()}; }
  /// Input tasks, one partial per input block, and the merges of the trees (at least one
  /// finishing step per result block).
  [[nodiscard]] std::int64_t tasks() const override {
    const Chunks& in = input_->chunks();
    std::int64_t per_result = 1;  // input blocks that share one result block
    for (std::size_t a = 0; a < reduced_.size(); ++a) {
      if (reduced_[a]) per_result *= in.blocks(a);
    }
    std::int64_t merges = 0;
    for (std::int64_t k = per_result; k > 1;) {
      k = (k + split_every_ - 1) / split_every_;
      merges += k;
    }
    return input_->tasks() + in.npartitions() +
           this->chunks().npartitions() * std::max<std::int64_t>(merges, 1);
  }

 private:
  void prepare_inputs() const override { input_->prepare(); }
  NDArray<R> materialize() const override {
    const Chunks& in = input_->chunks();
    const std::size_t ndim = in.ndim();
    const std::int64_t blocks = in.npartitions();
    std::vector<std::vector<Acc>> partial(static_cast<std::size_t>(blocks));

    // Phase 1: per input block, accumulators for the result elements it touches.
    const Node<T>& input = *input_;
    const bool last_reduced = ndim == 0 || reduced_[ndim - 1];
    auto partials_of = [&](std::int64_t b) {
      const auto index = in.block_index(b);
      const auto offset = in.block_offset(index);
      const std::vector<std::int64_t> local_strides = strides_of(kept_extents(in, index));
      std::vector<Acc>& accs = partial[static_cast<std::size_t>(b)];
      accs.assign(static_cast<std::size_t>(kept_extents(in, index).elements()), Acc{});
      T scratch[kTile];
      for_each_run(in, b, [&](const std::int64_t* start, std::int64_t n) {
        if constexpr (SumsRuns<Acc, T>) {  // sums and means of floats: fused with the last step
          if (last_reduced) {
            std::int64_t local = 0;
            for (std::size_t a = 0; a < ndim; ++a) {
              if (!reduced_[a]) local += (start[a] - offset[a]) * local_strides[a];
            }
            accs[static_cast<std::size_t>(local)].add_sum(input.sum_run(start, n, scratch), n);
            return;
          }
        }
        const T* buffer = input.values(start, n, scratch);
        std::int64_t local = 0;
        std::int64_t position = 0;
        for (std::size_t a = 0; a < ndim; ++a) {
          if (!reduced_[a]) local += (start[a] - offset[a]) * local_strides[a];
          position += start[a] * reduced_strides_[a];
        }
        if (last_reduced) {
          add(accs[static_cast<std::size_t>(local)], buffer, n, position, true);
        } else {
          for (std::int64_t i = 0; i < n; ++i) {
            add(accs[static_cast<std::size_t>(local + i)], buffer + i, 1, position, false);
          }
        }
      });
    };
    parallel_blocks(blocks, partials_of, {"array", "reduce", "chunk"});

    // Phase 2: the input blocks that share a result block (same block numbers on the kept
    // axes), in block order, merged split_every at a time, level by level.
    std::vector<std::vector<std::int64_t>> groups;
    {
      std::vector<std::int64_t> group_of(static_cast<std::size_t>(blocks), -1);
      for (std::int64_t b = 0; b < blocks; ++b) {
        auto index = in.block_index(b);
        for (std::size_t a = 0; a < ndim; ++a) {
          if (reduced_[a]) index[a] = 0;
        }
        std::int64_t first = 0;  // the flat number of the group's first block
        for (std::size_t a = 0; a < ndim; ++a) first = first * in.blocks(a) + index[a];
        auto& g = group_of[static_cast<std::size_t>(first)];
        if (g < 0) {
          g = static_cast<std::int64_t>(groups.size());
          groups.emplace_back();
        }
        groups[static_cast<std::size_t>(g)].push_back(b);
      }
    }
    const auto s = static_cast<std::size_t>(split_every_);
    for (;;) {
      std::vector<std::pair<std::size_t, std::size_t>> merges;  // (group, first member)
      for (std::size_t g = 0; g < groups.size(); ++g) {
        for (std::size_t m = 0; m + 1 < groups[g].size(); m += s) merges.emplace_back(g, m);
      }
      if (merges.empty()) break;
      auto merge_step = [&](std::int64_t j) {
        const auto [g, m] = merges[static_cast<std::size_t>(j)];
        const std::vector<std::int64_t>& members = groups[g];
        auto& into = partial[static_cast<std::size_t>(members[m])];
        for (std::size_t k = m + 1; k < std::min(members.size(), m + s); ++k) {
          auto& other = partial[static_cast<std::size_t>(members[k])];
          for (std::size_t e = 0; e < into.size(); ++e) into[e].merge(other[e]);
          other = {};
        }
      };
      parallel_blocks(static_cast<std::int64_t>(merges.size()), merge_step,
                      {"array", "reduce merge", "merge"});
      for (auto& members : groups) {  // the survivors: every s-th
        std::vector<std::int64_t> next;
        for (std::size_t m = 0; m < members.size(); m += s) next.push_back(members[m]);
        members = std::move(next);
      }
    }

    // Finish each result block's accumulators into the result (in the keepdims layout, which
    // has the same flat order).
    std::vector<std::int64_t> all_extents(ndim);
    for (std::size_t a = 0; a < ndim; ++a) all_extents[a] = reduced_[a] ? 1 : input_->shape()[a];
    const std::vector<std::int64_t> kept_strides = strides_of(Shape(all_extents));
    auto result = NDArray<R>::uninitialized(this->shape());
    R* data = result.mutable_data();
    auto finish_group = [&](std::int64_t g) {
      const std::int64_t b0 = groups[static_cast<std::size_t>(g)][0];
      const auto index = in.block_index(b0);
      const auto offset = in.block_offset(index);
      const Shape local = kept_extents(in, index);
      const std::vector<Acc>& accs = partial[static_cast<std::size_t>(b0)];
      std::vector<std::int64_t> pos(ndim, 0);
      for (std::size_t k = 0; k < accs.size(); ++k) {
        std::int64_t flat = 0;
        for (std::size_t a = 0; a < ndim; ++a) {
          flat += (reduced_[a] ? 0 : offset[a] + pos[a]) * kept_strides[a];
        }
        data[flat] = finish_(accs[k]);
        for (std::size_t a = ndim; a-- > 0;) {  // next position, row-major
          if (++pos[a] < local[a]) break;
          pos[a] = 0;
        }
      }
    };
    parallel_blocks(static_cast<std::int64_t>(groups.size()), finish_group,
                    {"array", "reduce finish", "chunk"});
    return result;
  }

  // The extents of a block's part of the result (1 on reduced axes).
  Shape kept_extents(const Chunks& in, const std::vector<std::int64_t>& index) const {
    const Shape bshape = in.block_shape(index);
    std::vector<std::int64_t> e(bshape.size());
    for (std::size_t a = 0; a < e.size(); ++a) e[a] = reduced_[a] ? 1 : bshape[a];
    return Shape(std::move(e));
  }
  static void add(Acc& acc, const T* x, std::int64_t n, std::int64_t position, bool consecutive) {
    if constexpr (Positional<Acc, T>) {
      acc.add_at(x, n, position, consecutive);
    } else {
      acc.add(x, n);
    }
  }

  NodePtr<T> input_;
  std::vector<bool> reduced_;
  std::vector<std::int64_t> reduced_strides_;
  int split_every_;
  Finish finish_;
};

[[noreturn]] void throw_empty_reduction(const char* what);

template <class R, class Acc, class T, class Finish>
Array<R> reduce(const char* what, const Array<T>& a, const ReduceOptions& options, Finish finish) {
  ReducedGeometry geometry = reduced_geometry(what, a.shape(), a.chunks(), options);
  return detail::make_array<R>(std::make_shared<ReduceNode<R, T, Acc, Finish>>(
      detail::node_of(a), std::move(geometry), finish));
}

/// var (or std with `root`) from the merged moments, with `ddof` delta degrees of freedom.
template <class R, class Acc>
auto variance_finish(int ddof, bool root) {
  return [ddof, root](const Acc& a) {
    const double n = a.count - ddof;
    if (n <= 0) return static_cast<R>(std::numeric_limits<double>::quiet_NaN());
    return static_cast<R>(root ? std::sqrt(a.m2 / n) : a.m2 / n);
  };
}
/// min or max: the best value, or ShapeError for an empty array.
template <class T, class Acc>
auto extreme_finish(const char* what) {
  return [what](const Acc& a) {
    if (!a.best) throw_empty_reduction(what);
    return *a.best;
  };
}
/// argmin/argmax: the position, or ShapeError for an empty array.
template <class Acc>
auto arg_finish(const char* what) {
  return [what](const Acc& a) {
    if (a.index < 0) throw_empty_reduction(what);
    return a.index;
  };
}
/// argmin/argmax take one axis or all of them (NumPy's axis=None: a flat position).
template <class Scalar>
ReduceOptions arg_options(const char* what, const Array<Scalar>& a, ReduceOptions options) {
  if (options.axis.axes.size() > 1 && options.axis.axes.size() != a.ndim()) {
    throw ShapeError(fmt::format("{}: one axis or all of them, not {} of {}", what,
                                 options.axis.axes.size(), a.ndim()));
  }
  return options;
}

}  // namespace loom::array::detail
