#pragma once
// Parsing and printing field text: numbers (fast_float, std::from_chars), booleans, ISO dates.
// Private to src/dataframe.

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <fast_float/fast_float.h>

namespace loom::dataframe::detail {

inline bool parse_int(std::string_view s, std::int64_t& out) {
  const char* b = s.data();
  const char* e = b + s.size();
  if (b != e && *b == '+') ++b;
  const auto r = std::from_chars(b, e, out);
  return r.ec == std::errc() && r.ptr == e && b != e;
}

inline bool parse_double(std::string_view s, double& out) {
  const char* b = s.data();
  const char* e = b + s.size();
  if (b != e && *b == '+') ++b;
  const auto r = fast_float::from_chars(b, e, out);
  if (r.ec == std::errc() && r.ptr == e && b != e) return true;
  // pandas also reads "inf", "-inf", "nan" spelled in other cases.
  return false;
}

inline bool parse_bool(std::string_view s, bool& out) {
  if (s == "True" || s == "true" || s == "TRUE") {
    out = true;
    return true;
  }
  if (s == "False" || s == "false" || s == "FALSE") {
    out = false;
    return true;
  }
  return false;
}

/// "YYYY-MM-DD", optionally "[T ]HH:MM[:SS[.fraction]]" (ISO 8601, no zone): ns since the epoch.
bool parse_datetime(std::string_view s, std::int64_t& ns);
/// "2024-01-31" at midnight, else "2024-01-31 12:30:00[.fraction]" (as pandas prints).
std::string format_datetime(std::int64_t ns);
/// A double as pandas prints it in a table (up to 6 significant decimals, "NaN").
std::string format_double(double v);

}  // namespace loom::dataframe::detail
