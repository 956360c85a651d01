// .str methods (RE2 for regular expressions) and .dt fields against pandas 1.5 on the same
// generated CSV: as columns, in masks, in query and as group-by keys.
#include <cstdint>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "../scratch_folder.hpp"
#include "../support/expect_error.hpp"
#include "loom/dataframe.hpp"
#include "pandas_habits.hpp"

namespace dd = loom::dataframe;

namespace {

// text (mixed case, padded, some blank) and t (datetimes over two years, some blank), n.
std::string text_and_times(const std::string& name) {
  const auto path = loom::test::scratch_folder() / name;
  std::ofstream out(path);
  out << "text,t,n\n";
  std::uint64_t s = 3;
  auto next = [&s] {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return s >> 33;
  };
  const char* words[] = {"Alpha", "beta", " Gamma ", "delta-9", "EPSILON", "alpha beta", "zeta\t"};
  for (int i = 0; i < 6000; ++i) {
    if (next() % 15 != 0) out << '"' << words[next() % 7] << next() % 5 << '"';
    out << ',';
    if (next() % 20 != 0) {
      const auto day = next() % 700;
      const auto sec = next() % 86400;
      // 2023-01-01 plus `day` days and `sec` seconds, written as pandas reads it.
      const std::int64_t t = 1672531200 + static_cast<std::int64_t>(day * 86400 + sec);
      const std::int64_t days = t / 86400;
      // civil_from_days (Howard Hinnant), to print the date.
      const std::int64_t z = days + 719468;
      const std::int64_t era = z / 146097;
      const std::int64_t doe = z - era * 146097;
      const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
      const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
      const std::int64_t mp = (5 * doy + 2) / 153;
      const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
      const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
      const std::int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
      const std::int64_t r = t % 86400;
      char buf[32];
      std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lld %02lld:%02lld:%02lld",
                    static_cast<long long>(y), static_cast<long long>(m), static_cast<long long>(d),
                    static_cast<long long>(r / 3600), static_cast<long long>(r / 60 % 60),
                    static_cast<long long>(r % 60));
      out << buf;
    }
    out << ',' << i << '\n';
  }
  return path.string();
}

std::string ints(const dd::Table& t, const std::string& c) {
  std::string out;
  for (std::int64_t r = 0; r < t.num_rows(); ++r) {
    const auto& col = t.column(c);
    if (r > 0) out += ';';
    if (!col.is_valid(r)) {
      out += "nan";
    } else if (col.dtype() == dd::DType::boolean) {
      out += *t.value<bool>(r, c) ? "True" : "False";
    } else if (col.dtype() == dd::DType::string) {
      out += std::string(*t.value<std::string_view>(r, c));
    } else if (col.dtype() == dd::DType::datetime) {
      out += std::to_string(t.value<dd::Timestamp>(r, c)->time_since_epoch().count());
    } else {
      out += std::to_string(*t.value<std::int64_t>(r, c));
    }
  }
  return out;
}

const char* kHelpers = R"(
def cells(s):
    def one(v):
        if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT: return 'nan'
        if isinstance(v, pd.Timestamp): return str(v.value)
        if isinstance(v, float): return str(int(v))
        return str(v)
    return ';'.join(one(v) for v in s)
)";

TEST(StringsAndDates, StringMethodsMatchPandas) {
  const std::string csv = text_and_times("strings.csv");
  const auto df = dd::read_csv(csv, {.blocksize = "16kB"});
  ASSERT_GT(df.npartitions(), 2);
  const auto pandas = loom::test::run_pandas("strings", std::string(kHelpers) + R"(
df = pd.read_csv(sys.argv[1], keep_default_na=False, na_values=[''])
s = df.text
def p(k, v): print(k + '\t' + cells(v))
p('lower', s.str.lower())
p('upper', s.str.upper())
p('strip', s.str.strip())
p('len', s.str.len())
p('startswith', s.str.startswith('al', na=False))
p('endswith', s.str.endswith('3', na=False))
p('replace', s.str.replace('a', 'A_', regex=False))
p('replace_re', s.str.replace(r'([a-z]+)([0-9])', r'\2\1', regex=True))
p('contains', df[s.str.contains(r'^[a-z]+ ?[a-z]*[0-3]$', na=False)].n)
p('contains_i', df[s.str.contains('ALPHA', case=False, na=False)].n)
p('query', df.query('text.str.startswith("be") or text.str.len() > 8').n)
)",
                                              csv);
  const auto s = df["text"];
  auto col = [&](const dd::Series& e) { return ints(df.assign("x", e)[{"x"}].compute(), "x"); };
  EXPECT_EQ(col(s.str().lower()), pandas.at("lower"));
  EXPECT_EQ(col(s.str().upper()), pandas.at("upper"));
  // (the strip pandas prints loses the tab: a line of its output ends at a tab only in the key)
  EXPECT_EQ(col(s.str().strip()), pandas.at("strip"));
  EXPECT_EQ(col(s.str().len()), pandas.at("len"));
  EXPECT_EQ(col(s.str().startswith("al")), pandas.at("startswith"));
  EXPECT_EQ(col(s.str().endswith("3")), pandas.at("endswith"));
  EXPECT_EQ(col(s.str().replace("a", "A_")), pandas.at("replace"));
  EXPECT_EQ(col(s.str().replace("([a-z]+)([0-9])", "\\2\\1", {.regex = true})),
            pandas.at("replace_re"));
  EXPECT_EQ(ints(df[s.str().contains("^[a-z]+ ?[a-z]*[0-3]$")].compute(), "n"),
            pandas.at("contains"));
  EXPECT_EQ(ints(df[s.str().contains("ALPHA", {.case_sensitive = false})].compute(), "n"),
            pandas.at("contains_i"));
  EXPECT_EQ(ints(df.query("text.str.startswith(\"be\") or text.str.len() > 8").compute(), "n"),
            pandas.at("query"));
  // Bad input when built: the dtype, an unknown method in query, RE2 syntax with its position.
  EXPECT_ERROR_CONTAINS((void)df["n"].str().lower(), loom::SchemaError, "str.lower", "int64");
  EXPECT_ERROR_CONTAINS((void)df.query("text.str.title()"), loom::SchemaError, "title");
  EXPECT_ERROR_CONTAINS((void)s.str().contains("ab(c"), loom::SchemaError, "ab(c",
                        "position 3");
  EXPECT_ERROR_CONTAINS((void)s.str().contains("a(?=b)"), loom::SchemaError, "a(?=b)", "RE2");
  EXPECT_THROW((void)s.str().replace("(x", "y", {.regex = true}), loom::SchemaError);
}

