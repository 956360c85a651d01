// Group-by keys: the order-preserving encoding and the groupers (one per common key shape, each
// avoiding work the general one does per row; the string key's in string_grouper.cpp; the index
// of merged keys in key_index.cpp).
#include "dataframe/groupby/group_keys.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "dataframe/groupby/probing_table.hpp"
#include "dataframe/groupby/thread_scratch.hpp"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace loom::dataframe::detail {

// ---- order-preserving key encoding ----

namespace {

void put_u64(std::string& out, std::uint64_t v) {
  char b[8];
  for (int k = 0; k < 8; ++k) b[k] = static_cast<char>((v >> (8 * (7 - k))) & 0xFF);
  out.append(b, 8);
}
std::uint64_t get_u64(const char*& p) {
  std::uint64_t v = 0;
  for (int k = 0; k < 8; ++k) v = (v << 8) | static_cast<unsigned char>(*p++);
  return v;
}
std::uint64_t int_hash(std::int64_t v) noexcept {
  std::uint64_t z = static_cast<std::uint64_t>(v) * 0x9E3779B97F4A7C15ULL;
  return z ^ (z >> 29);
}

}  // namespace

void encode_by_value(std::string& out, const ColumnData& d, std::int64_t i) {
  if (d.dtype != DType::int64 && d.dtype != DType::float64) {
    encode_value(out, d, i);
    return;
  }
  const auto u = static_cast<std::size_t>(i);
  std::int64_t as_int = 0;
  if (d.dtype == DType::int64) {
    as_int = d.ints[u];
  } else {
    const double x = d.floats[u];
    if (!(x == std::trunc(x) && x >= -9.2e18 && x <= 9.2e18)) {  // not an int64's value
      out.push_back('f');
      out.append(reinterpret_cast<const char*>(&x), sizeof x);
      return;
    }
    as_int = static_cast<std::int64_t>(x);
  }
  out.push_back('i');
  out.append(reinterpret_cast<const char*>(&as_int), sizeof as_int);
}

void encode_string(std::string& out, std::string_view s) {
  if (s.find('\0') == std::string_view::npos) {
    out.append(s);
  } else {
    for (char c : s) {  // 0x00 escaped as 0x00 0xFF so that the terminator sorts first
      out.push_back(c);
      if (c == '\0') out.push_back('\xFF');
    }
  }
  out.push_back('\0');
  out.push_back('\0');
}

void encode_value(std::string& out, const ColumnData& d, std::int64_t i) {
  const auto u = static_cast<std::size_t>(i);
  switch (d.dtype) {
    case DType::int64:
    case DType::datetime:
      put_u64(out, static_cast<std::uint64_t>(d.ints[u]) ^ (std::uint64_t{1} << 63));
      break;
    case DType::float64: {
      const double x = d.floats[u] == 0.0 ? 0.0 : d.floats[u];  // -0.0 is the key 0.0
      std::uint64_t bits = 0;
      std::memcpy(&bits, &x, 8);
      bits = (bits >> 63) != 0 ? ~bits : bits | (std::uint64_t{1} << 63);
      put_u64(out, bits);
      break;
    }
    case DType::boolean:
      out.push_back(static_cast<char>(d.bools[u]));
      break;
    case DType::string:
      encode_string(out, d.str(i));
      break;
  }
}

void decode_value(const char*& p, ColumnBuilder& b) {
  switch (b.dtype()) {
    case DType::int64:
    case DType::datetime:
      b.append_int(static_cast<std::int64_t>(get_u64(p) ^ (std::uint64_t{1} << 63)));
      break;
    case DType::float64: {
      std::uint64_t bits = get_u64(p);
      bits = (bits >> 63) != 0 ? bits & ~(std::uint64_t{1} << 63) : ~bits;
      double v = 0;
      std::memcpy(&v, &bits, 8);
      b.append_double(v);
      break;
    }
    case DType::boolean:
      b.append_bool(*p++ != 0);
      break;
    case DType::string: {
      // Up to the terminator "\0\0"; without an escaped NUL, the bytes are the string.
      const char* q = p;
      while (!(q[0] == '\0' && (q[1] == '\0' || q[1] == '\xFF'))) ++q;
      if (q[1] == '\0') {
        b.append_string(std::string_view(p, static_cast<std::size_t>(q - p)));
        p = q + 2;
        break;
      }
      std::string s;
      for (;;) {
        if (p[0] == '\0' && p[1] == '\0') {
          p += 2;
          break;
        }
        if (p[0] == '\0') {  // escaped NUL
          s.push_back('\0');
          p += 2;
          continue;
        }
        s.push_back(*p++);
      }
      b.append_string(s);
      break;
    }
  }
}

bool encode_row(const std::vector<const ColumnData*>& columns, std::int64_t i, std::string& out) {
  out.clear();
  for (const auto* d : columns) {
    if (d->is_missing(i)) return false;
    encode_value(out, *d, i);
  }
  return true;
}

std::uint64_t key_hash(std::string_view encoded) {
  return XXH3_64bits(encoded.data(), encoded.size());
}

// ---- int index ----

