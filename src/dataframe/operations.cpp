// Steps that need more than one partition at a time: sort_values, drop_duplicates, describe
// (merge: merge.cpp).
#include <algorithm>
#include <cmath>
#include <unordered_set>

#include <fmt/format.h>

#include "dataframe/groupby/group_keys.hpp"
#include "loom/core/detail/parallel_blocks.hpp"
#include "loom/core/error.hpp"
#include "loom/dataframe/dataframe.hpp"
#include "dataframe/column_builder.hpp"
#include "dataframe/plan.hpp"

namespace loom::dataframe::detail {

std::pair<Schema, std::vector<Table>> compute_resolved_partitions(const PlanNode& plan) {
  plan.prepare();
  const std::int64_t n = plan.npartitions();
  std::vector<std::string> names;
  for (const auto& f : plan.schema()) names.push_back(f.name);
  // Never a column in two dtypes across partitions: read again when a source revised one.
  return run_settled(plan, [&](const Schema& resolved) {
    std::vector<Table> parts(static_cast<std::size_t>(n));
    const std::string step = step_name(plan);
    auto one_partition = [&](std::int64_t p) {
      parts[static_cast<std::size_t>(p)] = select(plan.partition(p, names), names);
    };
    loom::detail::parallel_blocks(n, one_partition, {"dataframe", step, "partition"});
    return std::make_pair(resolved, std::move(parts));
  });
}

std::vector<Table> compute_partitions(const PlanNode& plan) {
  return compute_resolved_partitions(plan).second;
}

Table concat_tables(const Schema& schema, const std::vector<Table>& parts) {
  std::vector<std::string> names;
  for (const auto& f : schema) names.push_back(f.name);
  std::vector<Column> cols;
  for (std::size_t c = 0; c < names.size(); ++c) {
    std::vector<Column> pieces;
    for (const auto& t : parts) pieces.push_back(t.column(c));
    cols.push_back(pieces.empty() ? ColumnBuilder(schema[c].dtype).finish() : concat(pieces));
  }
  return Table(std::move(names), std::move(cols));
}

Table compute_all(const PlanNode& plan) {
  auto [schema, parts] = compute_resolved_partitions(plan);
  return concat_tables(schema, parts);
}

}  // namespace loom::dataframe::detail

namespace loom::dataframe {

DataFrame DataFrame::sort_values(const std::vector<std::string>& by, bool ascending) const {
  for (const auto& c : by) (void)detail::schema_type(plan_->schema(), c);
  return DataFrame(std::make_shared<detail::OnceNode>(
      plan_, plan_->schema(), "sort_values", [by, ascending](const detail::PlanNode& input) {
        return detail::compute_all(input).sort_values(by, ascending);
      }));
}

DataFrame DataFrame::drop_duplicates(const std::vector<std::string>& subset) const {
  for (const auto& c : subset) (void)detail::schema_type(plan_->schema(), c);
  return DataFrame(std::make_shared<detail::OnceNode>(
      plan_, plan_->schema(), "drop_duplicates", [subset](const detail::PlanNode& input) {
        const Table t = detail::compute_all(input);
        const std::vector<std::string> cols = subset.empty() ? t.column_names() : subset;
        std::vector<const detail::ColumnData*> data;
        for (const auto& c : cols) data.push_back(&detail::data_of(t.column(c)));
        std::unordered_set<std::string> seen;
        std::vector<std::int64_t> keep;
        std::string key;
        for (std::int64_t i = 0; i < t.num_rows(); ++i) {
          key.clear();
          for (const auto* d : data) {  // missing values are equal to each other here, as pandas
            std::string one;
            if (detail::encode_row({d}, i, one)) {
              key.push_back('v');
              key += one;
            } else {
              key.push_back('n');
            }
          }
          if (seen.insert(key).second) keep.push_back(i);
        }
        std::vector<Column> out;
        for (const auto& c : t.columns()) out.push_back(detail::take(c, keep));
        return Table(t.column_names(), std::move(out));
      }));
}

Table DataFrame::describe() const {
  std::vector<std::string> numeric;
  for (const auto& f : plan_->schema()) {
    if (f.dtype == DType::int64 || f.dtype == DType::float64) numeric.push_back(f.name);
  }
  const Table t = (*this)[numeric].compute();
  detail::ColumnBuilder stat(DType::string);
  for (const char* s : {"count", "mean", "std", "min", "25%", "50%", "75%", "max"}) {
    stat.append_string(s);
  }
  std::vector<std::string> names{"stat"};
  std::vector<Column> cols{stat.finish()};
  for (const auto& name : numeric) {
    const detail::ColumnData& d = detail::data_of(t.column(name));
    std::vector<double> v;
    for (std::int64_t i = 0; i < d.size; ++i) {
      if (d.is_missing(i)) continue;
      v.push_back(d.dtype == DType::float64
                      ? d.floats[static_cast<std::size_t>(i)]
                      : static_cast<double>(d.ints[static_cast<std::size_t>(i)]));
    }
    std::sort(v.begin(), v.end());
    const auto n = static_cast<double>(v.size());
    double mean = 0;
    for (double x : v) mean += x;
    mean = v.empty() ? std::nan("") : mean / n;
    double ss = 0;
    for (double x : v) ss += (x - mean) * (x - mean);
    auto quantile = [&](double q) {  // linear interpolation, as pandas
      if (v.empty()) return std::nan("");
      const double at = q * (n - 1);
      const auto lo = static_cast<std::size_t>(std::floor(at));
      const std::size_t hi = std::min(lo + 1, v.size() - 1);
      return v[lo] + (v[hi] - v[lo]) * (at - static_cast<double>(lo));
    };
    detail::ColumnBuilder b(DType::float64);
    for (double x : {n, mean, v.size() > 1 ? std::sqrt(ss / (n - 1)) : std::nan(""),
                     v.empty() ? std::nan("") : v.front(), quantile(0.25), quantile(0.5),
                     quantile(0.75), v.empty() ? std::nan("") : v.back()}) {
      b.append_double(x);
    }
    names.push_back(name);
    cols.push_back(b.finish());
  }
  return Table(std::move(names), std::move(cols));
}

}  // namespace loom::dataframe
