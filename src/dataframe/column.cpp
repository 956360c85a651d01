#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>

#include <fmt/format.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "loom/core/detail/assert.hpp"
#include "loom/core/error.hpp"
#include "dataframe/column_builder.hpp"
#include "dataframe/short_string.hpp"
#include "dataframe/field_text.hpp"
#include "dataframe/numpy_dtype.hpp"

namespace loom::dataframe {

const char* dtype_name(DType t) noexcept {
  // Numbers and booleans by NumPy's names, as pandas prints them.
  if (const auto code = detail::numpy_dtype(t)) return loom::detail::dtype_name(*code);
  return t == DType::string ? "string" : "datetime64[ns]";
}

Column::Column() : data_(std::make_shared<detail::ColumnData>()) {}

std::string Column::format(std::int64_t i) const {
  const auto& d = *data_;
  const auto u = static_cast<std::size_t>(i);
  if (!d.is_valid(i)) {
    return d.dtype == DType::float64 ? "NaN" : d.dtype == DType::datetime ? "NaT" : "<NA>";
  }
  switch (d.dtype) {
    case DType::int64:
      return std::to_string(d.ints[u]);
    case DType::float64:
      return detail::format_double(d.floats[u]);
    case DType::boolean:
      return d.bools[u] != 0 ? "True" : "False";
    case DType::string:
      return std::string(d.str(i));
    case DType::datetime:
      return detail::format_datetime(d.ints[u]);
  }
  return {};
}

Column Column::from_ints(const std::vector<std::optional<std::int64_t>>& values) {
  detail::ColumnBuilder b(DType::int64);
  for (const auto& v : values) v ? b.append_int(*v) : b.append_null();
  return b.finish();
}
Column Column::from_doubles(const std::vector<std::optional<double>>& values) {
  detail::ColumnBuilder b(DType::float64);
  for (const auto& v : values) v ? b.append_double(*v) : b.append_null();
  return b.finish();
}
Column Column::from_bools(const std::vector<std::optional<bool>>& values) {
  detail::ColumnBuilder b(DType::boolean);
  for (const auto& v : values) v ? b.append_bool(*v) : b.append_null();
  return b.finish();
}
Column Column::from_strings(const std::vector<std::optional<std::string>>& values) {
  detail::ColumnBuilder b(DType::string);
  for (const auto& v : values) v ? b.append_string(*v) : b.append_null();
  return b.finish();
}

}  // namespace loom::dataframe

