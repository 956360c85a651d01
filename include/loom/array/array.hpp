#pragma once
// da::Array<T>: a chunked, lazy N-d array (dask.array). It holds a shape, its chunks and the
// expression that makes its values; compute() evaluates it chunk by chunk in parallel into a
// loom::NDArray<T>.
//
//   namespace da = loom::array;
//   da::Array<double> x = da::random::random({10000, 10000}, {.chunks = {1000, 1000}, .seed = 42});
//   double m = ((x + 1.0) * (x + 1.0)).mean().compute().item();

#include <concepts>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <ostream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "loom/array/chunks.hpp"
#include "loom/array/detail/node.hpp"
#include "loom/array/detail/runs.hpp"
#include "loom/array/detail/visualize.hpp"
#include "loom/array/index.hpp"
#include "loom/core/detail/progress_work.hpp"
#include "loom/core/error.hpp"
#include "loom/core/ndarray.hpp"

namespace loom::array {

/// The element types of chunked arrays (NumPy's float32/float64/int32/int64/bool).
template <class T>
concept Element = std::is_same_v<T, float> || std::is_same_v<T, double> ||
    std::is_same_v<T, std::int32_t> || std::is_same_v<T, std::int64_t> || std::is_same_v<T, bool>;

/// NumPy's name of an element type ("float64").
template <Element Scalar>
constexpr const char* dtype_name() {
  if constexpr (std::is_same_v<Scalar, float>) return "float32";
  if constexpr (std::is_same_v<Scalar, double>) return "float64";
  if constexpr (std::is_same_v<Scalar, std::int32_t>) return "int32";
  if constexpr (std::is_same_v<Scalar, std::int64_t>) return "int64";
  if constexpr (std::is_same_v<Scalar, bool>) return "bool";
}

/// NumPy's result types: sum/prod of integers and bools is int64, of floats the same float;
/// mean/std/var of float32 is float32, of anything else float64.
template <class Scalar>
using sum_type = std::conditional_t<std::is_floating_point_v<Scalar>, Scalar, std::int64_t>;
template <class Scalar>
using mean_type = std::conditional_t<std::is_same_v<Scalar, float>, float, double>;

/// NumPy's promotion of two array element types: bool gives way to anything, int32 with int64
/// is int64, an integer with any float is float64, float32 with float64 is float64.
template <class A, class B>
using promote_t = std::conditional_t<
    std::is_same_v<A, B>, A,
    std::conditional_t<
        std::is_same_v<A, bool>, B,
        std::conditional_t<std::is_same_v<B, bool>, A,
                           std::conditional_t<std::is_integral_v<A> && std::is_integral_v<B>,
                                              std::int64_t, double>>>>;

/// An array of T with a C++ scalar of type S, as NumPy treats a Python scalar: the array's type
/// wins unless the scalar is of a higher kind (a float with an integer or bool array is
/// float64; an integer with a bool array is int64).
template <class T, class S>
using scalar_promote_t = std::conditional_t<
    std::is_floating_point_v<T>, T,
    std::conditional_t<
        std::is_floating_point_v<S>, double,
        std::conditional_t<std::is_same_v<T, bool> && !std::is_same_v<S, bool>, std::int64_t, T>>>;

/// The type `/` computes in: true division, so integers and bools divide as float64.
template <class C>
using true_divide_t = std::conditional_t<std::is_floating_point_v<C>, C, double>;

template <Element Scalar>
class Array;

namespace detail {
struct ArrayAccess;
}  // namespace detail

/// The axes a reduction runs along: an int or a braced list (negative counts from the end);
/// empty means every axis.
struct Axes {
  std::vector<int> axes;
  Axes() = default;
  Axes(int axis) : axes{axis} {}  // NOLINT(google-explicit-constructor): `.axis = 0`
  Axes(std::initializer_list<int> list) : axes(list) {}
};

/// `keepdims` takes a bool only: `x.sum({0, 1})` must not compile as `{.axis = 0,
/// .keepdims = 1}`.
class KeepDims {
 public:
  KeepDims() = default;
  template <class B>
  requires std::same_as<B, bool> KeepDims(B keep)
      : keep_(keep) {}  // NOLINT(google-explicit-constructor)
  [[nodiscard]] operator bool() const noexcept { return keep_; }  // NOLINT

