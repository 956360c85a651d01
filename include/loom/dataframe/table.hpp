#pragma once
// dd::Table: an in-memory columnar table, what a dataframe computes to. Copies share the
// columns' buffers.
//
//   dd::Table t = df.groupby("id1")["v1"].sum().compute();
//   std::cout << t;                                  // as pandas prints a frame
//   auto v = t.column<std::int64_t>("v1");           // typed view, outlives t
//   std::optional<double> x = t.value<double>(0, "v3");

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <Eigen/Core>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>

#include "loom/core/detail/assert.hpp"
#include "loom/dataframe/column.hpp"

namespace loom::dataframe {

namespace detail {
/// Hashes column names looked up by string_view (no copy).
struct NameHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};
using NameIndex = std::unordered_map<std::string, std::size_t, NameHash, std::equal_to<>>;
}  // namespace detail

class Table {
 public:
  Table() = default;
  /// Named columns of equal length (loom::SchemaError otherwise, or for a repeated name).
  Table(std::vector<std::string> names, std::vector<Column> columns);

  [[nodiscard]] std::int64_t num_rows() const noexcept { return rows_; }
  [[nodiscard]] std::size_t num_columns() const noexcept { return names_.size(); }
  [[nodiscard]] const std::vector<std::string>& column_names() const noexcept { return names_; }
  [[nodiscard]] std::vector<std::pair<std::string, DType>> dtypes() const;
  [[nodiscard]] bool has_column(std::string_view name) const noexcept;
  /// The column called `name`; loom::SchemaError naming it and the columns there are.
  [[nodiscard]] const Column& column(std::string_view name) const;
  [[nodiscard]] const Column& column(std::size_t index) const {
    LOOM_ASSERT(index < columns_.size(), "a column index past the table's columns");
    return columns_[index];
  }
  [[nodiscard]] const std::vector<Column>& columns() const noexcept { return columns_; }
  /// A typed view (SchemaError when T is not the column's type: int64 → std::int64_t,
  /// float64 → double, bool, string → std::string_view, datetime → dd::Timestamp).
  template <ColumnValue T>
  [[nodiscard]] ColumnView<T> column(std::string_view name) const {
    const Column& c = column(name);
    check_type(name, c.dtype(), dtype_of<T>());
    return c.view<T>();
  }
  /// One value; nullopt when missing.
  template <ColumnValue T>
  [[nodiscard]] std::optional<T> value(std::int64_t row, std::string_view name) const {
    const ColumnView<T> v = column<T>(name);
    check_row(row);
    if (!v.is_valid(static_cast<std::size_t>(row))) return std::nullopt;
    return v[static_cast<std::size_t>(row)];
  }

  /// Numeric columns (int64, float64, bool; all of them when `columns` is empty) as an Eigen
  /// matrix, one column per column; missing values are NaN. SchemaError for a text column.
  [[nodiscard]] Eigen::MatrixXd to_eigen(const std::vector<std::string>& columns = {}) const;

  /// The first n rows.
  [[nodiscard]] Table head(std::int64_t n = 5) const;
  /// Rows ordered by the columns `by` (stable; missing values last, as pandas).
  [[nodiscard]] Table sort_values(const std::vector<std::string>& by, bool ascending = true) const;
  [[nodiscard]] Table sort_values(std::initializer_list<std::string> by,
                                  bool ascending = true) const {
    return sort_values(std::vector<std::string>(by), ascending);
  }
  [[nodiscard]] Table sort_values(const std::string& by, bool ascending = true) const {
    return sort_values(std::vector<std::string>{by}, ascending);
  }
  [[nodiscard]] Table sort_values(const char* by, bool ascending = true) const {
    return sort_values(std::string(by), ascending);
  }
  /// Writes CSV (header, no index column, as pandas' to_csv(index=False)).
  void to_csv(const std::filesystem::path& path) const;
  void write_csv(std::ostream& out) const;

  /// As pandas prints a frame: an index column, right-aligned values, the middle rows elided
  /// beyond 60, and "[N rows x M columns]" then.
  friend std::ostream& operator<<(std::ostream& out, const Table& t);

 private:
  static void check_type(std::string_view name, DType have, DType want);
  void check_row(std::int64_t row) const;

  std::vector<std::string> names_;
  std::vector<Column> columns_;
  std::int64_t rows_ = 0;
  // Name -> column for a wide table (null for a narrow one, searched instead): looking up
  // every column of a table of n columns costs n, not n^2. Shared by copies.
  std::shared_ptr<const detail::NameIndex> index_;
  [[nodiscard]] std::optional<std::size_t> find(std::string_view name) const noexcept;
};

