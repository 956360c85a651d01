// Page-aligned arrays in loom's general format (loom/io/detail/aligned_arrays.hpp): the scopes
// that dump and load install, and the mapping of a whole file for load(path, {.mmap_mode}).

#include "loom/io/detail/aligned_arrays.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <mutex>
#include <set>

#include <fmt/format.h>

#include "block_hash.hpp"
#include "input_file.hpp"
#include "loom/core/error.hpp"
#include "object_format.hpp"

namespace loom::detail {

namespace {

thread_local const AlignedOutput* aligned_output = nullptr;
thread_local MappedSource* mapped_source = nullptr;

// A whole file mapped; unmapped with the last array that uses it. Mapped "r+", arrays may
// have written to the file: the header's checksum is made again from the payload then, so that
// a plain load still verifies it.
class MappedFile final : public Buffer {
 public:
  MappedFile(std::byte* base, std::size_t size, bool writeable, std::string path)
      : Buffer(base, size, writeable), path_(std::move(path)) {}
  ~MappedFile() override {
    if (shared_writes_) {
      try {
        std::string checksum;
        put<std::uint64_t>(checksum, BlockHasher::of(payload_));
        std::memcpy(data() + kSizesOffset + 16, checksum.data(), checksum.size());
      } catch (...) {  // NOLINT(bugprone-empty-catch): no memory to hash; a plain load then
      }                // reports the file as corrupt rather than trusting it
    }
    if (size() > 0) ::munmap(data(), size());
  }
  void rehash_on_release(std::string_view payload) noexcept {
    shared_writes_ = true;
    payload_ = payload;
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const std::string& path() const noexcept override { return path_; }

 private:
  std::string path_;
  bool shared_writes_ = false;
  std::string_view payload_;
};

}  // namespace

const AlignedOutput* current_aligned_output() noexcept { return aligned_output; }
AlignedOutputScope::AlignedOutputScope(const AlignedOutput* output) noexcept
    : previous_(aligned_output) {
  aligned_output = output;
}
AlignedOutputScope::~AlignedOutputScope() { aligned_output = previous_; }

MappedSource* current_mapped_source() noexcept { return mapped_source; }
MappedSourceScope::MappedSourceScope(MappedSource* source) noexcept : previous_(mapped_source) {
  mapped_source = source;
}
MappedSourceScope::~MappedSourceScope() { mapped_source = previous_; }

MappedObject map_object(const std::filesystem::path& path, const std::string& type,
                        const std::string& mmap_mode) {
  if (mmap_mode == "w+") {
    throw ConfigError(fmt::format(
        "load('{}'): mmap_mode \"w+\" creates a file: use loom::open_memmap", path.string()));
  }
  if (mmap_mode != "r" && mmap_mode != "r+" && mmap_mode != "c") {
    throw ConfigError(fmt::format("load('{}'): mmap_mode must be \"r\", \"r+\" or \"c\", not '{}'",
                                  path.string(), mmap_mode));
  }
  OpenFile f;
  open_regular_file(f, path, "loom file", /*writable=*/mmap_mode == "r+");
  const auto size = static_cast<std::size_t>(f.size);
  if (size < kFixedHeader) fail(path, "not a file written by loom::dump (too short)");
  const int prot = mmap_mode == "r" ? PROT_READ : PROT_READ | PROT_WRITE;
  const int flags = mmap_mode == "r+" ? MAP_SHARED : MAP_PRIVATE;
  void* base = ::mmap(nullptr, size, prot, flags, f.fd, 0);
  if (base == MAP_FAILED) fail(path, fmt::format("cannot map: {}", std::strerror(errno)));
  auto mapping = std::make_shared<MappedFile>(static_cast<std::byte*>(base), size,
                                              mmap_mode != "r", path.string());
  const std::string_view file(reinterpret_cast<const char*>(mapping->data()), size);
  const ObjectHeader h = parse_object_header(path, file, size, type);
  if (h.codec != kNone) return {};  // compressed: loaded into memory
  const std::string_view payload = file.substr(h.body_offset, h.stored_size);
  if (mmap_mode == "r+") mapping->rehash_on_release(payload);
  return {std::move(mapping), payload};
}

void warn_compressed_mmap(const std::filesystem::path& path, const std::string& mmap_mode) {
  static std::mutex mutex;
  static std::set<std::string> warned;
  const std::lock_guard lock(mutex);
  if (!warned.insert(path.string()).second) return;
  std::cerr << fmt::format(
      "loom: warning: load('{}', mmap_mode=\"{}\"): the file is compressed and cannot be "
      "memory-mapped; it is loaded into memory\n",
      path.string(), mmap_mode);
}

}  // namespace loom::detail
