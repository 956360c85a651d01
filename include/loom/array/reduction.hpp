#pragma once
// Reductions of chunked arrays, along any axes: each block is reduced in parallel (run by run,
// so the element-wise chain in front of it is fused) into partial results, which are merged as
// a tree, `split_every` partials per merge (Dask's tree reduction), the merges of a level in
// parallel.

#include <cmath>
#include <cstdint>
#include <limits>

#include "loom/array/array.hpp"
#include "loom/array/detail/accumulators.hpp"
#include "loom/array/detail/reduce_node.hpp"

namespace loom::array {

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
Array<std::int64_t> Array<E>::argmin(const ReduceOptions& options) const {
  using Acc = detail::ArgAcc<E, false>;
  return detail::reduce<std::int64_t, Acc>("argmin", *this,
                                           detail::arg_options("argmin", *this, options),
                                           detail::arg_finish<Acc>("argmin"));
}

template <Element E>
Array<std::int64_t> Array<E>::argmax(const ReduceOptions& options) const {
  using Acc = detail::ArgAcc<E, true>;
  return detail::reduce<std::int64_t, Acc>("argmax", *this,
                                           detail::arg_options("argmax", *this, options),
                                           detail::arg_finish<Acc>("argmax"));
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


// The reductions of the five element types are compiled once, in libloom
// (src/array/instantiations.cpp), not in every translation unit that uses them.
#define LOOM_ARRAY_REDUCTIONS_OF(E)                                                      \
  extern template Array<sum_type<E>> Array<E>::sum(const ReduceOptions&) const;         \
  extern template Array<sum_type<E>> Array<E>::prod(const ReduceOptions&) const;        \
  extern template Array<mean_type<E>> Array<E>::mean(const ReduceOptions&) const;       \
  extern template Array<mean_type<E>> Array<E>::var(const ReduceOptions&) const;        \
  extern template Array<mean_type<E>> Array<E>::std(const ReduceOptions&) const;        \
  extern template Array<E> Array<E>::min(const ReduceOptions&) const;                   \
  extern template Array<E> Array<E>::max(const ReduceOptions&) const;                   \
  extern template Array<std::int64_t> Array<E>::argmin(const ReduceOptions&) const;     \
  extern template Array<std::int64_t> Array<E>::argmax(const ReduceOptions&) const;     \
  extern template Array<bool> Array<E>::any(const ReduceOptions&) const;                \
  extern template Array<bool> Array<E>::all(const ReduceOptions&) const;
LOOM_ARRAY_REDUCTIONS_OF(float)
LOOM_ARRAY_REDUCTIONS_OF(double)
LOOM_ARRAY_REDUCTIONS_OF(std::int32_t)
LOOM_ARRAY_REDUCTIONS_OF(std::int64_t)
LOOM_ARRAY_REDUCTIONS_OF(bool)
#undef LOOM_ARRAY_REDUCTIONS_OF

}  // namespace loom::array
