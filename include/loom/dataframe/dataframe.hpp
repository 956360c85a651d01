#pragma once
// dd::DataFrame: a lazy, partitioned dataframe (dask.dataframe). It holds a plan — a source
// (CSV files cut into partitions, or partitions kept in memory) and the steps on top — that
// compute() runs partition by partition in parallel on loom's pool, reading only the columns
// the plan needs and filtering each partition as it is read.
//
//   namespace dd = loom::dataframe;
//   dd::DataFrame df = dd::read_csv("data/*.csv", {.blocksize = "100MB"});
//   dd::Table t = df[df["value"] > 100].groupby("category")["value"].mean().compute();

#include <cstdint>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "loom/core/config.hpp"
#include "loom/core/error.hpp"
#include "loom/dataframe/csv_options.hpp"
#include "loom/dataframe/series.hpp"
#include "loom/dataframe/table.hpp"

namespace loom::dataframe {

namespace detail {
class PlanNode;
struct AggSpec;
}  // namespace detail

/// A set of dtypes for select_dtypes: one dtype, or a group such as dd::number.
struct DTypeGroup {
  std::vector<DType> members;
  DTypeGroup(DType t) : members{t} {}  // NOLINT(google-explicit-constructor)
  DTypeGroup(std::initializer_list<DType> ts) : members(ts) {}
};
/// NumPy's np.number: the numeric dtypes (not bool).
inline const DTypeGroup number{DType::int64, DType::float64};

struct SelectDtypesOptions {
  std::vector<DTypeGroup> include{};
  std::vector<DTypeGroup> exclude{};
};

struct QueryOptions {
  /// Values for `@name` in the expression.
  std::map<std::string, Scalar> vars{};
};

/// map_partitions' output schema: the columns and dtypes each partition's result has. Empty:
/// found by running the function on an empty table of the input's schema (Dask's rule).
struct MapPartitionsOptions {
  std::vector<std::pair<std::string, DType>> meta;
};

/// merge on differently named keys: left_on[i] of this frame matches right_on[i] of the other.
struct MergeOptions {
  std::vector<std::string> left_on{};
  std::vector<std::string> right_on{};
  std::string how = "inner";
};

class DataFrame;

/// A lazy frame over CSV files (a path or a glob such as "data/*.csv"): columns and dtypes come
/// from the header and a sample (the first 256 KB of the first file); files are cut into
/// partitions of about `blocksize` bytes on row boundaries (quotes respected). A missing file is
/// a loom::Error naming it.
[[nodiscard]] DataFrame read_csv(const std::string& path_or_glob,
                                 const ReadCsvOptions& options = {});

/// `df.groupby(keys)`, optionally with columns selected (`["v"]`): each aggregation is a lazy
/// DataFrame whose compute() gives the keys as leading columns, sorted, then the aggregates.
class GroupBy {
 public:
  [[nodiscard]] GroupBy operator[](const std::string& column) const;
  [[nodiscard]] GroupBy operator[](const char* column) const {
    return (*this)[std::string(column)];
  }
  [[nodiscard]] GroupBy operator[](std::initializer_list<std::string> columns) const {
    return (*this)[std::vector<std::string>(columns)];
  }
  [[nodiscard]] GroupBy operator[](const std::vector<std::string>& columns) const;

  [[nodiscard]] DataFrame sum() const;
  [[nodiscard]] DataFrame mean() const;
  /// Sample standard deviation and variance (ddof 1, as pandas).
  [[nodiscard]] DataFrame std() const;
  [[nodiscard]] DataFrame var() const;
  [[nodiscard]] DataFrame min() const;
  [[nodiscard]] DataFrame max() const;
  [[nodiscard]] DataFrame count() const;
  /// Rows per group (a column named "size").
  [[nodiscard]] DataFrame size() const;
  [[nodiscard]] DataFrame first() const;
  [[nodiscard]] DataFrame last() const;
  [[nodiscard]] DataFrame nunique() const;
  /// Several functions per column: `agg({{"v", {"mean", "std", "count"}}})` → columns v_mean,
  /// v_std, v_count.
  [[nodiscard]] DataFrame agg(
      const std::vector<std::pair<std::string, std::vector<std::string>>>& spec) const;

 private:
  friend class DataFrame;  // (df.groupby: the only way to make one)
  GroupBy(std::shared_ptr<const detail::PlanNode> plan, std::vector<std::string> keys,
          std::vector<std::string> selected);

  [[nodiscard]] DataFrame single(const std::string& fn) const;
  [[nodiscard]] DataFrame aggregated(std::vector<detail::AggSpec> aggs) const;

  std::shared_ptr<const detail::PlanNode> plan_;
  std::vector<std::string> keys_;
  std::vector<std::string> selected_;
};

class DataFrame {
 public:
  /// A frame of one partition per table (all with the same columns).
  static DataFrame from_tables(std::vector<Table> partitions);

