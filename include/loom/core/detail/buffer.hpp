#pragma once
// The memory under arrays and columns: 64-byte aligned owned bytes, or a memory-mapped file.
// Reference counted through std::shared_ptr; views (arrays, slices) point into it.

#include <cstddef>
#include <memory>
#include <string>

namespace loom::detail {

class Buffer {
 public:
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  virtual ~Buffer() = default;

  [[nodiscard]] std::byte* data() const noexcept { return data_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  /// Whether the memory may be written (a file mapped with mode "r" may not).
  [[nodiscard]] bool writeable() const noexcept { return writeable_; }
  /// For a mapped file: its path; "" for memory.
  [[nodiscard]] virtual const std::string& path() const noexcept;

 protected:
  Buffer(std::byte* data, std::size_t size, bool writeable) noexcept
      : data_(data), size_(size), writeable_(writeable) {}

 private:
  std::byte* data_;
  std::size_t size_;
  bool writeable_;
};

inline constexpr std::size_t kBufferAlignment = 64;

/// `size` bytes, 64-byte aligned, zero-filled when `zero`. Throws std::bad_alloc.
std::shared_ptr<Buffer> allocate_buffer(std::size_t size, bool zero);

}  // namespace loom::detail