IntIndex::IntIndex(GroupKeys& keys, std::int64_t limit) : keys_(keys), limit_(limit) {}

template <class T, class Valid>
void IntIndex::assign(const T* v, std::int64_t n, Valid valid, std::int32_t* out) {
  std::int64_t k = 0;
  while (k < n) {
    if (!hashing_) {
      // The table, its bounds kept in registers, until a value falls outside them.
      std::int32_t* const table = table_.data();
      const std::uint64_t size = table_.size();
      const auto lo = static_cast<std::uint64_t>(lo_);
      for (; k < n; ++k) {
        if (!valid(k)) {
          out[k] = -1;
          continue;
        }
        const std::int64_t x = v[k];
        const std::uint64_t off = static_cast<std::uint64_t>(x) - lo;
        if (off >= size) break;
        std::int32_t g = table[off];
        if (g < 0) {
          g = keys_.add_int(x);
          table[off] = g;
        }
        out[k] = g;
      }
      if (k == n) break;
      if (widen(v[k])) continue;  // a wider table: its bounds are read again
      start_hashing();
    }
    for (; k < n; ++k) out[k] = valid(k) ? hashed(v[k]) : -1;
  }
}

std::int32_t IntIndex::find_or_add(std::int64_t v) {
  std::int32_t g = -1;
  assign(
      &v, 1, [](std::int64_t) { return true; }, &g);
  return g;
}

bool IntIndex::in_order(std::vector<std::int32_t>& out) const {
  if (hashing_) return false;
  out.clear();
  for (const std::int32_t g : table_) {
    if (g >= 0) out.push_back(g);
  }
  return true;
}

// Makes the table cover v (with room to spare on that side); false past the limit.
bool IntIndex::widen(std::int64_t v) {
  const bool empty = table_.empty();
  const std::int64_t old_lo = empty ? v : lo_;
  const std::int64_t old_hi = empty ? v : lo_ + static_cast<std::int64_t>(table_.size()) - 1;
  const std::int64_t lo = std::min(old_lo, v);
  const std::int64_t hi = std::max(old_hi, v);
  // In doubles first: hi - lo may not fit in an int64.
  if (static_cast<double>(hi) - static_cast<double>(lo) + 1 > static_cast<double>(limit_)) {
    return false;
  }
  const std::int64_t span = hi - lo + 1;
  const std::int64_t slack = std::max<std::int64_t>(0, std::min(span / 2 + 512, limit_ - span));
  std::int64_t new_lo = lo;
  std::int64_t new_hi = hi;
  if (v < old_lo || empty) new_lo = lo < INT64_MIN + slack ? INT64_MIN : lo - slack;
  if (v > old_hi || (empty && new_lo == lo)) {
    new_hi = hi > INT64_MAX - slack ? INT64_MAX : hi + slack;
  }
  std::vector<std::int32_t> wider(static_cast<std::size_t>(new_hi - new_lo) + 1, -1);
  if (!empty) {
    std::copy(table_.begin(), table_.end(),
              wider.begin() + static_cast<std::ptrdiff_t>(old_lo - new_lo));
  }
  table_ = std::move(wider);
  lo_ = new_lo;
  return true;
}

void IntIndex::start_hashing() {
  hashing_ = true;
  table_ = {};
  slots_.assign(1024, Slot{});
  while (keys_.size() * 2 > slots_.size()) slots_.resize(slots_.size() * 2);
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t g = 0; g < keys_.ints.size(); ++g) {
    std::size_t j = int_hash(keys_.ints[g]) & mask;
    while (slots_[j].group >= 0) j = (j + 1) & mask;
    slots_[j] = {keys_.ints[g], static_cast<std::int32_t>(g)};
  }
}

std::int32_t IntIndex::hashed(std::int64_t v) {
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t s = int_hash(v) & mask;; s = (s + 1) & mask) {
    Slot& slot = slots_[s];
    if (slot.group < 0) {
      slot = {v, keys_.add_int(v)};
      const std::int32_t g = slot.group;
      if (keys_.size() * 2 > slots_.size()) grow();
      return g;
    }
    if (slot.value == v) return slot.group;
  }
}

void IntIndex::grow() {
  double_table(slots_, [](const Slot& s) { return int_hash(s.value); });
}

// ---- groupers ----

