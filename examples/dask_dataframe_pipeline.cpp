// The Python snippet "Optimizing DataFrame Operations" in C++:
//
//   df = dd.read_csv('data/*.csv')
//   result = (df.query('value > 0')
//               .dropna()
//               .groupby('category')
//               .agg({'value': ['mean', 'std', 'count']})
//               .compute())
//   df = dd.read_csv('large_file.csv', blocksize='100MB')
#include <loom/loom.hpp>

#include <cmath>
#include <iostream>
#include <map>

#include "dataframe_data.hpp"

namespace dd = loom::dataframe;

int main() {
  for (int k = 0; k < 4; ++k) {  // several files, each with its header
    loom::examples::write_sales_csv(fmt::format("data/part{}.csv", k), 50000, 10 + k);
  }
  dd::DataFrame df = dd::read_csv("data/*.csv");
  dd::Table result = df.query("value > 0")
                         .dropna()
                         .groupby("category")
                         .agg({{"value", {"mean", "std", "count"}}})
                         .compute();
  std::cout << result;

  // blocksize: partitions of about that many bytes, cut on row boundaries.
  loom::examples::write_sales_csv("large_file.csv", 100000);
  const auto big = dd::read_csv("large_file.csv", {.blocksize = "100MB"});
  const auto small = dd::read_csv("large_file.csv", {.blocksize = "256kB"});
  std::cout << "large_file.csv: " << big.npartitions() << " partition with blocksize 100MB, "
            << small.npartitions() << " with 256kB\n";

  // Check against a loop over every file's rows (sample std, as pandas).
  const dd::Table all = df.compute();
  std::map<std::string, std::vector<double>> groups;
  const auto cat = all.column<std::string_view>("category");
  const auto val = all.column<double>("value");
  const auto tgt = all.column<double>("target");
  for (std::size_t i = 0; i < cat.size(); ++i) {
    if (val.is_valid(i) && val[i] > 0 && tgt.is_valid(i))
      groups[std::string(cat[i])].push_back(val[i]);
  }
  bool ok = result.num_rows() == static_cast<std::int64_t>(groups.size()) &&
            small.len() == 100000 && big.npartitions() == 1;
  std::int64_t row = 0;
  for (const auto& [key, v] : groups) {
    double mean = 0;
    for (double x : v) mean += x;
    mean /= static_cast<double>(v.size());
    double ss = 0;
    for (double x : v) ss += (x - mean) * (x - mean);
    ok =
        ok && std::abs(*result.value<double>(row, "value_mean") - mean) < 1e-9 &&
        std::abs(*result.value<double>(row, "value_std") - std::sqrt(ss / (v.size() - 1))) < 1e-9 &&
        result.value<std::int64_t>(row, "value_count") == static_cast<std::int64_t>(v.size());
    ++row;
  }
  std::cout << (ok ? "matches a sequential loop\n" : "MISMATCH\n");
  return ok ? 0 : 1;
}
