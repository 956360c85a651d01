// DataFrame, GroupBy and the plan nodes that are not aggregations.
#include "loom/dataframe/dataframe.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "dataframe/column_builder.hpp"
#include "dataframe/plan.hpp"
#include "loom/core/detail/parallel_blocks.hpp"
#include "loom/core/detail/progress_work.hpp"
#include "loom/core/error.hpp"
#include "loom/core/graph.hpp"

namespace loom::dataframe::detail {

namespace {

void add_unique(std::vector<std::string>& out, const std::string& name) {
  if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
}

// What to ask the input for: `needed` (empty: everything) plus `extra`.
std::vector<std::string> with(const std::vector<std::string>& needed,
                              const std::vector<std::string>& extra) {
  if (needed.empty()) return {};
  std::vector<std::string> out = needed;
  for (const auto& e : extra) add_unique(out, e);
  return out;
}

}  // namespace

Table select(const Table& t, const std::vector<std::string>& names) {
  std::vector<Column> cols;
  for (const auto& n : names) cols.push_back(t.column(n));
  return Table(names, std::move(cols));
}

Table with_dtype(const Table& t, const std::string& name, DType type) {
  if (t.column(name).dtype() == type) return t;
  std::vector<Column> cols;
  for (const auto& n : t.column_names()) {
    cols.push_back(n == name ? cast(t.column(n), type) : t.column(n));
  }
  return Table(t.column_names(), std::move(cols));
}

CsvScan::CsvScan(std::shared_ptr<CsvSource> source)
    : PlanNode([&] {
        Schema s;
        for (std::size_t c : source->schema().output) {
          s.push_back({source->schema().file_columns[c], source->schema().file_dtypes[c]});
        }
        return s;
      }()),
      source_(std::move(source)) {}

Schema CsvScan::resolved_schema() const {
  Schema s;
  for (std::size_t c : source_->schema().output) {
    s.push_back({source_->schema().file_columns[c], source_->current_dtype(c)});
  }
  return s;
}

Table CsvScan::partition(std::int64_t p, const std::vector<std::string>& needed) const {
  std::vector<std::string> names = needed.empty() ? all_names() : needed;
  return source_->parse(static_cast<std::size_t>(p), names);
}

Table CsvScan::partition_checking(std::int64_t p, const std::vector<std::string>& needed,
                                  const std::vector<std::string>& check_only,
                                  std::vector<std::uint8_t>& row_missing) const {
  std::vector<std::string> names = needed.empty() ? all_names() : needed;
  return source_->parse(static_cast<std::size_t>(p), names, &check_only, &row_missing);
}

Table FilterNode::partition(std::int64_t p, const std::vector<std::string>& needed) const {
  std::vector<std::string> refs;
  referenced_columns(*mask_, refs);
  const Table t = input_->partition(p, with(needed, refs));
  const Column m = evaluate(*mask_, t);
  const ColumnData& md = detail::data_of(m);
  std::vector<std::uint8_t> keep(static_cast<std::size_t>(t.num_rows()));
  for (std::int64_t i = 0; i < t.num_rows(); ++i) {
    keep[static_cast<std::size_t>(i)] =
        md.is_valid(i) && md.bools[static_cast<std::size_t>(i)] != 0;
  }
  const std::vector<std::string> out = needed.empty() ? all_names() : needed;
  std::vector<Column> cols;
  for (const auto& n : out) cols.push_back(filter(t.column(n), keep));
  return Table(out, std::move(cols));
}

Table ProjectNode::partition(std::int64_t p, const std::vector<std::string>& needed) const {
  const std::vector<std::string> out = needed.empty() ? all_names() : needed;
  return select(input_->partition(p, out), out);
}

Table AssignNode::partition(std::int64_t p, const std::vector<std::string>& needed) const {
  std::vector<std::string> refs;
  referenced_columns(*value_, refs);
  std::vector<std::string> ask;
  if (!needed.empty()) {
    for (const auto& n : needed) {
      if (n != name_) ask.push_back(n);
    }
    for (const auto& r : refs) add_unique(ask, r);
    if (ask.empty() && !input_->schema().empty()) ask.push_back(input_->schema()[0].name);
  }
  const Table t = input_->partition(p, ask);
  const Column v = evaluate(*value_, t);
  const std::vector<std::string> out = needed.empty() ? all_names() : needed;
  std::vector<Column> cols;
  for (const auto& n : out) cols.push_back(n == name_ ? v : t.column(n));
  return Table(out, std::move(cols));
}

Schema AssignNode::resolved_schema() const {
  const Schema input = input_->resolved_schema();
  Schema s = follow_input(schema(), input_->schema(), input);
  for (auto& f : s) {
    if (f.name == name_) f.dtype = resolved_dtype(*value_, input);
  }
  return s;
}

Table DropNaNode::partition(std::int64_t p, const std::vector<std::string>& needed) const {
  std::vector<std::string> subset = subset_.empty() ? all_names() : subset_;
  // Straight from a CSV scan, the columns nothing else needs are only checked for missing
  // values while the rows are split, not parsed into columns.
  const auto* scan = dynamic_cast<const CsvScan*>(input_.get());
  std::vector<std::string> check_only;
  if (scan != nullptr && !needed.empty()) {
    for (const auto& n : subset) {
      if (std::find(needed.begin(), needed.end(), n) == needed.end()) check_only.push_back(n);
    }
    std::erase_if(subset, [&](const std::string& n) {
      return std::find(check_only.begin(), check_only.end(), n) != check_only.end();
    });
  }
  std::vector<std::uint8_t> row_missing;
  const Table t = !check_only.empty() ? scan->partition_checking(p, needed, check_only, row_missing)
                  : needed.empty()    ? input_->partition(p, {})
                                      : input_->partition(p, with(needed, subset));
  std::vector<std::uint8_t> keep(static_cast<std::size_t>(t.num_rows()), 1);
  for (std::size_t i = 0; i < row_missing.size() && i < keep.size(); ++i) {
    keep[i] = row_missing[i] == 0 ? 1 : 0;
  }
  for (const auto& n : subset) {
    const ColumnData& d = detail::data_of(t.column(n));
    if (d.null_count == 0 && d.dtype != DType::float64) continue;
    for (std::int64_t i = 0; i < t.num_rows(); ++i) {
      if (d.is_missing(i)) keep[static_cast<std::size_t>(i)] = 0;
    }
  }
  const std::vector<std::string> out = needed.empty() ? all_names() : needed;
  const bool all = std::find(keep.begin(), keep.end(), 0) == keep.end();
  std::vector<Column> cols;
  for (const auto& n : out) cols.push_back(all ? t.column(n) : filter(t.column(n), keep));
  return Table(out, std::move(cols));
}

Table FillNaNode::partition(std::int64_t p, const std::vector<std::string>& needed) const {
  const Table t = input_->partition(p, needed);
  std::vector<std::string> out = needed.empty() ? all_names() : needed;
  std::vector<Column> cols;
  for (const auto& n : out) {
    const Column& c = t.column(n);
    const Literal* value = nullptr;
    for (const auto& [name, v] : values_) {
      if (name == n) value = &v;
    }
    const ColumnData& d = detail::data_of(c);
    if (value == nullptr || (d.null_count == 0 && d.dtype != DType::float64)) {
      cols.push_back(c);
      continue;
    }
    ColumnBuilder b(d.dtype);
    b.reserve(d.size);
    for (std::int64_t i = 0; i < d.size; ++i) {
      if (!d.is_missing(i)) {
        b.append_from(d, i);
      } else if (const auto* x = std::get_if<std::int64_t>(value)) {
        d.dtype == DType::float64 ? b.append_double(static_cast<double>(*x)) : b.append_int(*x);
      } else if (const auto* y = std::get_if<double>(value)) {  // integral for int columns
        d.dtype == DType::int64 ? b.append_int(static_cast<std::int64_t>(*y)) : b.append_double(*y);
      } else if (const auto* z = std::get_if<bool>(value)) {
        b.append_bool(*z);
      } else {
        b.append_string(std::get<std::string>(*value));
      }
    }
    cols.push_back(b.finish());
  }
  return Table(out, std::move(cols));
}

Schema RenameNode::resolved_schema() const {
  Schema s = input_->resolved_schema();  // (the same columns in the same order, renamed)
  const Schema& built = schema();
  LOOM_ASSERT(s.size() == built.size(), "a rename of other columns than its input's");
  for (std::size_t c = 0; c < s.size(); ++c) s[c].name = built[c].name;
  return s;
}

Schema OnceNode::resolved_schema() const {
  const Schema input = input_->resolved_schema();
  return resolve_ ? resolve_(input) : follow_input(schema(), input_->schema(), input);
}

Table OnceNode::partition(std::int64_t /*p*/, const std::vector<std::string>& /*needed*/) const {
  prepare();
  Table out = result_;
  for (const auto& f : resolved_schema()) {
    const DType have = out.column(f.name).dtype();
    if (have != f.dtype && common_dtype(have, f.dtype) == f.dtype) {
      out = with_dtype(out, f.name, f.dtype);
    }
  }
  return out;
}

Table RenameNode::partition(std::int64_t p, const std::vector<std::string>& needed) const {
  auto old_name = [&](const std::string& n) {
    for (const auto& [from, to] : map_) {
      if (to == n) return from;
    }
    return n;
  };
  const std::vector<std::string> out = needed.empty() ? all_names() : needed;
  std::vector<std::string> ask;
  for (const auto& n : out) ask.push_back(old_name(n));
  const Table t = input_->partition(p, ask);
  std::vector<Column> cols;
  for (const auto& n : ask) cols.push_back(t.column(n));
  return Table(out, std::move(cols));
}

}  // namespace loom::dataframe::detail

