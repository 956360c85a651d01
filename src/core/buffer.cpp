#include "loom/core/detail/buffer.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

namespace loom::detail {

const std::string& Buffer::path() const noexcept {
  static const std::string none;
  return none;
}

namespace {

class AlignedBuffer final : public Buffer {
 public:
  AlignedBuffer(std::byte* data, std::size_t size) noexcept : Buffer(data, size, true) {}
  ~AlignedBuffer() override { std::free(data()); }  // NOLINT: from aligned_alloc
};

// Large zero-filled buffers come straight from the kernel: its pages are zero when first
// touched, so the zeroing costs nothing up front (and untouched pages cost no memory).
class AnonymousBuffer final : public Buffer {
 public:
  AnonymousBuffer(std::byte* data, std::size_t size, std::size_t mapped) noexcept
      : Buffer(data, size, true), mapped_(mapped) {}
  ~AnonymousBuffer() override { ::munmap(data(), mapped_); }

 private:
  std::size_t mapped_;
};

constexpr std::size_t kAnonymousMin = std::size_t{1} << 20;

}  // namespace

std::shared_ptr<Buffer> allocate_buffer(std::size_t size, bool zero) {
  if (zero && size >= kAnonymousMin) {
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    return std::make_shared<AnonymousBuffer>(static_cast<std::byte*>(p), size, size);
  }
  // aligned_alloc wants a multiple of the alignment; an empty array still gets a valid pointer.
  const std::size_t rounded = std::max<std::size_t>(
      kBufferAlignment, (size + kBufferAlignment - 1) / kBufferAlignment * kBufferAlignment);
  auto* p = static_cast<std::byte*>(std::aligned_alloc(kBufferAlignment, rounded));
  if (p == nullptr) throw std::bad_alloc();
  if (zero) std::memset(p, 0, rounded);
  return std::make_shared<AlignedBuffer>(p, size);
}

}  // namespace loom::detail
