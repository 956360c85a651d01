// Lazy dataframes on small CSVs whose expected results are worked out by hand in the tests:
// expressions, filters, query (valid and invalid), dropna/fillna/select_dtypes/rename/assign,
// group-by aggregations with missing values, persist read counts, SchemaErrors, printing.
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../scratch_folder.hpp"
#include "../support/expect_error.hpp"
#include "loom/dataframe.hpp"
#include "sales.hpp"
#include "write_file.hpp"

namespace dd = loom::dataframe;

namespace {

using loom::test::sales;
using loom::test::write_file;

TEST(DataFrame, SchemaWithoutReadingEverything) {
  const auto df = sales();
  EXPECT_EQ(df.columns(), (std::vector<std::string>{"category", "value", "qty", "city", "day"}));
  const auto t = df.dtypes();
  EXPECT_EQ(t[0].second, dd::DType::string);
  EXPECT_EQ(t[1].second, dd::DType::float64);
  EXPECT_EQ(t[2].second, dd::DType::int64);
  EXPECT_EQ(t[4].second, dd::DType::datetime);
  EXPECT_GT(df.npartitions(), 3);
  EXPECT_EQ(df.partitions_read(), 0);
  EXPECT_EQ(df.len(), 10);
  EXPECT_EQ(dd::len(df), 10);
  const auto head = df.head(3);
  ASSERT_EQ(head.num_rows(), 3);
  EXPECT_EQ(head.value<std::string_view>(2, "category"), "a");
}

TEST(DataFrame, FiltersKeepTheRowsWhereTheMaskIsTrue) {
  const auto df = sales();
  const auto big = df[df["value"] > 4.0].compute();
  ASSERT_EQ(big.num_rows(), 5);  // 5.5, 100.5, 7, 8, 9 (missing values compare false)
  EXPECT_EQ(big.value<double>(1, "value"), 100.5);
  const auto both = df[(df["value"] > 4.0) & (df["category"] == "a")].compute();
  ASSERT_EQ(both.num_rows(), 2);
  const auto either = df[(df["qty"] <= 1) | ~df["city"].notna()].compute();
  ASSERT_EQ(either.num_rows(), 2);  // qty 1, and the row without a city
  const auto in = df[df["city"].isin({"Nice", "Lyon"}) & df["qty"].notna()].compute();
  EXPECT_EQ(in.num_rows(), 5);  // Lyon x3, Nice x2 with a qty
  const auto has_i = df[df["city"].str().contains("i")].compute();
  EXPECT_EQ(has_i.num_rows(), 6);  // Paris x3, Nice x3; no Lyon, and the missing city is false
  const auto late = df[df["day"] >= "2024-01-04"].compute();
  EXPECT_EQ(late.num_rows(), 4);
}

TEST(DataFrame, ProjectionKeepsTheNamedColumnsInTheirOrder) {
  const auto df = sales();
  const auto proj = df[{"qty", "category"}].compute();
  EXPECT_EQ(proj.column_names(), (std::vector<std::string>{"qty", "category"}));
}

TEST(DataFrame, AssignAddsAComputedColumn) {
  const auto df = sales();
  const auto total = df.assign("total", df["value"] * df["qty"] + 1).compute();
  EXPECT_EQ(total.value<double>(0, "total"), 2.5);
  EXPECT_FALSE(total.value<double>(2, "total").has_value());  // missing value: missing total
  const auto ratio = df.assign("r", df["qty"] / 2).compute();
  EXPECT_EQ(ratio.column("r").dtype(), dd::DType::float64);
  EXPECT_EQ(ratio.value<double>(0, "r"), 0.5);
  const auto as_text = df.assign("q", df["qty"].astype(dd::DType::string)).compute();
  EXPECT_EQ(as_text.value<std::string_view>(1, "q"), "2");
}

TEST(DataFrame, SchemaErrorsWhenTheExpressionIsBuilt) {
  const auto df = sales();
  EXPECT_THROW((void)df["nope"], loom::SchemaError);
  EXPECT_THROW((void)(df["city"] > 3), loom::SchemaError);
  EXPECT_THROW((void)(df["value"] + df["city"]), loom::SchemaError);
  EXPECT_THROW((void)df[df["value"]], loom::SchemaError);  // not a bool mask
  EXPECT_THROW((void)(df[{"value", "nope"}]), loom::SchemaError);
  EXPECT_THROW((void)df.groupby("nope"), loom::SchemaError);
  EXPECT_THROW((void)df.groupby("category")["city"].mean(), loom::SchemaError);
  EXPECT_THROW((void)df.groupby("category").agg({{"value", {"median"}}}), loom::SchemaError);
  EXPECT_THROW((void)df.dropna({"nope"}), loom::SchemaError);
  EXPECT_ERROR_CONTAINS((void)(df["city"] > 3), loom::SchemaError, "city");
  // A mask or a value built on another frame whose column of that name has another dtype.
  const auto other =
      dd::DataFrame::from_tables({dd::Table({"city"}, {dd::Column::from_ints({1, 2, 3})})});
  EXPECT_THROW((void)df[other["city"] > 2], loom::SchemaError);
  EXPECT_THROW((void)df.assign("c2", other["city"] + 1), loom::SchemaError);
  EXPECT_EQ(df[df["city"] == "Nice"].len(), df.query("city == 'Nice'").len());  // same frame
}

// Partitions given as tables agree on their columns and dtypes (an int column may meet a
// float one: the frame's column is float64).
TEST(DataFrame, FromTablesChecksColumnsAndDtypes) {
  auto ints = dd::Table({"a"}, {dd::Column::from_ints({1, 2})});
  auto floats = dd::Table({"a"}, {dd::Column::from_doubles({0.5})});
  auto texts = dd::Table({"a"}, {dd::Column::from_strings({std::string("x")})});
  auto named_b = dd::Table({"b"}, {dd::Column::from_ints({1})});
  EXPECT_THROW((void)dd::DataFrame::from_tables({ints, texts}), loom::SchemaError);
  EXPECT_THROW((void)dd::DataFrame::from_tables({ints, named_b}), loom::SchemaError);
  EXPECT_THROW((void)dd::DataFrame::from_tables({}), loom::SchemaError);
  const auto mixed = dd::DataFrame::from_tables({ints, floats});
  EXPECT_EQ(mixed.dtypes()[0].second, dd::DType::float64);
  const auto t = mixed.compute();
  EXPECT_EQ(t.column("a").dtype(), dd::DType::float64);
  EXPECT_EQ(t.value<double>(2, "a"), 0.5);
  EXPECT_EQ(mixed[mixed["a"] > 1].len(), 1);
}

// Every partition of such a frame holds the column as float64, as pandas' one float64 column:
// the int partition's values print as floats too.
TEST(DataFrame, FromTablesHandsEveryPartitionOutInTheFramesDtype) {
  const auto mixed = dd::DataFrame::from_tables({dd::Table({"a"}, {dd::Column::from_ints({1, 2})}),
                                                 dd::Table({"a"}, {dd::Column::from_doubles({0.5})})});
  const auto t = mixed.assign("s", mixed["a"].astype(dd::DType::string)).compute();
  EXPECT_EQ(t.value<std::string_view>(0, "s"), "1.0");
  EXPECT_EQ(t.value<std::string_view>(2, "s"), "0.5");
  const auto doubled = mixed.assign("d", mixed["a"] * 2).head(3);
  EXPECT_EQ(doubled.column("d").dtype(), dd::DType::float64);
  EXPECT_EQ(doubled.value<double>(1, "d"), 4.0);
}

// Errors at their position instead of a silently changed query.
TEST(DataFrame, QueryRejectsNegatedText) {
  const auto df = sales();
  EXPECT_THROW((void)df.query("city == -'Nice'"), loom::ParseError);
  EXPECT_THROW((void)df.query("city == -@c", {.vars = {{"c", std::string("Nice")}}}),
               loom::ParseError);
  EXPECT_THROW((void)df.query("qty > -@m", {.vars = {{"m", std::int64_t{INT64_MIN}}}}),
               loom::ParseError);
  EXPECT_EQ(df.query("qty > --7").len(), df.query("qty > 7").len());
}

// Errors instead of a stack overflow.
TEST(DataFrame, QueryRejectsDeepNesting) {
  const auto df = sales();
  const std::string deep = std::string(5000, '(') + "qty > 1" + std::string(5000, ')');
  EXPECT_ERROR_CONTAINS((void)df.query(deep), loom::ParseError, "nested");
  std::string nots;
  for (int i = 0; i < 3000; ++i) nots += "not ";
  EXPECT_THROW((void)df.query(nots + "qty > 1"), loom::ParseError);
  EXPECT_THROW((void)df.query(std::string(3000, '-') + "qty > 1"), loom::ParseError);
  // A hundred levels are fine.
  const std::string hundred = std::string(100, '(') + "qty > 1" + std::string(100, ')');
  EXPECT_EQ(df.query(hundred).len(), df.query("qty > 1").len());
}

TEST(DataFrame, QueryGrammar) {
  const auto df = sales();
  EXPECT_EQ(df.query("value > 4").len(), 5);
  EXPECT_EQ(df.query("value > 4 and category == 'a'").len(), 2);
  EXPECT_EQ(df.query("value > 4 & category == \"a\"").len(), 2);
  // 1.5, -2, 4, the two missing values (NaN > 4 is false, so `not` is true) and qty 9.
  EXPECT_EQ(df.query("not (value > 4) or qty >= 9").len(), 6);
  EXPECT_EQ(df.query("city in ['Nice', 'Lyon']").len(), 6);
  EXPECT_EQ(df.query("city not in ('Nice', 'Lyon')").len(), 4);
  EXPECT_EQ(df.query("`qty` * 2 - 1 > value + 1e0").len(), 5);
  EXPECT_EQ(df.query("qty > @limit", {.vars = {{"limit", 7}}}).len(), 3);
  EXPECT_EQ(df.query("value < -1.5").len(), 1);
  EXPECT_EQ(df.query("day > '2024-01-03'").len(), 4);
  // Chained comparisons as Python's: each link and-ed.
  EXPECT_EQ(df.query("4 < value <= 100").len(), df.query("value > 4 and value <= 100").len());
  EXPECT_EQ(df.query("2 <= qty < 9 != 3").len(), df.query("qty >= 2 and qty < 9").len());
  EXPECT_EQ(df.query("0 < qty < 0").len(), 0);
  EXPECT_ERROR((void)df.query("value > > 3"), loom::ParseError, [](const loom::ParseError& e) {
    EXPECT_EQ(e.column(), 9U);
    EXPECT_NE(std::string(e.what()).find("position 9"), std::string::npos) << e.what();
  });
  EXPECT_THROW((void)df.query("value > 3 and"), loom::ParseError);
  EXPECT_THROW((void)df.query("(value > 3"), loom::ParseError);
  EXPECT_THROW((void)df.query("qty > @missing"), loom::ParseError);
  EXPECT_THROW((void)df.query("city > 3"), loom::SchemaError);
  EXPECT_THROW((void)df.query("nope == 1"), loom::SchemaError);
  EXPECT_THROW((void)df.query("qty + 1"), loom::SchemaError);  // not a condition
}

TEST(DataFrame, DropnaDropsRowsMissingAValue) {
  const auto df = sales();
  EXPECT_EQ(df.dropna().len(), 6);
  EXPECT_EQ(df.dropna({"value"}).len(), 8);
  EXPECT_EQ(df.dropna({"qty", "city"}).len(), 8);
}

TEST(DataFrame, FillnaFillsMissingValuesWhereTheValueFits) {
  const auto df = sales();
  const auto filled = df.fillna(0).compute();
  EXPECT_EQ(filled.value<double>(2, "value"), 0.0);
  EXPECT_EQ(filled.value<std::int64_t>(3, "qty"), 0);
  EXPECT_FALSE(filled.value<std::string_view>(4, "city").has_value());  // 0 does not fit text
  const auto named = df.fillna({{"city", dd::Scalar("?")}}).compute();
  EXPECT_EQ(named.value<std::string_view>(4, "city"), "?");
  EXPECT_THROW((void)df.fillna({{"qty", dd::Scalar("x")}}), loom::SchemaError);
}

TEST(DataFrame, SelectDtypesIncludesOrExcludesKinds) {
  const auto df = sales();
  EXPECT_EQ(df.select_dtypes({.include = {dd::number}}).columns(),
            (std::vector<std::string>{"value", "qty"}));
  EXPECT_EQ(df.select_dtypes({.exclude = {dd::number, dd::DType::datetime}}).columns(),
            (std::vector<std::string>{"category", "city"}));
}

TEST(DataFrame, RenameRenamesColumnsButNotOntoAnother) {
  const auto df = sales();
  const auto renamed = df.rename({{"value", "v"}})[{"v"}].compute();
  EXPECT_EQ(renamed.value<double>(0, "v"), 1.5);
  EXPECT_THROW((void)df.rename({{"value", "qty"}}), loom::SchemaError);
}

TEST(GroupBy, EveryAggregationWithMissingValues) {
  const auto df = sales();
  // category a: value 1.5, NA, 100.5, 9.0; qty 1, 3, 6, 9; city Paris, Paris, Lyon, Lyon
  // category b: value -2, 5.5, 8; qty 2, 5, 8; city Lyon, NA, Paris
  // category c: value 4, 7; qty NA, 7;  category d: value NA; qty 10
  const auto mean = df.groupby("category")["value"].mean().compute();
  EXPECT_EQ(mean.column_names(), (std::vector<std::string>{"category", "value"}));
  ASSERT_EQ(mean.num_rows(), 4);
  EXPECT_EQ(mean.value<std::string_view>(0, "category"), "a");
  EXPECT_DOUBLE_EQ(*mean.value<double>(0, "value"), 111.0 / 3);
  EXPECT_DOUBLE_EQ(*mean.value<double>(1, "value"), 11.5 / 3);
  EXPECT_FALSE(mean.value<double>(3, "value").has_value());  // d: nothing to average
  const auto sum = df.groupby("category").sum().compute();   // numeric columns only
  EXPECT_EQ(sum.column_names(), (std::vector<std::string>{"category", "value", "qty"}));
  EXPECT_DOUBLE_EQ(*sum.value<double>(0, "value"), 111.0);
  EXPECT_EQ(sum.value<std::int64_t>(2, "qty"), 7);
  EXPECT_DOUBLE_EQ(*sum.value<double>(3, "value"), 0.0);  // pandas: the sum of nothing is 0
  const auto agg = df.groupby("category")
                       .agg({{"value", {"mean", "std", "var", "count"}},
                             {"qty", {"min", "max", "first", "last", "nunique"}},
                             {"city", {"count", "nunique", "first", "max"}}})
                       .compute();
  EXPECT_EQ(
      agg.column_names(),
      (std::vector<std::string>{"category", "value_mean", "value_std", "value_var", "value_count",
                                "qty_min", "qty_max", "qty_first", "qty_last", "qty_nunique",
                                "city_count", "city_nunique", "city_first", "city_max"}));
  // std of b's values -2, 5.5, 8 (ddof 1): mean 3.8333, squares 33.3611 + 2.7778 + 17.3611.
  const double mb = 11.5 / 3;
  const double var_b = ((-2 - mb) * (-2 - mb) + (5.5 - mb) * (5.5 - mb) + (8 - mb) * (8 - mb)) / 2;
  EXPECT_NEAR(*agg.value<double>(1, "value_var"), var_b, 1e-12);
  EXPECT_NEAR(*agg.value<double>(1, "value_std"), std::sqrt(var_b), 1e-12);
  EXPECT_FALSE(agg.value<double>(3, "value_std").has_value());
  EXPECT_EQ(agg.value<std::int64_t>(0, "value_count"), 3);
  EXPECT_EQ(agg.value<std::int64_t>(3, "value_count"), 0);
  EXPECT_EQ(agg.value<std::int64_t>(0, "qty_min"), 1);
  EXPECT_EQ(agg.value<std::int64_t>(0, "qty_max"), 9);
  EXPECT_EQ(agg.value<std::int64_t>(2, "qty_first"), 7);  // c's first qty is missing: skipped
  EXPECT_EQ(agg.value<std::int64_t>(1, "qty_last"), 8);
  EXPECT_EQ(agg.value<std::int64_t>(0, "qty_nunique"), 4);
  EXPECT_EQ(agg.value<std::int64_t>(1, "city_count"), 2);
  EXPECT_EQ(agg.value<std::int64_t>(0, "city_nunique"), 2);
  EXPECT_EQ(agg.value<std::string_view>(1, "city_first"), "Lyon");
  EXPECT_EQ(agg.value<std::string_view>(0, "city_max"), "Paris");
  const auto size = df.groupby("category").size().compute();
  EXPECT_EQ(size.column_names(), (std::vector<std::string>{"category", "size"}));
  EXPECT_EQ(size.value<std::int64_t>(0, "size"), 4);
  const auto count = df.groupby("category").count().compute();
  EXPECT_EQ(count.value<std::int64_t>(2, "qty"), 1);
}

TEST(GroupBy, SeveralKeysSortedWithMissingKeysDropped) {
  const auto df = sales();
  const auto t = df.groupby({"city", "category"})["qty"].sum().compute();
  EXPECT_EQ(t.column_names(), (std::vector<std::string>{"city", "category", "qty"}));
  // (Lyon,a) 15, (Lyon,b) 2, (Nice,c) 7, (Nice,d) 10, (Paris,a) 4, (Paris,b) 8; the row with
  // no city is dropped.
  ASSERT_EQ(t.num_rows(), 6);
  const std::vector<std::string> city{"Lyon", "Lyon", "Nice", "Nice", "Paris", "Paris"};
  const std::vector<std::string> cat{"a", "b", "c", "d", "a", "b"};
  const std::vector<std::int64_t> qty{15, 2, 7, 10, 4, 8};
  for (std::int64_t r = 0; r < 6; ++r) {
    EXPECT_EQ(t.value<std::string_view>(r, "city"), city[static_cast<std::size_t>(r)]);
    EXPECT_EQ(t.value<std::string_view>(r, "category"), cat[static_cast<std::size_t>(r)]);
    EXPECT_EQ(t.value<std::int64_t>(r, "qty"), qty[static_cast<std::size_t>(r)]);
  }
  // An int key and a mixed pair.
  const auto by_qty = df.groupby("qty")["value"].max().compute();
  EXPECT_EQ(by_qty.num_rows(), 9);  // qty missing once
  EXPECT_EQ(by_qty.value<std::int64_t>(0, "qty"), 1);
  const auto mixed = df.groupby({"qty", "category"}).size().compute();
  EXPECT_EQ(mixed.num_rows(), 9);
  const auto by_day = df.groupby("day")["qty"].sum().compute();
  EXPECT_EQ(by_day.column("day").format(4), "2024-01-05");
  EXPECT_EQ(by_day.value<std::int64_t>(4, "qty"), 19);
}

TEST(DataFrame, PersistReadsTheFilesOnce) {
  const auto df = sales(30);
  const auto processed = df.dropna().query("value > 0").persist();
  const std::int64_t after_persist = df.partitions_read();
  EXPECT_EQ(after_persist, df.npartitions());
  const auto r1 = processed.groupby("category").mean().compute();
  const auto r2 = processed.groupby("city").sum().compute();
  EXPECT_EQ(df.partitions_read(), after_persist);  // the groupbys read memory, not files
  EXPECT_EQ(processed.len(), 5);
  EXPECT_DOUBLE_EQ(*r1.value<double>(0, "value"), (1.5 + 100.5 + 9.0) / 3);
  EXPECT_EQ(r2.value<std::int64_t>(0, "qty"), 15);  // Lyon: 6 + 9
}

TEST(DataFrame, APlanParsesOnlyTheColumnsItNeeds) {
  const auto df = sales();
  const auto t = df[df["qty"] > 8][{"category"}].compute();
  ASSERT_EQ(t.num_rows(), 2);
  // Only the columns the plan needs are parsed: text far past the sample in an int column "b"
  // is an error when b is read, none when the plan reads only "a" (b is split, not converted).
  {
    std::string text = "a,b\n";
    for (int i = 0; i < 30000; ++i) text += std::to_string(i) + "," + std::to_string(i) + "\n";
    text += "30000,oops\n";
    const auto path = write_file("pushdown.csv", text);
    const auto both = dd::read_csv(path);
    EXPECT_THROW((void)both.compute(), loom::SchemaError);
    const auto a_only = both[{"a"}].compute();
    EXPECT_EQ(a_only.num_rows(), 30001);
    EXPECT_EQ(a_only.value<std::int64_t>(30000, "a"), 30000);
    EXPECT_EQ(both[both["a"] >= 29999][{"a"}].len(), 2);
  }
}

TEST(DataFrame, PrintedTablesShowTheirColumnsAndMissingValues) {
  const auto df = sales();
  std::ostringstream out;
  out << df.groupby("category")["value"].mean().compute();
  const std::string text = out.str();
  EXPECT_NE(text.find("category"), std::string::npos) << text;
  EXPECT_NE(text.find("37.0"), std::string::npos) << text;
  EXPECT_NE(text.find("NaN"), std::string::npos) << text;
}

TEST(DataFrame, ToCsvRoundTrips) {
  const auto df = sales();
  const auto path = loom::test::scratch_folder() / "out.csv";
  df.dropna().to_csv(path);
  const auto back = dd::read_csv(path.string()).compute();
  EXPECT_EQ(back.num_rows(), 6);
  EXPECT_EQ(back.value<std::string_view>(5, "city"), "Lyon");
  EXPECT_EQ(back.column("day").dtype(), dd::DType::string);  // no parse_dates: text
  EXPECT_EQ(back.value<std::string_view>(0, "day"), "2024-01-01");
}

}  // namespace
namespace {

TEST(GroupBy, DiskShuffleGivesTheSameResult) {
  // 3000 rows in many partitions, 300 groups: the partial results of each partition go through
  // files with dataframe.shuffle.method = "disk".
  std::string text = "k,v,s\n";
  for (int i = 0; i < 3000; ++i) {
    text += std::to_string(i * 7 % 300) + ",";
    if (i % 13 != 0) text += std::to_string(i % 17) + "." + std::to_string(i % 10);
    text += ",w" + std::to_string(i % 5) + "\n";
  }
  const std::string path = write_file("shuffle.csv", text);
  auto run = [&] {
    return dd::read_csv(path, {.blocksize = 2000})
        .groupby("k")
        .agg({{"v", {"sum", "mean", "std", "min", "first", "last", "count"}},
              {"s", {"nunique", "max"}}})
        .compute();
  };
  const dd::Table tasks = run();
  dd::Table disk;
  {
    loom::config::Scope scope{{"dataframe.shuffle.method", "disk"}};
    disk = run();
  }
  ASSERT_EQ(tasks.num_rows(), 300);
  ASSERT_EQ(disk.column_names(), tasks.column_names());
  ASSERT_EQ(disk.num_rows(), tasks.num_rows());
  for (std::int64_t r = 0; r < tasks.num_rows(); ++r) {
    for (const auto& c : tasks.column_names()) {
      ASSERT_EQ(disk.column(c).format(r), tasks.column(c).format(r)) << c << " row " << r;
    }
  }
  EXPECT_EQ(tasks.value<std::int64_t>(0, "v_count"),
            9);  // k = 0: rows 0, 300, ..., 2700 (one missing)
}

}  // namespace

