#pragma once
// Reductions of chunked arrays: each block is reduced in parallel (run by run, so the element-
// wise chain in front of it is fused), then the partial results are merged. Full reductions for
// now; reductions along axes (keepdims, split_every trees) are to come.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "loom/array/array.hpp"

namespace loom::array {

namespace detail {

/// The sum of n values as doubles, in 8 interleaved partial sums: no single chain of dependent
/// additions (which would bound the loop by the adder's latency), and the loop vectorizes.
template <class T>
double sum_as_double(const T* x, std::int64_t n) {
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

template <class T>
struct SumAcc {
  using A = std::conditional_t<std::is_floating_point_v<T>, double, std::int64_t>;
  A total = 0;
  void add(const T* x, std::int64_t n) {
    if constexpr (std::is_floating_point_v<T>) {
      total += sum_as_double(x, n);
    } else {
      A t = 0;
      for (std::int64_t i = 0; i < n; ++i) t += static_cast<A>(x[i]);
      total += t;
    }
  }
  void merge(const SumAcc& o) { total += o.total; }
  [[nodiscard]] sum_type<T> result() const { return static_cast<sum_type<T>>(total); }
};

template <class T>
struct ProdAcc {
  using A = std::conditional_t<std::is_floating_point_v<T>, double, std::int64_t>;
  A total = 1;
  void add(const T* x, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) total *= static_cast<A>(x[i]);
  }
  void merge(const ProdAcc& o) { total *= o.total; }
  [[nodiscard]] sum_type<T> result() const { return static_cast<sum_type<T>>(total); }
};

/// Count and sum, for the mean (one pass).
template <class T>
struct MeanAcc {
  double count = 0;
  double total = 0;
  void add(const T* x, std::int64_t n) {
    total += sum_as_double(x, n);
    count += static_cast<double>(n);
  }
  void merge(const MeanAcc& o) {
    count += o.count;
    total += o.total;
  }
};

/// Count, mean and sum of squared deviations, merged as Chan et al. do (stable).
template <class T>
struct MomentsAcc {
  double count = 0;
  double mean = 0;
  double m2 = 0;
  void add(const T* x, std::int64_t n) {
    if (n == 0) return;
    const double tile_mean = sum_as_double(x, n) / static_cast<double>(n);
    double lanes[8] = {};
    std::int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
      for (int k = 0; k < 8; ++k) {
        const double d = static_cast<double>(x[i + k]) - tile_mean;
        lanes[k] += d * d;
      }
    }
    double q = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) +
               ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
    for (; i < n; ++i) {
      const double d = static_cast<double>(x[i]) - tile_mean;
      q += d * d;
    }
    merge(MomentsAcc{static_cast<double>(n), tile_mean, q});
  }
  void merge(const MomentsAcc& o) {
    if (o.count == 0) return;
    const double total = count + o.count;
    const double delta = o.mean - mean;
    mean += delta * o.count / total;
    m2 += o.m2 + delta * delta * count * o.count / total;
    count = total;
  }
};

template <class T, bool IsMax>
struct ExtremeAcc {
  std::optional<T> best;
  void add(const T* x, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) {
      if (!best || (IsMax ? x[i] > *best : x[i] < *best)) best = x[i];
    }
  }
  void merge(const ExtremeAcc& o) {
    if (o.best) add(&*o.best, 1);
  }
};

template <class T, bool IsAll>
struct LogicAcc {
  bool value = IsAll;
  void add(const T* x, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) {
      if (IsAll) {
        value = value && static_cast<bool>(x[i]);
      } else {
        value = value || static_cast<bool>(x[i]);
      }
    }
  }
  void merge(const LogicAcc& o) { value = IsAll ? value && o.value : value || o.value; }
};

/// Which axes a reduction removes, and the shape and chunks of its result.
struct ReducedGeometry {
  std::vector<bool> reduced;  // per input axis
  bool keepdims = false;
  Shape shape;    // of the result
  Chunks chunks;  // of the result
};
/// Checks and normalizes the axes (negative from the end; ShapeError when out of range or
/// repeated).
ReducedGeometry reduced_geometry(const char* what, const Shape& shape, const Chunks& chunks,
                                 const ReduceOptions& options);

