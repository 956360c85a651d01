// The array templates that are not fused into their consumers, compiled once here for the five
// element types (their public headers declare them `extern template`): the reductions, the
// materialized chunks behind reductions, matrix products and map_blocks, rechunk and transpose,
// and the GEMM blocks of matrix products. Fused element-wise expressions stay in the headers.

#include <cstdint>

#include "loom/array/detail/dot_node.hpp"
#include "loom/array/detail/materialized.hpp"
#include "loom/array/detail/rechunk_node.hpp"
#include "loom/array/reduction.hpp"

namespace loom::array {

namespace detail {
template class MaterializedNode<float>;
template class MaterializedNode<double>;
template class MaterializedNode<std::int32_t>;
template class MaterializedNode<std::int64_t>;
template class MaterializedNode<bool>;
template class DotNode<float>;
template class DotNode<double>;
template class DotNode<std::int32_t>;
template class DotNode<std::int64_t>;
template class RechunkNode<float>;
template class TransposeNode<float>;
template class RechunkNode<double>;
template class TransposeNode<double>;
template class RechunkNode<std::int32_t>;
template class TransposeNode<std::int32_t>;
template class RechunkNode<std::int64_t>;
template class TransposeNode<std::int64_t>;
template class RechunkNode<bool>;
template class TransposeNode<bool>;
}  // namespace detail

#define LOOM_ARRAY_REDUCTIONS_OF(E)                                          \
  template Array<sum_type<E>> Array<E>::sum(const ReduceOptions&) const;     \
  template Array<sum_type<E>> Array<E>::prod(const ReduceOptions&) const;    \
  template Array<mean_type<E>> Array<E>::mean(const ReduceOptions&) const;   \
  template Array<mean_type<E>> Array<E>::var(const ReduceOptions&) const;    \
  template Array<mean_type<E>> Array<E>::std(const ReduceOptions&) const;    \
  template Array<E> Array<E>::min(const ReduceOptions&) const;               \
  template Array<E> Array<E>::max(const ReduceOptions&) const;               \
  template Array<std::int64_t> Array<E>::argmin(const ReduceOptions&) const; \
  template Array<std::int64_t> Array<E>::argmax(const ReduceOptions&) const; \
  template Array<bool> Array<E>::any(const ReduceOptions&) const;            \
  template Array<bool> Array<E>::all(const ReduceOptions&) const;
LOOM_ARRAY_REDUCTIONS_OF(float)
LOOM_ARRAY_REDUCTIONS_OF(double)
LOOM_ARRAY_REDUCTIONS_OF(std::int32_t)
LOOM_ARRAY_REDUCTIONS_OF(std::int64_t)
LOOM_ARRAY_REDUCTIONS_OF(bool)
#undef LOOM_ARRAY_REDUCTIONS_OF

}  // namespace loom::array
