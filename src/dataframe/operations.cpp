// Steps that need more than one partition at a time: sort_values, drop_duplicates, merge,
// describe.
#include <algorithm>
#include <cmath>
#include <unordered_set>

#include <fmt/format.h>

#include "group_keys.hpp"
#include "loom/core/detail/parallel_blocks.hpp"
#include "loom/core/error.hpp"
#include "loom/dataframe/dataframe.hpp"
#include "loom/dataframe/detail/column_builder.hpp"
#include "plan.hpp"

namespace loom::dataframe::detail {

std::vector<Table> compute_partitions(const PlanNode& plan) {
  plan.prepare();
  const std::int64_t n = plan.npartitions();
  std::vector<Table> parts(static_cast<std::size_t>(n));
  std::vector<std::string> names;
  for (const auto& f : plan.schema()) names.push_back(f.name);
  loom::detail::parallel_blocks(n, [&](std::int64_t p) {
    parts[static_cast<std::size_t>(p)] = select(plan.partition(p, names), names);
  });
  return parts;
}

Table compute_all(const PlanNode& plan) {
  const std::vector<Table> parts = compute_partitions(plan);
  std::vector<std::string> names;
  for (const auto& f : plan.schema()) names.push_back(f.name);
  std::vector<Column> cols;
  for (std::size_t c = 0; c < names.size(); ++c) {
    std::vector<Column> pieces;
    for (const auto& t : parts) pieces.push_back(t.column(c));
    cols.push_back(pieces.empty() ? ColumnBuilder(plan.schema()[c].dtype).finish()
                                  : concat(pieces));
  }
  return Table(std::move(names), std::move(cols));
}

MergeNode::MergeNode(PlanPtr left, PlanPtr right, Schema schema, std::vector<std::string> on,
                     bool left_join)
    : StepNode(std::move(left), std::move(schema)),
      right_(std::move(right)),
      on_(std::move(on)),
      left_join_(left_join) {}

void MergeNode::prepare() const {
  input_->prepare();
  std::call_once(once_, [this] {
    right_table_ = compute_all(*right_);
    std::vector<const ColumnData*> keys;
    for (const auto& k : on_) keys.push_back(&right_table_.column(k).data());
    std::string key;
    for (std::int64_t i = 0; i < right_table_.num_rows(); ++i) {
      if (encode_row(keys, i, key)) right_rows_[key].push_back(i);
    }
  });
}

Table MergeNode::partition(std::int64_t p, const std::vector<std::string>& /*needed*/) const {
  prepare();
  const Table left = input_->partition(p, {});
  std::vector<const ColumnData*> keys;
  for (const auto& k : on_) {
    keys.push_back(&left.column(k).data());
    if (keys.back()->dtype != right_table_.column(k).dtype()) {  // a column widened while read
      throw SchemaError(fmt::format("merge: key '{}' holds {} on the left and {} on the right", k,
                                    dtype_name(keys.back()->dtype),
                                    dtype_name(right_table_.column(k).dtype())));
    }
  }
  std::vector<std::int64_t> left_rows;
  std::vector<std::int64_t> right_rows;  // -1: no match (left join)
  std::string key;
  for (std::int64_t i = 0; i < left.num_rows(); ++i) {
    const auto it = encode_row(keys, i, key) ? right_rows_.find(key) : right_rows_.end();
    if (it == right_rows_.end()) {
      if (left_join_) {
        left_rows.push_back(i);
        right_rows.push_back(-1);
      }
      continue;
    }
    for (const std::int64_t r : it->second) {
      left_rows.push_back(i);
      right_rows.push_back(r);
    }
  }
  // Columns: the left's (keys included), then the right's other columns; names from the schema.
  std::vector<Column> cols;
  for (const auto& name : left.column_names()) cols.push_back(take(left.column(name), left_rows));
  for (const auto& name : right_table_.column_names()) {
    if (std::find(on_.begin(), on_.end(), name) != on_.end()) continue;
    const ColumnData& d = right_table_.column(name).data();
    ColumnBuilder b(d.dtype);
    b.reserve(static_cast<std::int64_t>(right_rows.size()));
    for (const std::int64_t r : right_rows) r < 0 ? b.append_null() : b.append_from(d, r);
    cols.push_back(b.finish());
  }
  std::vector<std::string> names;
  for (const auto& f : schema()) names.push_back(f.name);
  return Table(std::move(names), std::move(cols));
}

}  // namespace loom::dataframe::detail

namespace loom::dataframe {

DataFrame DataFrame::sort_values(const std::vector<std::string>& by, bool ascending) const {
  for (const auto& c : by) (void)detail::schema_type(plan_->schema(), c);
  return DataFrame(std::make_shared<detail::OnceNode>(
      plan_, plan_->schema(), [by, ascending](const detail::PlanNode& input) {
        return detail::compute_all(input).sort_values(by, ascending);
      }));
}

DataFrame DataFrame::drop_duplicates(const std::vector<std::string>& subset) const {
  for (const auto& c : subset) (void)detail::schema_type(plan_->schema(), c);
  return DataFrame(std::make_shared<detail::OnceNode>(
      plan_, plan_->schema(), [subset](const detail::PlanNode& input) {
        const Table t = detail::compute_all(input);
        const std::vector<std::string> cols = subset.empty() ? t.column_names() : subset;
        std::vector<const detail::ColumnData*> data;
        for (const auto& c : cols) data.push_back(&t.column(c).data());
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

DataFrame DataFrame::merge(const DataFrame& right, const std::vector<std::string>& on,
                           const std::string& how) const {
  if (how != "inner" && how != "left") {
    throw ConfigError(fmt::format("merge: how is '{}'; use \"inner\" or \"left\"", how));
  }
  if (on.empty()) throw SchemaError("merge: no key columns");
  const auto& ls = plan_->schema();
  const auto& rs = right.plan()->schema();
  for (const auto& k : on) {
    const DType a = detail::schema_type(ls, k);
    const DType b = detail::schema_type(rs, k);
    if (a != b) {  // encoded keys of different types never meet: say so instead
      throw SchemaError(fmt::format("merge: key '{}' is {} on the left and {} on the right", k,
                                    dtype_name(a), dtype_name(b)));
    }
  }
  auto shared = [&](const std::string& name) {
    if (std::find(on.begin(), on.end(), name) != on.end()) return false;
    for (const auto& f : rs) {
      if (f.name == name) return true;
    }
    return false;
  };
  detail::Schema schema;
  for (const auto& f : ls) schema.push_back({shared(f.name) ? f.name + "_x" : f.name, f.dtype});
  for (const auto& f : rs) {
    if (std::find(on.begin(), on.end(), f.name) != on.end()) continue;
    bool clash = false;
    for (const auto& g : ls) clash = clash || g.name == f.name;
    schema.push_back({clash ? f.name + "_y" : f.name, f.dtype});
  }
  return DataFrame(std::make_shared<detail::MergeNode>(plan_, right.plan(), std::move(schema), on,
                                                       how == "left"));
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
    const detail::ColumnData& d = t.column(name).data();
    std::vector<double> v;
    for (std::int64_t i = 0; i < d.size; ++i) {
      if (!d.valid(i)) continue;
      const double x = d.dtype == DType::float64
                           ? d.floats[static_cast<std::size_t>(i)]
                           : static_cast<double>(d.ints[static_cast<std::size_t>(i)]);
      if (!std::isnan(x)) v.push_back(x);
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
