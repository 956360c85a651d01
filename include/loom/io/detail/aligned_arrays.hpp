#pragma once
// Page-aligned arrays in loom's general format (joblib's memmap behaviour): while loom::dump
// writes a file uncompressed, an NDArray of at least kAlignedMinBytes is written as an aligned
// record, its bytes starting on a page boundary of the file; load(path, {.mmap_mode}) maps the
// file and such arrays become views of the mapping instead of copies (src/io/aligned_load.cpp).
//
// The record, inside the checksummed payload: extents {-3}, the array's extents, a u64 count of
// zero bytes (< one page), those bytes, then the array's raw bytes. A plain load reads it like
// any array.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "loom/core/detail/buffer.hpp"
#include "loom/io/detail/archive_support.hpp"

namespace loom::detail {

inline constexpr std::uint64_t kPageBytes = 4096;
/// Smaller arrays stay inline (an aligned record may cost up to a page of padding).
inline constexpr std::uint64_t kAlignedMinBytes = 4096;
/// The extents marker of an aligned record.
inline constexpr std::int64_t kAlignedMarker = -3;

/// While dump writes: the file offset of the next payload byte.
class AlignedOutput {
 public:
  [[nodiscard]] virtual std::uint64_t position() const = 0;

 protected:
  ~AlignedOutput() = default;
};
const AlignedOutput* current_aligned_output() noexcept;
class AlignedOutputScope {
 public:
  explicit AlignedOutputScope(const AlignedOutput* output) noexcept;
  ~AlignedOutputScope();
  AlignedOutputScope(const AlignedOutputScope&) = delete;
  AlignedOutputScope& operator=(const AlignedOutputScope&) = delete;

 private:
  const AlignedOutput* previous_;
};

/// While load maps a file: the payload as a view of the mapping, whose aligned arrays become
/// views too (writeable with mmap_mode "r+" and "c").
class MappedSource final : public BytesSource {
 public:
  MappedSource(std::string_view payload, std::shared_ptr<Buffer> mapping)
      : BytesSource(payload), mapping_(std::move(mapping)) {}
  /// The next unread byte.
  [[nodiscard]] char* next() const noexcept { return gptr(); }
  /// Skips `n` bytes (at most remaining()).
  void skip(std::size_t n) noexcept { setg(eback(), gptr() + n, egptr()); }
  [[nodiscard]] const std::shared_ptr<Buffer>& mapping() const noexcept { return mapping_; }

 private:
  std::shared_ptr<Buffer> mapping_;
};
/// The mapped input that load is reading on this thread (nullptr outside it).
MappedSource* current_mapped_source() noexcept;
class MappedSourceScope {
 public:
  explicit MappedSourceScope(MappedSource* source) noexcept;
  ~MappedSourceScope();
  MappedSourceScope(const MappedSourceScope&) = delete;
  MappedSourceScope& operator=(const MappedSourceScope&) = delete;

 private:
  MappedSource* previous_;
};

/// A general-format file mapped for load(path, {.mmap_mode}).
struct MappedObject {
  std::shared_ptr<Buffer> mapping;  // null when the file is compressed (it cannot be mapped)
  std::string_view payload;
};
/// Maps `path` (which must hold a `type`) with `mmap_mode` ("r", "r+" or "c"; else a
/// ConfigError). The payload's checksum is not verified: that would read every byte, which is
/// what mapping avoids; every length is still checked against the bytes the file holds.
MappedObject map_object(const std::filesystem::path& path, const std::string& type,
                        const std::string& mmap_mode);
/// Prints, once per file, that a compressed file is loaded into memory despite mmap_mode.
void warn_compressed_mmap(const std::filesystem::path& path, const std::string& mmap_mode);

}  // namespace loom::detail
