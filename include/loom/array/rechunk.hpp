#pragma once
// rechunk and transpose. Nodes evaluate by global position, so rechunking only changes how the
// work is split (no data moves, no memory beyond a run per thread); a transpose gathers its
// runs from the input (in place when the input is in memory).

#include <cstdint>
#include <memory>
#include <numeric>
#include <vector>

#include "loom/array/array.hpp"

namespace loom::array {

namespace detail {

/// Checks explicit per-axis chunk lengths against a shape.
Chunks explicit_chunks(const Shape& shape, const std::vector<std::vector<std::int64_t>>& chunks);

template <class T>
class RechunkNode final : public OneInputNode<T, T> {
 public:
  RechunkNode(NodePtr<T> input, Chunks chunks)
      : OneInputNode<T, T>(input, input->shape(), std::move(chunks), "rechunk") {}
  void eval(const std::int64_t* start, std::int64_t n, T* out) const override {
    this->input_->eval(start, n, out);
  }
  [[nodiscard]] const T* view(const std::int64_t* start, std::int64_t n) const override {
    return this->input_->view(start, n);
  }
  [[nodiscard]] const T* whole() const override { return this->input_->whole(); }
};

/// Output axis a is input axis perm[a].
template <class T>
class TransposeNode final : public OneInputNode<T, T> {
 public:
  TransposeNode(NodePtr<T> input, std::vector<std::size_t> perm, Shape shape, Chunks chunks)
      : OneInputNode<T, T>(std::move(input), std::move(shape), std::move(chunks), "transpose"),
        perm_(std::move(perm)),
        input_strides_(strides_of(this->input_->shape())) {}
  void eval(const std::int64_t* start, std::int64_t n, T* out) const override {
    const std::size_t ndim = perm_.size();
    std::vector<std::int64_t> at(ndim);
    for (std::size_t a = 0; a < ndim; ++a) at[perm_[a]] = start[a];
    const std::size_t moving = perm_[ndim - 1];  // the input axis the run walks along
    const std::int64_t first = at[moving];
    if (const T* whole = this->input_->whole(); whole != nullptr) {
      // In memory: a strided gather.
      const std::int64_t base = flat_index(at.data(), input_strides_);
      const std::int64_t stride = input_strides_[moving];
      for (std::int64_t i = 0; i < n; ++i) out[i] = whole[base + i * stride];
      return;
    }
    for (std::int64_t i = 0; i < n; ++i) {
      at[moving] = first + i;
      this->input_->eval(at.data(), 1, out + i);
    }
  }

 private:
  std::vector<std::size_t> perm_;
  std::vector<std::int64_t> input_strides_;
};

}  // namespace detail

/// The same values cut into other chunks (`{-1, 1000}` etc., as at creation).
template <Element T>
[[nodiscard]] Array<T> rechunk(const Array<T>& a, const std::vector<std::int64_t>& chunks) {
  Chunks c = normalize_chunks(a.shape(), chunks, sizeof(T));
  return detail::make_array<T>(std::make_shared<detail::RechunkNode<T>>(detail::node_of(a), std::move(c)));
}

/// The same values cut into explicit chunks: per axis, the list of chunk lengths (Dask's tuple
/// of tuples, irregular allowed: `{{300, 300, 403}, {997}}`); ShapeError when an axis's lengths
/// do not add up to its extent.
template <Element T>
[[nodiscard]] Array<T> rechunk(const Array<T>& a,
                               const std::vector<std::vector<std::int64_t>>& chunks) {
  Chunks c = detail::explicit_chunks(a.shape(), chunks);
  return detail::make_array<T>(std::make_shared<detail::RechunkNode<T>>(detail::node_of(a), std::move(c)));
}

/// Axes reversed (numpy's .T), or permuted: output axis i is input axis axes[i].
template <Element T>
[[nodiscard]] Array<T> transpose(const Array<T>& a, std::vector<std::size_t> axes = {}) {
  const std::size_t ndim = a.ndim();
  if (axes.empty()) {
    axes.resize(ndim);
    std::iota(axes.rbegin(), axes.rend(), std::size_t{0});
  }
  std::vector<bool> seen(ndim, false);
  if (axes.size() != ndim) throw ShapeError("transpose: the axes are not a permutation");
  for (std::size_t x : axes) {
    if (x >= ndim || seen[x]) throw ShapeError("transpose: the axes are not a permutation");
    seen[x] = true;
  }
  std::vector<std::int64_t> extents(ndim);
  std::vector<std::vector<std::int64_t>> per_axis(ndim);
  for (std::size_t i = 0; i < ndim; ++i) {
    extents[i] = a.shape()[axes[i]];
    per_axis[i] = a.chunks().axis(axes[i]);
  }
  bool identity = true;
  for (std::size_t i = 0; i < ndim; ++i) identity = identity && axes[i] == i;
  if (identity) return a;
  return detail::make_array<T>(std::make_shared<detail::TransposeNode<T>>(
      detail::node_of(a), std::move(axes), Shape(std::move(extents)), Chunks(std::move(per_axis))));
}

}  // namespace loom::array
