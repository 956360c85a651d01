// Operations on whole frames and tables, on the sales table: sort_values, drop_duplicates,
// merge, describe, conversion to Eigen, serialization (also of damaged bytes) and tables in the
// object store.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "../support/expect_error.hpp"
#include "loom/dataframe.hpp"
#include "loom/io/serialize.hpp"
#include "loom/remote.hpp"
#include "sales.hpp"

namespace dd = loom::dataframe;


namespace {

using loom::test::sales;

TEST(DataFrame, SortValuesPutsMissingValuesLast) {
  const auto df = sales();
  const auto sorted = df.sort_values("value", false).compute();
  EXPECT_EQ(sorted.value<double>(0, "value"), 100.5);
  EXPECT_FALSE(sorted.value<double>(9, "value").has_value());          // missing last
  const auto table_sorted = df.compute().sort_values("value", false);  // a Table's, by one name
  EXPECT_EQ(table_sorted.value<double>(0, "value"), 100.5);
  EXPECT_FALSE(table_sorted.value<double>(9, "value").has_value());
  const auto by_two = df.sort_values({"category", "qty"}).compute();
  EXPECT_EQ(by_two.value<std::int64_t>(0, "qty"), 1);
  EXPECT_EQ(by_two.value<std::string_view>(4, "category"), "b");
}

TEST(DataFrame, DropDuplicatesKeepsTheFirstRowOfEach) {
  const auto df = sales();
  EXPECT_EQ(df.drop_duplicates({"category"}).len(), 4);
  EXPECT_EQ(df.drop_duplicates({"city"}).len(), 4);  // Paris, Lyon, Nice and the missing one
  EXPECT_EQ(df.drop_duplicates().len(), 10);
  const auto first_b = df.drop_duplicates({"category"}).compute();
  EXPECT_EQ(first_b.value<double>(1, "value"), -2.0);  // the first b row is kept
}

TEST(DataFrame, MergeJoinsOnAKeyInEachHow) {
  const auto df = sales();
  // Merge: categories a, b, x on the right; "qty" on both sides gets suffixes.
  const dd::Table right_table(
      {"category", "label", "qty"},
      {dd::Column::from_strings({"a", "b", "x"}), dd::Column::from_strings({"A", "B", "X"}),
       dd::Column::from_ints({100, 200, 300})});
  const auto right = dd::DataFrame::from_tables({right_table});
  const auto inner = df.merge(right, "category").compute();
  EXPECT_EQ(inner.num_rows(), 7);  // 4 a rows + 3 b rows
  EXPECT_EQ(inner.column_names(), (std::vector<std::string>{"category", "value", "qty_x", "city",
                                                            "day", "label", "qty_y"}));
  EXPECT_EQ(inner.value<std::string_view>(0, "label"), "A");
  EXPECT_EQ(inner.value<std::int64_t>(1, "qty_y"), 200);
  const auto left = df.merge(right, "category", "left").compute();
  EXPECT_EQ(left.num_rows(), 10);
  EXPECT_FALSE(left.value<std::string_view>(3, "label").has_value());  // c: no match
  // Right: every right row (x has no left row: its key from the right, left columns missing),
  // outer: the left join's rows and then x.
  const auto right_join = df.merge(right, "category", "right").compute();
  EXPECT_EQ(right_join.num_rows(), 8);  // 4 a rows + 3 b rows + x
  EXPECT_EQ(right_join.column_names(), inner.column_names());
  EXPECT_EQ(right_join.value<std::string_view>(7, "category"), "x");
  EXPECT_FALSE(right_join.value<double>(7, "value").has_value());
  EXPECT_EQ(right_join.value<std::int64_t>(7, "qty_y"), 300);
  const auto outer = df.merge(right, "category", "outer").compute();
  EXPECT_EQ(outer.num_rows(), 11);  // the 10 left-join rows + x
  EXPECT_EQ(outer.value<std::string_view>(10, "category"), "x");
  EXPECT_EQ(outer.value<std::string_view>(10, "label"), "X");
  EXPECT_FALSE(outer.value<std::int64_t>(10, "qty_x").has_value());
  EXPECT_THROW((void)df.merge(right, "category", "cross"), loom::ConfigError);
  EXPECT_THROW((void)df.merge(right, "label"), loom::SchemaError);
}

TEST(DataFrame, DescribeGivesCountMinAndQuantiles) {
  const auto df = sales();
  const auto d = df.describe();
  EXPECT_EQ(d.column_names(), (std::vector<std::string>{"stat", "value", "qty"}));
  EXPECT_EQ(d.value<std::string_view>(5, "stat"), "50%");
  EXPECT_EQ(d.value<double>(0, "value"), 8.0);    // count of values
  EXPECT_EQ(d.value<double>(3, "value"), -2.0);   // min
  EXPECT_EQ(d.value<double>(5, "qty"), 6.0);      // median of 1, 2, 3, 5, 6, 7, 8, 9, 10
  EXPECT_EQ(d.value<double>(4, "value"), 3.375);  // 25%: 1.5 + 0.75 * (4.0 - 1.5), at 7 * 0.25
}

TEST(DataFrame, TablesConvertToEigenMatrices) {
  const auto t = sales().compute();
  const Eigen::MatrixXd m = t.to_eigen({"value", "qty"});
  ASSERT_EQ(m.rows(), 10);
  EXPECT_EQ(m(0, 0), 1.5);
  EXPECT_TRUE(std::isnan(m(2, 0)));
  EXPECT_EQ(m(9, 1), 10.0);
  EXPECT_THROW((void)t.to_eigen({"city"}), loom::SchemaError);
}

TEST(DataFrame, TablesRoundTripThroughSerialization) {
  const auto t = sales().compute();
  const std::string bytes = loom::serialize(t);
  const auto back = loom::deserialize<dd::Table>(bytes);
  ASSERT_EQ(back.column_names(), t.column_names());
  for (std::int64_t r = 0; r < 10; ++r) {
    for (const auto& c : t.column_names()) {
      ASSERT_EQ(back.column(c).format(r), t.column(c).format(r)) << c << " " << r;
    }
  }
}

TEST(DataFrame, DamagedTableBytesAreErrorsNeverCrashes) {
  const auto t = sales().compute();
  const std::string bytes = loom::serialize(t);
  std::string corrupt = bytes;
  corrupt[corrupt.size() / 2] = static_cast<char>(corrupt[corrupt.size() / 2] ^ 0x55);
  corrupt.resize(corrupt.size() - 3);
  EXPECT_THROW((void)loom::deserialize<dd::Table>(corrupt), std::exception);
  // Any damaged byte gives an exception or a table that passed the consistency checks: never a
  // crash, an out-of-bounds read or an allocation sized by a damaged length (run under ASan).
  int thrown = 0;
  for (std::size_t at = 0; at < bytes.size(); ++at) {
    for (const char flip : {'\x01', '\x5a', '\xff'}) {
      std::string damaged = bytes;
      damaged[at] = static_cast<char>(damaged[at] ^ flip);
      try {
        const auto t2 = loom::deserialize<dd::Table>(damaged);
        for (std::int64_t r = 0; r < t2.num_rows(); ++r) {
          for (const auto& c : t2.column_names()) (void)t2.column(c).format(r);
        }
      } catch (const std::exception&) {
        ++thrown;
      }
    }
  }
  EXPECT_GT(thrown, 0);
}

TEST(DataFrame, TablesInTheObjectStoreShareTheirBuffers) {
  const auto t = sales().compute();
  // In the object store: get returns the same buffers (a Table copy shares them).
  loom::Runtime runtime({.num_cpus = 2});
  const auto ref = loom::put(t);
  const dd::Table got = loom::get(ref);
  EXPECT_EQ(dd::detail::shared_of(got.column("value")).get(),
            dd::detail::shared_of(t.column("value")).get());
}

// A merged frame that lives until the program ends (a static) is destroyed after this thread's
// scratch tables: its key index frees its table instead of handing it back to them.
TEST(DataFrame, AStaticMergedFrameEndsTheProgramCleanly) {
  // The child runs this test alone in a fresh process: a fork of this one would carry the pool
  // threads' thread-local tables without the threads (LeakSanitizer reports them at exit).
  ::testing::FLAGS_gtest_death_test_style = "threadsafe";
  EXPECT_EXIT(
      {
        static const dd::DataFrame merged = [] {
          const dd::Table right({"category", "label"}, {dd::Column::from_strings({"a", "b"}),
                                                        dd::Column::from_strings({"A", "B"})});
          return sales().merge(dd::DataFrame::from_tables({right}), "category");
        }();
        std::exit(merged.compute().num_rows() == 7 ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

// A column's storage is loom's: users read columns through Column and ColumnView and cannot
// wrap storage of their own, see it, or see the literal inside a Scalar; loom's code and tests
// reach them through detail::ColumnAccess (make_column, data_of, shared_of).
template <class C>
concept ExposesStorage =
    std::is_constructible_v<C, std::shared_ptr<const dd::detail::ColumnData>> ||
    requires(const C& c) { c.data(); } || requires(const C& c) { c.shared(); };
template <class S>
concept ExposesLiteral = requires(const S& s) { s.literal(); };
TEST(Column, StorageIsReachedOnlyThroughTheAccessDoor) {
  static_assert(!ExposesStorage<dd::Column>);
  static_assert(
      !std::is_constructible_v<dd::ColumnView<double>, std::shared_ptr<const dd::detail::ColumnData>>);
  static_assert(!ExposesLiteral<dd::Scalar>);
  const dd::Column c = dd::Column::from_doubles({1.5, std::nullopt});
  const dd::Column same = dd::detail::make_column(dd::detail::shared_of(c));
  EXPECT_EQ(&dd::detail::data_of(same), &dd::detail::data_of(c));
  EXPECT_EQ(same.view<double>()[0], 1.5);
  EXPECT_FALSE(same.view<double>().is_valid(1));
}

}  // namespace