namespace {

// The grouper each shape of key columns gets.
enum class Kind { kInt, kCell, kString, kEncoded };

// How many combinations of codes dictionary-encoded columns have (in a double: it may be huge).
double cells(const std::vector<const ColumnData*>& columns) {
  double product = 1;
  for (const auto* d : columns) product *= static_cast<double>(d->offsets.size() - 1);
  return product;
}

Kind preferred(const std::vector<const ColumnData*>& columns) {
  if (columns.size() == 1 &&
      (columns[0]->dtype == DType::int64 || columns[0]->dtype == DType::datetime)) {
    return Kind::kInt;
  }
  const bool all_dict = std::all_of(columns.begin(), columns.end(), [](const ColumnData* d) {
    return d->dtype == DType::string && d->dictionary;
  });
  if (all_dict && columns.size() > 1 && cells(columns) <= 1 << 22) return Kind::kCell;
  if (columns.size() == 1 && columns[0]->dtype == DType::string) return Kind::kString;
  return Kind::kEncoded;
}

// Several dictionary-encoded keys with few combinations: the codes combine into one cell
// number, looked up in a table.
class CellGrouper final : public Grouper {
 public:
  CellGrouper(std::vector<const ColumnData*> cols, GroupKeys& keys, std::int64_t cells)
      : cols_(std::move(cols)), keys_(keys), cell_group_(static_cast<std::size_t>(cells), -1) {
    std::int64_t r = 1;
    for (const auto* d : cols_) {
      radix_.push_back(r);
      r *= static_cast<std::int64_t>(d->offsets.size() - 1);
    }
  }
  void assign(std::int64_t begin, std::int64_t n, std::int32_t* out) override {
    for (std::int64_t k = 0; k < n; ++k) {
      const std::int64_t i = begin + k;
      std::int64_t cell = 0;
      bool complete = true;
      for (std::size_t c = 0; c < cols_.size(); ++c) {
        if (!cols_[c]->is_valid(i)) {
          complete = false;
          break;
        }
        cell += radix_[c] * cols_[c]->codes[static_cast<std::size_t>(i)];
      }
      if (!complete) {
        out[k] = -1;
        continue;
      }
      std::int32_t& g = cell_group_[static_cast<std::size_t>(cell)];
      if (g < 0) {
        key_.clear();
        for (const auto* d : cols_) encode_value(key_, *d, i);
        g = keys_.add_encoded(key_);
      }
      out[k] = g;
    }
  }
  bool bind(const std::vector<const ColumnData*>& /*columns*/) override { return false; }

 private:
  std::vector<const ColumnData*> cols_;
  GroupKeys& keys_;
  std::vector<std::int64_t> radix_;
  std::vector<std::int32_t> cell_group_;
  std::string key_;
};

// One int64/datetime key: an IntIndex over the column's values, in whatever width they are
// stored.
class IntGrouper final : public Grouper {
 public:
  IntGrouper(const ColumnData& d, GroupKeys& keys)
      : d_(&d),
        index_(keys, std::min<std::int64_t>(std::max<std::int64_t>(2 * d.size, 1 << 16), 1 << 24)) {
  }
  void assign(std::int64_t begin, std::int64_t n, std::int32_t* out) override {
    const ColumnData& d = *d_;
    d.ints.visit([&](const auto* values) {
      if (d.validity.empty()) {
        index_.assign(
            values + begin, n, [](std::int64_t) { return true; }, out);
      } else {
        index_.assign(
            values + begin, n, [&](std::int64_t k) { return d.is_valid(begin + k); }, out);
      }
    });
  }
  bool bind(const std::vector<const ColumnData*>& columns) override {
    d_ = columns[0];
    return true;
  }

 private:
  const ColumnData* d_;
  IntIndex index_;
};

// Any other key: encoded per row, looked up through its hash.
class EncodedGrouper final : public Grouper {
 public:
  EncodedGrouper(std::vector<const ColumnData*> cols, GroupKeys& keys)
      : cols_(std::move(cols)), keys_(keys), index_(std::make_unique<KeyIndex>(false)) {}
  void assign(std::int64_t begin, std::int64_t n, std::int32_t* out) override {
    for (std::int64_t k = 0; k < n; ++k) {
      const std::int64_t i = begin + k;
      key_.clear();
      bool complete = true;
      for (const auto* d : cols_) {
        if (d->is_missing(i)) {
          complete = false;
          break;
        }
        encode_value(key_, *d, i);
      }
      if (!complete) {
        out[k] = -1;
        continue;
      }
      const std::uint64_t h = key_hash(key_);
      const std::int32_t g = index_->find_or_add(h, 0, key_);
      if (static_cast<std::size_t>(g) == keys_.size()) keys_.add_encoded(key_, h);
      out[k] = g;
    }
  }
  // The keys are found by their encoding, whatever the columns' representation.
  bool bind(const std::vector<const ColumnData*>& columns) override {
    if (preferred(columns) != Kind::kEncoded) return false;
    cols_ = columns;
    return true;
  }

 private:
  std::vector<const ColumnData*> cols_;
  GroupKeys& keys_;
  std::unique_ptr<KeyIndex> index_;
  std::string key_;
};

}  // namespace

std::unique_ptr<Grouper> make_grouper(const std::vector<const ColumnData*>& columns,
                                      GroupKeys& keys, GroupLines* lines) {
  keys.native = columns.size() == 1 &&
                (columns[0]->dtype == DType::int64 || columns[0]->dtype == DType::datetime);
  switch (preferred(columns)) {
    case Kind::kInt:
      return std::make_unique<IntGrouper>(*columns[0], keys);
    case Kind::kCell:
      return std::make_unique<CellGrouper>(columns, keys,
                                           static_cast<std::int64_t>(cells(columns)));
    case Kind::kString:
      return make_string_grouper(*columns[0], keys, lines);
    case Kind::kEncoded:
      break;
  }
  return std::make_unique<EncodedGrouper>(columns, keys);
}

}  // namespace loom::dataframe::detail
