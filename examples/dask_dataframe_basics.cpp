// The Python snippet "From Pandas to Dask DataFrames" in C++:
//
//   df = dd.read_csv('huge_file.csv')
//   print(type(df)); print(df.columns)          # structure without loading the data
//   filtered = df[df['value'] > 100]
//   grouped = filtered.groupby('category').value.mean()
//   result = grouped.compute()
#include <loom/loom.hpp>

#include <cmath>
#include <iostream>
#include <map>

#include "dataframe_data.hpp"

namespace dd = loom::dataframe;

int main() {
  const std::string path = loom::examples::write_sales_csv("huge_file.csv", 200000);

  dd::DataFrame df = dd::read_csv(path, {.blocksize = "1MB"});  // lazy: header and a sample
  std::cout << "loom::dataframe::DataFrame with " << df.npartitions() << " partitions\n";
  std::cout << "columns:";
  for (const auto& [name, type] : df.dtypes())
    std::cout << ' ' << name << " (" << dd::dtype_name(type) << ')';
  std::cout << '\n';

  auto filtered = df[df["value"] > 100];
  auto grouped = filtered.groupby("category")["value"].mean();
  dd::Table result = grouped.compute();
  std::cout << result;

  // The same with a plain loop over the whole table.
  const dd::Table all = df.compute();
  std::map<std::string, std::pair<double, int>> ref;
  const auto cat = all.column<std::string_view>("category");
  const auto val = all.column<double>("value");
  for (std::size_t i = 0; i < cat.size(); ++i) {
    if (val.is_valid(i) && val[i] > 100) {
      auto& [sum, n] = ref[std::string(cat[i])];
      sum += val[i];
      ++n;
    }
  }
  bool ok = result.num_rows() == static_cast<std::int64_t>(ref.size());
  std::int64_t row = 0;
  for (const auto& [key, sn] : ref) {
    ok = ok && result.value<std::string_view>(row, "category") == key &&
         std::abs(*result.value<double>(row, "value") - sn.first / sn.second) < 1e-9;
    ++row;
  }
  std::cout << (ok ? "matches a sequential loop\n" : "MISMATCH\n");
  return ok ? 0 : 1;
}
