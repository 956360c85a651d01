#include "block_hash.hpp"

#include <algorithm>
#include <atomic>
#include <new>

#include <oneapi/tbb/parallel_for.h>
#include <xxhash.h>

namespace loom::detail {

namespace {
XXH3_state_t* as_state(void* p) { return static_cast<XXH3_state_t*>(p); }
}  // namespace

BlockHasher::BlockHasher() : state_(XXH3_createState()) {
  if (state_ == nullptr) throw std::bad_alloc();
  XXH3_64bits_reset(as_state(state_));
}

BlockHasher::~BlockHasher() { XXH3_freeState(as_state(state_)); }

void BlockHasher::update(const char* data, std::size_t size) {
  total_ += size;
  while (size > 0) {
    const std::size_t n = std::min(size, kBlock - filled_);
    XXH3_64bits_update(as_state(state_), data, n);
    filled_ += n;
    data += n;
    size -= n;
    if (filled_ == kBlock) {
      blocks_.push_back(XXH3_64bits_digest(as_state(state_)));
      XXH3_64bits_reset(as_state(state_));
      filled_ = 0;
    }
  }
}

bool BlockHasher::update_parallel(char* out, std::size_t size,
                                  FunctionRef<bool(std::size_t, std::size_t, char*)> produce) {
  // Up to the next block boundary, in order.
  const std::size_t head = filled_ == 0 ? 0 : std::min(size, kBlock - filled_);
  if (head > 0) {
    if (!produce(0, head, out)) return false;
    update(out, head);
  }
  const std::size_t whole = (size - head) / kBlock;
  if (whole > 0) {
    std::vector<std::uint64_t> digests(whole);
    std::atomic<bool> ok{true};
    tbb::parallel_for(std::size_t{0}, whole, [&](std::size_t b) {
      if (!ok.load(std::memory_order_relaxed)) return;
      const std::size_t offset = head + b * kBlock;
      if (!produce(offset, kBlock, out + offset)) {
        ok = false;
        return;
      }
      digests[b] = XXH3_64bits(out + offset, kBlock);
    });
    if (!ok) return false;
    blocks_.insert(blocks_.end(), digests.begin(), digests.end());
    total_ += whole * kBlock;
  }
  const std::size_t tail_offset = head + whole * kBlock;
  if (tail_offset < size) {
    if (!produce(tail_offset, size - tail_offset, out + tail_offset)) return false;
    update(out + tail_offset, size - tail_offset);
  }
  return true;
}

std::uint64_t BlockHasher::digest() const {
  std::vector<std::uint64_t> all = blocks_;
  if (filled_ > 0) all.push_back(XXH3_64bits_digest(as_state(state_)));
  return XXH3_64bits_withSeed(all.data(), all.size() * sizeof(std::uint64_t), total_);
}

std::uint64_t BlockHasher::of(std::string_view payload) {
  BlockHasher h;
  // The bytes are already there: "producing" them is a no-op.
  char* data = const_cast<char*>(payload.data());  // NOLINT: only read
  h.update_parallel(data, payload.size(), [](std::size_t, std::size_t, char*) { return true; });
  return h.digest();
}

}  // namespace loom::detail
