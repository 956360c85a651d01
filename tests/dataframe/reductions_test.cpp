// Series and DataFrame reductions as lazy values, against pandas 1.5 on the same generated CSV;
// several reductions in one loom::compute read each partition once.
#include <cmath>
#include <cstdint>
#include <string>
#include <variant>

#include <gtest/gtest.h>

#include "../support/expect_error.hpp"
#include "loom/core.hpp"
#include "loom/dataframe.hpp"
#include "pandas_habits.hpp"

namespace dd = loom::dataframe;

namespace {

double as_double(const dd::Value& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  if (const auto* d = std::get_if<double>(&v)) return *d;
  ADD_FAILURE() << "not a number (variant index " << v.index() << ")";
  return 0;
}

void expect_near(double got, const std::string& want, const std::string& what) {
  ASSERT_FALSE(want.empty()) << what << ": pandas printed nothing";
  const double w = std::stod(want);
  if (std::isnan(w)) {
    EXPECT_TRUE(std::isnan(got)) << what;
    return;
  }
  EXPECT_NEAR(got, w, 1e-9 * (1 + std::abs(w))) << what;
}

TEST(Reductions, SeriesReductionsMatchPandas) {
  const std::string csv = loom::test::habits_csv("reductions.csv");
  const auto df = dd::read_csv(csv, {.blocksize = "64kB"});
  ASSERT_GT(df.npartitions(), 4);
  const auto pandas = loom::test::run_pandas("reductions", R"(
df = pd.read_csv(sys.argv[1])
def p(k, v): print(f"{k}\t{v!r}" if isinstance(v, float) else f"{k}\t{v}")
for c in ['qty', 'value', 'late']:
    s = df[c]
    for fn in ['sum', 'min', 'max', 'mean', 'count', 'size', 'nunique']:
        p(f"{c}.{fn}", getattr(s, fn)() if fn != 'size' else s.size)
    p(f"{c}.std", s.std()); p(f"{c}.var0", s.var(ddof=0)); p(f"{c}.std3", s.std(ddof=3))
    p(f"{c}.any", bool(s.any())); p(f"{c}.all", bool(s.all()))
p("sign.prod", df.sign.prod())
p("k.min", df.k.dropna().min()); p("k.max", df.k.dropna().max()); p("k.nunique", df.k.nunique())
p("k.count", df.k.count())
e = (df.qty * 2 + df.value)
p("expr.sum", e.sum()); p("expr.mean", e.mean())
p("pos.any", bool((df.sign > 0).any())); p("pos.all", bool((df.sign > 0).all()))
p("filtered.sum", df[df.value > 100].qty.sum())
)",
                                             csv);
  for (const std::string c : {"qty", "value", "late"}) {
    const dd::Series s = df[c];
    expect_near(as_double(s.sum().compute()), pandas.at(c + ".sum"), c + ".sum");
    expect_near(as_double(s.min().compute()), pandas.at(c + ".min"), c + ".min");
    expect_near(as_double(s.max().compute()), pandas.at(c + ".max"), c + ".max");
    expect_near(s.mean().compute(), pandas.at(c + ".mean"), c + ".mean");
    expect_near(s.std().compute(), pandas.at(c + ".std"), c + ".std");
    expect_near(s.var(0).compute(), pandas.at(c + ".var0"), c + ".var0");
    expect_near(s.std(3).compute(), pandas.at(c + ".std3"), c + ".std3");
    EXPECT_EQ(std::to_string(s.count().compute()), pandas.at(c + ".count")) << c;
    EXPECT_EQ(std::to_string(s.size().compute()), pandas.at(c + ".size")) << c;
    EXPECT_EQ(std::to_string(s.nunique().compute()), pandas.at(c + ".nunique")) << c;
    EXPECT_EQ(s.any().compute() ? "True" : "False", pandas.at(c + ".any")) << c;
    EXPECT_EQ(s.all().compute() ? "True" : "False", pandas.at(c + ".all")) << c;
  }
  // Result dtypes: an int column sums to int64; the one that met a float midway to float64.
  EXPECT_TRUE(std::holds_alternative<std::int64_t>(df["qty"].sum().compute()));
  EXPECT_TRUE(std::holds_alternative<double>(df["late"].sum().compute()));
  EXPECT_TRUE(std::holds_alternative<double>(df["late"].max().compute()));
  EXPECT_EQ(std::to_string(std::get<std::int64_t>(df["sign"].prod().compute())),
            pandas.at("sign.prod"));
  EXPECT_EQ(std::get<std::string>(df["k"].min().compute()), pandas.at("k.min"));
  EXPECT_EQ(std::get<std::string>(df["k"].max().compute()), pandas.at("k.max"));
  EXPECT_EQ(std::to_string(df["k"].nunique().compute()), pandas.at("k.nunique"));
  EXPECT_EQ(std::to_string(df["k"].count().compute()), pandas.at("k.count"));
  const dd::Series e = df["qty"] * 2 + df["value"];
  expect_near(as_double(e.sum().compute()), pandas.at("expr.sum"), "expr.sum");
  expect_near(e.mean().compute(), pandas.at("expr.mean"), "expr.mean");
  EXPECT_EQ((df["sign"] > 0).any().compute() ? "True" : "False", pandas.at("pos.any"));
  EXPECT_EQ((df["sign"] > 0).all().compute() ? "True" : "False", pandas.at("pos.all"));
  expect_near(as_double(df[df["value"] > 100]["qty"].sum().compute()), pandas.at("filtered.sum"),
              "filtered.sum");
}

