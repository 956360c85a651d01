// map_partitions (a user function per partition, its output checked against the declared
// schema) and nlargest/nsmallest (the top rows of each partition, then of those).
#include <algorithm>
#include <exception>
#include <functional>

#include <fmt/format.h>

#include "dataframe/column_builder.hpp"
#include "dataframe/plan.hpp"
#include "loom/core/detail/parallel_blocks.hpp"
#include "loom/core/error.hpp"
#include "loom/dataframe/dataframe.hpp"

namespace loom::dataframe::detail {

namespace {

class MapPartitionsNode final : public StepNode {
 public:
  MapPartitionsNode(PlanPtr input, Schema schema, std::function<Table(const Table&)> f)
      : StepNode(std::move(input), std::move(schema)), f_(std::move(f)) {}

  [[nodiscard]] Table partition(std::int64_t p,
                                const std::vector<std::string>& needed) const override {
    std::vector<std::string> in;
    for (const auto& f : input_->schema()) in.push_back(f.name);
    const Table t = select(input_->partition(p, in), in);
    Table out;
    try {
      out = f_(t);
    } catch (...) {
      std::throw_with_nested(TaskError(fmt::format("map_partitions partition {}", p),
                                       fmt::format("map_partitions: the function threw on "
                                                   "partition {}",
                                                   p)));
    }
    check(out, p);
    const std::vector<std::string> names = needed.empty() ? all_names() : needed;
    return select(out, names);
  }

 private:
  void check(const Table& out, std::int64_t p) const {
    for (const auto& f : schema()) {
      if (!out.has_column(f.name)) {
        throw SchemaError(fmt::format(
            "map_partitions: partition {} has no column '{}' (the meta declares it)", p, f.name));
      }
      const DType have = out.column(f.name).dtype();
      if (have != f.dtype) {
        throw SchemaError(
            fmt::format("map_partitions: partition {}: column '{}' is {}, the meta says {}", p,
                        f.name, dtype_name(have), dtype_name(f.dtype)));
      }
    }
    if (out.num_columns() != schema().size()) {
      for (const auto& n : out.column_names()) {
        bool declared = false;
        for (const auto& f : schema()) declared = declared || f.name == n;
        if (!declared) {
          throw SchemaError(fmt::format(
              "map_partitions: partition {} has a column '{}' the meta does not declare", p, n));
        }
      }
    }
  }

  std::function<Table(const Table&)> f_;
};

// The n top rows of `t` by `column` (missing values dropped; ties in row order).
Table top_rows(const Table& t, std::int64_t n, const std::string& column, bool largest) {
  const ColumnData& d = data_of(t.column(column));
  Table present = t;
  if (d.null_count > 0 || d.dtype == DType::float64) {
    std::vector<std::uint8_t> keep(static_cast<std::size_t>(t.num_rows()));
    for (std::int64_t i = 0; i < t.num_rows(); ++i) {
      keep[static_cast<std::size_t>(i)] = d.is_missing(i) ? 0 : 1;
    }
    std::vector<Column> cols;
    for (const auto& c : t.columns()) cols.push_back(filter(c, keep));
    present = Table(t.column_names(), std::move(cols));
  }
  return present.sort_values(column, !largest).head(n);
}

}  // namespace

}  // namespace loom::dataframe::detail

namespace loom::dataframe {

DataFrame DataFrame::map_partitions_erased(std::function<Table(const Table&)> f,
                                           MapPartitionsOptions options) const {
  detail::Schema schema;
  if (!options.meta.empty()) {
    for (auto& [name, dtype] : options.meta) {
      for (const auto& s : schema) {
        if (s.name == name) {
          throw SchemaError(fmt::format("map_partitions: the meta names '{}' twice", name));
        }
      }
      schema.push_back({name, dtype});
    }
  } else {  // Dask's rule: the function on an empty table of the input's schema
    std::vector<std::string> names;
    std::vector<Column> cols;
    for (const auto& fld : plan_->schema()) {
      names.push_back(fld.name);
      cols.push_back(detail::ColumnBuilder(fld.dtype).finish());
    }
    Table sample;
    try {
      sample = f(Table(std::move(names), std::move(cols)));
    } catch (...) {
      std::throw_with_nested(SchemaError(
          "map_partitions: the function threw on an empty table of the input's columns (how "
          "its output schema is found); give the output's columns and dtypes as .meta"));
    }
    for (const auto& [name, dtype] : sample.dtypes()) schema.push_back({name, dtype});
  }
  return DataFrame(
      std::make_shared<detail::MapPartitionsNode>(plan_, std::move(schema), std::move(f)));
}

namespace {

detail::PlanPtr top_node(const detail::PlanPtr& plan, std::int64_t n,
              const std::string& column, bool largest) {
  const DType t = detail::schema_type(plan->schema(), column);
  const char* what = largest ? "nlargest" : "nsmallest";
  if (t != DType::int64 && t != DType::float64 && t != DType::datetime) {
    throw SchemaError(fmt::format("{}: column '{}' is {}; only int64, float64 and datetime "
                                  "columns are ordered by it",
                                  what, column, dtype_name(t)));
  }
  return std::make_shared<detail::OnceNode>(
      plan, plan->schema(), [n, column, largest](const detail::PlanNode& input) {
        std::vector<std::string> names;
        for (const auto& f : input.schema()) names.push_back(f.name);
        const std::int64_t parts = input.npartitions();
        std::vector<Table> tops(static_cast<std::size_t>(parts));
        loom::detail::parallel_blocks(parts, [&](std::int64_t p) {
          tops[static_cast<std::size_t>(p)] = detail::top_rows(
              detail::select(input.partition(p, names), names), std::max<std::int64_t>(n, 0),
              column, largest);
        });
        return detail::top_rows(detail::concat_tables(input.schema(), tops),
                                std::max<std::int64_t>(n, 0), column, largest);
      });
}

}  // namespace

DataFrame DataFrame::nlargest(std::int64_t n, const std::string& column) const {
  return DataFrame(top_node(plan_, n, column, true));
}
DataFrame DataFrame::nsmallest(std::int64_t n, const std::string& column) const {
  return DataFrame(top_node(plan_, n, column, false));
}

}  // namespace loom::dataframe
