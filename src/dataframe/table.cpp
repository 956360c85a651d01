#include "loom/dataframe/table.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <string_view>
#include <unordered_map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "loom/core/error.hpp"
#include "dataframe/column_builder.hpp"

namespace loom::dataframe {

namespace detail {

void throw_damaged_column(const std::string& name, const char* what) {
  throw Error(fmt::format("table: column '{}' is damaged (its {} do not fit)", name, what));
}

}  // namespace detail

Table::Table(std::vector<std::string> names, std::vector<Column> columns)
    : names_(std::move(names)), columns_(std::move(columns)) {
  if (names_.size() != columns_.size()) {
    throw SchemaError(
        fmt::format("a table of {} names and {} columns", names_.size(), columns_.size()));
  }
  // A hash of the names, not a search of the names before each: a table of 10,000 columns
  // is not quadratic in its width. A narrow table is searched instead.
  constexpr std::size_t kIndexFrom = 16;
  detail::NameIndex index;
  if (names_.size() >= kIndexFrom) index.reserve(names_.size());
  for (std::size_t k = 0; k < names_.size(); ++k) {
    const bool repeated =
        names_.size() >= kIndexFrom
            ? !index.emplace(names_[k], k).second
            : std::find(names_.begin(), names_.begin() + static_cast<std::ptrdiff_t>(k),
                        names_[k]) != names_.begin() + static_cast<std::ptrdiff_t>(k);
    if (repeated) throw SchemaError(fmt::format("column '{}' appears twice", names_[k]));
    if (k == 0) rows_ = columns_[k].size();
    if (columns_[k].size() != rows_) {
      throw SchemaError(fmt::format("column '{}' has {} rows, column '{}' has {}", names_[k],
                                    columns_[k].size(), names_[0], rows_));
    }
  }
  if (names_.size() >= kIndexFrom) {
    index_ = std::make_shared<const detail::NameIndex>(std::move(index));
  }
}

std::vector<std::pair<std::string, DType>> Table::dtypes() const {
  std::vector<std::pair<std::string, DType>> out;
  for (std::size_t k = 0; k < names_.size(); ++k) out.emplace_back(names_[k], columns_[k].dtype());
  return out;
}

std::optional<std::size_t> Table::find(std::string_view name) const noexcept {
  if (index_) {
    const auto it = index_->find(name);
    if (it == index_->end()) return std::nullopt;
    return it->second;
  }
  const auto it = std::find(names_.begin(), names_.end(), name);
  if (it == names_.end()) return std::nullopt;
  return static_cast<std::size_t>(it - names_.begin());
}

bool Table::has_column(std::string_view name) const noexcept { return find(name).has_value(); }

const Column& Table::column(std::string_view name) const {
  const auto k = find(name);
  if (!k) {
    throw SchemaError(fmt::format("no column '{}' (columns: {})", name, fmt::join(names_, ", ")));
  }
  return columns_[*k];
}

void Table::check_type(std::string_view name, DType have, DType want) {
  if (have != want) {
    throw SchemaError(
        fmt::format("column '{}' is {}, not {}", name, dtype_name(have), dtype_name(want)));
  }
}

void Table::check_row(std::int64_t row) const {
  if (row < 0 || row >= rows_) {
    throw IndexError(fmt::format("row {} of a table of {} rows", row, rows_));
  }
}

Eigen::MatrixXd Table::to_eigen(const std::vector<std::string>& columns) const {
  const std::vector<std::string> names = columns.empty() ? names_ : columns;
  Eigen::MatrixXd m(rows_, static_cast<Eigen::Index>(names.size()));
  for (std::size_t k = 0; k < names.size(); ++k) {
    const detail::ColumnData& d = detail::data_of(column(names[k]));
    if (!is_numeric(d.dtype)) {
      throw SchemaError(
          fmt::format("to_eigen: column '{}' is {}, not numeric", names[k], dtype_name(d.dtype)));
    }
    for (std::int64_t i = 0; i < rows_; ++i) {
      const auto u = static_cast<std::size_t>(i);
      m(i, static_cast<Eigen::Index>(k)) = !d.is_valid(i)              ? std::nan("")
                                           : d.dtype == DType::float64 ? d.floats[u]
                                           : d.dtype == DType::boolean
                                               ? static_cast<double>(d.bools[u])
                                               : static_cast<double>(d.ints[u]);
    }
  }
  return m;
}

Table Table::head(std::int64_t n) const {
  std::vector<std::int64_t> rows(static_cast<std::size_t>(std::clamp<std::int64_t>(n, 0, rows_)));
  std::iota(rows.begin(), rows.end(), 0);
  std::vector<Column> cols;
  for (const auto& c : columns_) cols.push_back(detail::take(c, rows));
  return Table(names_, std::move(cols));
}

namespace {
// -1, 0, 1: row a against row b of one column (missing values, NaN included, last, as pandas).
int compare_rows(const detail::ColumnData& d, std::int64_t a, std::int64_t b) {
  const bool va = !d.is_missing(a);
  const bool vb = !d.is_missing(b);
  if (!va || !vb) return va == vb ? 0 : (va ? -1 : 1);
  const auto ua = static_cast<std::size_t>(a);
  const auto ub = static_cast<std::size_t>(b);
  auto cmp = [](const auto& x, const auto& y) { return x < y ? -1 : (y < x ? 1 : 0); };
  switch (d.dtype) {
    case DType::int64:
    case DType::datetime:
      return cmp(d.ints[ua], d.ints[ub]);
    case DType::float64:
      return cmp(d.floats[ua], d.floats[ub]);
    case DType::boolean:
      return cmp(d.bools[ua], d.bools[ub]);
    case DType::string:
      return cmp(d.str(a), d.str(b));
  }
  return 0;
}
}  // namespace

Table Table::sort_values(const std::vector<std::string>& by, bool ascending) const {
  std::vector<const detail::ColumnData*> keys;
  for (const auto& name : by) keys.push_back(&detail::data_of(column(name)));
  std::vector<std::int64_t> order(static_cast<std::size_t>(rows_));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
    for (const auto* k : keys) {
      const bool va = !k->is_missing(a);
      const bool vb = !k->is_missing(b);
      if (va != vb) return va;  // missing last either way
      const int c = compare_rows(*k, a, b);
      if (c != 0) return ascending ? c < 0 : c > 0;
    }
    return false;
  });
  std::vector<Column> cols;
  for (const auto& c : columns_) cols.push_back(detail::take(c, order));
  return Table(names_, std::move(cols));
}