 private:
  bool keep_ = false;
};

/// `x.sum({.axis = {0, 1}, .keepdims = true, .ddof = 1, .split_every = 4})`.
struct ReduceOptions {
  Axes axis{};
  KeepDims keepdims{};
  /// Delta degrees of freedom of std/var (0, as NumPy).
  int ddof = 0;
  /// Partial results merged per step of the tree reduction (0: 4, as Dask; at least 2).
  int split_every = 0;
};

template <Element Scalar>
class Array {
 public:
  using value_type = Scalar;

  [[nodiscard]] const Shape& shape() const noexcept { return node_->shape(); }
  [[nodiscard]] std::size_t ndim() const noexcept { return node_->shape().size(); }
  [[nodiscard]] std::int64_t size() const noexcept { return node_->shape().elements(); }
  /// Per axis, the lengths of its chunks (Dask's chunks tuple).
  [[nodiscard]] const Chunks& chunks() const noexcept { return node_->chunks(); }
  [[nodiscard]] Shape chunksize() const { return node_->chunks().chunksize(); }
  [[nodiscard]] std::int64_t npartitions() const noexcept { return node_->chunks().npartitions(); }
  [[nodiscard]] static constexpr const char* dtype() noexcept { return dtype_name<Scalar>(); }
  /// Tasks in the graph (as Dask's repr counts them).
  [[nodiscard]] std::int64_t tasks() const { return node_->tasks(); }

  /// Evaluates the array: chunks in parallel, element-wise chains fused.
  [[nodiscard]] NDArray<Scalar> compute() const {
    const loom::detail::ProgressWork progress;  // drawn while a loom::ProgressBar lives
    auto out = NDArray<Scalar>::uninitialized(shape());
    detail::evaluate_into(*node_, out.mutable_data());
    return out;
  }
  /// Computes the values once and keeps them (same chunks): later expressions start from
  /// memory instead of recomputing (dask's persist).
  [[nodiscard]] Array persist() const;

  /// The same values in other chunks (`{1000, 1000}`, `-1` for a whole axis, 0 auto).
  [[nodiscard]] Array rechunk(const std::vector<std::int64_t>& chunks) const;
  /// The same values in explicit, possibly irregular chunks: `{{300, 300, 403}, {997}}`.
  [[nodiscard]] Array rechunk(const std::vector<std::vector<std::int64_t>>& chunks) const;
  /// Axes reversed (numpy's .T).
  [[nodiscard]] Array T() const;
  /// Axes permuted: output axis i is input axis axes[i] (reversed when empty).
  [[nodiscard]] Array transpose(std::vector<std::size_t> axes = {}) const;
  /// The same values in another shape (one extent may be -1: inferred), as numpy.reshape.
  [[nodiscard]] Array reshape(const std::vector<std::int64_t>& shape) const;
  /// The values converted to another element type (numpy's astype).
  template <Element To>
  [[nodiscard]] Array<To> astype() const;
  /// Basic and integer indexing, one index per axis (missing trailing axes are whole):
  /// `x(da::slice(0, 100), da::all)`, `x(5)` (drops the axis), `x(da::slice(none, none, -1))`,
  /// `x(std::vector<std::int64_t>{3, 0, 3})` (takes those positions). Lazy; defined in
  /// loom/array/slicing.hpp.
  template <class... I>
  requires(std::is_constructible_v<Index, const I&>&&...) [[nodiscard]] Array operator()(
      const I&... index) const {
    return at(std::vector<Index>{Index(index)...});
  }
  [[nodiscard]] Array at(const std::vector<Index>& index) const;
  /// f applied to each block (an NDArray<Scalar>), which returns the block's values as an
  /// NDArray<R> of the same shape (dask's map_blocks); defined in loom/array/map_blocks.hpp.
  template <class F>
  [[nodiscard]] auto map_blocks(F f) const;
  /// Matrix product of 2-d arrays: each output chunk a sum of Eigen GEMMs over the shared axis.
  [[nodiscard]] Array dot(const Array& other) const;

