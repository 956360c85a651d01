#pragma once
// The checksum of loom's general file format: xxh3 of every 4 MiB block, then xxh3 (seeded
// with the total size) of those block hashes. Unlike one xxh3 over the whole payload it can be
// computed on several cores at once, and still streams: a payload may be fed in any pieces.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "loom/core/detail/function_ref.hpp"

namespace loom::detail {

class BlockHasher {
 public:
  static constexpr std::size_t kBlock = std::size_t{4} << 20;

  BlockHasher();
  ~BlockHasher();
  BlockHasher(const BlockHasher&) = delete;
  BlockHasher& operator=(const BlockHasher&) = delete;

  /// Feeds the next bytes (one thread).
  void update(const char* data, std::size_t size);
  /// Feeds the next `size` bytes, which `produce(offset, count, out)` places in `out` (offsets
  /// relative to `out`; it returns false on failure, which stops the rest): whole blocks are
  /// produced and hashed in parallel. Returns false when a produce call failed.
  bool update_parallel(char* out, std::size_t size,
                       FunctionRef<bool(std::size_t, std::size_t, char*)> produce);
  [[nodiscard]] std::uint64_t digest() const;
  /// The checksum of a whole payload held in memory (blocks hashed in parallel).
  static std::uint64_t of(std::string_view payload);

 private:
  void* state_;  // XXH3_state_t of the current partial block
  std::size_t filled_ = 0;
  std::uint64_t total_ = 0;
  std::vector<std::uint64_t> blocks_;
};

}  // namespace loom::detail
