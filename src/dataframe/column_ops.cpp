// Whole-column operations: take, filter, concat, cast (astype) and constant columns, each
// building a new column (column_builder.hpp).
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "loom/core/error.hpp"
#include "dataframe/column_builder.hpp"
#include "dataframe/field_text.hpp"

namespace loom::dataframe::detail {

Column take(const Column& c, const std::vector<std::int64_t>& rows) {
  const ColumnData& s = detail::data_of(c);
  ColumnBuilder b(s.dtype);
  b.reserve(static_cast<std::int64_t>(rows.size()));
  if (s.dictionary) {  // each distinct string interned once
    std::vector<std::int32_t> remap(s.offsets.size() - 1, -1);
    for (const std::int64_t r : rows) b.append_coded(s, r, remap);
    return b.finish();
  }
  for (const std::int64_t r : rows) b.append_from(s, r);
  return b.finish();
}

Column filter(const Column& c, const std::vector<std::uint8_t>& mask) {
  const ColumnData& s = detail::data_of(c);
  std::int64_t kept = 0;
  for (const auto m : mask) kept += m != 0 ? 1 : 0;
  const auto n = static_cast<std::int64_t>(mask.size());
  // Numbers without missing values (the common case): copied straight, at their width.
  if (s.validity.empty() &&
      (s.dtype == DType::float64 || s.dtype == DType::int64 || s.dtype == DType::datetime)) {
    auto d = std::make_shared<ColumnData>();
    d->dtype = s.dtype;
    d->size = kept;
    if (s.dtype == DType::float64) {
      d->floats.reserve(static_cast<std::size_t>(kept));
      for (std::int64_t i = 0; i < n; ++i) {
        if (mask[static_cast<std::size_t>(i)] != 0)
          d->floats.push_back(s.floats[static_cast<std::size_t>(i)]);
      }
    } else {
      d->ints = s.ints.select(mask.data(), static_cast<std::size_t>(kept));
    }
    return detail::make_column(std::move(d));
  }
  ColumnBuilder b(s.dtype);
  b.reserve(kept);
  if (s.dictionary) {  // each distinct string interned once
    std::vector<std::int32_t> remap(s.offsets.size() - 1, -1);
    for (std::int64_t i = 0; i < n; ++i) {
      if (mask[static_cast<std::size_t>(i)] != 0) b.append_coded(s, i, remap);
    }
    return b.finish();
  }
  for (std::int64_t i = 0; i < n; ++i) {
    if (mask[static_cast<std::size_t>(i)] != 0) b.append_from(s, i);
  }
  return b.finish();
}

Column concat(const std::vector<Column>& parts) {
  if (parts.empty()) return Column();
  if (parts.size() == 1) return parts.front();
  DType t = parts.front().dtype();
  for (const auto& p : parts) {
    if (p.dtype() == DType::float64 && t == DType::int64) t = DType::float64;
  }
  // Strings stay plain when every part is (mostly distinct values: no interning).
  const bool dictionary = std::any_of(parts.begin(), parts.end(), [](const Column& p) {
    return p.dtype() != DType::string || detail::data_of(p).dictionary;
  });
  ColumnBuilder b(t, dictionary);
  std::int64_t total = 0;
  for (const auto& p : parts) total += p.size();
  b.reserve(total);
  for (const auto& p : parts) {
    const ColumnData& s = detail::data_of(p);
    if (s.dictionary && dictionary) {  // each distinct string of a part interned once
      std::vector<std::int32_t> remap(s.offsets.size() - 1, -1);
      for (std::int64_t i = 0; i < s.size; ++i) b.append_coded(s, i, remap);
      continue;
    }
    for (std::int64_t i = 0; i < s.size; ++i) b.append_from(s, i);
  }
  return b.finish();
}

Column cast(const Column& c, DType to) {
  const ColumnData& s = detail::data_of(c);
  if (s.dtype == to) return c;
  ColumnBuilder b(to);
  b.reserve(s.size);
  for (std::int64_t i = 0; i < s.size; ++i) {
    if (!s.is_valid(i)) {
      b.append_null();
      continue;
    }
    const auto u = static_cast<std::size_t>(i);
    double num = 0;
    bool is_num = true;
    switch (s.dtype) {
      case DType::int64:
      case DType::datetime:
        num = static_cast<double>(s.ints[u]);
        break;
      case DType::float64:
        num = s.floats[u];
        break;
      case DType::boolean:
        num = s.bools[u];
        break;
      case DType::string:
        is_num = false;
        break;
    }
    switch (to) {
      case DType::string:
        b.append_string(c.format(i));
        break;
      case DType::float64:
        if (!is_num && !parse_double(s.str(i), num)) {
          throw SchemaError(
              fmt::format("astype(float64): '{}' in row {} is not a number", s.str(i), i));
        }
        b.append_double(num);
        break;
      case DType::int64: {
        std::int64_t v = 0;
        if (!is_num) {
          if (!parse_int(s.str(i), v)) {
            throw SchemaError(
                fmt::format("astype(int64): '{}' in row {} is not an integer", s.str(i), i));
          }
        } else if (s.dtype == DType::int64 || s.dtype == DType::datetime) {
          v = s.ints[u];
        } else {
          if (!std::isfinite(num)) {
            throw SchemaError(
                fmt::format("astype(int64): {} in row {} has no integer value", num, i));
          }
          v = static_cast<std::int64_t>(num);
        }
        b.append_int(v);
        break;
      }
      case DType::boolean:
        if (!is_num) {
          bool v = false;
          if (!parse_bool(s.str(i), v)) {
            throw SchemaError(
                fmt::format("astype(bool): '{}' in row {} is not a bool", s.str(i), i));
          }
          b.append_bool(v);
        } else {
          b.append_bool(num != 0);
        }
        break;
      case DType::datetime: {
        std::int64_t ns = 0;
        if (!is_num) {
          if (!parse_datetime(s.str(i), ns)) {
            throw SchemaError(
                fmt::format("astype(datetime64[ns]): '{}' in row {} is not a date", s.str(i), i));
          }
        } else {
          ns = s.dtype == DType::int64 ? s.ints[u] : static_cast<std::int64_t>(num);
        }
        b.append_int(ns);
        break;
      }
    }
  }
  return b.finish();
}

Column constant_int(std::int64_t v, std::int64_t rows) {
  ColumnBuilder b(DType::int64);
  b.reserve(rows);
  for (std::int64_t i = 0; i < rows; ++i) b.append_int(v);
  return b.finish();
}

Column constant_double(double v, std::int64_t rows) {
  ColumnBuilder b(DType::float64);
  b.reserve(rows);
  for (std::int64_t i = 0; i < rows; ++i) b.append_double(v);
  return b.finish();
}

}  // namespace loom::dataframe::detail
