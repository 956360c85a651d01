// The Python snippet "Persistent Storage and Caching" in C++:
//
//   df = dd.read_csv('large_dataset.csv')
//   processed = df.dropna().query('value > 0')     # expensive preprocessing
//   processed = processed.persist()                # kept in memory
//   result1 = processed.groupby('category').mean().compute()
//   result2 = processed.groupby('date').sum().compute()   # uses the cached data
#include <loom/loom.hpp>

#include <cmath>
#include <iostream>

#include "dataframe_data.hpp"

namespace dd = loom::dataframe;

int main() {
  const std::string path = loom::examples::write_sales_csv("large_dataset.csv", 300000);
  dd::DataFrame df = dd::read_csv(path, {.blocksize = "1MB", .parse_dates = {"date"}});

  auto processed = df.dropna().query("value > 0");
  processed = processed.persist();
  const std::int64_t reads = df.partitions_read();
  dd::Table result1 = processed.groupby("category").mean().compute();
  dd::Table result2 = processed.groupby("date").sum().compute();
  std::cout << result1 << '\n' << result2;
  std::cout << "partitions parsed: " << reads << " by persist, " << df.partitions_read() - reads
            << " by the two group-bys\n";

  // Check: the per-date sums add up to the total of the filtered values.
  const dd::Table kept = processed.compute();
  double total = 0;
  for (double v : kept.column<double>("value")) total += v;
  double by_date = 0;
  for (double v : result2.column<double>("value")) by_date += v;
  const bool ok = df.partitions_read() == reads && std::abs(total - by_date) < 1e-6 * total &&
                  result1.num_rows() == 5 && result2.num_rows() == 10;
  std::cout << (ok ? "matches a sequential loop; the files were read once\n" : "MISMATCH\n");
  return ok ? 0 : 1;
}
