// The index of merged keys (group_keys.hpp's KeyIndex): the groups of every partial of a
// group-by found among those merged so far, and the merged groups in key order; the merge's
// join keys are found through it too (join/merge.cpp).
#include <algorithm>
#include <cstring>

#include "dataframe/groupby/group_keys.hpp"
#include "dataframe/groupby/probing_table.hpp"
#include "dataframe/groupby/thread_scratch.hpp"

namespace loom::dataframe::detail {

KeyIndex::KeyIndex(bool native) : slots_(take_spare<Slot>(1024, Slot{})) {
  keys_.native = native;
  if (native) ints_ = std::make_unique<IntIndex>(keys_, std::int64_t{1} << 24);
}

KeyIndex::~KeyIndex() { give_spare(std::move(slots_)); }

void KeyIndex::grow() {
  double_table(slots_, [](const Slot& s) { return s.hash; });
}

std::int32_t KeyIndex::find_or_add(std::uint64_t hash, std::int64_t value,
                                   std::string_view encoded) {
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t s = hash & mask;; s = (s + 1) & mask) {
    Slot& slot = slots_[s];
    if (slot.group < 0) {
      slot.hash = hash;
      slot.group = keys_.native ? keys_.add_int(value) : keys_.add_encoded(encoded, hash);
      const std::int32_t g = slot.group;
      if (keys_.size() * 2 > slots_.size()) grow();
      return g;
    }
    if (slot.hash == hash &&
        (keys_.native ? keys_.ints[static_cast<std::size_t>(slot.group)] == value
                      : keys_.key(static_cast<std::size_t>(slot.group)) == encoded)) {
      return slot.group;
    }
  }
}

std::int32_t KeyIndex::find(std::uint64_t hash, std::string_view encoded) const noexcept {
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t s = hash & mask;; s = (s + 1) & mask) {
    const Slot& slot = slots_[s];
    if (slot.group < 0) return -1;
    if (slot.hash == hash && keys_.key(static_cast<std::size_t>(slot.group)) == encoded) {
      return slot.group;
    }
  }
}

std::vector<std::int32_t> KeyIndex::targets(const GroupKeys& part) {
  const std::size_t n = part.size();
  std::vector<std::int32_t> out(n);
  if (keys_.native) {
    for (std::size_t h = 0; h < n; ++h) out[h] = ints_->find_or_add(part.ints[h]);
    return out;
  }
  // Each lookup waits on its slot, then on where its candidate's key starts, then on the key:
  // fetched ahead in three steps (slot, end of the previous key, bytes), some keys apart.
  constexpr std::size_t kSlot = 24;
  constexpr std::size_t kEnd = 16;
  constexpr std::size_t kBytes = 8;
  auto candidate = [&](std::size_t h) {
    return slots_[part.hashes[h] & (slots_.size() - 1)].group;
  };
  for (std::size_t h = 0; h < n; ++h) {
    if (h + kSlot < n) __builtin_prefetch(&slots_[part.hashes[h + kSlot] & (slots_.size() - 1)]);
    if (h + kEnd < n) {
      const std::int32_t g = candidate(h + kEnd);
      if (g > 0) __builtin_prefetch(&keys_.ends[static_cast<std::size_t>(g) - 1]);
    }
    if (h + kBytes < n) {
      const std::int32_t g = candidate(h + kBytes);
      if (g >= 0) __builtin_prefetch(keys_.key(static_cast<std::size_t>(g)).data());
    }
    out[h] = find_or_add(part.hashes[h], 0, part.key(h));
  }
  return out;
}

void KeyIndex::adopt(GroupKeys&& part) {
  if (keys_.native) {
    for (const std::int64_t v : part.ints) ints_->find_or_add(v);
    return;
  }
  keys_ = std::move(part);
  std::size_t size = slots_.size();
  while (keys_.size() * 2 > size) size *= 2;
  slots_.assign(size, Slot{});
  const std::size_t mask = size - 1;
  for (std::size_t g = 0; g < keys_.size(); ++g) {
    std::size_t j = keys_.hashes[g] & mask;
    while (slots_[j].group >= 0) j = (j + 1) & mask;
    slots_[j] = {keys_.hashes[g], static_cast<std::int32_t>(g)};
  }
}

