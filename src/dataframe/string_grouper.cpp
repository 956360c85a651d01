// The grouper of one string key (plain or dictionary-encoded): group_keys.hpp's Grouper for
// the commonest many-group key shape, kept apart for its size.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "group_keys.hpp"
#include "open_table.hpp"
#include "short_string.hpp"
#include "spare.hpp"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace loom::dataframe::detail {

namespace {

// One string key: an open-addressing table whose slots hold the hash, the length and the first
// 16 bytes of their key, so that most probes touch one cache line; longer keys are compared in
// full against the group's encoded key. Plain columns are looked up row by row, dictionary
// columns once per distinct string. The table outlives a partition: the next one's column
// binds to it, whichever way it is stored.
class StringGrouper final : public Grouper {
 public:
  // The table of the previous partition on this thread, at its size (spare.hpp).
  StringGrouper(const ColumnData& d, GroupKeys& keys)
      : keys_(keys),
        slots_(take_spare<Slot>(std::max<std::size_t>(spare_size<Slot>(), 1024), Slot{})) {
    bind({&d});
  }
  ~StringGrouper() override { give_spare(std::move(slots_)); }
  StringGrouper(const StringGrouper&) = delete;
  StringGrouper& operator=(const StringGrouper&) = delete;

  void assign(std::int64_t begin, std::int64_t n, std::int32_t* out) override {
    const ColumnData& d = *d_;
    if (!d.dictionary) {
      lookup(
          n, [&](std::size_t k) { return begin + static_cast<std::int64_t>(k); }, out);
      return;
    }
    for (std::int64_t k = 0; k < n; ++k) {
      const std::int64_t i = begin + k;
      if (!d.valid(i)) {
        out[k] = -1;
        continue;
      }
      std::int32_t& g = code_group_[static_cast<std::size_t>(d.codes[static_cast<std::size_t>(i)])];
      if (g < 0) g = first_of_code(i);
      out[k] = g;
    }
  }
  bool bind(const std::vector<const ColumnData*>& columns) override {
    d_ = columns[0];
    if (d_->dictionary) bind_dictionary();
    return true;
  }

 private:
  static constexpr std::uint32_t kMissing = UINT32_MAX;
  struct Slot {
    std::uint64_t hash = 0;
    std::int32_t group = -1;
    std::uint32_t length = 0;  // saturated: longer keys are compared in full
    Words words;
  };
  struct Probe {  // a key looked up: its hash, words and length (kMissing: none)
    std::uint64_t hash;
    Words words;
    std::uint32_t length;
  };

