// The .dt accessors of datetime columns: year, month, day, hour, minute, second, dayofweek
// (Monday 0, as pandas), date (midnight of the day, a datetime) and floor(freq).
#include <charconv>
#include <chrono>

#include <fmt/format.h>

#include "dataframe/column_builder.hpp"
#include "dataframe/expr/kernels.hpp"
#include "loom/core/error.hpp"

namespace loom::dataframe::detail {

namespace {

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t kDay = 86'400 * kSecond;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void require_datetime(const Expr& a, const std::string& what) {
  if (a.dtype != DType::datetime) {
    throw SchemaError(fmt::format("dt.{} on {}, which is {}, not datetime", what, describe(a),
                                  dtype_name(a.dtype)));
  }
}

}  // namespace

ExprPtr date_expr(ExprPtr a, const std::string& field) {
  require_datetime(*a, field);
  auto e = std::make_shared<Expr>();
  e->op = Op::kDt;
  if (field == "date") {
    e->dtype = DType::datetime;
  } else if (field == "year" || field == "month" || field == "day" || field == "hour" ||
             field == "minute" || field == "second" || field == "dayofweek") {
    e->dtype = DType::int64;
  } else {
    throw SchemaError(fmt::format(
        "dt.{}: no such datetime field (year, month, day, hour, minute, second, dayofweek, "
        "date, floor)",
        field));
  }
  e->name = field;
  e->args = {std::move(a)};
  return e;
}

ExprPtr date_floor_expr(ExprPtr a, const std::string& freq) {
  require_datetime(*a, "floor");
  // "<n><unit>": n defaults to 1; pandas' unit names.
  std::int64_t n = 1;
  const char* end = freq.data() + freq.size();
  auto [rest, ec] = std::from_chars(freq.data(), end, n);
  if (ec != std::errc() || rest == freq.data()) {
    n = 1;
    rest = freq.data();
  }
  const std::string unit(rest, end);
  std::int64_t ns = 0;
  if (unit == "d" || unit == "D") {
    ns = kDay;
  } else if (unit == "h" || unit == "H") {
    ns = 3600 * kSecond;
  } else if (unit == "min" || unit == "T") {
    ns = 60 * kSecond;
  } else if (unit == "s" || unit == "S") {
    ns = kSecond;
  } else if (unit == "ms" || unit == "L") {
    ns = 1'000'000;
  } else if (unit == "us" || unit == "U") {
    ns = 1'000;
  } else if (unit == "ns" || unit == "N") {
    ns = 1;
  }
  if (ns == 0 || n <= 0 || n > kDay * 366 / ns) {
    throw ConfigError(fmt::format(
        "dt.floor(\"{}\"): not a frequency loom knows; use <n><unit> with unit d, h, min, s, "
        "ms, us or ns (\"1h\", \"15min\", \"1d\")",
        freq));
  }
  auto e = std::make_shared<Expr>();
  e->op = Op::kDt;
  e->dtype = DType::datetime;
  e->name = "floor";
  e->literal = n * ns;
  e->args = {std::move(a)};
  return e;
}

Column date_method(const Expr& e, const Column& a) {
  using namespace std::chrono;
  const ColumnData& d = data_of(a);
  const std::string& f = e.name;
  ColumnBuilder b(e.dtype);
  b.reserve(d.size);
  const std::int64_t unit = f == "floor" ? std::get<std::int64_t>(e.literal) : kDay;
  for (std::int64_t i = 0; i < d.size; ++i) {
    if (!d.is_valid(i)) {
      b.append_null();
      continue;
    }
    const std::int64_t ns = d.ints[static_cast<std::size_t>(i)];
    if (f == "floor" || f == "date") {
      b.append_int(floor_div(ns, unit) * unit);
      continue;
    }
    const std::int64_t day = floor_div(ns, kDay);
    const std::int64_t in_day = ns - day * kDay;
    std::int64_t v = 0;
    if (f == "hour") {
      v = in_day / (3600 * kSecond);
    } else if (f == "minute") {
      v = in_day / (60 * kSecond) % 60;
    } else if (f == "second") {
      v = in_day / kSecond % 60;
    } else if (f == "dayofweek") {
      v = (((day + 3) % 7) + 7) % 7;  // 1970-01-01 was a Thursday (3)
    } else {
      const year_month_day ymd{sys_days{days{day}}};
      v = f == "year"    ? static_cast<int>(ymd.year())
          : f == "month" ? static_cast<unsigned>(ymd.month())
                         : static_cast<unsigned>(ymd.day());
    }
    b.append_int(v);
  }
  return b.finish();
}

}  // namespace loom::dataframe::detail
