#pragma once
// Writing a file so that a crash or a concurrent writer never leaves a readable half file:
// the bytes go to a temporary file unique to this process, thread and call, which is then
// renamed into place. Private to src/io.

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <string_view>

namespace loom::detail {

/// A file being written atomically: `write` appends, `write_at` patches earlier bytes,
/// `commit` renames it into place. Destroyed uncommitted, it removes the temporary. Errors are
/// loom::Error "'path': cannot write: ...".
class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  /// Appends.
  void write(std::string_view bytes);
  void write_at(std::uint64_t offset, std::string_view bytes);
  /// Writes at `offset` without failing: 0, or the errno (for writers on several threads,
  /// which then call `advance` or `fail`).
  int try_write_at(std::uint64_t offset, std::string_view bytes) const noexcept;
  /// Moves the end past bytes placed with try_write_at.
  void advance(std::uint64_t count) noexcept { size_ += count; }
  [[nodiscard]] std::uint64_t size() const noexcept { return size_; }
  void commit();
  /// Gives up: removes the temporary and throws the error for `err`.
  [[noreturn]] void fail(int err);
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
  std::filesystem::path tmp_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

/// Writes the concatenation of `parts` to `path` atomically.
void write_file_atomically(const std::filesystem::path& path,
                           std::initializer_list<std::string_view> parts);

}  // namespace loom::detail
