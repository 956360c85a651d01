// Group-by over ranges of partitions: one partial per range of consecutive partitions while
// the columns keep their shape, merged in partition order; value columns widened in some
// partitions. Checked against references worked out in the test.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "loom/core/config.hpp"
#include "loom/dataframe.hpp"

namespace dd = loom::dataframe;

namespace {

// One partial per range of consecutive partitions: the grouper goes on from partition to
// partition while the columns keep their shape, and starts a new partial where they change
// (dictionary and plain key columns, value columns with and without missing entries, a first
// partition without any key). Checked against a reference (first/last follow the row order)
// for several thread counts (so several range splits) and both shuffle methods.
TEST(GroupByRanges, PartitionsChangingShapeMatchAReference) {
  using namespace std::string_literals;
  using Keys = std::vector<std::optional<std::string>>;
  using Ints = std::vector<std::optional<std::int64_t>>;
  std::vector<dd::Table> parts;
  std::vector<std::pair<std::optional<std::string>, std::optional<std::int64_t>>> rows;
  auto add = [&](const Keys& k, const Ints& v) {
    parts.emplace_back(
        std::vector<std::string>{"k", "v"},
        std::vector<dd::Column>{dd::Column::from_strings(k), dd::Column::from_ints(v)});
    for (std::size_t i = 0; i < k.size(); ++i) rows.emplace_back(k[i], v[i]);
  };
  auto plain = [](int from, int count, int step) {  // mostly distinct, some longer than 16 bytes
    Keys k;
    for (int i = 0; i < count; ++i) {
      const int x = from + i * step;
      k.emplace_back(x % 3 == 0   ? "a-key-longer-than-16-bytes-" + std::to_string(x % 7000)
                     : x % 3 == 1 ? "s" + std::to_string(x % 7000)
                                  : "nul\0"s + std::to_string(x % 7000) + "-and-more-bytes");
    }
    return k;
  };
  auto values = [](int count, int seed, bool missing) {
    Ints v;
    for (int i = 0; i < count; ++i) {
      if (missing && i % 7 == 3) {
        v.emplace_back(std::nullopt);
      } else {
        v.emplace_back((i * 31 + seed) % 97 - 40);
      }
    }
    return v;
  };
  add(Keys(300, std::nullopt), values(300, 1, false));  // no key at all
  Keys few;
  for (int i = 0; i < 500; ++i) few.emplace_back("s" + std::to_string(i % 5));
  add(few, values(500, 2, false));                    // dictionary keys
  add(plain(0, 9000, 1), values(9000, 3, true));      // plain keys, missing values
  add(plain(4000, 9000, 1), values(9000, 4, false));  // overlapping, no missing value
  add(few, values(500, 5, true));                     // dictionary again
  add(plain(1, 8000, 2), values(8000, 6, false));     // plain, no missing value
  add(plain(2, 8000, 2), values(8000, 7, true));      // plain, missing values again
  Keys many;  // a dictionary of more than 4096 strings (found all at once), a missing key
  for (int i = 0; i < 12000; ++i) {
    if (i == 77) {
      many.emplace_back(std::nullopt);
    } else {
      many.emplace_back(plain(i % 5000, 1, 1)[0]);
    }
  }
  add(many, values(12000, 8, true));
  ASSERT_TRUE(dd::detail::data_of(parts[1].column("k")).dictionary);
  ASSERT_FALSE(dd::detail::data_of(parts[2].column("k")).dictionary);
  ASSERT_TRUE(dd::detail::data_of(parts.back().column("k")).dictionary);
  ASSERT_GT(dd::detail::data_of(parts.back().column("k")).offsets.size(), 4096U);

  struct Want {
    std::int64_t sum = 0, count = 0, size = 0;
    std::optional<std::int64_t> first, last;
  };
  std::map<std::string, Want> want;
  for (const auto& [k, v] : rows) {
    if (!k) continue;
    Want& w = want[*k];
    ++w.size;
    if (!v) continue;
    w.sum += *v;
    ++w.count;
    if (!w.first) w.first = v;
    w.last = v;
  }
  const auto df = dd::DataFrame::from_tables(parts);
  for (const char* method : {"tasks", "disk"}) {
    for (const char* threads : {"1", "2", "3", "4"}) {
      loom::config::Scope scope{{"dataframe.shuffle.method", method},
                                {"scheduler.num_threads", threads}};
      const auto t =
          df.groupby("k").agg({{"v", {"sum", "count", "size", "first", "last"}}}).compute();
      ASSERT_EQ(t.num_rows(), static_cast<std::int64_t>(want.size())) << method << threads;
      std::int64_t r = 0;
      for (const auto& [k, w] : want) {
        SCOPED_TRACE(testing::Message() << method << " threads " << threads << " row " << r);
        ASSERT_EQ(t.value<std::string_view>(r, "k"), k);
        EXPECT_EQ(t.value<std::int64_t>(r, "v_sum"), w.sum);
        EXPECT_EQ(t.value<std::int64_t>(r, "v_count"), w.count);
        EXPECT_EQ(t.value<std::int64_t>(r, "v_size"), w.size);
        EXPECT_EQ(t.value<std::int64_t>(r, "v_first"), w.first);
        EXPECT_EQ(t.value<std::int64_t>(r, "v_last"), w.last);
        ++r;
      }
    }
  }
}

}  // namespace