TEST(Reductions, FrameReductionsMatchPandas) {
  const std::string csv = loom::test::habits_csv("frame_reductions.csv");
  const auto df = dd::read_csv(csv, {.blocksize = "64kB"});
  const auto pandas = loom::test::run_pandas("frame_reductions", R"(
df = pd.read_csv(sys.argv[1])
for fn in ['sum', 'mean', 'min', 'max', 'count', 'std', 'var']:
    r = getattr(df, fn)(numeric_only=True)
    for c, v in r.items(): print(f"{fn}.{c}\t{float(v)!r}")
print(f"var0.value\t{df.value.var(ddof=0)!r}")
)",
                                          csv);
  auto [sum, mean, min, max, count, std, var, var0] =
      loom::compute(df.sum(), df.mean(), df.min(), df.max(), df.count(), df.std(), df.var(),
                    df.var(0));
  const std::vector<std::pair<std::string, dd::Table*>> tables{
      {"sum", &sum}, {"mean", &mean}, {"min", &min},  {"max", &max},
      {"count", &count}, {"std", &std}, {"var", &var}};
  for (const auto& [fn, t] : tables) {
    EXPECT_EQ(t->num_rows(), 1) << fn;
    EXPECT_EQ(t->column_names(), (std::vector<std::string>{"qty", "value", "sign", "late", "n"}))
        << fn;
    for (const auto& c : t->column_names()) {
      const auto& col = t->column(c);
      const double got = col.dtype() == dd::DType::int64
                             ? static_cast<double>(*t->value<std::int64_t>(0, c))
                             : *t->value<double>(0, c);
      expect_near(got, pandas.at(fn + "." + c), fn + "." + c);
    }
  }
  EXPECT_EQ(sum.column("qty").dtype(), dd::DType::int64);
  EXPECT_EQ(sum.column("late").dtype(), dd::DType::float64);  // widened while read
  EXPECT_EQ(mean.column("qty").dtype(), dd::DType::float64);
  EXPECT_EQ(count.column("value").dtype(), dd::DType::int64);
  expect_near(*var0.value<double>(0, "value"), pandas.at("var0.value"), "var0");
}

