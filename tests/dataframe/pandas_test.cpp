// A pipeline (query, dropna, groupby-agg) against pandas itself (python3-pandas, installed by
// scripts/deps): the same generated file, the same steps, values compared to 1e-9 relative
// (pandas 1.5 turns an int column with missing values into float64, so values are compared,
// not dtypes).
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "../scratch_folder.hpp"
#include "loom/dataframe.hpp"

namespace dd = loom::dataframe;

namespace {

TEST(Pandas, SeedPipelineMatchesPandas) {
  const auto dir = loom::test::scratch_folder();
  const auto csv = dir / "pandas_input.csv";
  {
    std::ofstream out(csv);
    out << "category,value,qty,city\n";
    std::uint64_t s = 7;
    auto next = [&s] {
      s = s * 6364136223846793005ULL + 1442695040888963407ULL;
      return s >> 33;
    };
    const char* cities[] = {"Paris", "Lyon", "Nice", ""};
    for (int i = 0; i < 30000; ++i) {
      out << "cat" << next() % 13 << ',';
      if (next() % 10 != 0) out << (static_cast<double>(next() % 20000) - 5000.0) / 7.0;
      out << ',';
      if (next() % 15 != 0) out << next() % 50;
      out << ',' << cities[next() % 4] << '\n';
    }
  }
  const auto df = dd::read_csv(csv.string(), {.blocksize = "64kB"});
  ASSERT_GT(df.npartitions(), 4);
  const dd::Table got = df.query("value > 0")
                            .dropna({"value", "qty"})
                            .groupby("category")
                            .agg({{"value", {"mean", "std", "count"}},
                                  {"qty", {"sum", "min", "max", "nunique"}},
                                  {"city", {"count", "nunique"}}})
                            .compute();

  const auto expected = dir / "pandas_expected.csv";
  const auto script = dir / "pandas_pipeline.py";
  std::ofstream(script) << "import sys, pandas as pd\n"
                           "df = pd.read_csv(sys.argv[1])\n"
                           "r = (df.query('value > 0').dropna(subset=['value', 'qty'])\n"
                           "       .groupby('category').agg({'value': ['mean', 'std', 'count'],\n"
                           "            'qty': ['sum', 'min', 'max', 'nunique'],\n"
                           "            'city': ['count', 'nunique']}))\n"
                           "r.columns = ['_'.join(c) for c in r.columns]\n"
                           "r.reset_index().to_csv(sys.argv[2], index=False)\n";
  const std::string command =
      "/usr/bin/python3 " + script.string() + " " + csv.string() + " " + expected.string();
  ASSERT_EQ(std::system(command.c_str()), 0)
      << "pandas failed (scripts/deps installs python3-pandas): " << command;
  const dd::Table want = dd::read_csv(expected.string()).compute();

  ASSERT_EQ(got.column_names(), want.column_names());
  ASSERT_EQ(got.num_rows(), want.num_rows());
  for (std::int64_t r = 0; r < got.num_rows(); ++r) {
    EXPECT_EQ(got.value<std::string_view>(r, "category"),
              want.value<std::string_view>(r, "category"));
    for (const std::string& c : got.column_names()) {
      if (c == "category") continue;
      const auto& gc = got.column(c);
      const auto& wc = want.column(c);
      ASSERT_EQ(gc.is_valid(r), wc.is_valid(r)) << c << " row " << r;
      if (!gc.is_valid(r)) continue;
      const double g = gc.dtype() == dd::DType::float64
                           ? *got.value<double>(r, c)
                           : static_cast<double>(*got.value<std::int64_t>(r, c));
      const double w = wc.dtype() == dd::DType::float64
                           ? *want.value<double>(r, c)
                           : static_cast<double>(*want.value<std::int64_t>(r, c));
      EXPECT_NEAR(g, w, 1e-9 * (1 + std::abs(w))) << c << " row " << r;
    }
  }
}

}  // namespace