/// The reduction of `input` along some axes, computed once when first evaluated: each input
/// block is reduced in parallel, run by run, into accumulators for its part of the result;
/// then the partials of each result block are merged and finished.
template <class R, class T, class Acc, class Finish>
class ReduceNode final : public Node<R> {
 public:
  ReduceNode(NodePtr<T> input, ReducedGeometry geometry, Finish finish)
      : Node<R>(geometry.shape, geometry.chunks),
        input_(std::move(input)),
        reduced_(std::move(geometry.reduced)),
        finish_(finish) {}
  void prepare() const override {
    std::call_once(once_, [this] {
      input_->prepare();
      result_ = materialize();
    });
  }
  void eval(const std::int64_t* start, std::int64_t n, R* out) const override {
    prepare();
    const std::int64_t first = start != nullptr ? flat_index(start, strides_of(this->shape())) : 0;
    std::copy(result_.data() + first, result_.data() + first + n, out);
  }
  [[nodiscard]] const char* kind() const noexcept override { return "reduce"; }
  [[nodiscard]] std::vector<const NodeBase*> inputs() const override { return {input_.get()}; }
  [[nodiscard]] std::int64_t tasks() const override {
    return input_->tasks() + input_->chunks().npartitions() + this->chunks().npartitions();
  }

 private:
  // The result's extent along input axis a for an input block (1 on reduced axes).
  NDArray<R> materialize() const {
    const Chunks& in = input_->chunks();
    const std::size_t ndim = in.ndim();
    // The result computed in the keepdims layout (reduced axes of length 1): same flat order.
    std::vector<std::int64_t> kept_extents(ndim);
    for (std::size_t a = 0; a < ndim; ++a) {
      kept_extents[a] = reduced_[a] ? 1 : input_->shape()[a];
    }
    const std::vector<std::int64_t> kept_strides = strides_of(Shape(kept_extents));
    auto result = NDArray<R>::uninitialized(this->shape());
    R* data = result.mutable_data();

    // Phase 1: per input block, accumulators for the result elements it touches.
    const std::int64_t blocks = in.npartitions();
    std::vector<std::vector<Acc>> partial(static_cast<std::size_t>(blocks));
    const Node<T>& input = *input_;
    const bool last_reduced = ndim > 0 && reduced_[ndim - 1];
    parallel_blocks(blocks, [&](std::int64_t b) {
      const auto index = in.block_index(b);
      const auto offset = in.block_offset(index);
      const Shape bshape = in.block_shape(index);
      std::vector<std::int64_t> local_extents(ndim);
      for (std::size_t a = 0; a < ndim; ++a) local_extents[a] = reduced_[a] ? 1 : bshape[a];
      const std::vector<std::int64_t> local_strides = strides_of(Shape(local_extents));
      std::vector<Acc>& accs = partial[static_cast<std::size_t>(b)];
      accs.assign(static_cast<std::size_t>(Shape(local_extents).elements()), Acc{});
      T scratch[kTile];
      for_each_run(in, b, [&](const std::int64_t* start, std::int64_t n) {
        const T* buffer = input.values(start, n, scratch);
        std::int64_t local = 0;
        for (std::size_t a = 0; a < ndim; ++a) {
          if (!reduced_[a]) local += (start[a] - offset[a]) * local_strides[a];
        }
        if (ndim == 0 || last_reduced) {
          accs[static_cast<std::size_t>(local)].add(buffer, n);
        } else {
          for (std::int64_t i = 0; i < n; ++i)
            accs[static_cast<std::size_t>(local + i)].add(buffer + i, 1);
        }
      });
    });

    // Phase 2: per result block (input blocks with the reduced block numbers at 0), merge the
    // partials of the input blocks that share it, finish, and write.
    std::vector<std::int64_t> targets;
    for (std::int64_t b = 0; b < blocks; ++b) {
      const auto index = in.block_index(b);
      bool first = true;
      for (std::size_t a = 0; a < ndim; ++a) first = first && (!reduced_[a] || index[a] == 0);
      if (first) targets.push_back(b);
    }
    parallel_blocks(static_cast<std::int64_t>(targets.size()), [&](std::int64_t t) {
      const std::int64_t b0 = targets[static_cast<std::size_t>(t)];
      const auto index0 = in.block_index(b0);
      std::vector<Acc> accs = std::move(partial[static_cast<std::size_t>(b0)]);
      for (std::int64_t b = 0; b < blocks; ++b) {
        if (b == b0) continue;
        const auto index = in.block_index(b);
        bool same = true;
        for (std::size_t a = 0; a < ndim && same; ++a) same = reduced_[a] || index[a] == index0[a];
        if (!same) continue;
        const auto& other = partial[static_cast<std::size_t>(b)];
        for (std::size_t k = 0; k < accs.size(); ++k) accs[k].merge(other[k]);
      }
      // Write each finished value at its place in the result (keepdims layout).
      const auto offset = in.block_offset(index0);
      const Shape bshape = in.block_shape(index0);
      std::vector<std::int64_t> local_extents(ndim);
      for (std::size_t a = 0; a < ndim; ++a) local_extents[a] = reduced_[a] ? 1 : bshape[a];
      std::vector<std::int64_t> pos(ndim, 0);
      for (std::size_t k = 0; k < accs.size(); ++k) {
        std::int64_t flat = 0;
        for (std::size_t a = 0; a < ndim; ++a) {
          flat += (reduced_[a] ? 0 : offset[a] + pos[a]) * kept_strides[a];
        }
        data[flat] = finish_(accs[k]);
        for (std::size_t a = ndim; a-- > 0;) {  // next position, row-major
          if (++pos[a] < local_extents[a]) break;
          pos[a] = 0;
        }
      }
    });
    return result;
  }