namespace loom::dataframe {

using detail::PlanPtr;

DataFrame read_csv(const std::string& path_or_glob, const ReadCsvOptions& options) {
  auto source = std::make_shared<detail::CsvSource>(path_or_glob, options);
  return DataFrame(std::make_shared<detail::CsvScan>(std::move(source)));
}

namespace {

// The columns an expression built on another frame (`what`) reads must have here the dtypes it
// was typed with: an int column of that frame is no string column of this one.
void check_built_here(const Series& s, const detail::Schema& here, const char* what) {
  std::vector<std::string> refs;
  detail::referenced_columns(*detail::SeriesAccess::expr(s), refs);
  for (const auto& r : refs) {
    const DType have = detail::schema_type(here, r);
    const DType built = detail::schema_type(detail::SeriesAccess::schema(s), r);
    if (!detail::common_dtype(have, built)) {
      throw SchemaError(fmt::format("{}: column '{}' is {} here, but {} where {} was built", what,
                                    r, dtype_name(have), dtype_name(built),
                                    detail::describe(*detail::SeriesAccess::expr(s))));
    }
  }
}

}  // namespace

// Each partition holds every column in the frame's dtype (an int64 partition of a column that is
// float64 elsewhere converted once, here), so that no consumer meets two dtypes of one column.
DataFrame DataFrame::from_tables(std::vector<Table> partitions) {
  if (partitions.empty()) throw SchemaError("from_tables: no partitions");
  detail::Schema schema;
  for (const auto& [name, t] : partitions.front().dtypes()) schema.push_back({name, t});
  for (std::size_t p = 0; p < partitions.size(); ++p) {
    const Table& t = partitions[p];
    if (t.column_names() != partitions.front().column_names()) {
      throw SchemaError(
          fmt::format("from_tables: partition {} has other columns than partition 0", p));
    }
    for (std::size_t c = 0; c < schema.size(); ++c) {
      const DType have = t.column(schema[c].name).dtype();
      const auto common = detail::common_dtype(schema[c].dtype, have);  // ints meeting floats
      if (!common) {
        throw SchemaError(
            fmt::format("from_tables: column '{}' is {} in partition 0 but {} in "
                        "partition {}",
                        schema[c].name, dtype_name(schema[c].dtype), dtype_name(have), p));
      }
      schema[c].dtype = *common;
    }
  }
  for (auto& t : partitions) {
    for (const auto& f : schema) t = detail::with_dtype(t, f.name, f.dtype);
  }
  return DataFrame(std::make_shared<detail::MemoryScan>(std::move(schema), std::move(partitions)));
}

std::vector<std::string> DataFrame::columns() const {
  std::vector<std::string> out;
  for (const auto& f : plan_->schema()) out.push_back(f.name);
  return out;
}

std::vector<std::pair<std::string, DType>> DataFrame::dtypes() const {
  std::vector<std::pair<std::string, DType>> out;
  for (const auto& f : plan_->schema()) out.emplace_back(f.name, f.dtype);
  return out;
}

std::int64_t DataFrame::npartitions() const { return plan_->npartitions(); }

std::int64_t DataFrame::partitions_read() const {
  const detail::CsvSource* csv = plan_->csv();
  return csv != nullptr ? csv->parse_count() : 0;
}

Series DataFrame::operator[](const std::string& column) const {
  return Series(detail::column_expr(plan_->schema(), column), plan_->schema(), plan_);
}

DataFrame DataFrame::operator[](const Series& mask) const {
  if (mask.dtype() != DType::boolean) {
    throw SchemaError(fmt::format("df[mask]: the mask {} is {}, not bool",
                                  detail::describe(*mask.expr()), dtype_name(mask.dtype())));
  }
  check_built_here(mask, plan_->schema(), "df[mask]");
  return DataFrame(std::make_shared<detail::FilterNode>(plan_, mask.expr()));
}

DataFrame DataFrame::operator[](const std::vector<std::string>& columns) const {
  detail::Schema s;
  for (const auto& c : columns) s.push_back({c, detail::schema_type(plan_->schema(), c)});
  return DataFrame(std::make_shared<detail::ProjectNode>(plan_, std::move(s)));
}

DataFrame DataFrame::assign(const std::string& name, const Series& value) const {
  check_built_here(value, plan_->schema(), "assign");
  detail::Schema s = plan_->schema();
  bool replaced = false;
  for (auto& f : s) {
    if (f.name == name) {
      f.dtype = value.dtype();
      replaced = true;
    }
  }
  if (!replaced) s.push_back({name, value.dtype()});
  return DataFrame(std::make_shared<detail::AssignNode>(plan_, std::move(s), name, value.expr()));
}

DataFrame DataFrame::query(const std::string& expr, const QueryOptions& options) const {
  std::map<std::string, detail::Literal> vars;
  for (const auto& [k, v] : options.vars) vars[k] = v.literal();
  detail::ExprPtr mask = detail::parse_query(expr, plan_->schema(), vars);
  if (mask->dtype != DType::boolean) {
    throw SchemaError(fmt::format("query(\"{}\"): the expression is {}, not bool", expr,
                                  dtype_name(mask->dtype)));
  }
  return DataFrame(std::make_shared<detail::FilterNode>(plan_, std::move(mask)));
}

namespace {

// dropna below the filters right under it (both only drop rows: the order does not change the
// result), so that it sees the rows as read — usually with nothing missing, passed on without a
// copy — and the filters copy only the columns asked of them, not every column dropna looks at.
detail::PlanPtr dropna_below_filters(const detail::PlanPtr& plan,
                                     const std::vector<std::string>& subset) {
  if (const auto* f = dynamic_cast<const detail::FilterNode*>(plan.get())) {
    return std::make_shared<detail::FilterNode>(dropna_below_filters(f->input(), subset),
                                                f->mask());
  }
  return std::make_shared<detail::DropNaNode>(plan, subset);
}

}  // namespace

DataFrame DataFrame::dropna(const std::vector<std::string>& subset) const {
  for (const auto& c : subset) (void)detail::schema_type(plan_->schema(), c);
  return DataFrame(dropna_below_filters(plan_, subset));
}

DataFrame DataFrame::fillna(const Scalar& value) const {
  std::vector<std::pair<std::string, detail::Literal>> values;
  const bool text = std::holds_alternative<std::string>(value.literal());
  const bool flag = std::holds_alternative<bool>(value.literal());
  for (const auto& f : plan_->schema()) {
    const auto* real = std::get_if<double>(&value.literal());
    const bool integral = real == nullptr || std::trunc(*real) == *real;
    const bool fits = text   ? f.dtype == DType::string
                      : flag ? f.dtype == DType::boolean
                             : f.dtype == DType::float64 || (f.dtype == DType::int64 && integral);
    if (fits) values.emplace_back(f.name, value.literal());
  }
  return DataFrame(std::make_shared<detail::FillNaNode>(plan_, std::move(values)));
}

DataFrame DataFrame::fillna(const std::map<std::string, Scalar>& values) const {
  std::vector<std::pair<std::string, detail::Literal>> v;
  for (const auto& [name, value] : values) {
    const DType t = detail::schema_type(plan_->schema(), name);
    const auto& lit = value.literal();
    bool ok = std::holds_alternative<std::string>(lit) ? t == DType::string
              : std::holds_alternative<bool>(lit)      ? t == DType::boolean
              : std::holds_alternative<double>(lit)    ? t == DType::float64
                                                       : t == DType::int64 || t == DType::float64;
    const auto* real = std::get_if<double>(&lit);
    if (ok && t == DType::int64 && real != nullptr && std::trunc(*real) != *real) ok = false;
    if (!ok) {
      throw SchemaError(
          fmt::format("fillna: column '{}' is {}; the value does not fit", name, dtype_name(t)));
    }
    v.emplace_back(name, lit);
  }
  return DataFrame(std::make_shared<detail::FillNaNode>(plan_, std::move(v)));
}

DataFrame DataFrame::select_dtypes(const SelectDtypesOptions& options) const {
  auto in = [](const std::vector<DTypeGroup>& groups, DType t) {
    for (const auto& g : groups) {
      if (std::find(g.members.begin(), g.members.end(), t) != g.members.end()) return true;
    }
    return false;
  };
  std::vector<std::string> keep;
  for (const auto& f : plan_->schema()) {
    if ((options.include.empty() || in(options.include, f.dtype)) &&
        !in(options.exclude, f.dtype)) {
      keep.push_back(f.name);
    }
  }
  return (*this)[keep];
}

DataFrame DataFrame::rename(const std::map<std::string, std::string>& columns) const {
  detail::Schema s = plan_->schema();
  std::vector<std::pair<std::string, std::string>> map;
  for (const auto& [from, to] : columns) {
    (void)detail::schema_type(s, from);
    map.emplace_back(from, to);
    for (auto& f : s) {
      if (f.name == from) f.name = to;
    }
  }
  for (std::size_t a = 0; a < s.size(); ++a) {
    for (std::size_t b = a + 1; b < s.size(); ++b) {
      if (s[a].name == s[b].name) {
        throw SchemaError(fmt::format("rename: two columns would be called '{}'", s[a].name));
      }
    }
  }
  return DataFrame(std::make_shared<detail::RenameNode>(plan_, std::move(s), std::move(map)));
}

GroupBy DataFrame::groupby(const std::vector<std::string>& keys) const {
  if (keys.empty()) throw SchemaError("groupby: no key columns");
  for (const auto& k : keys) (void)detail::schema_type(plan_->schema(), k);
  return GroupBy(plan_, keys, {});
}

Table DataFrame::compute() const {
  const loom::detail::ProgressWork progress;  // drawn while a loom::ProgressBar lives
  return detail::compute_all(*plan_);
}

std::string DataFrame::explain() const { return detail::explain_plan(*plan_); }

void DataFrame::visualize(const std::filesystem::path& path) const {
  loom::detail::write_graph_file(detail::plan_dot(*plan_), path);
}

Table DataFrame::head(std::int64_t n) const {
  plan_->prepare();
  const std::vector<std::string> names = columns();
  return detail::run_settled(*plan_, [&](const detail::Schema& resolved) {
    std::vector<Table> parts;
    std::int64_t have = 0;
    for (std::int64_t p = 0; p < plan_->npartitions() && have < n; ++p) {
      parts.push_back(detail::select(plan_->partition(p, names), names).head(n - have));
      have += parts.back().num_rows();
    }
    return detail::concat_tables(resolved, parts);
  });
}

std::int64_t DataFrame::len() const {
  plan_->prepare();
  const std::int64_t n = plan_->npartitions();
  std::vector<std::int64_t> rows(static_cast<std::size_t>(n), 0);
  // One column is enough to count rows.
  std::vector<std::string> one;
  if (!plan_->schema().empty()) one.push_back(plan_->schema()[0].name);
  const std::string step = detail::step_name(*plan_);
  auto count_rows = [&](std::int64_t p) {
    rows[static_cast<std::size_t>(p)] = plan_->partition(p, one).num_rows();
  };
  loom::detail::parallel_blocks(n, count_rows, {"dataframe", step, "partition"});
  std::int64_t total = 0;
  for (auto r : rows) total += r;
  return total;
}

DataFrame DataFrame::persist() const {
  // The partitions of one settled run and the dtypes they hold, also in the persisted frame's
  // dtypes (a column the source revised to float64 while it was read is float64 there).
  auto [schema, parts] = detail::compute_resolved_partitions(*plan_);
  return DataFrame(std::make_shared<detail::MemoryScan>(std::move(schema), std::move(parts)));
}

GroupBy::GroupBy(std::shared_ptr<const detail::PlanNode> plan, std::vector<std::string> keys,
                 std::vector<std::string> selected)
    : plan_(std::move(plan)), keys_(std::move(keys)), selected_(std::move(selected)) {}

GroupBy GroupBy::operator[](const std::string& column) const {
  return (*this)[std::vector<std::string>{column}];
}

GroupBy GroupBy::operator[](const std::vector<std::string>& columns) const {
  for (const auto& c : columns) (void)detail::schema_type(plan_->schema(), c);
  return GroupBy(plan_, keys_, columns);
}

DataFrame GroupBy::single(const std::string& fn) const {
  std::vector<detail::AggSpec> aggs;
  if (fn == "size") {
    aggs.push_back({"", "size", "size"});
  } else {
    std::vector<std::string> cols = selected_;
    if (cols.empty()) {  // every other column; numeric ones only for arithmetic (pandas)
      const bool numeric_only =
          fn == "sum" || fn == "mean" || fn == "std" || fn == "var" || fn == "min" || fn == "max";
      for (const auto& f : plan_->schema()) {
        if (std::find(keys_.begin(), keys_.end(), f.name) != keys_.end()) continue;
        if (numeric_only && !is_numeric(f.dtype)) continue;
        cols.push_back(f.name);
      }
    }
    for (const auto& c : cols) aggs.push_back({c, fn, c});
  }
  return aggregated(std::move(aggs));
}

DataFrame GroupBy::aggregated(std::vector<detail::AggSpec> aggs) const {
  detail::Schema schema = detail::aggregate_schema(plan_->schema(), keys_, aggs);
  auto compute = [keys = keys_, aggs, schema](const detail::PlanNode& input) {
    return detail::aggregate(input, keys, aggs, schema);
  };
  auto resolve = [keys = keys_, aggs](const detail::Schema& input) {
    return detail::aggregate_schema(input, keys, aggs);
  };
  return DataFrame(std::make_shared<detail::OnceNode>(plan_, std::move(schema), "groupby",
                                                      std::move(compute), std::move(resolve)));
}

DataFrame GroupBy::sum() const { return single("sum"); }
DataFrame GroupBy::mean() const { return single("mean"); }
DataFrame GroupBy::std() const { return single("std"); }
DataFrame GroupBy::var() const { return single("var"); }
DataFrame GroupBy::min() const { return single("min"); }
DataFrame GroupBy::max() const { return single("max"); }
DataFrame GroupBy::count() const { return single("count"); }
DataFrame GroupBy::size() const { return single("size"); }
DataFrame GroupBy::first() const { return single("first"); }
DataFrame GroupBy::last() const { return single("last"); }
DataFrame GroupBy::nunique() const { return single("nunique"); }

DataFrame GroupBy::agg(
    const std::vector<std::pair<std::string, std::vector<std::string>>>& spec) const {
  std::vector<detail::AggSpec> aggs;
  for (const auto& [column, fns] : spec) {
    for (const auto& fn : fns) aggs.push_back({column, fn, column + "_" + fn});
  }
  return aggregated(std::move(aggs));
}

}  // namespace loom::dataframe