/// Tables are serializable (cereal), so that the object store and Parallel's process backend
/// can hold and ship them; in one process a Table is shared, not copied.
template <class Archive>
void save(Archive& ar, const Table& t) {
  ar(static_cast<std::uint64_t>(t.num_columns()));
  for (std::size_t k = 0; k < t.num_columns(); ++k) {
    const detail::ColumnData& d = detail::data_of(t.column(k));
    ar(t.column_names()[k], static_cast<int>(d.dtype), d.size, d.ints, d.floats, d.bools, d.offsets,
       d.bytes, d.dictionary, d.codes, d.validity, d.null_count);
  }
}
namespace detail {

/// A length read from damaged bytes is checked before anything is allocated for it.
[[noreturn]] void throw_damaged_column(const std::string& name, const char* what);

/// Reads n elements into `v` in slices of 8 MB, so that a length damaged into something huge
/// ends at the end of the bytes rather than in one huge allocation.
template <class Archive, class Buffer>
void read_sliced(Archive& ar, Buffer& v, std::size_t n) {
  using T = typename Buffer::value_type;
  constexpr std::size_t kSlice = (std::size_t{8} << 20) / sizeof(T);
  v.clear();
  for (std::size_t done = 0; done < n;) {
    const std::size_t now = std::min(kSlice, n - done);
    v.resize(done + now);
    ar(cereal::binary_data(v.data() + done, now * sizeof(T)));
    done += now;
  }
}
template <class Archive, class T>
void load_bounded(Archive& ar, std::vector<T>& v, std::uint64_t bound, const std::string& name,
                  const char* what) {
  cereal::size_type n = 0;
  ar(cereal::make_size_tag(n));
  if (n > bound) throw_damaged_column(name, what);
  read_sliced(ar, v, static_cast<std::size_t>(n));
}
template <class Archive>
void load_bounded(Archive& ar, std::string& s, std::uint64_t bound, const std::string& name) {
  cereal::size_type n = 0;
  ar(cereal::make_size_tag(n));
  if (n > bound) throw_damaged_column(name, "bytes");
  read_sliced(ar, s, static_cast<std::size_t>(n));
}

}  // namespace detail

template <class Archive>
void load(Archive& ar, Table& t) {
  cereal::size_type n = 0;
  ar(cereal::make_size_tag(n));  // the same 8 bytes, checked against the bytes left
  if (n > (std::uint64_t{1} << 20)) detail::throw_damaged_column("?", "column count");
  std::vector<std::string> names(n);
  std::vector<Column> columns;
  for (std::uint64_t k = 0; k < n; ++k) {
    auto d = std::make_shared<detail::ColumnData>();
    int dtype = 0;
    detail::load_bounded(ar, names[k], 1 << 20, std::to_string(k));  // the name
    ar(dtype, d->size);
    if (dtype < 0 || dtype > static_cast<int>(DType::datetime)) {
      detail::throw_damaged_column(names[k], "dtype");
    }
    if (d->size < 0 || d->size > (std::int64_t{1} << 40)) {
      detail::throw_damaged_column(names[k], "row count");
    }
    const auto rows = static_cast<std::uint64_t>(d->size);
    d->ints.read(ar, rows);
    detail::load_bounded(ar, d->floats, rows, names[k], "floats");
    detail::load_bounded(ar, d->bools, rows, names[k], "bools");
    // Offsets: one per row, or per dictionary entry (a few more than rows after bad lines).
    detail::load_bounded(ar, d->offsets, 2 * rows + 65536, names[k], "string offsets");
    const std::int64_t last = d->offsets.empty() ? 0 : d->offsets.back();
    detail::load_bounded(ar, d->bytes, last < 0 ? 0 : static_cast<std::uint64_t>(last), names[k]);
    std::uint8_t dictionary = 0;  // a bool, read as a byte: a damaged one is not UB
    ar(dictionary);
    if (dictionary > 1) detail::throw_damaged_column(names[k], "dictionary flag");
    d->dictionary = dictionary != 0;
    detail::load_bounded(ar, d->codes, rows, names[k], "dictionary codes");
    detail::load_bounded(ar, d->validity, rows / 64 + 1, names[k], "validity");
    ar(d->null_count);
    d->dtype = static_cast<DType>(dtype);
    detail::check_column(*d, names[k]);
    columns.push_back(detail::make_column(std::move(d)));
  }
  t = Table(std::move(names), std::move(columns));
}

}  // namespace loom::dataframe
