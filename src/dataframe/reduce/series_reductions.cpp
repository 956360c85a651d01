// Series and DataFrame reductions as lazy values: a read node per partition (shared by the
// reductions pending on the same plan), a partial per partition, partials merged pairwise, and
// the value finished from the last. Also Series::compute, value_counts and unique.
#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "dataframe/column_builder.hpp"
#include "dataframe/plan.hpp"
#include "dataframe/reduce/partition_tasks.hpp"
#include "dataframe/reduce/reductions.hpp"
#include "loom/core/error.hpp"
#include "loom/dataframe/dataframe.hpp"

namespace loom::dataframe::detail {

namespace {

using Partials = std::vector<Partial>;

// The partials of `specs` over every partition of `plan`, merged (lazy).
Delayed<Partials> reduce_graph(const PlanPtr& plan, std::vector<ReduceSpec> specs) {
  std::vector<std::string> columns;
  for (const auto& s : specs) {
    std::vector<std::string> refs;
    referenced_columns(*s.expr, refs);
    for (auto& r : refs) {
      if (std::find(columns.begin(), columns.end(), r) == columns.end()) columns.push_back(r);
    }
  }
  if (columns.empty() && !plan->schema().empty()) columns.push_back(plan->schema()[0].name);
  auto chunk = [specs](const Table& t) {
    Partials out;
    out.reserve(specs.size());
    for (const auto& s : specs) out.push_back(reduce_partition(t, s));
    return out;
  };
  std::vector<Delayed<Partials>> level;
  for (std::int64_t p = 0; p < plan->npartitions(); ++p) {
    level.push_back(loom::delayed(chunk, "reduce partition")(partition_task(plan, p, columns)));
  }
  if (level.empty()) {  // no partitions: the reductions of nothing
    level.push_back(loom::delayed([n = specs.size()] { return Partials(n); }, "reduce")());
  }
  std::vector<Reduction> fns;
  for (const auto& s : specs) fns.push_back(s.fn);
  auto merge = [fns](const Partials& a, const Partials& b) {
    Partials out = a;
    Partials more = b;
    for (std::size_t k = 0; k < out.size(); ++k) merge_partials(out[k], std::move(more[k]), fns[k]);
    return out;
  };
  while (level.size() > 1) {  // pairwise, in partition order (b's rows come after a's)
    std::vector<Delayed<Partials>> next;
    for (std::size_t k = 0; k + 1 < level.size(); k += 2) {
      next.push_back(loom::delayed(merge, "merge partials")(level[k], level[k + 1]));
    }
    if (level.size() % 2 == 1) next.push_back(level.back());
    level = std::move(next);
  }
  return level.front();
}

Delayed<Partial> reduce_series(const Series& s, Reduction fn) {
  check_reducible(fn, s.dtype(), describe(*SeriesAccess::expr(s)));
  auto all = reduce_graph(SeriesAccess::plan(s), {{SeriesAccess::expr(s), fn}});
  return loom::delayed([](const Partials& p) { return p.front(); }, reduction_name(fn))(all);
}

Delayed<Value> value_reduction(const Series& s, Reduction fn) {
  return loom::delayed([fn, t = s.dtype()](const Partial& p) { return value_of(p, fn, t); },
                       reduction_name(fn))(reduce_series(s, fn));
}

Delayed<double> moment_reduction(const Series& s, Reduction fn, int ddof) {
  if (ddof < 0) throw ConfigError(fmt::format("{}(ddof={}): ddof must be >= 0", reduction_name(fn), ddof));
  return loom::delayed([fn, ddof](const Partial& p) { return moment_of(p, fn, ddof); },
                       reduction_name(fn))(reduce_series(s, fn));
}

}  // namespace

}  // namespace loom::dataframe::detail

