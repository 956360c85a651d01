#pragma once
// loom::NDArray<Scalar>: an owning-or-mapped, row-major, 64-byte aligned, reference-counted
// N-d array (docs/arrays-on-disk.md). Copies share storage; reads never need a writeable array;
// writes are explicit (mutable_data, mut, mutable_matrix) and throw on a read-only one.

#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <numeric>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "loom/core/detail/buffer.hpp"
#include "loom/core/shape.hpp"

namespace loom {

/// The element types of NDArray (NumPy's float32/64, int8..64, uint8..64, bool).
template <class Scalar>
concept ArrayScalar = std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double> ||
    std::is_same_v<Scalar, bool> ||
    (std::is_integral_v<Scalar> && !std::is_same_v<Scalar, char> && sizeof(Scalar) <= 8 &&
     !std::is_same_v<Scalar, wchar_t> && !std::is_same_v<Scalar, char8_t> &&
     !std::is_same_v<Scalar, char16_t> && !std::is_same_v<Scalar, char32_t>);

namespace detail {
[[noreturn]] void throw_read_only(const std::string& what);
[[noreturn]] void throw_bad_shape(const std::string& what);
[[noreturn]] void throw_index(std::size_t axis, std::int64_t index, std::int64_t extent);
[[noreturn]] void throw_rank(std::size_t given, std::size_t rank);
/// Negative extents, and element counts or byte sizes that do not fit in int64: ShapeError.
void check_extents(const Shape& shape, std::size_t itemsize = 1);
struct NDArrayAccess;
}  // namespace detail

template <ArrayScalar Scalar>
class NDArray {
 public:
  using value_type = Scalar;
  using RowMajorMatrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;

  /// An empty 1-d array.
  NDArray() : NDArray(Shape{0}) {}
  /// Zero-filled.
  explicit NDArray(Shape shape) : shape_(std::move(shape)) {
    detail::check_extents(shape_, sizeof(Scalar));
    buffer_ = detail::allocate_buffer(nbytes(), /*zero=*/true);
    data_ = reinterpret_cast<Scalar*>(buffer_->data());
  }
  /// A copy of `values` (their count must match the shape).
  NDArray(Shape shape, std::span<const Scalar> values) : NDArray(std::move(shape)) {
    if (static_cast<std::int64_t>(values.size()) != size()) {
      detail::throw_bad_shape("NDArray: " + std::to_string(values.size()) + " values for shape " +
                              shape_.str());
    }
    if (!values.empty()) std::memcpy(data_, values.data(), values.size_bytes());
  }
  /// Not initialized (NumPy's np.empty): for arrays about to be overwritten whole.
  static NDArray uninitialized(Shape shape) {
    detail::check_extents(shape, sizeof(Scalar));
    const auto bytes = static_cast<std::size_t>(shape.elements()) * sizeof(Scalar);
    auto buffer = detail::allocate_buffer(bytes, /*zero=*/false);
    auto* data = reinterpret_cast<Scalar*>(buffer->data());
    return NDArray(std::move(buffer), data, std::move(shape), true);
  }
  static NDArray full(Shape shape, Scalar value) {
    NDArray a = uninitialized(std::move(shape));
    std::fill(a.data_, a.data_ + a.size(), value);
    return a;
  }
  [[nodiscard]] const Shape& shape() const noexcept { return shape_; }
  [[nodiscard]] std::size_t ndim() const noexcept { return shape_.size(); }
  [[nodiscard]] std::int64_t size() const noexcept { return shape_.elements(); }
  [[nodiscard]] std::size_t nbytes() const noexcept {
    return static_cast<std::size_t>(size()) * sizeof(Scalar);
  }
  [[nodiscard]] bool writeable() const noexcept { return writeable_; }

  // ---- reading ----
  [[nodiscard]] const Scalar* data() const& noexcept { return data_; }
  const Scalar* data() && = delete;  // would dangle: keep the array in a variable

  template <std::integral... Index>
  [[nodiscard]] const Scalar& operator()(Index... index) const noexcept {
    return data_[offset(index...)];
  }
  /// Bounds-checked: std::out_of_range, like std::vector::at.
  template <std::integral... Index>
  [[nodiscard]] const Scalar& at(Index... index) const {
    return data_[checked_offset(index...)];
  }
  [[nodiscard]] Eigen::Map<const RowMajorMatrix> matrix() const& {
    const auto [rows, cols] = matrix_extents();
    return {data_, rows, cols};
  }
  Eigen::Map<const RowMajorMatrix> matrix() && = delete;
  [[nodiscard]] Eigen::Map<const Vector> vector() const& { return {data_, size()}; }
  Eigen::Map<const Vector> vector() && = delete;

  /// The only element of a 0-d (or one-element) array.
  [[nodiscard]] Scalar item() const {
    if (size() != 1) detail::throw_bad_shape("item(): the array has shape " + shape_.str());
    return data_[0];
  }
  [[nodiscard]] auto sum() const {
    using Acc = std::conditional_t<
        std::is_floating_point_v<Scalar>, double,
        std::conditional_t<std::is_signed_v<Scalar>, std::int64_t, std::uint64_t>>;
    Acc total{};
    for (std::int64_t i = 0; i < size(); ++i) total += static_cast<Acc>(data_[i]);
    return total;
  }
  [[nodiscard]] double mean() const {
    return size() == 0 ? std::numeric_limits<double>::quiet_NaN()
                       : static_cast<double>(sum()) / static_cast<double>(size());
  }

