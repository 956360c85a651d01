// merge with left_on/right_on and int64 keys meeting float64 keys, against pandas 1.5 on the
// same generated files (rows compared as sets: both sides sorted the same way).
#include <cmath>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../scratch_folder.hpp"
#include "../support/expect_error.hpp"
#include "loom/dataframe.hpp"
#include "pandas_habits.hpp"

namespace dd = loom::dataframe;

namespace {

// Cell (r, c) as a number or text; missing as "nan".
std::string cell(const dd::Table& t, std::int64_t r, const std::string& c) {
  const auto& col = t.column(c);
  if (!col.is_valid(r)) return "nan";
  switch (col.dtype()) {
    case dd::DType::int64: return std::to_string(static_cast<double>(*t.value<std::int64_t>(r, c)));
    case dd::DType::float64: {
      const double v = *t.value<double>(r, c);
      return std::isnan(v) ? "nan" : std::to_string(v);
    }
    default: return std::string(*t.value<std::string_view>(r, c));
  }
}

std::vector<std::string> sorted_rows(const dd::Table& t) {
  std::vector<std::string> rows;
  for (std::int64_t r = 0; r < t.num_rows(); ++r) {
    std::string row;
    for (const auto& c : t.column_names()) row += cell(t, r, c) + "|";
    rows.push_back(row);
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

TEST(MergeKeys, LeftOnRightOnAndIntFloatKeysMatchPandas) {
  const auto dir = loom::test::scratch_folder();
  const auto left_csv = dir / "merge_left.csv";
  const auto right_csv = dir / "merge_right.csv";
  {
    std::ofstream l(left_csv);
    std::ofstream r(right_csv);
    l << "a,v,name\n";
    r << "b,v,w\n";
    std::uint64_t s = 5;
    auto next = [&s] {
      s = s * 6364136223846793005ULL + 1442695040888963407ULL;
      return s >> 33;
    };
    for (int i = 0; i < 3000; ++i) {
      l << next() % 400 << ',' << i << ",n" << next() % 7 << '\n';
    }
    for (int i = 0; i < 500; ++i) {  // float keys: 3.0 meets 3; 3.5 meets nothing
      r << (next() % 500) << (next() % 5 == 0 ? ".5" : ".0") << ',' << i << ',' << next() % 9
        << '\n';
    }
  }
  const auto left = dd::read_csv(left_csv.string(), {.blocksize = "16kB"});
  const auto right = dd::read_csv(right_csv.string(), {.blocksize = "4kB"});
  ASSERT_GT(left.npartitions(), 2);
  ASSERT_EQ(left.dtypes()[0].second, dd::DType::int64);
  ASSERT_EQ(right.dtypes()[0].second, dd::DType::float64);
  const auto renamed = right.rename({{"b", "a"}});
  for (const std::string how : {"inner", "left", "right", "outer"}) {
    const auto out = dir / ("merge_" + how);
    std::ofstream(dir / "merge.py")
        << "import sys, warnings, pandas as pd\nwarnings.simplefilter('ignore')\n"
           "l = pd.read_csv(sys.argv[1]); r = pd.read_csv(sys.argv[2]); how = sys.argv[3]\n"
           "l.merge(r, left_on='a', right_on='b', how=how).to_csv(sys.argv[4] + '_lr.csv', "
           "index=False)\n"
           "l.merge(r.rename(columns={'b': 'a'}), on='a', how=how).to_csv(sys.argv[4] + "
           "'_on.csv', index=False)\n";
    const std::string command = "/usr/bin/python3 " + (dir / "merge.py").string() + " " +
                                left_csv.string() + " " + right_csv.string() + " " + how + " " +
                                out.string();
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    const dd::Table want_lr = dd::read_csv(out.string() + "_lr.csv").compute();
    const dd::Table want_on = dd::read_csv(out.string() + "_on.csv").compute();
    const dd::Table got_lr =
        left.merge(right, dd::MergeOptions{.left_on = {"a"}, .right_on = {"b"}, .how = how}).compute();
    const dd::Table got_on = left.merge(renamed, "a", how).compute();
    EXPECT_EQ(got_lr.column_names(), want_lr.column_names()) << how;
    EXPECT_EQ(got_on.column_names(), want_on.column_names()) << how;
    EXPECT_GT(got_lr.num_rows(), 0) << how;
    EXPECT_EQ(sorted_rows(got_lr), sorted_rows(want_lr)) << how;
    EXPECT_EQ(sorted_rows(got_on), sorted_rows(want_on)) << how;
  }
  EXPECT_ERROR_CONTAINS((void)left.merge(right, dd::MergeOptions{.left_on = {"a"}, .right_on = {}}),
                        loom::SchemaError, "left_on", "right_on");
  EXPECT_THROW((void)left.merge(right, dd::MergeOptions{.left_on = {"a"}, .right_on = {"nope"}}),
               loom::SchemaError);
  EXPECT_THROW((void)left.merge(right, dd::MergeOptions{.left_on = {"name"}, .right_on = {"b"}}),
               loom::SchemaError);  // string against float
  EXPECT_THROW((void)left.merge(right, dd::MergeOptions{.left_on = {"a"}, .right_on = {"b"}, .how = "cross"}),
               loom::ConfigError);
}

}  // namespace