  NodePtr<T> input_;
  std::vector<bool> reduced_;
  Finish finish_;
  mutable std::once_flag once_;
  mutable NDArray<R> result_;
};

[[noreturn]] void throw_empty_reduction(const char* what);

template <class R, class Acc, class T, class Finish>
Array<R> reduce(const char* what, const Array<T>& a, const ReduceOptions& options, Finish finish) {
  ReducedGeometry geometry = reduced_geometry(what, a.shape(), a.chunks(), options);
  return Array<R>(
      std::make_shared<ReduceNode<R, T, Acc, Finish>>(a.node(), std::move(geometry), finish));
}

}  // namespace detail

template <Element E>
Array<sum_type<E>> Array<E>::sum(const ReduceOptions& options) const {
  using Acc = detail::SumAcc<E>;
  return detail::reduce<sum_type<E>, Acc>("sum", *this, options,
                                          [](const Acc& a) { return a.result(); });
}

template <Element E>
Array<sum_type<E>> Array<E>::prod(const ReduceOptions& options) const {
  using Acc = detail::ProdAcc<E>;
  return detail::reduce<sum_type<E>, Acc>("prod", *this, options,
                                          [](const Acc& a) { return a.result(); });
}

namespace detail {
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
}  // namespace detail

template <Element E>
Array<mean_type<E>> Array<E>::mean(const ReduceOptions& options) const {
  using Acc = detail::MeanAcc<E>;
  return detail::reduce<mean_type<E>, Acc>("mean", *this, options, [](const Acc& a) {
    return static_cast<mean_type<E>>(a.count == 0 ? std::numeric_limits<double>::quiet_NaN()
                                                  : a.total / a.count);
  });
}

template <Element E>
Array<mean_type<E>> Array<E>::var(const ReduceOptions& options) const {
  using Acc = detail::MomentsAcc<E>;
  return detail::reduce<mean_type<E>, Acc>(
      "var", *this, options, detail::variance_finish<mean_type<E>, Acc>(options.ddof, false));
}

template <Element E>
Array<mean_type<E>> Array<E>::std(const ReduceOptions& options) const {
  using Acc = detail::MomentsAcc<E>;
  return detail::reduce<mean_type<E>, Acc>(
      "std", *this, options, detail::variance_finish<mean_type<E>, Acc>(options.ddof, true));
}

template <Element E>
Array<E> Array<E>::min(const ReduceOptions& options) const {
  using Acc = detail::ExtremeAcc<E, false>;
  return detail::reduce<E, Acc>("min", *this, options, detail::extreme_finish<E, Acc>("min"));
}

template <Element E>
Array<E> Array<E>::max(const ReduceOptions& options) const {
  using Acc = detail::ExtremeAcc<E, true>;
  return detail::reduce<E, Acc>("max", *this, options, detail::extreme_finish<E, Acc>("max"));
}

template <Element E>
Array<bool> Array<E>::any(const ReduceOptions& options) const {
  using Acc = detail::LogicAcc<E, false>;
  return detail::reduce<bool, Acc>("any", *this, options, [](const Acc& a) { return a.value; });
}

template <Element E>
Array<bool> Array<E>::all(const ReduceOptions& options) const {
  using Acc = detail::LogicAcc<E, true>;
  return detail::reduce<bool, Acc>("all", *this, options, [](const Acc& a) { return a.value; });
}

}  // namespace loom::array
