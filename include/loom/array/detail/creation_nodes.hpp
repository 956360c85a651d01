#pragma once
// The engine of array creation (private to loom): nodes that fill, generate from positions
// (arange, random values from their seed) or wrap an existing NDArray, and the checks of a
// requested shape.

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "loom/array/array.hpp"
#include "loom/array/creation_options.hpp"
#include "loom/core/random.hpp"

namespace loom::array::detail {

template <class Scalar>
class FillNode final : public Node<Scalar> {
 public:
  FillNode(Shape shape, Chunks chunks, Scalar value)
      : Node<Scalar>(std::move(shape), std::move(chunks)), value_(value) {}
  void eval(const std::int64_t* /*start*/, std::int64_t n, Scalar* out) const override {
    std::fill(out, out + n, value_);
  }
  [[nodiscard]] const char* kind() const noexcept override { return "full"; }
  [[nodiscard]] std::int64_t tasks() const override { return this->chunks().npartitions(); }

 private:
  Scalar value_;
};

/// Element i (row-major over the whole array) is generate(i).
template <class T, class Generate>
class GeneratedNode final : public Node<T> {
 public:
  GeneratedNode(Shape shape, Chunks chunks, Generate generate)
      : Node<T>(std::move(shape), std::move(chunks)),
        strides_(strides_of(this->shape())),
        generate_(generate) {}
  void eval(const std::int64_t* start, std::int64_t n, T* out) const override {
    const std::int64_t first = start != nullptr ? flat_index(start, strides_) : 0;
    for (std::int64_t i = 0; i < n; ++i) out[i] = generate_(first + i);
  }
  [[nodiscard]] const char* kind() const noexcept override { return "generate"; }
  [[nodiscard]] std::int64_t tasks() const override { return this->chunks().npartitions(); }

 private:
  std::vector<std::int64_t> strides_;
  Generate generate_;
};

/// Values read from a whole NDArray (shared, not copied).
template <class Scalar>
class FromArrayNode final : public Node<Scalar> {
 public:
  FromArrayNode(NDArray<Scalar> array, Chunks chunks)
      : Node<Scalar>(array.shape(), std::move(chunks)),
        array_(std::move(array)),
        strides_(strides_of(this->shape())) {}
  void eval(const std::int64_t* start, std::int64_t n, Scalar* out) const override {
    std::memcpy(out, view(start, n), static_cast<std::size_t>(n) * sizeof(Scalar));
  }
  [[nodiscard]] const Scalar* view(const std::int64_t* start, std::int64_t /*n*/) const override {
    return array_.data() + (start != nullptr ? flat_index(start, strides_) : 0);
  }
  [[nodiscard]] const Scalar* whole() const override { return array_.data(); }
  [[nodiscard]] const char* kind() const noexcept override { return "array"; }
  [[nodiscard]] std::int64_t tasks() const override { return this->chunks().npartitions(); }

 private:
  NDArray<Scalar> array_;
  std::vector<std::int64_t> strides_;
};

void check_creation_shape(const Shape& shape);

template <class T, class Generate>
Array<T> generated(const Shape& shape, const Options& options, Generate generate) {
  check_creation_shape(shape);
  Chunks chunks = normalize_chunks(shape, options.chunks, sizeof(T));
  return detail::make_array<T>(
      std::make_shared<GeneratedNode<T, Generate>>(shape, std::move(chunks), generate));
}

}  // namespace loom::array::detail