namespace loom::dataframe {

using detail::Partial;
using detail::Reduction;

Delayed<Value> Series::sum() const { return detail::value_reduction(*this, Reduction::kSum); }
Delayed<Value> Series::prod() const { return detail::value_reduction(*this, Reduction::kProd); }
Delayed<Value> Series::min() const { return detail::value_reduction(*this, Reduction::kMin); }
Delayed<Value> Series::max() const { return detail::value_reduction(*this, Reduction::kMax); }
Delayed<double> Series::mean() const {
  return detail::moment_reduction(*this, Reduction::kMean, 0);
}
Delayed<double> Series::std(int ddof) const {
  return detail::moment_reduction(*this, Reduction::kStd, ddof);
}
Delayed<double> Series::var(int ddof) const {
  return detail::moment_reduction(*this, Reduction::kVar, ddof);
}
Delayed<std::int64_t> Series::count() const {
  return loom::delayed([](const Partial& p) { return p.count; },
                       "count")(detail::reduce_series(*this, Reduction::kCount));
}
Delayed<std::int64_t> Series::size() const {
  return loom::delayed([](const Partial& p) { return p.rows; },
                       "size")(detail::reduce_series(*this, Reduction::kSize));
}
Delayed<std::int64_t> Series::nunique() const {
  return loom::delayed([](const Partial& p) { return static_cast<std::int64_t>(p.distinct.size()); },
                       "nunique")(detail::reduce_series(*this, Reduction::kNunique));
}
Delayed<bool> Series::any() const {
  return loom::delayed([](const Partial& p) { return p.any; },
                       "any")(detail::reduce_series(*this, Reduction::kAny));
}
Delayed<bool> Series::all() const {
  return loom::delayed([](const Partial& p) { return p.all; },
                       "all")(detail::reduce_series(*this, Reduction::kAll));
}

std::string Series::name() const {
  // As pandas keeps a Series' name through methods and arithmetic with scalars: the one column
  // it reads; an expression of several columns is named by its text.
  std::vector<std::string> refs;
  detail::referenced_columns(*expr_, refs);
  return refs.size() == 1 ? refs.front() : detail::describe(*expr_);
}

Table Series::compute() const {
  const std::string n = name();
  return DataFrame(plan_).assign(n, *this)[{n}].compute();
}

DataFrame Series::value_counts() const {
  const std::string n = name();
  if (n == "count" || n == "size") {
    throw SchemaError(fmt::format(
        "value_counts: the values are called '{}', as a column of the result; rename it", n));
  }
  const DataFrame counted = DataFrame(plan_).assign(n, *this)[{n}].groupby(n).size();
  detail::Schema schema{{n, dtype()}, {"count", DType::int64}};
  return DataFrame(std::make_shared<detail::OnceNode>(
      counted.plan(), std::move(schema), [n](const detail::PlanNode& input) {
        // The group-by gives the values sorted; a stable sort by count keeps that among ties.
        const Table t = detail::compute_all(input).sort_values("size", false);
        return Table({n, "count"}, {t.column(n), t.column("size")});
      }));
}

DataFrame Series::unique() const {
  const std::string n = name();
  return DataFrame(plan_).assign(n, *this)[{n}].drop_duplicates();
}

Delayed<Table> DataFrame::reduce_columns(const std::string& fn_name, int ddof) const {
  const Reduction fn = fn_name == "sum"    ? Reduction::kSum
                       : fn_name == "mean" ? Reduction::kMean
                       : fn_name == "min"  ? Reduction::kMin
                       : fn_name == "max"  ? Reduction::kMax
                       : fn_name == "count" ? Reduction::kCount
                       : fn_name == "std"  ? Reduction::kStd
                                           : Reduction::kVar;
  if (ddof < 0) throw ConfigError(fmt::format("{}(ddof={}): ddof must be >= 0", fn_name, ddof));
  std::vector<detail::ReduceSpec> specs;
  detail::Schema columns;
  for (const auto& f : plan_->schema()) {
    if (f.dtype != DType::int64 && f.dtype != DType::float64) continue;
    specs.push_back({detail::column_expr(plan_->schema(), f.name), fn});
    columns.push_back(f);
  }
  auto finish = [fn, ddof, columns](const std::vector<Partial>& parts) {
    std::vector<std::string> names;
    std::vector<Column> cols;
    for (std::size_t k = 0; k < columns.size(); ++k) {
      const Partial& p = parts[k];
      names.push_back(columns[k].name);
      if (fn == Reduction::kCount) {
        cols.push_back(detail::constant_int(p.count, 1));
      } else if (fn == Reduction::kMean || fn == Reduction::kStd || fn == Reduction::kVar) {
        cols.push_back(detail::constant_double(detail::moment_of(p, fn, ddof), 1));
      } else {
        const Value v = detail::value_of(p, fn, columns[k].dtype);
        const bool floats = p.saw_float || columns[k].dtype == DType::float64;
        detail::ColumnBuilder b(floats ? DType::float64 : DType::int64);
        if (const auto* i = std::get_if<std::int64_t>(&v)) {
          b.append_int(*i);
        } else if (const auto* d = std::get_if<double>(&v)) {
          b.append_double(*d);
        } else {
          b.append_null();
        }
        cols.push_back(b.finish());
      }
    }
    return Table(std::move(names), std::move(cols));
  };
  return loom::delayed(finish, fn_name)(detail::reduce_graph(plan_, std::move(specs)));
}

Delayed<Table> DataFrame::sum() const { return reduce_columns("sum", 1); }
Delayed<Table> DataFrame::mean() const { return reduce_columns("mean", 1); }
Delayed<Table> DataFrame::min() const { return reduce_columns("min", 1); }
Delayed<Table> DataFrame::max() const { return reduce_columns("max", 1); }
Delayed<Table> DataFrame::count() const { return reduce_columns("count", 1); }
Delayed<Table> DataFrame::std(int ddof) const { return reduce_columns("std", ddof); }
Delayed<Table> DataFrame::var(int ddof) const { return reduce_columns("var", ddof); }

}  // namespace loom::dataframe
