#include "input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <oneapi/tbb/parallel_for.h>

#include "loom/core/error.hpp"

namespace loom::detail {

void fail(const std::filesystem::path& path, const std::string& what) {
  throw Error(fmt::format("'{}': {}", path.string(), what));
}

OpenFile::~OpenFile() {
  if (fd >= 0) ::close(fd);
}

void open_regular_file(OpenFile& file, const std::filesystem::path& path, const char* kind,
                       bool writable) {
  file.fd = ::open(path.c_str(), (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  if (file.fd < 0) fail(path, fmt::format("cannot open: {}", std::strerror(errno)));
  struct stat st {};
  if (::fstat(file.fd, &st) != 0) fail(path, fmt::format("cannot stat: {}", std::strerror(errno)));
  if (!S_ISREG(st.st_mode)) {
    fail(path, S_ISDIR(st.st_mode) ? fmt::format("is a directory, not a {}", kind)
                                   : std::string("is not a regular file"));
  }
  file.size = static_cast<std::uint64_t>(st.st_size);
}

int read_exactly(int fd, std::uint64_t offset, std::size_t count, char* out) noexcept {
  std::size_t done = 0;
  while (done < count) {
    const ssize_t r = ::pread(fd, out + done, count - done, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return r < 0 ? errno : EIO;
    done += static_cast<std::size_t>(r);
  }
  return 0;
}

int read_exactly_parallel(int fd, std::uint64_t offset, std::size_t count, char* out) {
  constexpr std::size_t kBlock = std::size_t{4} << 20;
  std::atomic<int> error{0};
  tbb::parallel_for(std::size_t{0}, (count + kBlock - 1) / kBlock, [&](std::size_t b) {
    if (error.load(std::memory_order_relaxed) != 0) return;
    const std::size_t at = b * kBlock;
    const int err = read_exactly(fd, offset + at, std::min(kBlock, count - at), out + at);
    if (err != 0) error = err;
  });
  return error.load();
}

}  // namespace loom::detail