namespace loom::dataframe::detail {

void check_column(const ColumnData& d, const std::string& name) {
  const auto n = static_cast<std::size_t>(d.size);
  bool ok = d.size >= 0 && d.null_count >= 0 && d.null_count <= d.size &&
            (d.validity.empty() || d.validity.size() * 64 >= n);
  switch (d.dtype) {
    case DType::int64:
    case DType::datetime:
      ok = ok && d.ints.size() == n;
      break;
    case DType::float64:
      ok = ok && d.floats.size() == n;
      break;
    case DType::boolean:
      ok = ok && d.bools.size() == n;
      break;
    case DType::string: {
      const std::size_t entries = d.dictionary ? d.offsets.size() - 1 : n;
      ok = ok && !d.offsets.empty() && d.offsets.size() == entries + 1 && d.offsets[0] == 0 &&
           static_cast<std::size_t>(d.offsets.back()) == d.bytes.size();
      for (std::size_t k = 1; ok && k < d.offsets.size(); ++k)
        ok = d.offsets[k] >= d.offsets[k - 1];
      if (d.dictionary) {
        ok = ok && d.codes.size() == n;
        for (std::size_t k = 0; ok && k < n; ++k) {
          ok = d.codes[k] >= 0 && static_cast<std::size_t>(d.codes[k]) < entries;
        }
      }
      break;
    }
    default:
      ok = false;
  }
  if (!ok) throw Error(fmt::format("a stored table's column '{}' is corrupt", name));
}

namespace {
// Strings are dictionary-encoded while built; a column whose distinct strings are more than
// this many and more than half its rows is stored plainly when finished.
constexpr std::int64_t kDictionaryFloor = 4096;
}  // namespace

ColumnBuilder::ColumnBuilder(DType dtype, bool dictionary) : d_(std::make_shared<ColumnData>()) {
  d_->dtype = dtype;
  if (dtype == DType::string && dictionary) {
    d_->dictionary = true;
    slots_.assign(1024, InternSlot{});
  }
}

void ColumnBuilder::reserve_bytes(std::int64_t bytes) {
  if (bytes <= 0 || d_->dictionary) return;
  d_->bytes.reserve(static_cast<std::size_t>(bytes));
}

void ColumnBuilder::reserve(std::int64_t rows) {
  const auto n = static_cast<std::size_t>(rows);
  switch (d_->dtype) {
    case DType::int64:
    case DType::datetime:
      d_->ints.reserve(n);
      break;
    case DType::float64:
      d_->floats.reserve(n);
      break;
    case DType::boolean:
      d_->bools.reserve(n);
      break;
    case DType::string:
      if (d_->dictionary) {
        d_->codes.reserve(n);
      } else {
        d_->offsets.reserve(n + 1);
      }
      break;
  }
}

void ColumnBuilder::set_valid(std::int64_t i, bool valid) {
  const auto word = static_cast<std::size_t>(i >> 6);
  if (d_->validity.size() <= word) d_->validity.resize(word + 1, 0);
  const std::uint64_t bit = std::uint64_t{1} << (i & 63);
  d_->validity[word] = valid ? (d_->validity[word] | bit) : (d_->validity[word] & ~bit);
}

void ColumnBuilder::append_ints(const std::int64_t* v, std::size_t n) {
  d_->ints.append(v, n);
  if (!d_->validity.empty()) {
    for (std::size_t k = 0; k < n; ++k) set_valid(d_->size + static_cast<std::int64_t>(k), true);
  }
  d_->size += static_cast<std::int64_t>(n);
}

void ColumnBuilder::append_null() {
  if (d_->validity.empty()) {  // every earlier row was valid
    d_->validity.assign(static_cast<std::size_t>((d_->size >> 6) + 1), ~std::uint64_t{0});
  }
  switch (d_->dtype) {
    case DType::int64:
    case DType::datetime:
      d_->ints.push_back(0);
      break;
    case DType::float64:
      d_->floats.push_back(std::nan(""));
      break;
    case DType::boolean:
      d_->bools.push_back(0);
      break;
    case DType::string:
      if (d_->dictionary) {
        d_->codes.push_back(intern(""));
      } else {
        d_->offsets.push_back(static_cast<std::int64_t>(d_->bytes.size()));
      }
      break;
  }
  set_valid(d_->size, false);
  ++d_->size;
  ++d_->null_count;
}

namespace {

// Strings of up to 16 bytes hash from their words (inline, no call); longer ones with XXH3.
[[gnu::always_inline]] inline std::uint64_t intern_hash(std::string_view s,
                                                        const Words& w) noexcept {
  return s.size() <= 16 ? short_hash(w, s.size()) : XXH3_64bits(s.data(), s.size());
}

}  // namespace

// A slot holds a short string itself (its words and length: a hit is two compares), or the
// hash of a longer one, compared in full on a match.
std::int32_t ColumnBuilder::intern(std::string_view s) {
  const bool short_string = s.size() <= 16;
  const Words w = short_string ? words_of(s) : Words{};
  const std::uint64_t h = intern_hash(s, w);
  const Words key = short_string ? w : Words{h, 0};
  const auto length = static_cast<std::uint32_t>(std::min<std::size_t>(s.size(), UINT32_MAX));
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t k = h & mask;; k = (k + 1) & mask) {
    const InternSlot& slot = slots_[k];
    if (slot.code < 0) {
      const auto next = static_cast<std::int32_t>(d_->offsets.size() - 1);
      d_->bytes.append(s);
      d_->offsets.push_back(static_cast<std::int64_t>(d_->bytes.size()));
      slots_[k] = {key.a, key.b, length, next};
      if (static_cast<std::size_t>(next) * 2 >= slots_.size()) rehash();
      return next;
    }
    if (slot.length == length && slot.a == key.a && slot.b == key.b &&
        (short_string || d_->entry(slot.code) == s)) {
      return slot.code;
    }
  }
}