  // ---- writing ----
  [[nodiscard]] Scalar* mutable_data() {
    require_writeable("mutable_data()");
    return data_;
  }
  template <std::integral... Index>
  [[nodiscard]] Scalar& mut(Index... index) {
    require_writeable("mut()");
    return data_[checked_offset(index...)];
  }
  [[nodiscard]] Eigen::Map<RowMajorMatrix> mutable_matrix() {
    require_writeable("mutable_matrix()");
    const auto [rows, cols] = matrix_extents();
    return {data_, rows, cols};
  }

  // ---- views and copies ----
  /// Rows [start, end) along axis 0, sharing storage (not necessarily 64-byte aligned).
  [[nodiscard]] NDArray slice(std::int64_t start, std::int64_t end) const {
    if (ndim() == 0) detail::throw_bad_shape("slice() of a 0-d array");
    if (start < 0 || end < start || end > shape_[0]) {
      detail::throw_bad_shape("slice(" + std::to_string(start) + ", " + std::to_string(end) +
                              ") of an array with shape " + shape_.str());
    }
    std::vector<std::int64_t> extents = shape_.extents();
    const std::int64_t row = size() / std::max<std::int64_t>(extents[0], 1);
    extents[0] = end - start;
    return NDArray(buffer_, data_ + start * row, Shape(std::move(extents)), writeable_);
  }
  /// A deep, writeable copy.
  [[nodiscard]] NDArray copy() const {
    NDArray out(shape_);
    if (size() > 0) std::memcpy(out.data_, data_, nbytes());
    return out;
  }
  /// The same storage, read-only (what the object store hands out).
  [[nodiscard]] NDArray read_only() const {
    return NDArray(buffer_, data_, shape_, /*writeable=*/false);
  }

 private:
  friend struct detail::NDArrayAccess;
  /// A view of existing storage (mapped files, the object store): `data` lies inside `buffer`.
  NDArray(std::shared_ptr<detail::Buffer> buffer, Scalar* data, Shape shape, bool writeable)
      : buffer_(std::move(buffer)), data_(data), shape_(std::move(shape)), writeable_(writeable) {}
  [[nodiscard]] const std::shared_ptr<detail::Buffer>& buffer() const noexcept { return buffer_; }

  void require_writeable(const char* what) const {
    if (!writeable_) {
      detail::throw_read_only(std::string(what) + " on a read-only array" +
                              (buffer_ && !buffer_->path().empty()
                                   ? " (mapped from '" + buffer_->path() + "')"
                                   : std::string()));
    }
  }
  std::pair<Eigen::Index, Eigen::Index> matrix_extents() const {
    if (ndim() == 2) return {shape_[0], shape_[1]};
    if (ndim() == 1) return {shape_[0], 1};
    if (ndim() == 0) return {1, 1};
    detail::throw_bad_shape("matrix() of an array with shape " + shape_.str());
  }
  template <class... Index>
  std::int64_t offset(Index... index) const noexcept {
    const std::array<std::int64_t, sizeof...(Index)> idx{static_cast<std::int64_t>(index)...};
    std::int64_t off = 0;
    for (std::size_t a = 0; a < idx.size(); ++a) off = off * shape_[a] + idx[a];
    return off;
  }
  template <class... Index>
  std::int64_t checked_offset(Index... index) const {
    if (sizeof...(Index) != ndim()) detail::throw_rank(sizeof...(Index), ndim());
    const std::array<std::int64_t, sizeof...(Index)> idx{static_cast<std::int64_t>(index)...};
    for (std::size_t a = 0; a < idx.size(); ++a) {
      if (idx[a] < 0 || idx[a] >= shape_[a]) detail::throw_index(a, idx[a], shape_[a]);
    }
    return offset(index...);
  }

  std::shared_ptr<detail::Buffer> buffer_;
  Scalar* data_ = nullptr;
  Shape shape_;
  bool writeable_ = true;
};

namespace detail {

/// The one door between an NDArray and the storage under it, for loom's own code (npy files,
/// the archive and the object store): users can neither see an array's buffer nor view one of
/// their own.
struct NDArrayAccess {
  /// An array over `data`, which lies inside `buffer`.
  template <ArrayScalar Scalar>
  static NDArray<Scalar> view(std::shared_ptr<Buffer> buffer, Scalar* data, Shape shape,
                              bool writeable) {
    return NDArray<Scalar>(std::move(buffer), data, std::move(shape), writeable);
  }
  /// The storage `a` lies in (shared with every array that views it).
  template <ArrayScalar Scalar>
  static const std::shared_ptr<Buffer>& buffer(const NDArray<Scalar>& a) noexcept {
    return a.buffer();
  }
};

}  // namespace detail

}  // namespace loom