namespace {

// Cases an independent review found: each was a wrong answer or a crash before.
TEST(DataFrame, ReviewedEdgeCases) {
  const auto path = write_file("edges.csv",
                               "k,i,f,big,s\n"
                               "a,1,NaN,9007199254740993,x\n"
                               "b,,2.5,9007199254740992,\n"
                               "a,3,nan,-5,y\n"
                               "b,4,1e-7,7,z\n");
  const auto df = dd::read_csv(path);
  const auto t = df.compute();
  // "NaN" text in a float column is a missing value, as pandas reads it.
  EXPECT_EQ(t.column("f").null_count(), 2);
  EXPECT_FALSE(t.value<double>(0, "f").has_value());
  // fillna with a fraction fills float columns and leaves int columns alone.
  const auto filled = df.fillna(0.5).compute();
  EXPECT_EQ(filled.value<double>(0, "f"), 0.5);
  EXPECT_FALSE(filled.value<std::int64_t>(1, "i").has_value());
  EXPECT_EQ(filled.column("i").dtype(), dd::DType::int64);
  EXPECT_EQ(df.fillna(7.0).compute().value<std::int64_t>(1, "i"), 7);
  EXPECT_THROW((void)df.fillna({{"i", dd::Scalar(0.5)}}), loom::SchemaError);
  // != is true against a missing value (pandas: NaN != x), == false.
  EXPECT_EQ(df[df["i"] != 3].len(), 3);
  EXPECT_EQ(df[df["s"] != "x"].len(), 3);
  EXPECT_EQ(df[df["i"] == 3].len(), 1);
  // NaN and missing sort last; ints past 2^53 keep their order and value in min/max.
  const auto sorted = df.sort_values("f").compute();
  EXPECT_EQ(sorted.value<double>(0, "f"), 1e-7);
  const auto mx = df.groupby("k")["big"].max().compute();
  EXPECT_EQ(mx.value<std::int64_t>(0, "big"), 9007199254740993);
  EXPECT_EQ(mx.value<std::int64_t>(1, "big"), 9007199254740992);
  // to_csv keeps every digit.
  const auto out = loom::test::scratch_folder() / "edges_out.csv";
  df.to_csv(out);
  EXPECT_EQ(dd::read_csv(out.string()).compute().value<double>(3, "f"), 1e-7);
  // An int64 key meets a float64 key by value, as pandas merges them (issue 24 changed this
  // from a SchemaError); keys of types that cannot meet (string and int) stay an error.
  const auto right = dd::DataFrame::from_tables(
      {dd::Table({"i", "w"}, {dd::Column::from_doubles({1.0}), dd::Column::from_ints({5})})});
  const auto joined = df.merge(right, "i").compute();
  ASSERT_EQ(joined.num_rows(), 1);
  EXPECT_EQ(joined.value<double>(0, "i"), 1.0);
  EXPECT_EQ(joined.value<std::int64_t>(0, "w"), 5);
  const auto text_key = dd::DataFrame::from_tables(
      {dd::Table({"i", "w"}, {dd::Column::from_strings({"1"}), dd::Column::from_ints({5})})});
  EXPECT_THROW((void)df.merge(text_key, "i"), loom::SchemaError);
}

TEST(ReadCsv, ABadLineIsReportedBeforeATypeError) {
  // Row 3 has an extra field, which shifts text into the int column: a bad line, not a
  // SchemaError.
  const auto path = write_file("shifted.csv", "a,b\n1,2\nx,y,3\n4,5\n");
  EXPECT_ERROR((void)dd::read_csv(path).compute(), loom::ParseError,
               [](const loom::ParseError& e) { EXPECT_EQ(e.line(), 3U); });
  EXPECT_EQ(dd::read_csv(path, {.on_bad_lines = "skip"}).len(), 2);
}

// A key column inferred int64 that meets a float in its last partition is float64 everywhere
// (the earlier partitions read again): the groups are those of the column read as float64, in
// one and in two threads, in memory and through the disk shuffle; a merge on that column
// matches 3 with 3.0.
TEST(GroupBy, AKeyWidenedWhileReadIsFloatEverywhere) {
  std::string text = "k,v\n";
  for (int i = 0; i < 100000; ++i) text += std::to_string(i % 10) + ",1\n";  // 400 kB
  text += "2.5,1\n";
  const auto path = write_file("widened_key.csv", text);
  const auto want = dd::read_csv(path, {.blocksize = "64kB", .dtype = {{"k", dd::DType::float64}}})
                        .groupby("k")["v"]
                        .sum()
                        .compute();
  ASSERT_EQ(want.num_rows(), 11);
  for (const char* method : {"tasks", "disk"}) {
    for (const char* threads : {"1", "2"}) {
      loom::config::Scope scope{{"dataframe.shuffle.method", method},
                                {"scheduler.num_threads", threads}};
      const auto df = dd::read_csv(path, {.blocksize = "64kB"});
      ASSERT_EQ(df.dtypes()[0].second, dd::DType::int64);  // from the sample
      const auto t = df.groupby("k")["v"].sum().compute();
      ASSERT_EQ(t.num_rows(), 11) << method << threads;
      EXPECT_EQ(t.column("k").dtype(), dd::DType::float64);
      for (std::int64_t r = 0; r < 11; ++r) {
        EXPECT_EQ(t.value<double>(r, "k"), want.value<double>(r, "k")) << r;
        EXPECT_EQ(t.value<std::int64_t>(r, "v"), want.value<std::int64_t>(r, "v")) << r;
      }
      EXPECT_EQ(t.value<double>(3, "k"), 2.5);
      const auto right = dd::DataFrame::from_tables({dd::Table(
          {"k", "w"}, {dd::Column::from_ints({3, 2}), dd::Column::from_ints({30, 20})})});
      const auto joined = df.merge(right, "k").compute();
      EXPECT_EQ(joined.num_rows(), 20000) << method << threads;  // 10000 rows each of 2 and 3
    }
  }
}

// A merge hands every partition out in its resolved dtypes: after an outer join on a key the
// left's source revises to float64, the right rows no left row matched hold the key as float64
// too, so that a group-by over the joined frame sees one key dtype (in memory and on disk).
TEST(Merge, UnmatchedRightRowsHoldAKeyTheLeftRevisedAsFloat) {
  std::string text = "k,v\n";
  for (int i = 0; i < 100000; ++i) text += std::to_string(i % 10) + ",1\n";  // 400 kB
  text += "2.5,1\n";
  const auto path = write_file("revised_merge_key.csv", text);
  const auto right = dd::DataFrame::from_tables({dd::Table(
      {"k", "w"}, {dd::Column::from_ints({3, 99}), dd::Column::from_ints({30, 990})})});
  for (const char* method : {"tasks", "disk"}) {
    loom::config::Scope scope{{"dataframe.shuffle.method", method}};
    const auto left = dd::read_csv(path, {.blocksize = "64kB"});
    const auto t = left.merge(right, "k", "outer").groupby("k")["w"].sum().compute();
    ASSERT_EQ(t.num_rows(), 12) << method;
    EXPECT_EQ(t.column("k").dtype(), dd::DType::float64) << method;
    EXPECT_EQ(t.value<double>(4, "k"), 3.0) << method;
    EXPECT_EQ(t.value<std::int64_t>(4, "w"), 300000) << method;
    EXPECT_EQ(t.value<double>(11, "k"), 99.0) << method;
    EXPECT_EQ(t.value<std::int64_t>(11, "w"), 990) << method;
  }
}

TEST(DType, NamesAreThoseOfPandas) {
  EXPECT_STREQ(dd::dtype_name(dd::DType::int64), "int64");
  EXPECT_STREQ(dd::dtype_name(dd::DType::float64), "float64");
  EXPECT_STREQ(dd::dtype_name(dd::DType::boolean), "bool");
  EXPECT_STREQ(dd::dtype_name(dd::DType::string), "string");
  EXPECT_STREQ(dd::dtype_name(dd::DType::datetime), "datetime64[ns]");
}

}  // namespace
