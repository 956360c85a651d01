#pragma once
// NumPy's .npy format (versions 1.0-3.0) for loom::NDArray, with memory mapping
// (docs/arrays-on-disk.md):
//
//   loom::dump(big, "large_array.npy");                  // (dump.hpp)
//   auto m = loom::load_npy<double>("large_array.npy", {.mmap_mode = "r"});
//   auto w = loom::open_memmap<float>("out.npy", {1000, 1000});      // NumPy's mode "w+"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "loom/core/ndarray.hpp"

namespace loom {

struct LoadOptions {
  /// "" loads into memory; "r" maps read-only, "r+" read-write (writes reach the file), "c"
  /// copy-on-write (writes stay in memory). "w+" is open_memmap's.
  std::string mmap_mode = "";
};

namespace detail {

/// NumPy's dtype codes of a .npy file's elements. A different set from dataframe::DType (a
/// column's dtype: strings, datetimes, missing values); src/dataframe/numpy_dtype.hpp maps a
/// column's dtype to its code.
enum class DType : std::uint8_t { b1, i1, u1, i2, u2, i4, u4, i8, u8, f4, f8 };

template <class Scalar>
constexpr DType dtype_of() {
  if constexpr (std::is_same_v<Scalar, bool>) {
    return DType::b1;
  } else if constexpr (std::is_same_v<Scalar, float>) {
    return DType::f4;
  } else if constexpr (std::is_same_v<Scalar, double>) {
    return DType::f8;
  } else if constexpr (std::is_signed_v<Scalar>) {
    if constexpr (sizeof(Scalar) == 1) return DType::i1;
    if constexpr (sizeof(Scalar) == 2) return DType::i2;
    if constexpr (sizeof(Scalar) == 4) return DType::i4;
    if constexpr (sizeof(Scalar) == 8) return DType::i8;
  } else {
    if constexpr (sizeof(Scalar) == 1) return DType::u1;
    if constexpr (sizeof(Scalar) == 2) return DType::u2;
    if constexpr (sizeof(Scalar) == 4) return DType::u4;
    if constexpr (sizeof(Scalar) == 8) return DType::u8;
  }
}

/// NumPy's name of a dtype ("float64", "int8", "bool").
const char* dtype_name(DType dtype) noexcept;

/// An array read from (or mapped onto) a .npy file.
struct NpyData {
  std::shared_ptr<Buffer> buffer;
  std::byte* data = nullptr;
  Shape shape;
  bool writeable = true;
};

void write_npy(const std::filesystem::path& path, DType dtype, const Shape& shape, const void* data,
               std::size_t nbytes);
NpyData read_npy(const std::filesystem::path& path, DType want, const std::string& mmap_mode);
NpyData create_npy(const std::filesystem::path& path, DType dtype, const Shape& shape);

}  // namespace detail

/// Reads a .npy file whose dtype is exactly `Scalar` (else a loom::Error naming both).
/// Big-endian and Fortran-order files are converted on a plain load and refused with mmap_mode.
template <ArrayScalar Scalar>
NDArray<Scalar> load_npy(const std::filesystem::path& path, LoadOptions options = {}) {
  detail::NpyData d = detail::read_npy(path, detail::dtype_of<Scalar>(), options.mmap_mode);
  return detail::NDArrayAccess::view(std::move(d.buffer), reinterpret_cast<Scalar*>(d.data),
                                     std::move(d.shape), d.writeable);
}

/// Creates (or replaces) `path` as a .npy file of `shape`, zero-filled, and maps it read-write
/// (NumPy's open_memmap / mode "w+").
template <ArrayScalar Scalar>
NDArray<Scalar> open_memmap(const std::filesystem::path& path, Shape shape) {
  detail::NpyData d = detail::create_npy(path, detail::dtype_of<Scalar>(), shape);
  return detail::NDArrayAccess::view(std::move(d.buffer), reinterpret_cast<Scalar*>(d.data),
                                     std::move(d.shape), true);
}

namespace detail {
template <class T>
struct IsNDArray : std::false_type {};
template <class S>
struct IsNDArray<NDArray<S>> : std::true_type {};
}  // namespace detail

}  // namespace loom
