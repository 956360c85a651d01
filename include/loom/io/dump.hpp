#pragma once
// General values on disk (API.md section 2): loom::dump / loom::load through the serialization
// layer, optionally compressed (zstd or lz4). An NDArray dumped to a ".npy" path without
// compression is written in NumPy's format instead (see npy.hpp).
//
//   loom::dump(any_serializable_value, "obj.loom", {.compress = 3});
//   auto obj = loom::load<MyType>("obj.loom");
//
// The file records the value's type; loading it as another type is a loom::Error naming both.
// A checksum guards the payload: a corrupt or truncated file is an error, never a wrong value.

#include <filesystem>
#include <string>
#include <string_view>

#include "loom/core/detail/type_name.hpp"
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
/// Reads a file written by write_object, checks that it holds `type`, verifies and
/// decompresses the payload.
std::string read_object(const std::filesystem::path& path, const std::string& type);
/// Whether the file starts with NumPy's magic string.
bool is_npy_file(const std::filesystem::path& path);
[[noreturn]] void throw_mmap_general(const std::filesystem::path& path);
}  // namespace detail

/// Writes `value`: NumPy's .npy for an NDArray going to a ".npy" path without compression,
/// loom's general format otherwise.
template <Serializable Value>
void dump(const Value& value, const std::filesystem::path& path, const DumpOptions& options = {}) {
  if constexpr (detail::IsNDArray<Value>::value) {
    if (path.extension() == ".npy" && options.compress == 0) {
      detail::write_npy(path, detail::dtype_of<typename Value::value_type>(), value.shape(),
                        value.data(), value.nbytes());
      return;
    }
  }
  detail::write_object(path, detail::type_name<Value>(), serialize(value), options);
}

/// Reads a value written by loom::dump (for an NDArray, a .npy file too, with mmap_mode).
template <Serializable Value>
Value load(const std::filesystem::path& path, const LoadOptions& options = {}) {
  if constexpr (detail::IsNDArray<Value>::value) {
    if (detail::is_npy_file(path)) return load_npy<typename Value::value_type>(path, options);
  }
  if (!options.mmap_mode.empty()) detail::throw_mmap_general(path);
  return deserialize<Value>(detail::read_object(path, detail::type_name<Value>()));
}

}  // namespace loom