namespace {

// Heavy partitions first, light ones last: the light range's partial is made long before the
// heavy one's, and the partials still merge in partition order (first/last follow the rows).
TEST(GroupByRanges, PartialsMergeInPartitionOrder) {
  std::vector<dd::Table> parts;
  std::map<std::int64_t, std::pair<std::int64_t, std::int64_t>> want;  // key -> first, last
  std::int64_t row = 0;
  for (const std::int64_t rows : {300000, 300000, 300000, 10, 10, 10}) {
    std::vector<std::optional<std::int64_t>> k;
    std::vector<std::optional<std::int64_t>> v;
    for (std::int64_t i = 0; i < rows; ++i, ++row) {
      k.emplace_back((row * 7) % 1009);
      v.emplace_back(row);
      auto [it, fresh] = want.try_emplace(*k.back(), row, row);
      it->second.second = row;
    }
    parts.emplace_back(std::vector<std::string>{"k", "v"},
                       std::vector<dd::Column>{dd::Column::from_ints(k), dd::Column::from_ints(v)});
  }
  const auto df = dd::DataFrame::from_tables(parts);
  loom::config::Scope scope{{"scheduler.num_threads", "2"}};
  for (int round = 0; round < 3; ++round) {
    const auto t = df.groupby("k").agg({{"v", {"first", "last", "count"}}}).compute();
    ASSERT_EQ(t.num_rows(), static_cast<std::int64_t>(want.size()));
    std::int64_t r = 0;
    for (const auto& [key, fl] : want) {
      ASSERT_EQ(t.value<std::int64_t>(r, "k"), key);
      ASSERT_EQ(t.value<std::int64_t>(r, "v_first"), fl.first) << key;
      ASSERT_EQ(t.value<std::int64_t>(r, "v_last"), fl.second) << key;
      ++r;
    }
  }
}

}  // namespace

namespace {

// One partition of key "a" with value column v: int64 values, or float64 ones when `ints` is
// empty.
dd::Table int_or_float_part(std::vector<std::optional<std::int64_t>> ints,
                            std::vector<std::optional<double>> floats) {
  const std::size_t n = ints.empty() ? floats.size() : ints.size();
  std::vector<std::optional<std::string>> k(n, std::string("a"));
  return dd::Table({"k", "v"},
                   {dd::Column::from_strings(k),
                    ints.empty() ? dd::Column::from_doubles(floats) : dd::Column::from_ints(ints)});
}

// A value column read as int64 that is float64 in some partitions (widened while read): one
// range of partitions must not compare ints against a float's leftovers (min/max keep the
// value's type), whatever the thread count.
TEST(GroupByRanges, AggregatesOverIntAndFloatPartitionsKeepEachValuesType) {
  const auto df = dd::DataFrame::from_tables(
      {int_or_float_part({100, 100}, {}), int_or_float_part({}, {50.5, 5.5}),
       int_or_float_part({100, 1}, {}), int_or_float_part({}, {7.25})});
  for (const char* threads : {"1", "2", "4"}) {
    loom::config::Scope scope{{"scheduler.num_threads", threads}};
    // (min/max/first/last alone: no fused sum whose change of type would split the range)
    const auto t = df.groupby("k").agg({{"v", {"min", "max", "first", "last"}}}).compute();
    ASSERT_EQ(t.num_rows(), 1) << threads;
    EXPECT_EQ(t.value<double>(0, "v_min"), 1.0) << threads;
    EXPECT_EQ(t.value<double>(0, "v_max"), 100.0) << threads;
    EXPECT_EQ(t.value<double>(0, "v_first"), 100.0) << threads;
    EXPECT_EQ(t.value<double>(0, "v_last"), 7.25) << threads;
    EXPECT_EQ(df.groupby("k")["v"].sum().compute().value<double>(0, "v"), 364.25) << threads;
  }
}

// nunique counts values, whichever dtype a partition holds them in: 100 and 100.0 are one,
// -0.0 and 0 are one, 0.5 is not 0 (pandas sees one float64 column).
TEST(GroupByRanges, NuniqueOfIntAndFloatPartitionsCountsEachValueOnce) {
  const auto mixed = dd::DataFrame::from_tables(
      {int_or_float_part({100, 0, 7}, {}), int_or_float_part({}, {100.0, -0.0, 0.5, 7.0, 1e300}),
       int_or_float_part({-3}, {})});
  EXPECT_EQ(
      mixed.groupby("k").agg({{"v", {"nunique"}}}).compute().value<std::int64_t>(0, "v_nunique"),
      6);  // 100, 0, 7, 0.5, 1e300, -3
}

}  // namespace
