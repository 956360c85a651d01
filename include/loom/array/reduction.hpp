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

template <Element Scalar>
Array<sum_type<Scalar>> Array<Scalar>::sum(const ReduceOptions& options) const {
  using Acc = detail::SumAcc<Scalar>;
  return detail::reduce<sum_type<Scalar>, Acc>("sum", *this, options,
                                               [](const Acc& a) { return a.result(); });
}

template <Element Scalar>
Array<sum_type<Scalar>> Array<Scalar>::prod(const ReduceOptions& options) const {
  using Acc = detail::ProdAcc<Scalar>;
  return detail::reduce<sum_type<Scalar>, Acc>("prod", *this, options,
                                               [](const Acc& a) { return a.result(); });
}

template <Element Scalar>
Array<mean_type<Scalar>> Array<Scalar>::mean(const ReduceOptions& options) const {
  using Acc = detail::MeanAcc<Scalar>;
  return detail::reduce<mean_type<Scalar>, Acc>("mean", *this, options, [](const Acc& a) {
    return static_cast<mean_type<Scalar>>(a.count == 0 ? std::numeric_limits<double>::quiet_NaN()
                                                       : a.total / a.count);
  });
}

template <Element Scalar>
Array<mean_type<Scalar>> Array<Scalar>::var(const ReduceOptions& options) const {
  using Acc = detail::MomentsAcc<Scalar>;
  return detail::reduce<mean_type<Scalar>, Acc>(
      "var", *this, options, detail::variance_finish<mean_type<Scalar>, Acc>(options.ddof, false));
}

template <Element Scalar>
Array<mean_type<Scalar>> Array<Scalar>::std(const ReduceOptions& options) const {
  using Acc = detail::MomentsAcc<Scalar>;
  return detail::reduce<mean_type<Scalar>, Acc>(
      "std", *this, options, detail::variance_finish<mean_type<Scalar>, Acc>(options.ddof, true));
}

template <Element Scalar>
Array<Scalar> Array<Scalar>::min(const ReduceOptions& options) const {
  using Acc = detail::ExtremeAcc<Scalar, false>;
  return detail::reduce<Scalar, Acc>("min", *this, options,
                                     detail::extreme_finish<Scalar, Acc>("min"));
}

template <Element Scalar>
Array<Scalar> Array<Scalar>::max(const ReduceOptions& options) const {
  using Acc = detail::ExtremeAcc<Scalar, true>;
  return detail::reduce<Scalar, Acc>("max", *this, options,
                                     detail::extreme_finish<Scalar, Acc>("max"));
}

template <Element Scalar>
Array<std::int64_t> Array<Scalar>::argmin(const ReduceOptions& options) const {
  using Acc = detail::ArgAcc<Scalar, false>;
  return detail::reduce<std::int64_t, Acc>("argmin", *this,
                                           detail::arg_options("argmin", *this, options),
                                           detail::arg_finish<Acc>("argmin"));
}

template <Element Scalar>
Array<std::int64_t> Array<Scalar>::argmax(const ReduceOptions& options) const {
  using Acc = detail::ArgAcc<Scalar, true>;
  return detail::reduce<std::int64_t, Acc>("argmax", *this,
                                           detail::arg_options("argmax", *this, options),
                                           detail::arg_finish<Acc>("argmax"));
}

template <Element Scalar>
Array<bool> Array<Scalar>::any(const ReduceOptions& options) const {
  using Acc = detail::LogicAcc<Scalar, false>;
  return detail::reduce<bool, Acc>("any", *this, options, [](const Acc& a) { return a.value; });
}

template <Element Scalar>
Array<bool> Array<Scalar>::all(const ReduceOptions& options) const {
  using Acc = detail::LogicAcc<Scalar, true>;
  return detail::reduce<bool, Acc>("all", *this, options, [](const Acc& a) { return a.value; });
}

// The reductions of the five element types are compiled once, in libloom
// (src/array/instantiations.cpp), not in every translation unit that uses them.
#define LOOM_ARRAY_REDUCTIONS_OF(E)                                                 \
  extern template Array<sum_type<E>> Array<E>::sum(const ReduceOptions&) const;     \
  extern template Array<sum_type<E>> Array<E>::prod(const ReduceOptions&) const;    \
  extern template Array<mean_type<E>> Array<E>::mean(const ReduceOptions&) const;   \
  extern template Array<mean_type<E>> Array<E>::var(const ReduceOptions&) const;    \
  extern template Array<mean_type<E>> Array<E>::std(const ReduceOptions&) const;    \
  extern template Array<E> Array<E>::min(const ReduceOptions&) const;               \
  extern template Array<E> Array<E>::max(const ReduceOptions&) const;               \
  extern template Array<std::int64_t> Array<E>::argmin(const ReduceOptions&) const; \
  extern template Array<std::int64_t> Array<E>::argmax(const ReduceOptions&) const; \
  extern template Array<bool> Array<E>::any(const ReduceOptions&) const;            \
  extern template Array<bool> Array<E>::all(const ReduceOptions&) const;
LOOM_ARRAY_REDUCTIONS_OF(float)
LOOM_ARRAY_REDUCTIONS_OF(double)
LOOM_ARRAY_REDUCTIONS_OF(std::int32_t)
LOOM_ARRAY_REDUCTIONS_OF(std::int64_t)
LOOM_ARRAY_REDUCTIONS_OF(bool)
#undef LOOM_ARRAY_REDUCTIONS_OF

}  // namespace loom::array