  // The groups of the strings of rows row(0..n) (added when new) into out: every string's
  // words, length and hash first, then the probes, each slot prefetched some strings ahead
  // (the table outgrows the caches: waiting on each probe in turn was most of the time). Keys
  // of up to 16 bytes are hashed from their words.
  template <class Row>
  void lookup(std::int64_t n, Row row, std::int32_t* out) {
    const ColumnData& d = *d_;
    const auto un = static_cast<std::size_t>(n);
    if (block_.size() < un) block_.resize(un);
    for (std::size_t k = 0; k < un; ++k) {
      const std::int64_t i = row(k);
      Probe& p = block_[k];
      if (!d.valid(i)) {
        p.length = kMissing;
        p.hash = 0;
        continue;
      }
      const std::string_view v = d.str(i);
      p.words = words_of(v);
      p.length = v.size() < kMissing ? static_cast<std::uint32_t>(v.size()) : kMissing - 1;
      p.hash = v.size() <= 16 ? short_hash(p.words, v.size()) : XXH3_64bits(v.data(), v.size());
    }
    constexpr std::size_t kAhead = 32;
    std::size_t mask = slots_.size() - 1;
    for (std::size_t k = 0; k < un; ++k) {
      if (k + kAhead < un) __builtin_prefetch(&slots_[block_[k + kAhead].hash & mask & ~1ULL]);
      const Probe& p = block_[k];
      if (p.length == kMissing) {
        out[k] = -1;
        continue;
      }
      // A key starts at an even slot, so that its first two share a cache line: both are
      // compared without a branch between them (most keys are found there).
      const std::size_t first = p.hash & mask & ~std::size_t{1};
      if (p.length <= 16) {
        const Slot& a = slots_[first];
        const Slot& b = slots_[first + 1];
        const bool in_a = a.hash == p.hash && a.words == p.words && a.length == p.length;
        const bool in_b = b.hash == p.hash && b.words == p.words && b.length == p.length;
        const std::int32_t g = in_a ? a.group : b.group;
        if ((in_a || in_b) && g >= 0) {
          out[k] = g;
          continue;
        }
      }
      for (std::size_t s = first;; s = (s + 1) & mask) {
        const Slot& slot = slots_[s];
        if (slot.group < 0) {
          out[k] = insert(s, p, row(k));
          if (keys_.size() * 2 > slots_.size()) {
            grow();
            mask = slots_.size() - 1;
          }
          break;
        }
        if (slot.hash == p.hash && slot.words == p.words && slot.length == p.length &&
            (p.length <= 16 || same(slot, d.str(row(k))))) {
          out[k] = slot.group;
          break;
        }
      }
    }
  }
  // The group of row i's string, met for the first time in this dictionary (kept apart from the
  // loop over rows, which stays small).
  [[gnu::noinline]] std::int32_t first_of_code(std::int64_t i) {
    std::int32_t g = -1;
    lookup(
        1, [i](std::size_t) { return i; }, &g);
    return g;
  }
  // A dictionary column: its distinct strings' groups are found as rows come (few strings),
  // or all at once, in one prefetched pass over the strings some valid row holds (many).
  void bind_dictionary() {
    const ColumnData& d = *d_;
    const std::size_t entries = d.offsets.size() - 1;
    code_group_.assign(entries, -1);
    if (entries < 4096) return;
    std::vector<std::int64_t> first_row(entries, -1);  // a valid row holding each string
    for (std::int64_t i = 0; i < d.size; ++i) {
      const auto c = static_cast<std::size_t>(d.codes[static_cast<std::size_t>(i)]);
      if (first_row[c] < 0 && d.valid(i)) first_row[c] = i;
    }
    std::vector<std::int64_t> rows;
    for (const std::int64_t r : first_row) {
      if (r >= 0) rows.push_back(r);
    }
    std::vector<std::int32_t> groups(rows.size());
    constexpr std::size_t kChunk = 4096;
    for (std::size_t from = 0; from < rows.size(); from += kChunk) {
      const std::size_t count = std::min(kChunk, rows.size() - from);
      lookup(
          static_cast<std::int64_t>(count), [&](std::size_t k) { return rows[from + k]; },
          groups.data() + from);
    }
    for (std::size_t k = 0; k < rows.size(); ++k) {
      code_group_[static_cast<std::size_t>(d.codes[static_cast<std::size_t>(rows[k])])] = groups[k];
    }
  }
  std::int32_t insert(std::size_t s, const Probe& p, std::int64_t i) {
    key_.clear();
    encode_value(key_, *d_, i);
    Slot& slot = slots_[s];
    slot.hash = p.hash;
    slot.length = p.length;
    slot.words = p.words;
    slot.group = keys_.add_encoded(key_);
    return slot.group;
  }
  // A key longer than 16 bytes against the group's encoded key: without a NUL, v's encoding
  // is v and the terminator "\0\0" (no other key's encoding starts with v and is that long).
  bool same(const Slot& slot, std::string_view v) {
    const std::string_view have = keys_.key(static_cast<std::size_t>(slot.group));
    if (v.find('\0') == std::string_view::npos) {
      return have.size() == v.size() + 2 && have.substr(0, v.size()) == v;
    }
    encoded_.clear();
    encode_string(encoded_, v);
    return have == encoded_;
  }
  void grow() {
    double_table(slots_, [](const Slot& s) { return s.hash & ~std::uint64_t{1}; });
  }
  const ColumnData* d_ = nullptr;
  GroupKeys& keys_;
  SpareVector<Slot> slots_;
  std::vector<std::int32_t> code_group_;  // dictionary columns: code -> group (-1: not yet)
  std::string key_;
  std::string encoded_;
  std::vector<Probe> block_;
};

}  // namespace

std::unique_ptr<Grouper> make_string_grouper(const ColumnData& d, GroupKeys& keys) {
  return std::make_unique<StringGrouper>(d, keys);
}

}  // namespace loom::dataframe::detail
