#include "loom/io/serialize.hpp"

#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <system_error>

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
  if (files.written != nullptr) files.written->push_back(name);
  return name;
}

bool shared_file_reference(const ArrayFiles& files, const Buffer* buffer, const void* data,
                           std::size_t element_size, std::string& name, std::int64_t& offset) {
  if (buffer == nullptr || buffer->path().empty()) return false;
  const std::filesystem::path path(buffer->path());
  if (path.parent_path() != files.folder) return false;
  // The mapping starts at the file's first byte: find where the .npy data begins.
  const auto* bytes = reinterpret_cast<const unsigned char*>(buffer->data());
  const std::size_t size = buffer->size();
  if (size < 12 || std::memcmp(bytes, "\x93NUMPY", 6) != 0) return false;
  std::size_t start = 0;
  if (bytes[6] == 1) {
    start = 10 + (static_cast<std::size_t>(bytes[8]) | static_cast<std::size_t>(bytes[9]) << 8);
  } else {
    start = 12 + (static_cast<std::size_t>(bytes[8]) | static_cast<std::size_t>(bytes[9]) << 8 |
                  static_cast<std::size_t>(bytes[10]) << 16 |
                  static_cast<std::size_t>(bytes[11]) << 24);
  }
  const auto* at = static_cast<const unsigned char*>(data);
  if (at < bytes + start || at > bytes + size) return false;
  const auto diff = static_cast<std::size_t>(at - (bytes + start));
  if (diff % element_size != 0) return false;
  name = path.filename().string();
  offset = static_cast<std::int64_t>(diff / element_size);
  return true;
}

namespace {
class OwningFileBuffer final : public Buffer {
 public:
  explicit OwningFileBuffer(std::shared_ptr<Buffer> mapped)
      : Buffer(mapped->data(), mapped->size(), mapped->writeable()), mapped_(std::move(mapped)) {}
  ~OwningFileBuffer() override {
    std::error_code ignored;
    std::filesystem::remove(mapped_->path(), ignored);  // the mapping stays valid until unmapped
  }
  [[nodiscard]] const std::string& path() const noexcept override { return mapped_->path(); }

 private:
  std::shared_ptr<Buffer> mapped_;
};
}  // namespace

std::shared_ptr<Buffer> owning_file_buffer(std::shared_ptr<Buffer> mapped) {
  return std::make_shared<OwningFileBuffer>(std::move(mapped));
}

void throw_bad_shared_reference() {
  throw cereal::Exception("an NDArray view of a shared file lies outside the file");
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

void check_length_field(std::uint64_t length) {
  if (current == nullptr) return;
  const std::size_t left = current->remaining();
  if (length > left) {
    throw cereal::Exception(fmt::format(
        "a length field says {} but only {} bytes are left in the input", length, left));
  }
}
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
