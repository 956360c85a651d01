#pragma once
// Group-by keys (private to src/dataframe): which group each row belongs to, and the keys of
// the groups found. A single int64 or datetime key stays a native integer; any other key is
// encoded as bytes whose order is the keys' order (encode_value per key column), so that one
// comparison sorts by every key column, and kept with its hash for the merge of partitions.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "loom/dataframe/column.hpp"
#include "dataframe/column_builder.hpp"
#include "dataframe/groupby/thread_scratch.hpp"

namespace loom::dataframe::detail {

/// Appends the order-preserving encoding of row i of `d` to `out`.
void encode_value(std::string& out, const ColumnData& d, std::int64_t i);
/// Appends a key for row i of `d` by which int64 and float64 columns compare by value (3 and 3.0
/// alike, -0.0 as 0); other dtypes as encode_value. For equality only (merge keys: the two sides
/// of a merge are read and revised independently): it does not sort.
void encode_by_value(std::string& out, const ColumnData& d, std::int64_t i);
/// Appends the encoding of a string value to `out` (what encode_value writes for strings).
void encode_string(std::string& out, std::string_view s);
/// Reads one encoded value at p (advanced past it) into `b`.
void decode_value(const char*& p, ColumnBuilder& b);
/// The encoded key of row i over some columns; false when one is missing.
bool encode_row(const std::vector<const ColumnData*>& columns, std::int64_t i, std::string& out);
/// The hash the merge uses for an encoded key.
[[nodiscard]] std::uint64_t key_hash(std::string_view encoded);

/// The keys of some groups, in order of first appearance (group g is entry g).
struct GroupKeys {
  bool native = false;             // one int64/datetime key: `ints`; else encoded
  std::vector<std::int64_t> ints;  // native keys
  std::string bytes;               // encoded keys, back to back
  std::vector<std::uint64_t> ends;
  std::vector<std::uint64_t> hashes;  // key_hash of each encoded key

  [[nodiscard]] std::size_t size() const noexcept { return native ? ints.size() : ends.size(); }
  [[nodiscard]] std::string_view key(std::size_t g) const noexcept {
    const std::size_t b = g == 0 ? 0 : ends[g - 1];
    return std::string_view(bytes).substr(b, ends[g] - b);
  }
  std::int32_t add_int(std::int64_t v) {
    ints.push_back(v);
    return static_cast<std::int32_t>(ints.size() - 1);
  }
  std::int32_t add_encoded(std::string_view k, std::uint64_t hash) {
    bytes.append(k);
    ends.push_back(bytes.size());
    hashes.push_back(hash);
    return static_cast<std::int32_t>(ends.size() - 1);
  }
  std::int32_t add_encoded(std::string_view k) { return add_encoded(k, key_hash(k)); }

  template <class Archive>
  void serialize(Archive& ar) {
    ar(native, ints, bytes, ends, hashes);
  }
};

/// Assigns rows to groups, block by block; keys met for the first time become new groups.
class Grouper {
 public:
  virtual ~Grouper() = default;
  /// The group of each row in [begin, begin + n) into out; -1 where a key is missing (pandas'
  /// dropna=True leaves those rows out).
  virtual void assign(std::int64_t begin, std::int64_t n, std::int32_t* out) = 0;
  /// Goes on with the next partition's key columns (same names and dtypes), keeping the groups
  /// found so far; false when they take another kind of grouper (nothing changed then).
  virtual bool bind(const std::vector<const ColumnData*>& columns) = 0;
};

class GroupLines;

/// The grouper for these key columns (one partition's), adding groups to `keys` (whose
/// `native` it sets). A grouper that keeps something per group may put it in front of the
/// records of `lines` (the fused sums', group_lines.hpp) when it fits there.
[[nodiscard]] std::unique_ptr<Grouper> make_grouper(const std::vector<const ColumnData*>& columns,
                                                    GroupKeys& keys, GroupLines* lines);

/// The grouper of one string key, plain or dictionary-encoded (string_grouper.cpp).
[[nodiscard]] std::unique_ptr<Grouper> make_string_grouper(const ColumnData& d, GroupKeys& keys,
                                                           GroupLines* lines);

/// Groups of int64 values (native keys): a table indexed by value while the values stay
/// within `limit` of each other (widened as they come: no pass over them first), an
/// open-addressing hash table past that. New values become new groups of `keys`.
class IntIndex {
 public:
  IntIndex(GroupKeys& keys, std::int64_t limit);
  /// The groups of v[0..n) into out; -1 where valid(k) is false.
  template <class T, class Valid>
  void assign(const T* v, std::int64_t n, Valid valid, std::int32_t* out);
  /// The group of one value.
  std::int32_t find_or_add(std::int64_t v);
  /// Every group in value order, when the table still holds them all (else false).
  bool in_order(std::vector<std::int32_t>& out) const;

 private:
  struct Slot {
    std::int64_t value = 0;
    std::int32_t group = -1;
  };
  bool widen(std::int64_t v);
  void start_hashing();
  std::int32_t hashed(std::int64_t v);
  void grow();

  GroupKeys& keys_;
  std::int64_t limit_;  // the most values the table may cover
  bool hashing_ = false;
  std::int64_t lo_ = 0;
  std::vector<std::int32_t> table_;  // value lo_ + i -> group (-1: none yet)
  std::vector<Slot> slots_;
};

/// Finds keys among the groups merged so far, adding the new ones (the merge of partitions;
/// the merge's index of join keys too).
class KeyIndex {
 public:
  explicit KeyIndex(bool native);
  ~KeyIndex();
  KeyIndex(const KeyIndex&) = delete;
  KeyIndex& operator=(const KeyIndex&) = delete;
  /// The merged group of each group of `part` (keys in the same representation).
  std::vector<std::int32_t> targets(const GroupKeys& part);
  /// Takes the groups of a first partial as they are (the index is empty): group g stays g.
  void adopt(GroupKeys&& part);
  /// The group of one key (added when new).
  std::int32_t find_or_add(std::uint64_t hash, std::int64_t value, std::string_view encoded);
  /// The group of one encoded key (not native), or -1 when it has none.
  [[nodiscard]] std::int32_t find(std::uint64_t hash, std::string_view encoded) const noexcept;
  [[nodiscard]] const GroupKeys& keys() const noexcept { return keys_; }
  /// The merged groups in key order.
  [[nodiscard]] std::vector<std::int32_t> sorted() const;

 private:
  struct Slot {
    std::uint64_t hash = 0;
    std::int32_t group = -1;
  };
  void grow();

  GroupKeys keys_;
  SpareVector<Slot> slots_;         // encoded keys (this thread's spare: thread_scratch.hpp)
  std::unique_ptr<IntIndex> ints_;  // native keys
};

}  // namespace loom::dataframe::detail
