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

// The fast paths of the CSV parser: a field of plain decimal digits, read straight from the
// text while it is split. Each returns where the number ends, or nullptr when the text there is
// not such a number (the caller then splits the field and parses it the general way).

/// Decimal digits from q on, appended to v; where they end.
inline const char* take_digits(const char* q, const char* end, std::uint64_t& v) noexcept {
  while (q < end) {
    const auto d = static_cast<unsigned>(static_cast<unsigned char>(*q)) - '0';
    if (d > 9) break;
    v = v * 10 + d;
    ++q;
  }
  return q;
}

/// [-]digits, at most 18 of them.
inline const char* scan_int(const char* p, const char* end, std::int64_t& out) noexcept {
  const char* q = p;
  const bool negative = q < end && *q == '-';
  if (negative) ++q;
  const char* digits = q;
  std::uint64_t v = 0;
  q = take_digits(q, end, v);
  if (q == digits || q - digits > 18) return nullptr;
  out = negative ? -static_cast<std::int64_t>(v) : static_cast<std::int64_t>(v);
  return q;
}

/// [-]digits[.digits] with at most 15 significant digits: mantissa / 10^decimals, both exact
/// in a double, is the correctly rounded value (Clinger's fast path, as fast_float takes it).
inline const char* scan_decimal(const char* p, const char* end, double& out) noexcept {
  static constexpr double kPow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  const char* q = p;
  const bool negative = q < end && *q == '-';
  if (negative) ++q;
  std::uint64_t v = 0;
  int decimals = 0;
  const char* start = q;
  q = take_digits(q, end, v);
  int digits = static_cast<int>(q - start);
  if (digits == 0) return nullptr;
  if (q < end && *q == '.') {
    const char* frac = ++q;
    q = take_digits(q, end, v);
    decimals = static_cast<int>(q - frac);
    if (decimals == 0) return nullptr;
    digits += decimals;
  }
  if (digits > 15) return nullptr;
  const double x = static_cast<double>(v) / kPow10[decimals];
  out = negative ? -x : x;
  return q;
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
