#pragma once
// The machinery behind serialize/deserialize (private to loom): string streams without copies,
// the scopes that let large arrays cross as .npy files beside the bytes, and the errors of
// malformed bytes.

#include <cstddef>
#include <filesystem>
#include <istream>
#include <memory>
#include <optional>
#include <ostream>
#include <streambuf>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <cereal/archives/binary.hpp>
#include <cereal/types/array.hpp>
#include <cereal/types/chrono.hpp>
#include <cereal/types/complex.hpp>
#include <cereal/types/deque.hpp>
#include <cereal/types/list.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/memory.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/set.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/tuple.hpp>
#include <cereal/types/unordered_map.hpp>
#include <cereal/types/unordered_set.hpp>
#include <cereal/types/utility.hpp>
#include <cereal/types/variant.hpp>
#include <cereal/types/vector.hpp>

#include "loom/core/detail/type_name.hpp"
#include "loom/core/ndarray.hpp"
#include "loom/io/detail/bounded_size_tag.hpp"
#include "loom/io/npy.hpp"

namespace loom::detail {

/// A streambuf that appends to a std::string (no copy at the end, unlike ostringstream).
class StringSink : public std::streambuf {
 public:
  explicit StringSink(std::string& out) : out_(out) {}

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    out_.append(s, static_cast<std::size_t>(n));
    return n;
  }
  int_type overflow(int_type c) override {
    if (c != traits_type::eof()) out_.push_back(static_cast<char>(c));
    return c;
  }

 private:
  std::string& out_;
};

/// An input that knows how many bytes it has left (so that a corrupt length field cannot ask
/// for more than the input holds).
class InputSource : public std::streambuf {
 public:
  [[nodiscard]] virtual std::size_t remaining() const noexcept = 0;
};

/// A read-only streambuf over bytes that somebody else owns.
class BytesSource : public InputSource {
 public:
  explicit BytesSource(std::string_view bytes) {
    char* begin = const_cast<char*>(bytes.data());  // NOLINT: get area is never written
    setg(begin, begin, begin + bytes.size());
  }
  [[nodiscard]] std::size_t remaining() const noexcept override {
    return static_cast<std::size_t>(egptr() - gptr());
  }
};

/// The input that loom::deserialize is reading on this thread (nullptr outside it).
const InputSource* current_source() noexcept;
/// Makes `source` the current input while it lives.
class SourceScope {
 public:
  explicit SourceScope(const InputSource* source) noexcept;
  ~SourceScope();
  SourceScope(const SourceScope&) = delete;
  SourceScope& operator=(const SourceScope&) = delete;

 private:
  const InputSource* previous_;
};

/// Large arrays as files (the processes backend's results): while a scope is active on this
/// thread, a writing scope stores an NDArray of more than `max_nbytes` bytes as a .npy file in
/// `folder` and serializes only its name; a reading scope maps such files (`mmap_mode`).
/// Outside a reading scope a file reference is refused.
struct ArrayFiles {
  std::filesystem::path folder;
  std::int64_t max_nbytes = 0;
  bool writing = false;
  std::string mmap_mode = "r";  // how a reading scope maps the files
  /// Writing: the names of the files written (the caller removes them after the exchange).
  std::vector<std::string>* written = nullptr;
  /// Reading: the arrays own their files (removed when the last user of the memory is gone).
  bool own_files = false;
};
const ArrayFiles* current_array_files() noexcept;
class ArrayFilesScope {
 public:
  explicit ArrayFilesScope(const ArrayFiles* files) noexcept;
  ~ArrayFilesScope();
  ArrayFilesScope(const ArrayFilesScope&) = delete;
  ArrayFilesScope& operator=(const ArrayFilesScope&) = delete;

 private:
  const ArrayFiles* previous_;
};
/// Writes an array to a new file in `files.folder`; returns its file name.
std::string write_array_file(const ArrayFiles& files, DType dtype, const Shape& shape,
                             const void* data, std::size_t nbytes);
/// For an array whose memory is a .npy file mapped from `files.folder` (the object store's
/// shared memory): the file's name and the array's element offset in its data, so that the
/// array crosses as a reference instead of a copy.
bool shared_file_reference(const ArrayFiles& files, const Buffer* buffer, const void* data,
                           std::size_t element_size, std::string& name, std::int64_t& offset);
/// A buffer that removes its file when it dies (`own_files`).
std::shared_ptr<Buffer> owning_file_buffer(std::shared_ptr<Buffer> mapped);
[[noreturn]] void throw_bad_shared_reference();
/// The full path of a file named by write_array_file, checked to be a plain name in the
/// current reading scope's folder (a cereal::Exception otherwise).
std::filesystem::path array_file_path(const std::string& name);

/// Throws loom::Error: `bytes` are not a serialized `type` ("what" says why).
[[noreturn]] void throw_deserialize_error(const std::string& type, const char* what);
[[noreturn]] void throw_trailing_bytes(const std::string& type, std::size_t remaining);

}  // namespace loom::detail