void ColumnBuilder::rehash() {  // at half full
  std::vector<InternSlot> bigger(slots_.size() * 2);
  const std::size_t mask = bigger.size() - 1;
  for (const InternSlot& slot : slots_) {
    if (slot.code < 0) continue;
    const std::string_view e = d_->entry(slot.code);
    std::size_t j = intern_hash(e, words_of(e)) & mask;
    while (bigger[j].code >= 0) j = (j + 1) & mask;
    bigger[j] = slot;
  }
  slots_ = std::move(bigger);
}

void ColumnBuilder::drop_dictionary() {
  std::vector<std::int64_t> offsets{0};
  offsets.reserve(d_->codes.capacity() + 1);
  std::string bytes;
  for (const std::int32_t c : d_->codes) {
    bytes.append(d_->entry(c));
    offsets.push_back(static_cast<std::int64_t>(bytes.size()));
  }
  d_->offsets = std::move(offsets);
  d_->bytes = std::move(bytes);
  d_->codes = {};
  d_->dictionary = false;
  slots_ = {};
}

void ColumnBuilder::append_string(std::string_view s) {
  if (d_->dictionary) {
    d_->codes.push_back(intern(s));
  } else {
    d_->bytes.append(s);
    d_->offsets.push_back(static_cast<std::int64_t>(d_->bytes.size()));
  }
  grow();
}

void ColumnBuilder::append_from(const ColumnData& src, std::int64_t i) {
  LOOM_ASSERT(i >= 0 && i < src.size, "a row outside the column it is taken from");
  if (!src.is_valid(i)) {
    append_null();
    return;
  }
  const auto u = static_cast<std::size_t>(i);
  switch (src.dtype) {
    case DType::int64:
    case DType::datetime:
      if (d_->dtype == DType::float64) {
        append_double(static_cast<double>(src.ints[u]));
      } else {
        append_int(src.ints[u]);
      }
      break;
    case DType::float64:
      append_double(src.floats[u]);
      break;
    case DType::boolean:
      append_bool(src.bools[u] != 0);
      break;
    case DType::string:
      append_string(src.str(i));
      break;
  }
}

void ColumnBuilder::append_coded(const ColumnData& src, std::int64_t i,
                                 std::vector<std::int32_t>& remap) {
  LOOM_ASSERT(i >= 0 && i < src.size, "a row outside the column it is taken from");
  if (!src.is_valid(i)) {
    append_null();
    return;
  }
  const std::int32_t from = src.codes[static_cast<std::size_t>(i)];
  std::int32_t& to = remap[static_cast<std::size_t>(from)];
  if (to < 0) to = intern(src.entry(from));
  d_->codes.push_back(to);
  grow();
}

void ColumnBuilder::truncate(std::int64_t rows) {
  if (rows >= d_->size) return;
  const auto n = static_cast<std::size_t>(rows);
  for (std::int64_t i = rows; i < d_->size; ++i) {
    if (!d_->is_valid(i)) --d_->null_count;
  }
  switch (d_->dtype) {
    case DType::int64:
    case DType::datetime:
      d_->ints.resize(n);
      break;
    case DType::float64:
      d_->floats.resize(n);
      break;
    case DType::boolean:
      d_->bools.resize(n);
      break;
    case DType::string:
      if (d_->dictionary) {
        d_->codes.resize(n);
      } else {
        d_->offsets.resize(n + 1);
        d_->bytes.resize(static_cast<std::size_t>(d_->offsets.back()));
      }
      break;
  }
  d_->size = rows;
}