TEST(StringsAndDates, DateFieldsMatchPandasInColumnsMasksQueryAndGroupBy) {
  const std::string csv = text_and_times("dates.csv");
  const auto df = dd::read_csv(csv, {.blocksize = "16kB", .parse_dates = {"t"}});
  ASSERT_EQ(df.dtypes()[1].second, dd::DType::datetime);
  const auto pandas = loom::test::run_pandas("dates", std::string(kHelpers) + R"(
df = pd.read_csv(sys.argv[1], parse_dates=['t'])
t = df.t
for f in ['year', 'month', 'day', 'hour', 'minute', 'second', 'dayofweek']:
    print(f"{f}\t{cells(getattr(t.dt, f))}")
print(f"date\t{cells(pd.to_datetime(t.dt.date))}")
print(f"floor_h\t{cells(t.dt.floor('1h'))}")
print(f"floor_15\t{cells(t.dt.floor('15min'))}")
print(f"floor_d\t{cells(t.dt.floor('1d'))}")
print(f"mask\t{cells(df[(t.dt.hour >= 9) & (t.dt.dayofweek < 5)].n)}")
print(f"query\t{cells(df.query('t.dt.year == 2024 and t.dt.month in [2, 3]').n)}")
g = df.assign(hour=t.dt.hour).dropna(subset=['hour']).groupby('hour').n.sum().reset_index()
print(f"groupby.hour\t{cells(g.hour)}")
print(f"groupby.n\t{cells(g.n)}")
)",
                                            csv);
  const auto t = df["t"];
  auto col = [&](const dd::Series& e) { return ints(df.assign("x", e)[{"x"}].compute(), "x"); };
  EXPECT_EQ(col(t.dt().year()), pandas.at("year"));
  EXPECT_EQ(col(t.dt().month()), pandas.at("month"));
  EXPECT_EQ(col(t.dt().day()), pandas.at("day"));
  EXPECT_EQ(col(t.dt().hour()), pandas.at("hour"));
  EXPECT_EQ(col(t.dt().minute()), pandas.at("minute"));
  EXPECT_EQ(col(t.dt().second()), pandas.at("second"));
  EXPECT_EQ(col(t.dt().dayofweek()), pandas.at("dayofweek"));
  EXPECT_EQ(col(t.dt().date()), pandas.at("date"));
  EXPECT_EQ(col(t.dt().floor("1h")), pandas.at("floor_h"));
  EXPECT_EQ(col(t.dt().floor("15min")), pandas.at("floor_15"));
  EXPECT_EQ(col(t.dt().floor("1d")), pandas.at("floor_d"));
  EXPECT_EQ(ints(df[(t.dt().hour() >= 9) & (t.dt().dayofweek() < 5)].compute(), "n"),
            pandas.at("mask"));
  EXPECT_EQ(ints(df.query("t.dt.year == 2024 and t.dt.month in [2, 3]").compute(), "n"),
            pandas.at("query"));
  const auto g = df.assign("hour", t.dt().hour()).groupby("hour")["n"].sum().compute();
  EXPECT_EQ(ints(g, "hour"), pandas.at("groupby.hour"));
  EXPECT_EQ(ints(g, "n"), pandas.at("groupby.n"));
  // Bad input: an unknown frequency is a ConfigError naming it; .dt of a non-datetime, a
  // SchemaError.
  EXPECT_ERROR_CONTAINS((void)t.dt().floor("1fortnight"), loom::ConfigError, "1fortnight");
  EXPECT_ERROR_CONTAINS((void)df.query("t.dt.floor('2weeks') == t"), loom::ConfigError, "2weeks");
  EXPECT_ERROR_CONTAINS((void)df["n"].dt().year(), loom::SchemaError, "dt.year", "int64");
  EXPECT_ERROR_CONTAINS((void)df.query("t.dt.week == 3"), loom::SchemaError, "week");
}

}  // namespace
