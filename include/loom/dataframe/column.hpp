#pragma once
// One column of a dataframe partition, Arrow-like: typed values plus a validity bitmap; strings
// as offsets into one byte buffer, or dictionary-encoded (a code per row into the distinct
// strings) when they repeat. Columns are immutable and share their buffers: copying a Column or
// taking a ColumnView copies a pointer.
//
//   dd::ColumnView<double> v = table.column<double>("v3");
//   for (std::size_t i = 0; i < v.size(); ++i) if (v.is_valid(i)) total += v[i];

#include <chrono>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "loom/core/detail/assert.hpp"
#include "loom/dataframe/detail/int_values.hpp"

namespace loom::dataframe {

enum class DType { int64, float64, boolean, string, datetime };

/// pandas' names: "int64", "float64", "bool", "string" (pandas prints object), "datetime64[ns]".
[[nodiscard]] const char* dtype_name(DType t) noexcept;
[[nodiscard]] inline bool is_numeric(DType t) noexcept {
  return t == DType::int64 || t == DType::float64 || t == DType::boolean;
}

/// A datetime value: nanoseconds since the Unix epoch (pandas' datetime64[ns]).
using Timestamp = std::chrono::sys_time<std::chrono::nanoseconds>;

namespace detail {

/// The storage of a column. Filled by a builder, then shared read-only.
/// Bit i of a validity bitmap (set: row i holds a value). Every test of a validity bit, in
/// ColumnData and in the typed loops of expressions and aggregates, reads it through this.
[[nodiscard]] inline bool validity_bit(const std::uint64_t* words, std::int64_t i) noexcept {
  return ((words[static_cast<std::size_t>(i >> 6)] >> (i & 63)) & 1U) != 0;
}

struct ColumnData {
  DType dtype = DType::int64;
  std::int64_t size = 0;
  IntValues ints;  // int64, and datetime as ns since the epoch (stored narrow when they fit)
  std::vector<double> floats;
  std::vector<std::uint8_t> bools;
  // Strings: offsets (size + 1) into bytes; when `dictionary`, these hold the distinct strings
  // and `codes` one index per row.
  std::vector<std::int64_t> offsets{0};
  std::string bytes;
  bool dictionary = false;
  std::vector<std::int32_t> codes;
  // Bit i set: row i holds a value. Empty: every row does.
  std::vector<std::uint64_t> validity;
  std::int64_t null_count = 0;

  [[nodiscard]] bool is_valid(std::int64_t i) const noexcept {
    LOOM_ASSERT(validity.empty() || (i >= 0 && static_cast<std::size_t>(i >> 6) < validity.size()),
                "a row outside its column's validity bitmap");
    return validity.empty() || validity_bit(validity.data(), i);
  }
  /// Row i holds no value: not valid, or a float NaN (pandas treats NaN as missing when it
  /// drops, sorts and groups). The one definition of "missing"; cheap, on hot paths.
  [[nodiscard]] bool is_missing(std::int64_t i) const noexcept {
    LOOM_ASSERT(dtype != DType::float64 || (i >= 0 && static_cast<std::size_t>(i) < floats.size()),
                "a row outside its float column");
    return !is_valid(i) ||
           (dtype == DType::float64 && std::isnan(floats[static_cast<std::size_t>(i)]));
  }
  /// The i-th string of the dictionary (or of the column when not dictionary-encoded).
  [[nodiscard]] std::string_view entry(std::int64_t k) const noexcept {
    LOOM_ASSERT(k >= 0 && static_cast<std::size_t>(k) + 1 < offsets.size(),
                "a string outside its column's offsets");
    const auto b = static_cast<std::size_t>(offsets[static_cast<std::size_t>(k)]);
    const auto e = static_cast<std::size_t>(offsets[static_cast<std::size_t>(k) + 1]);
    LOOM_ASSERT(b <= e && e <= bytes.size(), "string offsets out of order or past the bytes");
    return std::string_view(bytes).substr(b, e - b);
  }
  [[nodiscard]] std::string_view str(std::int64_t i) const noexcept {
    LOOM_ASSERT(!dictionary || (i >= 0 && static_cast<std::size_t>(i) < codes.size()),
                "a row outside its dictionary column's codes");
    return entry(dictionary ? codes[static_cast<std::size_t>(i)] : i);
  }
};

/// Checks that deserialized storage is consistent (sizes, offsets, codes); loom::Error naming
/// the column otherwise, so that corrupt bytes never become out-of-bounds reads.
void check_column(const ColumnData& d, const std::string& name);

struct ColumnAccess;

}  // namespace detail

/// The C++ type of a dtype's values.
template <class T>
concept ColumnValue = std::is_same_v<T, std::int64_t> || std::is_same_v<T, double> ||
    std::is_same_v<T, bool> || std::is_same_v<T, std::string_view> || std::is_same_v<T, Timestamp>;

template <ColumnValue T>
constexpr DType dtype_of() {
  if constexpr (std::is_same_v<T, std::int64_t>) return DType::int64;
  if constexpr (std::is_same_v<T, double>) return DType::float64;
  if constexpr (std::is_same_v<T, bool>) return DType::boolean;
  if constexpr (std::is_same_v<T, std::string_view>) return DType::string;
  if constexpr (std::is_same_v<T, Timestamp>) return DType::datetime;
}

/// Typed read access to a column; shares ownership of its buffers (outlives the table).
template <ColumnValue T>
class ColumnView {
 public:
  ColumnView() = default;