namespace {
std::string csv_field(const Column& c, std::int64_t i) {
  if (!c.is_valid(i)) return {};
  std::string s = c.format(i);
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char ch : s) {
    if (ch == '"') q.push_back('"');
    q.push_back(ch);
  }
  q.push_back('"');
  return q;
}
}  // namespace

void Table::write_csv(std::ostream& out) const {
  for (std::size_t k = 0; k < names_.size(); ++k) out << (k ? "," : "") << names_[k];
  out << '\n';
  for (std::int64_t r = 0; r < rows_; ++r) {
    for (std::size_t k = 0; k < columns_.size(); ++k) {
      out << (k ? "," : "") << csv_field(columns_[k], r);
    }
    out << '\n';
  }
}

void Table::to_csv(const std::filesystem::path& path) const {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw Error(fmt::format("to_csv: cannot write '{}'", path.string()));
  write_csv(out);
  out.flush();
  if (!out) throw Error(fmt::format("to_csv: writing '{}' failed", path.string()));
}

std::ostream& operator<<(std::ostream& out, const Table& t) {
  constexpr std::int64_t kMaxRows = 60;
  constexpr std::int64_t kEdge = 5;
  std::vector<std::int64_t> rows;
  const bool elided = t.rows_ > kMaxRows;
  for (std::int64_t r = 0; r < t.rows_; ++r) {
    if (!elided || r < kEdge || r >= t.rows_ - kEdge) rows.push_back(r);
  }
  // Cells: the index column first, then each column; "..." for the elided middle.
  std::vector<std::vector<std::string>> cells(t.names_.size() + 1);
  cells[0].emplace_back("");
  for (std::size_t k = 0; k < t.names_.size(); ++k) cells[k + 1].push_back(t.names_[k]);
  for (std::size_t j = 0; j < rows.size(); ++j) {
    if (elided && j == static_cast<std::size_t>(kEdge)) {
      for (auto& col : cells) col.emplace_back("...");
    }
    cells[0].push_back(std::to_string(rows[j]));
    for (std::size_t k = 0; k < t.names_.size(); ++k) {
      cells[k + 1].push_back(t.columns_[k].format(rows[j]));
    }
  }
  // Floats share one number of decimals per column (at most 6), as pandas aligns them.
  for (std::size_t k = 0; k < t.names_.size(); ++k) {
    const detail::ColumnData& d = detail::data_of(t.columns_[k]);
    if (d.dtype != DType::float64) continue;
    int decimals = 1;
    for (const std::int64_t r : rows) {
      const double v = d.floats[static_cast<std::size_t>(r)];
      if (!d.is_valid(r) || !std::isfinite(v)) continue;
      std::string text = fmt::format("{:.6f}", v);
      while (text.back() == '0') text.pop_back();
      decimals = std::max(decimals, static_cast<int>(text.size() - text.find('.') - 1));
    }
    std::size_t line = 1;
    for (std::size_t j = 0; j < rows.size(); ++j, ++line) {
      if (elided && j == static_cast<std::size_t>(kEdge)) ++line;
      const std::int64_t r = rows[j];
      const double v = d.floats[static_cast<std::size_t>(r)];
      if (d.is_valid(r) && std::isfinite(v))
        cells[k + 1][line] = fmt::format("{:.{}f}", v, decimals);
    }
  }
  std::vector<std::size_t> width(cells.size(), 0);
  for (std::size_t k = 0; k < cells.size(); ++k) {
    for (const auto& s : cells[k]) width[k] = std::max(width[k], s.size());
  }
  for (std::size_t line = 0; line < cells[0].size(); ++line) {
    for (std::size_t k = 0; k < cells.size(); ++k) {
      if (k == 0) {
        out << fmt::format("{:<{}}", cells[k][line], width[k]);
      } else {
        out << "  " << fmt::format("{:>{}}", cells[k][line], width[k]);
      }
    }
    out << '\n';
  }
  if (elided || t.names_.empty()) {
    out << '\n' << fmt::format("[{} rows x {} columns]", t.rows_, t.names_.size()) << '\n';
  }
  return out;
}

}  // namespace loom::dataframe
