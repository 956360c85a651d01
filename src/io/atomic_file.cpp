#include "loom/io/detail/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <thread>

#include <fmt/format.h>

#include "loom/core/error.hpp"

namespace loom::detail {

namespace {

std::filesystem::path unique_temp_name(const std::filesystem::path& path) {
  static std::atomic<std::uint64_t> counter{0};
  return fmt::format("{}.tmp-{}-{}-{}", path.string(), ::getpid(),
                     std::hash<std::thread::id>{}(std::this_thread::get_id()) % 1000000,
                     counter.fetch_add(1, std::memory_order_relaxed));
}

[[noreturn]] void fail(const std::filesystem::path& path, const std::filesystem::path& tmp,
                       int err) {
  ::unlink(tmp.c_str());
  throw Error(fmt::format("'{}': cannot write: {}", path.string(), std::strerror(err)));
}

}  // namespace

void write_file_atomically(const std::filesystem::path& path,
                           std::initializer_list<std::string_view> parts) {
  const std::filesystem::path tmp = unique_temp_name(path);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw Error(fmt::format("'{}': cannot write: {}", path.string(), std::strerror(errno)));
  }
  for (std::string_view part : parts) {
    while (!part.empty()) {
      const ssize_t w = ::write(fd, part.data(), part.size());
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        const int err = w < 0 ? errno : EIO;
        ::close(fd);
        fail(path, tmp, err);
      }
      part.remove_prefix(static_cast<std::size_t>(w));
    }
  }
  if (::close(fd) != 0) fail(path, tmp, errno);
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail(path, tmp, errno);
}

}  // namespace loom::detail
