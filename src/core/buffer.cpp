#include "loom/core/detail/buffer.hpp"

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

}  // namespace

std::shared_ptr<Buffer> allocate_buffer(std::size_t size, bool zero) {
  // aligned_alloc wants a multiple of the alignment; an empty array still gets a valid pointer.
  const std::size_t rounded =
      std::max<std::size_t>(kBufferAlignment, (size + kBufferAlignment - 1) / kBufferAlignment *
                                                  kBufferAlignment);
  auto* p = static_cast<std::byte*>(std::aligned_alloc(kBufferAlignment, rounded));
  if (p == nullptr) throw std::bad_alloc();
  if (zero) std::memset(p, 0, rounded);
  return std::make_shared<AlignedBuffer>(p, size);
}

}  // namespace loom::detail
