// The grouper of one string key (plain or dictionary-encoded): group_keys.hpp's Grouper for
// the commonest many-group key shape, kept apart for its size.
#include <algorithm>
#include <bit>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dataframe/groupby/group_keys.hpp"
#include "dataframe/groupby/group_lines.hpp"
#include "loom/core/error.hpp"
#include "dataframe/short_string.hpp"
#include "dataframe/groupby/thread_scratch.hpp"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace loom::dataframe::detail {

namespace {

// One string key. Each group has a header in a GroupLines line: its key's hash, first 16 bytes
// and length, in front of the group's fused sums when both fit in one cache line (else in
// lines of its own). An open-addressing table of 4-byte slots, a quarter full at most, maps a
// hash to the groups whose header to check: each slot holds a group number and the hash's top
// bits as a tag. With many groups the table stays within L2 and the header is the cache line
// the row's sums touch next, so that a row costs about one miss (a table of whole keys and the
// records beside it cost two). Keys longer than 16 bytes are compared in full against the
// group's encoded key. Plain columns are looked up row by row, dictionary columns once per
// distinct string. The table outlives a partition: the next one's column binds to it,
// whichever way it is stored.
class StringGrouper final : public Grouper {
 public:
  // The slots of the previous partition on this thread, at their size (thread_scratch.hpp).
  StringGrouper(const ColumnData& d, GroupKeys& keys, GroupLines* shared)
      : keys_(keys),
        lines_(shared != nullptr && shared->host(kHeader) ? *shared : own_lines()),
        slots_(take_spare<TagSlot>(std::max<std::size_t>(spare_size<TagSlot>(), 1024), TagSlot{})) {
    set_bits();
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
      if (!d.is_valid(i)) {
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
  static constexpr std::size_t kHeader = 4;  // cells: hash, the two words, length
  struct TagSlot {                           // (tag << group_bits_) | (group + 1); 0: empty
    std::uint32_t v = 0;
  };
  struct Probe {  // a key looked up: its hash, words and length (kMissing: none)
    std::uint64_t hash;
    Words words;
    std::uint32_t length;
  };

  GroupLines& own_lines() {
    own_ = std::make_unique<GroupLines>();
    own_->set_record(0);
    own_->host(kHeader);
    return *own_;
  }
  // Group numbers take the low bits of a slot, as many as the table's size needs (at most a
  // quarter of the slots are used); the tag takes up to 12 of the others, from the hash's top
  // bits (the slot comes from its low bits). A tag shared by another key sends a row to the
  // wrong header about once in 20000 rows: then it is looked up again slot by slot (the tests
  // see that happen).
  void set_bits() {
    const int size_bits = std::countr_zero(slots_.size());
    group_bits_ = size_bits - 1;
    if (group_bits_ > 31) throw Error("groupby: too many groups for one string key");
    group_mask_ = static_cast<std::uint32_t>((std::uint64_t{1} << group_bits_) - 1);
    tag_shift_ = 64 - std::min(12, 32 - group_bits_);
  }
  [[nodiscard]] std::uint32_t tag(std::uint64_t hash) const noexcept {
    return static_cast<std::uint32_t>(hash >> tag_shift_) << group_bits_;
  }
  // Whether group g's header holds the probe's key (row i's string).
  bool holds(std::int32_t g, const Probe& p, std::int64_t i) {
    const Cell* h = lines_.header(static_cast<std::size_t>(g));
    return static_cast<std::uint64_t>(h[0].i) == p.hash &&
           static_cast<std::uint64_t>(h[1].i) == p.words.a &&
           static_cast<std::uint64_t>(h[2].i) == p.words.b &&
           static_cast<std::uint64_t>(h[3].i) == p.length &&
           (p.length <= 16 || same(g, d_->str(i)));
  }

  // The groups of the strings of rows row(0..n) (added when new) into out, in three passes
  // over the block: every string's words, length and hash; the candidate group of each from
  // the slots (prefetched some strings ahead); then each candidate's header checked
  // (prefetched too), the rows whose key is new or whose candidate was not theirs looked up
  // again slot by slot. Keys of up to 16 bytes are hashed from their words.
  template <class Row>
  void lookup(std::int64_t n, Row row, std::int32_t* out) {
    const ColumnData& d = *d_;
    const auto un = static_cast<std::size_t>(n);
    if (block_.size() < un) block_.resize(un);
    for (std::size_t k = 0; k < un; ++k) {
      const std::int64_t i = row(k);
      Probe& p = block_[k];
      if (!d.is_valid(i)) {
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
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t k = 0; k < un; ++k) {
      if (k + kAhead < un) __builtin_prefetch(&slots_[block_[k + kAhead].hash & mask]);
      const Probe& p = block_[k];
      std::int32_t g = -1;
      if (p.length != kMissing) {
        const std::uint32_t t = tag(p.hash);
        for (std::size_t s = p.hash & mask;; s = (s + 1) & mask) {
          const std::uint32_t v = slots_[s].v;
          if (v == 0) break;
          if ((v & ~group_mask_) == t) {
            g = static_cast<std::int32_t>(v & group_mask_) - 1;
            break;
          }
        }
      }
      out[k] = g;
    }
    constexpr std::size_t kCheckAhead = 16;
    for (std::size_t k = 0; k < un; ++k) {
      if (k + kCheckAhead < un && out[k + kCheckAhead] >= 0) {
        __builtin_prefetch(lines_.header(static_cast<std::size_t>(out[k + kCheckAhead])));
      }
      const Probe& p = block_[k];
      if (p.length == kMissing) continue;  // out[k] is -1
      if (out[k] >= 0 && holds(out[k], p, row(k))) continue;
      out[k] = find_or_add(p, row(k));
    }
  }
  // The group of a probe, slot by slot (added when new).
  std::int32_t find_or_add(const Probe& p, std::int64_t i) {
    const std::size_t mask = slots_.size() - 1;
    const std::uint32_t t = tag(p.hash);
    for (std::size_t s = p.hash & mask;; s = (s + 1) & mask) {
      const std::uint32_t v = slots_[s].v;
      if (v == 0) {
        const std::int32_t g = insert(p, i);
        slots_[s].v = t | (static_cast<std::uint32_t>(g) + 1);
        if (keys_.size() * 4 > slots_.size()) grow();
        return g;
      }
      if ((v & ~group_mask_) == t) {
        const auto g = static_cast<std::int32_t>(v & group_mask_) - 1;
        if (holds(g, p, i)) return g;
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
      if (first_row[c] < 0 && d.is_valid(i)) first_row[c] = i;
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
  std::int32_t insert(const Probe& p, std::int64_t i) {
    key_.clear();
    encode_value(key_, *d_, i);
    const std::int32_t g = keys_.add_encoded(key_);
    lines_.ensure(keys_.size());
    Cell* h = lines_.header(static_cast<std::size_t>(g));
    h[0].i = static_cast<std::int64_t>(p.hash);
    h[1].i = static_cast<std::int64_t>(p.words.a);
    h[2].i = static_cast<std::int64_t>(p.words.b);
    h[3].i = p.length;
    return g;
  }
  // A key longer than 16 bytes against group g's encoded key: without a NUL, v's encoding is v
  // and the terminator "\0\0" (no other key's encoding starts with v and is that long).
  bool same(std::int32_t g, std::string_view v) {
    const std::string_view have = keys_.key(static_cast<std::size_t>(g));
    if (v.find('\0') == std::string_view::npos) {
      return have.size() == v.size() + 2 && have.substr(0, v.size()) == v;
    }
    encoded_.clear();
    encode_string(encoded_, v);
    return have == encoded_;
  }
  // Twice the slots, every group placed again from the hash in its header.
  void grow() {
    slots_.assign(slots_.size() * 2, TagSlot{});
    set_bits();
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t g = 0; g < keys_.size(); ++g) {
      const auto hash = static_cast<std::uint64_t>(lines_.header(g)[0].i);
      std::size_t s = hash & mask;
      while (slots_[s].v != 0) s = (s + 1) & mask;
      slots_[s].v = tag(hash) | (static_cast<std::uint32_t>(g) + 1);
    }
  }

  const ColumnData* d_ = nullptr;
  GroupKeys& keys_;
  std::unique_ptr<GroupLines> own_;  // the headers' lines when not shared
  GroupLines& lines_;
  SpareVector<TagSlot> slots_;
  int group_bits_ = 0;
  std::uint32_t group_mask_ = 0;
  int tag_shift_ = 0;
  std::vector<std::int32_t> code_group_;  // dictionary columns: code -> group (-1: not yet)
  std::string key_;
  std::string encoded_;
  std::vector<Probe> block_;
};

}  // namespace

std::unique_ptr<Grouper> make_string_grouper(const ColumnData& d, GroupKeys& keys,
                                             GroupLines* lines) {
  return std::make_unique<StringGrouper>(d, keys, lines);
}

}  // namespace loom::dataframe::detail
