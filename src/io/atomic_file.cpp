#include "io/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <functional>
#include <thread>
#include <utility>

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

}  // namespace

AtomicFile::AtomicFile(std::filesystem::path path)
    : path_(std::move(path)), tmp_(unique_temp_name(path_)) {
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw Error(fmt::format("'{}': cannot write: {}", path_.string(), std::strerror(errno)));
  }
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(tmp_.c_str());
  }
}

void AtomicFile::fail(int err) {
  ::close(fd_);
  fd_ = -1;
  ::unlink(tmp_.c_str());
  throw Error(fmt::format("'{}': cannot write: {}", path_.string(), std::strerror(err)));
}

int AtomicFile::try_write_at(std::uint64_t offset, std::string_view bytes) const noexcept {
  while (!bytes.empty()) {
    const ssize_t w = ::pwrite(fd_, bytes.data(), bytes.size(), static_cast<off_t>(offset));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return w < 0 ? errno : EIO;
    bytes.remove_prefix(static_cast<std::size_t>(w));
    offset += static_cast<std::uint64_t>(w);
  }
  return 0;
}

void AtomicFile::write_at(std::uint64_t offset, std::string_view bytes) {
  if (const int err = try_write_at(offset, bytes); err != 0) fail(err);
}

void AtomicFile::write(std::string_view bytes) {
  write_at(size_, bytes);
  size_ += bytes.size();
}

void AtomicFile::commit() {
  const int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0 || ::rename(tmp_.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp_.c_str());
    throw Error(fmt::format("'{}': cannot write: {}", path_.string(), std::strerror(err)));
  }
}

void write_file_atomically(const std::filesystem::path& path,
                           std::initializer_list<std::string_view> parts) {
  AtomicFile file(path);
  for (std::string_view part : parts) file.write(part);
  file.commit();
}

}  // namespace loom::detail
