#pragma once
// General values on disk: loom::dump / loom::load through the serialization
// layer, optionally compressed (zstd or lz4). An NDArray dumped to a ".npy" path without
// compression is written in NumPy's format instead (see npy.hpp).
//
//   loom::dump(any_serializable_value, "obj.loom", {.compress = 3});
//   auto obj = loom::load<MyType>("obj.loom");
//
// The file records the value's type; loading it as another type is a loom::Error naming both.
// A checksum guards the payload: a corrupt or truncated file is an error, never a wrong value.

#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include "loom/core/detail/function_ref.hpp"
#include "loom/core/detail/type_name.hpp"
#include "loom/core/error.hpp"
#include "loom/io/detail/aligned_arrays.hpp"
#include "loom/io/npy.hpp"
#include "loom/io/serialize.hpp"

namespace loom {

struct DumpOptions {
  /// 0: no compression; 1..19 (zstd) or 1..12 (lz4 high compression): the level.
  int compress = 0;
  /// "zstd" or "lz4".
  std::string compressor = "zstd";
};

namespace detail {
/// Writes the general format (header, type name, checksummed and maybe compressed payload),
/// atomically (a temporary file, then a rename).
void write_object(const std::filesystem::path& path, const std::string& type,
                  std::string_view payload, const DumpOptions& options);
/// The same, with the payload written by `write_payload` into a stream: without compression
/// it goes to the file as it is made (hashed on the way), never held whole in memory, and with
/// `align_arrays` large NDArrays start on a page of the file (detail/aligned_arrays.hpp).
void write_object_streamed(const std::filesystem::path& path, const std::string& type,
                           FunctionRef<void(std::ostream&)> write_payload,
                           const DumpOptions& options, bool align_arrays = false);
/// A payload read back: a view into the mapped file (no compression) or into decompressed
/// bytes, kept alive by `owner`.
struct ObjectBytes {
  std::shared_ptr<const void> owner;
  std::string_view payload;
};
/// Reads a file written by write_object, checks that it holds `type`, verifies and
/// decompresses the payload.
ObjectBytes read_object(const std::filesystem::path& path, const std::string& type);
/// Reads the payload of a general-format file as a stream: without compression straight from
/// the file (large reads land directly in their destination), hashed on the way; `finish`
/// then checks the checksum. Header problems throw at construction (loom::Error naming the
/// file).
class ObjectReader {
 public:
  ObjectReader(const std::filesystem::path& path, const std::string& type);
  ~ObjectReader();
  ObjectReader(const ObjectReader&) = delete;
  ObjectReader& operator=(const ObjectReader&) = delete;
  InputSource& source();
  /// Throws when the payload's checksum does not match.
  void finish() const;
  /// Rethrows the current exception (a deserialize error) as a loom::Error naming the file.
  [[noreturn]] void rethrow_naming_file() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};
/// Throws loom::Error "'path': what".
[[noreturn]] void throw_file_error(const std::filesystem::path& path, const std::string& what);
/// Whether the file starts with NumPy's magic string.
bool is_npy_file(const std::filesystem::path& path);
/// Whether the file starts with the magic string of loom's general format.
bool is_loom_file(const std::filesystem::path& path);
}  // namespace detail

/// Writes `value`: NumPy's .npy for an NDArray going to a ".npy" path without compression,
/// loom's general format otherwise (uncompressed, its NDArrays of 4 KiB or more start on a page
/// of the file, so that load with mmap_mode maps them, as joblib's dump).
template <Serializable Value>
void dump(const Value& value, const std::filesystem::path& path, const DumpOptions& options = {}) {
  if constexpr (detail::IsNDArray<Value>::value) {
    if (path.extension() == ".npy" && options.compress == 0) {
      detail::write_npy(path, detail::dtype_of<typename Value::value_type>(), value.shape(),
                        value.data(), value.nbytes());
      return;
    }
  }
  detail::write_object_streamed(
      path, detail::type_name<Value>(),
      [&value](std::ostream& stream) {
        cereal::BinaryOutputArchive archive(stream);
        archive(value);
      },
      options, /*align_arrays=*/true);
}

/// Reads a value written by loom::dump (for an NDArray, a .npy file too). With mmap_mode, the
/// file is mapped and the large NDArrays in the value are views of it ("r" read-only, "r+"
/// writes reach the file, "c" copy-on-write); a compressed file is loaded into memory (with a
/// warning, once per file), as joblib does.
template <Serializable Value>
Value load(const std::filesystem::path& path, const LoadOptions& options = {}) {
  if constexpr (detail::IsNDArray<Value>::value) {
    // A .npy file; or, with mmap_mode, anything but loom's own format: load_npy then says
    // what is wrong with it (missing, a directory, truncated, not a .npy file).
    if (detail::is_npy_file(path) || (!options.mmap_mode.empty() && !detail::is_loom_file(path))) {
      return load_npy<typename Value::value_type>(path, options);
    }
  }
  if (!options.mmap_mode.empty()) {
    // joblib's memmap: the large arrays become views of the mapped file, the rest is read.
    const detail::MappedObject mapped =
        detail::map_object(path, detail::type_name<Value>(), options.mmap_mode);
    if (mapped.mapping == nullptr) {
      detail::warn_compressed_mmap(path, options.mmap_mode);
      return load<Value>(path);
    }
    detail::MappedSource source(mapped.payload, mapped.mapping);
    const detail::MappedSourceScope scope(&source);
    try {
      return detail::deserialize_from<Value>(source);
    } catch (const Error& e) {
      detail::throw_file_error(path, e.what());
    }
  }
  if constexpr (detail::IsNDArray<Value>::value) {
    // An array streams from the file into its own buffer (its reader checks every length
    // against the bytes left); the checksum is checked at the end.
    detail::ObjectReader reader(path, detail::type_name<Value>());
    try {
      Value value = detail::deserialize_from<Value>(reader.source());
      reader.finish();
      return value;
    } catch (const Error&) {
      reader.rethrow_naming_file();
    }
  } else {
    // Other values are checked against the checksum before a length field is trusted.
    const detail::ObjectBytes bytes = detail::read_object(path, detail::type_name<Value>());
    try {
      return deserialize<Value>(bytes.payload);
    } catch (const Error& e) {
      detail::throw_file_error(path, e.what());
    }
  }
}

}  // namespace loom
