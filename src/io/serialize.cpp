#include "loom/io/serialize.hpp"

#include <unistd.h>

#include <atomic>

#include <fmt/format.h>

#include "loom/core/error.hpp"

namespace loom::detail {

namespace {
thread_local const InputSource* current = nullptr;
thread_local const ArrayFiles* current_files = nullptr;
std::atomic<std::uint64_t> array_file_counter{0};
}  // namespace

const ArrayFiles* current_array_files() noexcept { return current_files; }
ArrayFilesScope::ArrayFilesScope(const ArrayFiles* files) noexcept : previous_(current_files) {
  current_files = files;
}
ArrayFilesScope::~ArrayFilesScope() { current_files = previous_; }

std::string write_array_file(const ArrayFiles& files, DType dtype, const Shape& shape,
                             const void* data, std::size_t nbytes) {
  std::string name = fmt::format("result-{}-{}.npy", ::getpid(), array_file_counter++);
  write_npy(files.folder / name, dtype, shape, data, nbytes);
  return name;
}

std::filesystem::path array_file_path(const std::string& name) {
  if (current_files == nullptr || current_files->writing) {
    throw cereal::Exception("an NDArray refers to a file outside a loom worker exchange");
  }
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
    throw cereal::Exception("an NDArray file reference is not a plain file name");
  }
  return current_files->folder / name;
}

const InputSource* current_source() noexcept { return current; }
SourceScope::SourceScope(const InputSource* source) noexcept : previous_(current) {
  current = source;
}
SourceScope::~SourceScope() { current = previous_; }

void throw_deserialize_error(const std::string& type, const char* what) {
  throw Error(
      fmt::format("deserialize<{}>: the bytes are not a serialized {} ({})", type, type, what));
}

void throw_trailing_bytes(const std::string& type, std::size_t remaining) {
  throw Error(fmt::format("deserialize<{}>: {} bytes left over: the bytes are not a serialized {}",
                          type, remaining, type));
}

}  // namespace loom::detail