  /// Column names and dtypes (from the CSV sample: nothing else is read).
  [[nodiscard]] std::vector<std::string> columns() const;
  [[nodiscard]] std::vector<std::pair<std::string, DType>> dtypes() const;
  [[nodiscard]] std::int64_t npartitions() const;

  /// A column expression; loom::SchemaError for an unknown column.
  [[nodiscard]] Series operator[](const std::string& column) const;
  [[nodiscard]] Series operator[](const char* column) const { return (*this)[std::string(column)]; }
  /// The rows where `mask` (a bool Series of this frame) is true.
  [[nodiscard]] DataFrame operator[](const Series& mask) const;
  /// Only these columns, in this order.
  [[nodiscard]] DataFrame operator[](std::initializer_list<std::string> columns) const {
    return (*this)[std::vector<std::string>(columns)];
  }
  [[nodiscard]] DataFrame operator[](const std::vector<std::string>& columns) const;

  /// A new (or replaced) column computed from an expression.
  [[nodiscard]] DataFrame assign(const std::string& name, const Series& value) const;
  /// Rows where a pandas-like boolean expression holds ("v3 > 50 and id1 in ['id001']").
  /// loom::ParseError names the position of a syntax error (file "query", line 1).
  [[nodiscard]] DataFrame query(const std::string& expr, const QueryOptions& options = {}) const;
  /// Rows without missing values (in `subset`, or in any column).
  [[nodiscard]] DataFrame dropna() const { return dropna(std::vector<std::string>{}); }
  [[nodiscard]] DataFrame dropna(std::initializer_list<std::string> subset) const {
    return dropna(std::vector<std::string>(subset));
  }
  [[nodiscard]] DataFrame dropna(const std::vector<std::string>& subset) const;
  /// Missing values replaced: one value for every column it fits, or per column.
  [[nodiscard]] DataFrame fillna(const Scalar& value) const;
  [[nodiscard]] DataFrame fillna(const std::map<std::string, Scalar>& values) const;
  [[nodiscard]] DataFrame select_dtypes(const SelectDtypesOptions& options) const;
  [[nodiscard]] DataFrame rename(const std::map<std::string, std::string>& columns) const;

  /// Rows ordered by `by` (stable, missing values last), as one partition.
  [[nodiscard]] DataFrame sort_values(const std::vector<std::string>& by,
                                      bool ascending = true) const;
  [[nodiscard]] DataFrame sort_values(std::initializer_list<std::string> by,
                                      bool ascending = true) const {
    return sort_values(std::vector<std::string>(by), ascending);
  }
  [[nodiscard]] DataFrame sort_values(const std::string& by, bool ascending = true) const {
    return sort_values(std::vector<std::string>{by}, ascending);
  }
  [[nodiscard]] DataFrame sort_values(const char* by, bool ascending = true) const {
    return sort_values(std::string(by), ascending);
  }
  /// The first row of each distinct combination of `subset` (all columns when empty).
  [[nodiscard]] DataFrame drop_duplicates(const std::vector<std::string>& subset = {}) const;
  [[nodiscard]] DataFrame drop_duplicates(std::initializer_list<std::string> subset) const {
    return drop_duplicates(std::vector<std::string>(subset));
  }
  /// A hash join on the key columns `on` (pandas' merge): how = "inner", "left", "right" or
  /// "outer"; missing keys match each other, as pandas'. One side is computed once and hashed
  /// (the right; the left for "right") and the other is joined partition by partition as it is
  /// read. Rows come in the streamed side's order; an outer join's right rows that matched
  /// nothing come last (pandas sorts an outer join's keys: sort_values gives that order). Other
  /// columns present on both sides get the suffixes "_x" and "_y".
  [[nodiscard]] DataFrame merge(const DataFrame& right, const std::vector<std::string>& on,
                                const std::string& how = "inner") const;
  [[nodiscard]] DataFrame merge(const DataFrame& right, std::initializer_list<std::string> on,
                                const std::string& how = "inner") const {
    return merge(right, std::vector<std::string>(on), how);
  }
  [[nodiscard]] DataFrame merge(const DataFrame& right, const std::string& on,
                                const std::string& how = "inner") const {
    return merge(right, std::vector<std::string>{on}, how);
  }
  [[nodiscard]] DataFrame merge(const DataFrame& right, const char* on,
                                const std::string& how = "inner") const {
    return merge(right, std::string(on), how);
  }
  /// Keys with other names on each side (pandas' left_on/right_on): both key columns are kept.
  /// An int64 key matches a float64 key by value (1 matches 1.0), as pandas. Name the options
  /// type at the call, `df.merge(other, dd::MergeOptions{.left_on = {"a"}, .right_on = {"b"}})`:
  /// a bare braced list would also fit the `on` overloads.
  [[nodiscard]] DataFrame merge(const DataFrame& right, const MergeOptions& options) const;