namespace {

// A key's first 16 bytes as two big-endian words, and its group.
struct PrefixEntry {
  std::uint64_t hi;
  std::uint64_t lo;
  std::int32_t group;
};

// Sorts entries[0..n) by (hi, lo), stably, ping-ponging with spare[0..n): least significant
// byte first, one pass per byte that is not the same in every entry (keys that share a prefix,
// or are short, take few passes: the 1e5 keys "id0000000001".. take six of 16). Returns where
// the sorted entries are.
PrefixEntry* radix_sort(PrefixEntry* entries, PrefixEntry* spare, std::size_t n) {
  if (n < 2) return entries;
  std::uint64_t hi_varies = 0;
  std::uint64_t lo_varies = 0;
  for (std::size_t k = 0; k < n; ++k) {
    hi_varies |= entries[k].hi ^ entries[0].hi;
    lo_varies |= entries[k].lo ^ entries[0].lo;
  }
  for (int pass = 0; pass < 16; ++pass) {
    const bool in_lo = pass < 8;
    const int shift = 8 * (pass % 8);
    if ((((in_lo ? lo_varies : hi_varies) >> shift) & 0xff) == 0) continue;
    auto byte = [&](const PrefixEntry& e) {
      return static_cast<std::size_t>(((in_lo ? e.lo : e.hi) >> shift) & 0xff);
    };
    std::size_t start[256] = {};
    for (std::size_t k = 0; k < n; ++k) ++start[byte(entries[k])];
    std::size_t sum = 0;
    for (std::size_t& c : start) {
      const std::size_t count = c;
      c = sum;
      sum += count;
    }
    for (std::size_t k = 0; k < n; ++k) spare[start[byte(entries[k])]++] = entries[k];
    std::swap(entries, spare);
  }
  return entries;
}

}  // namespace

std::vector<std::int32_t> KeyIndex::sorted() const {
  std::vector<std::int32_t> order(keys_.size());
  for (std::size_t g = 0; g < order.size(); ++g) order[g] = static_cast<std::int32_t>(g);
  if (keys_.native) {
    if (ints_->in_order(order)) return order;  // the table holds them in value order
    std::sort(order.begin(), order.end(), [&](std::int32_t a, std::int32_t b) {
      return keys_.ints[static_cast<std::size_t>(a)] < keys_.ints[static_cast<std::size_t>(b)];
    });
  } else {
    // Sorted by the first 16 bytes as two big-endian words (zero-padded), then the whole keys
    // where those tie. The entries and the radix sort's other half are in memory this thread
    // used before (sorting 1e5 keys took less time than faulting in fresh pages for them).
    const std::size_t n = order.size();
    SpareVector<PrefixEntry> buffer = take_spare<PrefixEntry>(2 * n, PrefixEntry{});
    for (std::size_t g = 0; g < n; ++g) {
      const std::string_view k = keys_.key(g);
      unsigned char prefix[16] = {};
      std::memcpy(prefix, k.data(), std::min<std::size_t>(k.size(), 16));
      std::uint64_t hi = 0;
      std::uint64_t lo = 0;
      for (int b = 0; b < 8; ++b) {
        hi = (hi << 8) | prefix[b];
        lo = (lo << 8) | prefix[8 + b];
      }
      buffer[g] = {hi, lo, static_cast<std::int32_t>(g)};
    }
    PrefixEntry* const by_key = radix_sort(buffer.data(), buffer.data() + n, n);
    auto whole_key = [&](const PrefixEntry& a, const PrefixEntry& b) {
      return keys_.key(static_cast<std::size_t>(a.group)) <
             keys_.key(static_cast<std::size_t>(b.group));
    };
    for (std::size_t from = 0; from < n;) {
      std::size_t to = from + 1;
      while (to < n && by_key[to].hi == by_key[from].hi && by_key[to].lo == by_key[from].lo) ++to;
      if (to - from > 1) std::sort(by_key + from, by_key + to, whole_key);
      from = to;
    }
    for (std::size_t k = 0; k < n; ++k) order[k] = by_key[k].group;
    give_spare(std::move(buffer));
  }
  return order;
}

}  // namespace loom::dataframe::detail