void ColumnBuilder::widen_to_float() {
  if (d_->dtype != DType::int64) return;
  d_->floats.resize(d_->ints.size());
  for (std::size_t i = 0; i < d_->ints.size(); ++i) {
    d_->floats[i] = d_->is_valid(static_cast<std::int64_t>(i)) ? static_cast<double>(d_->ints[i])
                                                               : std::nan("");
  }
  d_->ints = {};
  d_->dtype = DType::float64;
}

Column ColumnBuilder::finish() {
  if (d_->dictionary) {  // mostly distinct strings are stored plainly
    const auto distinct = static_cast<std::int64_t>(d_->offsets.size() - 1);
    if (distinct > kDictionaryFloor && distinct * 2 > d_->size) drop_dictionary();
  }
  auto out = std::move(d_);
  if (!out->validity.empty()) out->validity.resize(static_cast<std::size_t>((out->size >> 6) + 1));
  d_ = std::make_shared<ColumnData>();
  d_->dtype = out->dtype;
  return detail::make_column(std::move(out));
}

// ---- text ----

bool parse_datetime(std::string_view s, std::int64_t& ns) {
  auto digits = [&](std::size_t at, std::size_t n, int& out) {
    if (at + n > s.size()) return false;
    out = 0;
    for (std::size_t k = at; k < at + n; ++k) {
      if (s[k] < '0' || s[k] > '9') return false;
      out = out * 10 + (s[k] - '0');
    }
    return true;
  };
  int y = 0;
  int mo = 0;
  int d = 0;
  if (!digits(0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(5, 2, mo) || s[7] != '-' ||
      !digits(8, 2, d)) {
    return false;
  }
  const std::chrono::year_month_day ymd{std::chrono::year(y),
                                        std::chrono::month(static_cast<unsigned>(mo)),
                                        std::chrono::day(static_cast<unsigned>(d))};
  if (!ymd.ok()) return false;
  std::int64_t t = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::sys_days(ymd).time_since_epoch())
                       .count();
  if (s.size() > 10) {
    if (s[10] != ' ' && s[10] != 'T') return false;
    int h = 0;
    int mi = 0;
    int sec = 0;
    if (!digits(11, 2, h) || s.size() < 16 || s[13] != ':' || !digits(14, 2, mi)) return false;
    std::size_t at = 16;
    if (at < s.size() && s[at] == ':') {
      if (!digits(17, 2, sec)) return false;
      at = 19;
    }
    if (h > 23 || mi > 59 || sec > 60) return false;
    std::int64_t frac = 0;
    if (at < s.size()) {
      if (s[at] != '.') return false;
      std::int64_t scale = 100000000;
      std::size_t k = at + 1;
      if (k == s.size()) return false;
      for (; k < s.size(); ++k) {
        if (s[k] < '0' || s[k] > '9') return false;
        frac += (s[k] - '0') * scale;
        scale /= 10;
      }
    }
    t += ((static_cast<std::int64_t>(h) * 60 + mi) * 60 + sec) * 1000000000LL + frac;
  }
  ns = t;
  return true;
}

std::string format_datetime(std::int64_t ns) {
  const auto tp = Timestamp(std::chrono::nanoseconds(ns));
  const auto day = std::chrono::floor<std::chrono::days>(tp);
  const std::chrono::year_month_day ymd(day);
  const std::int64_t rest = (tp - day).count();
  std::string out =
      fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  if (rest != 0) {
    const std::int64_t secs = rest / 1000000000LL;
    out += fmt::format(" {:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    if (const std::int64_t f = rest % 1000000000LL; f != 0) out += fmt::format(".{:09}", f);
  }
  return out;
}

std::string format_double(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  std::string s = fmt::format("{}", v);  // the shortest text that reads back as v
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";
  return s;
}

}  // namespace loom::dataframe::detail