// Building reads nothing; several reductions computed together read each partition once (a
// shared read node per partition), where computing them one by one reads it each time.
TEST(Reductions, SeveralInOneComputeReadThePartitionsOnce) {
  const std::string csv = loom::test::habits_csv("read_once.csv");
  const auto df = dd::read_csv(csv, {.blocksize = "64kB"});
  const std::int64_t n = df.npartitions();
  auto a = df["qty"].sum();
  auto b = df["value"].mean();
  auto c = df["k"].nunique();
  auto d = df.max();
  EXPECT_EQ(df.partitions_read(), 0);
  auto [sa, mb, nc, td] = loom::compute(a, b, c, d);
  EXPECT_EQ(df.partitions_read(), n);
  // The same values as computed one at a time (each its own read).
  auto a2 = df["qty"].sum().compute();
  auto b2 = df["value"].mean().compute();
  EXPECT_EQ(df.partitions_read(), 3 * n);
  EXPECT_EQ(sa, a2);
  EXPECT_DOUBLE_EQ(mb, b2);
  EXPECT_EQ(nc, df["k"].nunique().compute());
  EXPECT_EQ(td.value<std::int64_t>(0, "qty"), std::get<std::int64_t>(df["qty"].max().compute()));
  // A computed value is kept: computing it again reads nothing.
  const std::int64_t before = df.partitions_read();
  EXPECT_EQ(a.compute(), sa);
  EXPECT_EQ(df.partitions_read(), before);
}

TEST(Reductions, NothingToReduce) {
  dd::Table t({"i", "f", "s"}, {dd::Column::from_ints({std::nullopt, std::nullopt}),
                                dd::Column::from_doubles({std::nullopt, std::nan("")}),
                                dd::Column::from_strings({std::nullopt, std::nullopt})});
  const auto df = dd::DataFrame::from_tables({t, t});
  EXPECT_EQ(std::get<std::int64_t>(df["i"].sum().compute()), 0);  // pandas: sum of nothing is 0
  EXPECT_EQ(std::get<double>(df["f"].sum().compute()), 0.0);
  EXPECT_EQ(std::get<std::int64_t>(df["i"].prod().compute()), 1);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(df["i"].min().compute()));
  EXPECT_TRUE(std::holds_alternative<std::monostate>(df["s"].max().compute()));
  EXPECT_TRUE(std::isnan(df["f"].mean().compute()));
  EXPECT_TRUE(std::isnan(df["i"].std().compute()));
  EXPECT_EQ(df["f"].count().compute(), 0);
  EXPECT_EQ(df["f"].size().compute(), 4);
  EXPECT_EQ(df["s"].nunique().compute(), 0);
  EXPECT_FALSE(df["i"].any().compute());
  EXPECT_TRUE(df["i"].all().compute());
  const dd::Table m = df.min().compute();
  EXPECT_FALSE(m.column("i").is_valid(0));
  EXPECT_EQ(m.column_names(), (std::vector<std::string>{"i", "f"}));
}

TEST(Reductions, BadInputIsASchemaErrorWhenBuilt) {
  dd::Table t({"s", "v"}, {dd::Column::from_strings({"a", "b"}), dd::Column::from_ints({1, 2})});
  const auto df = dd::DataFrame::from_tables({t});
  EXPECT_ERROR_CONTAINS((void)df["s"].sum(), loom::SchemaError, "sum()", "string");
  EXPECT_ERROR_CONTAINS((void)df["s"].mean(), loom::SchemaError, "mean()", "string");
  EXPECT_ERROR_CONTAINS((void)df["s"].any(), loom::SchemaError, "any()");
  EXPECT_THROW((void)df["nope"].sum(), loom::SchemaError);
  EXPECT_THROW((void)df["v"].std(-1), loom::ConfigError);
  EXPECT_EQ(std::get<std::string>(df["s"].max().compute()), "b");
}

// A partition that cannot be read: the reduction's compute throws a TaskError naming the read,
// with the parse error nested.
TEST(Reductions, AReadFailureIsATaskError) {
  const std::string csv = loom::test::habits_csv("bad_read.csv", 2000);
  {
    std::ofstream out(csv, std::ios::app);
    out << "key1,1,2.0,1,3,4,too,many\n";
  }
  const auto df = dd::read_csv(csv);
  EXPECT_ERROR(df["qty"].sum().compute(), loom::TaskError, [](const loom::TaskError& e) {
    if (std::string(e.what()).find("read partition") == std::string::npos) {
      return ::testing::AssertionFailure() << e.what();
    }
    try {
      std::rethrow_if_nested(e);
    } catch (const loom::ParseError&) {
      return ::testing::AssertionSuccess();
    } catch (...) {
    }
    return ::testing::AssertionFailure() << "no nested ParseError";
  });
}

}  // namespace