  [[nodiscard]] std::size_t size() const noexcept {
    return data_ ? static_cast<std::size_t>(data_->size) : 0;
  }
  [[nodiscard]] bool is_valid(std::size_t i) const noexcept {
    return data_ && data_->is_valid(static_cast<std::int64_t>(i));
  }
  [[nodiscard]] std::int64_t null_count() const noexcept { return data_ ? data_->null_count : 0; }
  /// The value of row i (unspecified, but no UB, for a missing one: check is_valid).
  [[nodiscard]] T operator[](std::size_t i) const noexcept {
    if constexpr (std::is_same_v<T, std::int64_t>) return data_->ints[i];
    if constexpr (std::is_same_v<T, double>) return data_->floats[i];
    if constexpr (std::is_same_v<T, bool>) return data_->bools[i] != 0;
    if constexpr (std::is_same_v<T, std::string_view>) {
      return data_->str(static_cast<std::int64_t>(i));
    }
    if constexpr (std::is_same_v<T, Timestamp>) {
      return Timestamp(std::chrono::nanoseconds(data_->ints[i]));
    }
  }

  class iterator {
   public:
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    iterator(const ColumnView* v, std::size_t i) : v_(v), i_(i) {}
    T operator*() const { return (*v_)[i_]; }
    iterator& operator++() {
      ++i_;
      return *this;
    }
    iterator operator++(int) {
      iterator t = *this;
      ++i_;
      return t;
    }
    bool operator==(const iterator& o) const { return i_ == o.i_; }

   private:
    const ColumnView* v_ = nullptr;
    std::size_t i_ = 0;
  };
  [[nodiscard]] iterator begin() const { return iterator(this, 0); }
  [[nodiscard]] iterator end() const { return iterator(this, size()); }

 private:
  friend class Column;  // (Column::view makes views)
  explicit ColumnView(std::shared_ptr<const detail::ColumnData> data) : data_(std::move(data)) {}

  std::shared_ptr<const detail::ColumnData> data_;
};

/// A column: a dtype, values and validity, shared.
class Column {
 public:
  Column();

  [[nodiscard]] DType dtype() const noexcept { return data_->dtype; }
  [[nodiscard]] std::int64_t size() const noexcept { return data_->size; }
  [[nodiscard]] std::int64_t null_count() const noexcept { return data_->null_count; }
  [[nodiscard]] bool is_valid(std::int64_t i) const noexcept { return data_->is_valid(i); }
  template <ColumnValue T>
  [[nodiscard]] ColumnView<T> view() const {
    return ColumnView<T>(data_);
  }
  /// Row i as text, as pandas prints it ("NaN"/"NaT"/"<NA>" for missing values).
  [[nodiscard]] std::string format(std::int64_t i) const;

  // Column-building helpers for tests and for loom's own code.
  static Column from_ints(const std::vector<std::optional<std::int64_t>>& values);
  static Column from_doubles(const std::vector<std::optional<double>>& values);
  static Column from_bools(const std::vector<std::optional<bool>>& values);
  static Column from_strings(const std::vector<std::optional<std::string>>& values);

 private:
  friend struct detail::ColumnAccess;
  explicit Column(std::shared_ptr<const detail::ColumnData> data) : data_(std::move(data)) {}
  [[nodiscard]] const detail::ColumnData& data() const noexcept { return *data_; }
  [[nodiscard]] const std::shared_ptr<const detail::ColumnData>& shared() const noexcept {
    return data_;
  }

  std::shared_ptr<const detail::ColumnData> data_;
};

namespace detail {

/// The one door between a Column and its storage, for loom's own code (builders, kernels,
/// serialization) and tests: users read columns through Column and ColumnView, and can neither
/// see the storage nor wrap storage of their own.
struct ColumnAccess {
  static Column wrap(std::shared_ptr<const ColumnData> data) { return Column(std::move(data)); }
  static const ColumnData& data(const Column& c) noexcept { return c.data(); }
  static const std::shared_ptr<const ColumnData>& shared(const Column& c) noexcept {
    return c.shared();
  }
};

/// A column over `data` (filled, then never changed).
inline Column make_column(std::shared_ptr<const ColumnData> data) {
  return ColumnAccess::wrap(std::move(data));
}
/// The storage of `c`.
inline const ColumnData& data_of(const Column& c) noexcept { return ColumnAccess::data(c); }
/// The storage of `c`, shared.
inline const std::shared_ptr<const ColumnData>& shared_of(const Column& c) noexcept {
  return ColumnAccess::shared(c);
}

}  // namespace detail

}  // namespace loom::dataframe
