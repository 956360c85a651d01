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

template <class T>
struct SumAcc {
  using A = std::conditional_t<std::is_floating_point_v<T>, double, std::int64_t>;
  A total = 0;
  void add(const T* x, std::int64_t n) {
    A t = 0;
    for (std::int64_t i = 0; i < n; ++i) t += static_cast<A>(x[i]);
    total += t;
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

/// Count, mean and sum of squared deviations, merged as Chan et al. do (stable).
template <class T>
struct MomentsAcc {
  double count = 0;
  double mean = 0;
  double m2 = 0;
  void add(const T* x, std::int64_t n) {
    if (n == 0) return;
    double s = 0;
    for (std::int64_t i = 0; i < n; ++i) s += static_cast<double>(x[i]);
    const double tile_mean = s / static_cast<double>(n);
    double q = 0;
    for (std::int64_t i = 0; i < n; ++i) {
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

/// A 0-d array: the reduction of `input`, computed once when first evaluated.
template <class R, class T, class Acc, class Finish>
class ReduceNode final : public Node<R> {
 public:
  ReduceNode(NodePtr<T> input, Finish finish)
      : Node<R>(Shape{}, Chunks{}), input_(std::move(input)), finish_(finish) {}
  void eval(const std::int64_t* /*start*/, std::int64_t /*n*/, R* out) const override {
    std::call_once(once_, [this] { value_ = finish_(reduce()); });
    out[0] = value_;
  }
  [[nodiscard]] std::int64_t tasks() const override {
    return input_->tasks() + input_->chunks().npartitions() + 1;
  }

 private:
  Acc reduce() const {
    const Chunks& chunks = input_->chunks();
    std::vector<Acc> partial(static_cast<std::size_t>(chunks.npartitions()));
    const Node<T>& input = *input_;
    parallel_blocks(chunks.npartitions(), [&](std::int64_t block) {
      Acc& acc = partial[static_cast<std::size_t>(block)];
      T buffer[kTile];
      for_each_run(chunks, block, [&](const std::int64_t* start, std::int64_t n) {
        input.eval(start, n, buffer);
        acc.add(buffer, n);
      });
    });
    Acc total{};
    for (const Acc& p : partial) total.merge(p);
    return total;
  }

  NodePtr<T> input_;
  Finish finish_;
  mutable std::once_flag once_;
  mutable R value_{};
};

[[noreturn]] void throw_empty_reduction(const char* what);

template <class R, class Acc, class T, class Finish>
Array<R> reduce(const Array<T>& a, Finish finish) {
  return Array<R>(std::make_shared<ReduceNode<R, T, Acc, Finish>>(a.node(), finish));
}

}  // namespace detail

template <Element T>
Array<sum_type<T>> Array<T>::sum() const {
  using Acc = detail::SumAcc<T>;
  return detail::reduce<sum_type<T>, Acc>(*this, [](const Acc& a) { return a.result(); });
}

template <Element T>
Array<sum_type<T>> Array<T>::prod() const {
  using Acc = detail::ProdAcc<T>;
  return detail::reduce<sum_type<T>, Acc>(*this, [](const Acc& a) { return a.result(); });
}

template <Element T>
Array<mean_type<T>> Array<T>::mean() const {
  using Acc = detail::MomentsAcc<T>;
  return detail::reduce<mean_type<T>, Acc>(*this, [](const Acc& a) {
    return static_cast<mean_type<T>>(a.count == 0 ? std::numeric_limits<double>::quiet_NaN()
                                                  : a.mean);
  });
}

template <Element T>
Array<mean_type<T>> Array<T>::var(int ddof) const {
  using Acc = detail::MomentsAcc<T>;
  return detail::reduce<mean_type<T>, Acc>(*this, [ddof](const Acc& a) {
    const double n = a.count - ddof;
    return static_cast<mean_type<T>>(n <= 0 ? std::numeric_limits<double>::quiet_NaN() : a.m2 / n);
  });
}

template <Element T>
Array<mean_type<T>> Array<T>::std(int ddof) const {
  using Acc = detail::MomentsAcc<T>;
  return detail::reduce<mean_type<T>, Acc>(*this, [ddof](const Acc& a) {
    const double n = a.count - ddof;
    return static_cast<mean_type<T>>(n <= 0 ? std::numeric_limits<double>::quiet_NaN()
                                            : std::sqrt(a.m2 / n));
  });
}

template <Element T>
Array<T> Array<T>::min() const {
  using Acc = detail::ExtremeAcc<T, false>;
  return detail::reduce<T, Acc>(*this, [](const Acc& a) {
    if (!a.best) detail::throw_empty_reduction("min");
    return *a.best;
  });
}

template <Element T>
Array<T> Array<T>::max() const {
  using Acc = detail::ExtremeAcc<T, true>;
  return detail::reduce<T, Acc>(*this, [](const Acc& a) {
    if (!a.best) detail::throw_empty_reduction("max");
    return *a.best;
  });
}

template <Element T>
Array<bool> Array<T>::any() const {
  using Acc = detail::LogicAcc<T, false>;
  return detail::reduce<bool, Acc>(*this, [](const Acc& a) { return a.value; });
}

template <Element T>
Array<bool> Array<T>::all() const {
  using Acc = detail::LogicAcc<T, true>;
  return detail::reduce<bool, Acc>(*this, [](const Acc& a) { return a.value; });
}

}  // namespace loom::array
