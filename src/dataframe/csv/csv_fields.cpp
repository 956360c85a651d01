// Converting one CSV field into its column (the general path of CsvSource::parse, for fields
// its fast paths leave: missing values, widening, booleans, dates, na_values).
#include <cmath>

#include "dataframe/csv/csv.hpp"
#include "dataframe/column_builder.hpp"
#include "dataframe/field_text.hpp"

namespace loom::dataframe::detail {

bool append_field(ColumnBuilder& b, std::string_view v, const NaSet& na, bool& widened) {
  // The value, else a missing value, else false (the caller reports the text).
  const auto missing = [&] {
    if (!na.contains(v)) return false;
    b.append_null();
    return true;
  };
  if (na.has_user_values() && na.contains(v)) {  // na_values = {"-1"}: before parsing
    b.append_null();
    return true;
  }
  std::int64_t i = 0;
  double d = 0;
  bool x = false;
  switch (b.dtype()) {
    case DType::int64:
      if (parse_int(v, i)) {
        b.append_int(i);
        return true;
      }
      if (missing()) return true;
      if (!parse_double(v, d)) return false;
      b.widen_to_float();
      widened = true;
      b.append_double(d);
      return true;
    case DType::float64:
      // "NaN", "nan", "-nan" parse as NaN but are missing values, as pandas reads them.
      if (!parse_double(v, d)) return missing();
      if (!std::isnan(d) || !missing()) b.append_double(d);
      return true;
    case DType::boolean:
      if (!parse_bool(v, x)) return missing();
      b.append_bool(x);
      return true;
    case DType::datetime:
      if (!parse_datetime(v, i)) return missing();
      b.append_int(i);
      return true;
    case DType::string:
      if (!missing()) b.append_string(v);
      return true;
  }
  return false;
}

bool field_missing(DType t, std::string_view v, const NaSet& na) {
  if (na.contains(v)) return true;
  if (t != DType::float64 && t != DType::int64) return false;  // ints may widen to floats
  if (v[0] >= '0' && v[0] <= '9') return false;                // a number, not NaN
  double d = 0;
  return parse_double(v, d) && std::isnan(d);
}

}  // namespace loom::dataframe::detail