  /// Reductions of every numeric (int64, float64) column, lazy (pandas' numeric_only=True):
  /// a one-row table with a column per numeric column. Missing values are left out (skipna);
  /// result dtypes as the Series reductions (sum/min/max of ints int64, mean/std/var float64,
  /// count int64). Several computed together read the partitions once.
  [[nodiscard]] Delayed<Table> sum() const;
  [[nodiscard]] Delayed<Table> mean() const;
  [[nodiscard]] Delayed<Table> min() const;
  [[nodiscard]] Delayed<Table> max() const;
  [[nodiscard]] Delayed<Table> count() const;
  [[nodiscard]] Delayed<Table> std(int ddof = 1) const;
  [[nodiscard]] Delayed<Table> var(int ddof = 1) const;

  /// The n rows with the largest (smallest) values of `column`, in that order; ties keep the
  /// earlier row first, missing values never come (pandas' nlargest(n, column, keep="first")).
  [[nodiscard]] DataFrame nlargest(std::int64_t n, const std::string& column) const;
  [[nodiscard]] DataFrame nsmallest(std::int64_t n, const std::string& column) const;

  /// `f` on every partition (lazy; Dask's map_partitions): `f(partition)` becomes the output
  /// partition. Its columns and dtypes are `options.meta`, else those of `f(empty table of this
  /// frame's schema)`, found now. An exception in `f` is a loom::TaskError naming the partition
  /// (the original nested); a result whose columns or dtypes differ from the schema is a
  /// SchemaError naming the partition and the column.
  template <class F>
  requires std::is_invocable_r_v<Table, F&, const Table&>
  [[nodiscard]] DataFrame map_partitions(F f, MapPartitionsOptions options = {}) const {
    return map_partitions_erased(std::function<Table(const Table&)>(std::move(f)),
                                 std::move(options));
  }

  /// count, mean, std, min, 25%, 50%, 75%, max of the numeric columns (pandas' describe): a
  /// table whose first column, "stat", names the rows.
  [[nodiscard]] Table describe() const;

  [[nodiscard]] GroupBy groupby(const std::string& key) const {
    return groupby(std::vector<std::string>{key});
  }
  [[nodiscard]] GroupBy groupby(const char* key) const { return groupby(std::string(key)); }
  [[nodiscard]] GroupBy groupby(std::initializer_list<std::string> keys) const {
    return groupby(std::vector<std::string>(keys));
  }
  [[nodiscard]] GroupBy groupby(const std::vector<std::string>& keys) const;

  /// Runs the plan: every partition in parallel, then the partitions one after another.
  [[nodiscard]] Table compute() const;
  /// The first n rows (reads partitions only until it has them).
  [[nodiscard]] Table head(std::int64_t n = 5) const;
  /// The number of rows.
  [[nodiscard]] std::int64_t len() const;
  /// Computes each partition once and keeps it in memory: later work starts from there
  /// (the files are not read again).
  [[nodiscard]] DataFrame persist() const;
  /// Computes and writes one CSV file (no index column).
  void to_csv(const std::filesystem::path& path) const { compute().to_csv(path); }

  /// The plan, one line per step from the top one down (inputs indented): the step, the
  /// columns it is asked for (projection pushdown), for a source the filters that run on each
  /// partition as it is read (predicate pushdown), and its partition count.
  [[nodiscard]] std::string explain() const;
  /// Writes the plan to `path` as explain() describes it, one box per step: `.dot`/`.gv` as
  /// Graphviz DOT text; `.svg`, `.png`, `.pdf` drawn by Graphviz's `dot`; another extension is
  /// a loom::ConfigError. A loom::Error when the file cannot be written or `dot` is missing.
  void visualize(const std::filesystem::path& path) const;

  /// CSV partitions parsed so far by the source under this frame (0 for in-memory frames):
  /// a persisted frame reads no more.
  [[nodiscard]] std::int64_t partitions_read() const;

 private:
  // Frames are made by read_csv, from_tables and the steps of other frames, on a plan built
  // inside the library.
  friend class GroupBy;
  friend DataFrame read_csv(const std::string& path_or_glob, const ReadCsvOptions& options);
  friend class Series;
  explicit DataFrame(std::shared_ptr<const detail::PlanNode> plan) : plan_(std::move(plan)) {}
  [[nodiscard]] DataFrame map_partitions_erased(std::function<Table(const Table&)> f,
                                                MapPartitionsOptions options) const;
  [[nodiscard]] Delayed<Table> reduce_columns(const std::string& fn, int ddof) const;
  [[nodiscard]] const std::shared_ptr<const detail::PlanNode>& plan() const noexcept {
    return plan_;
  }

  std::shared_ptr<const detail::PlanNode> plan_;
};

/// The rows of a frame (Python's len(df)).
[[nodiscard]] inline std::int64_t len(const DataFrame& df) { return df.len(); }

}  // namespace loom::dataframe
