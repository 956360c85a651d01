#pragma once
// dd::Table: an in-memory columnar table, what a dataframe computes to. Copies share the
// columns' buffers.
//
//   dd::Table t = df.groupby("id1")["v1"].sum().compute();
//   std::cout << t;                                  // as pandas prints a frame
//   auto v = t.column<std::int64_t>("v1");           // typed view, outlives t
//   std::optional<double> x = t.value<double>(0, "v3");

#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "loom/dataframe/column.hpp"

namespace loom::dataframe {

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
  [[nodiscard]] const Column& column(std::size_t index) const { return columns_[index]; }
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

  /// The first n rows.
  [[nodiscard]] Table head(std::int64_t n = 5) const;
  /// Rows ordered by the columns `by` (stable; missing values last, as pandas).
  [[nodiscard]] Table sort_values(const std::vector<std::string>& by, bool ascending = true) const;
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
};

}  // namespace loom::dataframe