  /// Writes the values to a NumPy `.npy` file chunk by chunk (defined in creation.hpp).
  void to_npy(const std::filesystem::path& path) const;

  /// Writes the graph to `path` (dask's visualize): one box per step with its shape and number
  /// of chunk tasks. `.dot`/`.gv` as Graphviz DOT text; `.svg`, `.png`, `.pdf` drawn by
  /// Graphviz's `dot`; another extension is a loom::ConfigError. A loom::Error when the file
  /// cannot be written or `dot` is missing.
  void visualize(const std::filesystem::path& path) const { detail::write_dot(*node_, path); }

  /// The value of a 0-d (or one-element) array.
  [[nodiscard]] Scalar compute_scalar() const { return compute().item(); }
  /// NumPy's spelling of compute_scalar(), for code written against `ndarray.item()`.
  [[nodiscard]] Scalar item() const { return compute_scalar(); }

  // ---- reductions (lazy; defined in loom/array/reduction.hpp) ----
  // x.sum() reduces everything (a 0-d array), x.sum(0) one axis, x.sum({...}) as options say.
#define LOOM_ARRAY_REDUCTION(R, name)                                   \
  [[nodiscard]] Array<R> name() const { return name(ReduceOptions{}); } \
  [[nodiscard]] Array<R> name(std::integral auto axis) const {          \
    return name(ReduceOptions{.axis = static_cast<int>(axis)});         \
  }                                                                     \
  [[nodiscard]] Array<R> name(const ReduceOptions& options) const;
  LOOM_ARRAY_REDUCTION(sum_type<Scalar>, sum)
  LOOM_ARRAY_REDUCTION(sum_type<Scalar>, prod)
  LOOM_ARRAY_REDUCTION(mean_type<Scalar>, mean)
  LOOM_ARRAY_REDUCTION(mean_type<Scalar>, var)  // population variance (ddof 0); a stable merge
  LOOM_ARRAY_REDUCTION(mean_type<Scalar>, std)
  LOOM_ARRAY_REDUCTION(Scalar, min)
  LOOM_ARRAY_REDUCTION(Scalar, max)
  LOOM_ARRAY_REDUCTION(bool, any)
  LOOM_ARRAY_REDUCTION(bool, all)
  // The position of the first smallest (largest) value: along one axis, or in the flattened
  // array when all axes are reduced (NaN counts as the extreme, as NumPy).
  LOOM_ARRAY_REDUCTION(std::int64_t, argmin)
  LOOM_ARRAY_REDUCTION(std::int64_t, argmax)
#undef LOOM_ARRAY_REDUCTION

  /// `loom.array<shape=(10000, 10000), dtype=float64, chunksize=(1000, 1000), tasks=300>`.
  friend std::ostream& operator<<(std::ostream& out, const Array& a) {
    return out << "loom.array<shape=" << a.shape().str() << ", dtype=" << dtype_name<Scalar>()
               << ", chunksize=" << a.chunksize().str() << ", tasks=" << a.tasks() << '>';
  }

 private:
  friend struct detail::ArrayAccess;
  explicit Array(detail::NodePtr<Scalar> node) : node_(std::move(node)) {}
  [[nodiscard]] const detail::NodePtr<Scalar>& node() const noexcept { return node_; }

  detail::NodePtr<Scalar> node_;
};

namespace detail {

/// The one door between an Array and its graph node, for loom's own code: users can neither
/// see an array's node nor wrap a node of their own.
struct ArrayAccess {
  template <Element Scalar>
  static Array<Scalar> wrap(NodePtr<Scalar> node) {
    return Array<Scalar>(std::move(node));
  }
  template <Element Scalar>
  static const NodePtr<Scalar>& node(const Array<Scalar>& a) noexcept {
    return a.node_;
  }
};

/// An array made by `node`.
template <Element Scalar>
Array<Scalar> make_array(NodePtr<Scalar> node) {
  return ArrayAccess::wrap<Scalar>(std::move(node));
}
/// The node that makes `a`.
template <Element Scalar>
const NodePtr<Scalar>& node_of(const Array<Scalar>& a) noexcept {
  return ArrayAccess::node(a);
}

}  // namespace detail

}  // namespace loom::array
