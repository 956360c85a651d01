// value_counts, unique, nlargest/nsmallest and Series::compute against pandas 1.5 on the same
// generated CSV; map_partitions against the function run on the whole table (the sequential
// reference), with its schema rule and its errors.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../support/expect_error.hpp"
#include "loom/dataframe.hpp"
#include "pandas_habits.hpp"

namespace dd = loom::dataframe;

namespace {

// Row r of column c as pandas prints a value in the scripts below (repr of floats, "nan").
std::string cell(const dd::Table& t, std::int64_t r, const std::string& c) {
  const auto& col = t.column(c);
  if (!col.is_valid(r)) return "nan";
  switch (col.dtype()) {
    case dd::DType::int64: return std::to_string(*t.value<std::int64_t>(r, c));
    case dd::DType::string: return std::string(*t.value<std::string_view>(r, c));
    default: {
      const double v = *t.value<double>(r, c);
      if (std::isnan(v)) return "nan";
      char buf[64];
      const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;  // shortest, as Python's repr
      return std::string(buf, end);
    }
  }
}

// The rows of `t` in pandas' text: "a|b|c" per row, rows joined by ';'.
std::string rows_of(const dd::Table& t) {
  std::string out;
  for (std::int64_t r = 0; r < t.num_rows(); ++r) {
    if (r > 0) out += ';';
    for (std::size_t c = 0; c < t.num_columns(); ++c) {
      if (c > 0) out += '|';
      out += cell(t, r, t.column_names()[c]);
    }
  }
  return out;
}

const char* kPandasRows = R"(
def fmt(v):
    if isinstance(v, float):
        if math.isnan(v): return 'nan'
        return str(int(v)) if v == int(v) else repr(v)
    return str(v)
def rows(frame): return ';'.join('|'.join(fmt(v) for v in r) for r in frame.itertuples(index=False))
)";

TEST(FrameHabits, ValueCountsUniqueAndTopRowsMatchPandas) {
  const std::string csv = loom::test::habits_csv("habits.csv");
  const auto df = dd::read_csv(csv, {.blocksize = "64kB"});
  ASSERT_GT(df.npartitions(), 4);
  const auto pandas = loom::test::run_pandas("habits", std::string(kPandasRows) + R"(
df = pd.read_csv(sys.argv[1])
vc = df.k.value_counts().rename_axis('k').reset_index(name='count')
vc = vc.sort_values(['count', 'k'], ascending=[False, True], kind='stable')
print(f"vc.k\t{rows(vc)}")
vq = df.qty.value_counts().rename_axis('qty').reset_index(name='count')
vq = vq.sort_values(['count', 'qty'], ascending=[False, True], kind='stable')
print(f"vc.qty\t{rows(vq)}")
print(f"unique.k\t{';'.join(fmt(v) for v in df.k.unique())}")
print(f"unique.sign\t{';'.join(fmt(v) for v in df.sign.unique())}")
print(f"nlargest.value\t{rows(df.nlargest(9, 'value')[['n', 'value']])}")
print(f"nsmallest.qty\t{rows(df.nsmallest(25, 'qty')[['n', 'qty']])}")
print(f"nlargest.qty\t{rows(df.nlargest(25, 'qty')[['n', 'qty']])}")
)",
                                             csv);
  // (qty is an int column with missing values: pandas reads it as float64, the values match.)
  EXPECT_EQ(rows_of(df["k"].value_counts().compute()), pandas.at("vc.k"));
  const dd::Table vq = df["qty"].value_counts().compute();
  EXPECT_EQ(vq.column_names(), (std::vector<std::string>{"qty", "count"}));
  EXPECT_EQ(rows_of(vq), pandas.at("vc.qty"));
  std::string unique_k;
  const dd::Table uk = df["k"].unique().compute();
  for (std::int64_t r = 0; r < uk.num_rows(); ++r) unique_k += (r ? ";" : "") + cell(uk, r, "k");
  EXPECT_EQ(unique_k, pandas.at("unique.k"));
  EXPECT_EQ(rows_of(df["sign"].unique().compute()), pandas.at("unique.sign"));
  EXPECT_EQ(rows_of(df.nlargest(9, "value")[{"n", "value"}].compute()), pandas.at("nlargest.value"));
  EXPECT_EQ(rows_of(df.nsmallest(25, "qty")[{"n", "qty"}].compute()), pandas.at("nsmallest.qty"));
  EXPECT_EQ(rows_of(df.nlargest(25, "qty")[{"n", "qty"}].compute()), pandas.at("nlargest.qty"));
  EXPECT_EQ(df.nlargest(0, "qty").compute().num_rows(), 0);
  EXPECT_ERROR_CONTAINS((void)df.nlargest(3, "k"), loom::SchemaError, "nlargest", "'k'");
  EXPECT_THROW((void)df.nsmallest(3, "nope"), loom::SchemaError);
}

