// pandas habits on a partitioned frame, as a pandas / Dask user writes them:
//
//   df = dd.read_csv('sales.csv', parse_dates=['date'])
//   total, mean, top = dask.compute(df.value.sum(), df.value.mean(), df.value.max())
//   df.category.value_counts().compute()
//   df.nlargest(3, 'value').compute()
//   df[df.date.dt.dayofweek < 5].category.str.upper().unique().compute()
//   df.map_partitions(lambda p: p.assign(double=p.value * 2), meta=...).compute()
//   df.merge(labels, left_on='category', right_on='code')
//
// The reductions are lazy loom::Delayed values: computed together, they read each partition once.
// Each result is checked against a plain loop over the whole table.
#include <loom/loom.hpp>

#include <cmath>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <variant>

#include "dataframe_data.hpp"

namespace dd = loom::dataframe;

int main() {
  const std::string path = loom::examples::write_sales_csv("pandas_habits.csv", 100000);
  const dd::DataFrame df = dd::read_csv(path, {.blocksize = "512kB", .parse_dates = {"date"}});

  // Reductions: one graph, each partition read once.
  auto [total, mean, top] = loom::compute(df["value"].sum(), df["value"].mean(), df["value"].max());
  std::cout << "sum " << std::get<double>(total) << ", mean " << mean << ", max "
            << std::get<double>(top) << " (partitions read: " << df.partitions_read() << " of "
            << df.npartitions() << ")\n";
  const bool read_once = df.partitions_read() == df.npartitions();

  const dd::Table counts = df["category"].value_counts().compute();
  std::cout << counts;
  std::cout << df.nlargest(3, "value").compute();

  // Dates and strings in a mask and a projection.
  const dd::Series weekday = df["date"].dt().dayofweek() < 5;
  std::cout << df[weekday]["category"].str().upper().unique().compute();

  // A user function per partition, its output declared.
  const auto doubled = df.map_partitions(
      [](const dd::Table& part) {
        const auto v = part.column<double>("value");
        std::vector<std::optional<double>> twice;
        for (std::size_t i = 0; i < v.size(); ++i) {
          twice.push_back(v.is_valid(i) && !std::isnan(v[i]) ? std::optional(2 * v[i])
                                                             : std::nullopt);
        }
        return dd::Table({"category", "double"},
                         {part.column("category"), dd::Column::from_doubles(twice)});
      },
      {.meta = {{"category", dd::DType::string}, {"double", dd::DType::float64}}});
  const double doubled_sum = std::get<double>(doubled["double"].sum().compute());

  // Keys with other names on each side.
  const auto labels = dd::DataFrame::from_tables({dd::Table(
      {"code", "label"}, {dd::Column::from_strings({"a", "b", "c"}),
                          dd::Column::from_strings({"first", "second", "third"})})});
  const auto joined = df.merge(labels, dd::MergeOptions{.left_on = {"category"},
                                                        .right_on = {"code"}});
  std::cout << joined.head(3);

  // The same with plain loops over the whole table.
  const dd::Table all = df.compute();
  const auto cat = all.column<std::string_view>("category");
  const auto val = all.column<double>("value");
  double sum = 0;
  double best = -INFINITY;
  std::int64_t n = 0;
  std::map<std::string, std::int64_t> per;
  std::int64_t abc = 0;
  for (std::size_t i = 0; i < val.size(); ++i) {
    if (cat.is_valid(i)) ++per[std::string(cat[i])];
    if (cat.is_valid(i) && (cat[i] == "a" || cat[i] == "b" || cat[i] == "c")) ++abc;
    if (!val.is_valid(i) || std::isnan(val[i])) continue;
    sum += val[i];
    best = std::max(best, val[i]);
    ++n;
  }
  bool ok = std::abs(std::get<double>(total) - sum) <= 1e-9 * std::abs(sum) &&
            std::abs(mean - sum / static_cast<double>(n)) <= 1e-9 * std::abs(mean) &&
            std::get<double>(top) == best &&
            std::abs(doubled_sum - 2 * sum) <= 1e-9 * std::abs(sum) &&
            read_once &&
            counts.num_rows() == static_cast<std::int64_t>(per.size()) &&
            joined.len() == abc;
  for (std::int64_t r = 0; r < counts.num_rows(); ++r) {
    const std::string k(*counts.value<std::string_view>(r, "category"));
    ok = ok && per[k] == *counts.value<std::int64_t>(r, "count");
  }
  std::cout << (ok ? "matches the plain loops\n" : "MISMATCH with the plain loops\n");
  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
