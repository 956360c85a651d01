#pragma once
// Opening and reading files for the readers of src/io (.npy, loom's general format): one place
// for the open/stat checks and their messages, and for complete, parallel reads.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

namespace loom::detail {

/// Throws loom::Error "'path': what".
[[noreturn]] void fail(const std::filesystem::path& path, const std::string& what);

/// An open file descriptor, closed with the object.
struct OpenFile {
  int fd = -1;
  std::uint64_t size = 0;  // of a file opened by open_regular_file
  OpenFile() = default;
  explicit OpenFile(int descriptor) : fd(descriptor) {}
  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;
  ~OpenFile();
};

/// Opens an existing regular file (read-only, or read-write); loom::Error "'path': cannot
/// open: ...", "'path': is a directory, not a <kind>", "'path': is not a regular file".
void open_regular_file(OpenFile& file, const std::filesystem::path& path, const char* kind,
                       bool writable = false);

/// Reads exactly `count` bytes at `offset` into `out`: 0, or the errno (EIO at end of file).
int read_exactly(int fd, std::uint64_t offset, std::size_t count, char* out) noexcept;

/// The same, in 4 MiB blocks read on several threads.
int read_exactly_parallel(int fd, std::uint64_t offset, std::size_t count, char* out);

}  // namespace loom::detail