TEST(FrameHabits, SeriesComputeIsAOneColumnTable) {
  dd::Table t({"a", "b"}, {dd::Column::from_ints({1, 2, std::nullopt}),
                           dd::Column::from_doubles({0.5, 1.5, 2.5})});
  const auto df = dd::DataFrame::from_tables({t, t});
  const dd::Table a = df["a"].compute();
  EXPECT_EQ(a.column_names(), std::vector<std::string>{"a"});
  EXPECT_EQ(a.num_rows(), 6);
  EXPECT_FALSE(a.column("a").is_valid(5));
  const dd::Table s = (df["a"] + df["b"]).compute();
  ASSERT_EQ(s.num_columns(), 1U);
  EXPECT_EQ(s.value<double>(1, s.column_names()[0]), 3.5);
}

// The function, per partition, against the same function on the whole table.
dd::Table twice(const dd::Table& t) {
  const auto v = t.column<double>("value");
  std::vector<std::optional<double>> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    out.push_back(v.is_valid(i) && !std::isnan(v[i]) ? std::optional(2 * v[i]) : std::nullopt);
  }
  return dd::Table({"n", "twice"}, {t.column("n"), dd::Column::from_doubles(out)});
}

TEST(FrameHabits, MapPartitionsMatchesTheFunctionOnTheWholeTable) {
  const std::string csv = loom::test::habits_csv("map_partitions.csv");
  const auto df = dd::read_csv(csv, {.blocksize = "64kB"});
  // The schema from running it on an empty table; nothing read yet.
  const auto mapped = df.map_partitions(twice);
  EXPECT_EQ(df.partitions_read(), 0);
  const dd::Table whole = twice(df.compute());
  EXPECT_EQ(mapped.dtypes(), (std::vector<std::pair<std::string, dd::DType>>{
                                 {"n", dd::DType::int64}, {"twice", dd::DType::float64}}));
  EXPECT_EQ(rows_of(mapped.compute()), rows_of(whole));
  // With meta, and then lazy steps on top.
  const auto declared = df.map_partitions(
      twice, {.meta = {{"n", dd::DType::int64}, {"twice", dd::DType::float64}}});
  EXPECT_EQ(rows_of(declared.query("twice > 0").compute()),
            rows_of(dd::DataFrame::from_tables({whole}).query("twice > 0").compute()));
  const double want = std::get<double>(dd::DataFrame::from_tables({whole})["twice"].sum().compute());
  EXPECT_NEAR(std::get<double>(declared["twice"].sum().compute()), want, 1e-9 * std::abs(want));
}

TEST(FrameHabits, MapPartitionsErrorsNameThePartition) {
  dd::Table p0({"x"}, {dd::Column::from_ints({1, 2})});
  dd::Table p1({"x"}, {dd::Column::from_ints({3, 13})});
  const auto df = dd::DataFrame::from_tables({p0, p1});
  auto throws_on_13 = [](const dd::Table& t) {
    const auto x = t.column<std::int64_t>("x");
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (x[i] == 13) throw std::runtime_error("unlucky");
    }
    return t;
  };
  EXPECT_ERROR((void)df.map_partitions(throws_on_13).compute(), loom::TaskError,
               [](const loom::TaskError& e) {
                 if (std::string(e.what()).find("partition 1") == std::string::npos) {
                   return ::testing::AssertionFailure() << e.what();
                 }
                 try {
                   std::rethrow_if_nested(e);
                 } catch (const std::runtime_error& inner) {
                   if (std::string(inner.what()) == "unlucky") return ::testing::AssertionSuccess();
                 }
                 return ::testing::AssertionFailure() << "the original is not nested";
               });
  // An output that differs from meta: the partition and the column named (both partitions
  // fail; whichever the pool reports first is named).
  const std::string a_partition = "partition ";
  auto as_float = [](const dd::Table& t) {
    return dd::Table({"x"}, {dd::Column::from_doubles({1.0, 2.0})});
  };
  EXPECT_ERROR_CONTAINS(
      (void)df.map_partitions(as_float, {.meta = {{"x", dd::DType::int64}}}).compute(),
      loom::SchemaError, a_partition, "'x'", "float64");
  EXPECT_ERROR_CONTAINS((void)df.map_partitions([](const dd::Table& t) { return t; },
                                          {.meta = {{"y", dd::DType::int64}}})
                            .compute(),
                        loom::SchemaError, a_partition, "'y'");
  const auto one = dd::DataFrame::from_tables({p0, p0, p1});
  EXPECT_ERROR_CONTAINS(
      (void)one.map_partitions(throws_on_13, {.meta = {{"x", dd::DType::int64}}}).compute(),
      loom::TaskError, "partition 2");
  // A function that cannot run on an empty table needs meta.
  auto needs_rows = [](const dd::Table& t) {
    if (t.num_rows() == 0) throw std::runtime_error("empty");
    return t;
  };
  EXPECT_ERROR_CONTAINS((void)df.map_partitions(needs_rows), loom::SchemaError, "meta");
  EXPECT_EQ(df.map_partitions(needs_rows, {.meta = {{"x", dd::DType::int64}}}).len(), 4);
}

}  // namespace
