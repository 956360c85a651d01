#pragma once
// The plan behind a DataFrame: nodes that produce partitions. Each node gets the columns its
// consumer needs and asks its input for those plus the ones it reads itself, so a CSV scan
// parses only what the whole plan uses (projection pushdown), and filters run on each
// partition as soon as it is parsed (predicate pushdown). A node's schema is the one it was
// built with (from its sources' samples); its resolved schema follows what its sources decide
// while they read (a CSV column revised to float64), and every computation runs against it
// (run_settled, csv/dtype_revisions.hpp). Private to src/dataframe.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/temp_folder.hpp"
#include "dataframe/csv/csv.hpp"
#include "dataframe/csv/dtype_revisions.hpp"
#include "loom/core/detail/assert.hpp"
#include "loom/dataframe/detail/expr.hpp"
#include "loom/dataframe/table.hpp"

namespace loom::dataframe::detail {

struct PartitionTasks;

class PlanNode {
 public:
  explicit PlanNode(Schema schema) : schema_(std::move(schema)) {}
  virtual ~PlanNode() = default;
  PlanNode(const PlanNode&) = delete;
  PlanNode& operator=(const PlanNode&) = delete;

  [[nodiscard]] const Schema& schema() const noexcept { return schema_; }
  [[nodiscard]] virtual std::int64_t npartitions() const = 0;
  /// Partition p with at least the columns `needed` (all of the schema when empty).
  [[nodiscard]] virtual Table partition(std::int64_t p,
                                        const std::vector<std::string>& needed) const = 0;
  /// Work done once for the whole plan before its partitions are asked for (aggregations).
  virtual void prepare() const {}
  /// The CSV source at the bottom of the plan, if any.
  [[nodiscard]] virtual const CsvSource* csv() const { return nullptr; }
  /// The schema in the dtypes the plan's sources hand partitions out in now (the built one
  /// until a source revises a column).
  [[nodiscard]] virtual Schema resolved_schema() const { return schema_; }
  /// How many dtypes the plan's sources have revised so far (run_settled).
  [[nodiscard]] virtual std::int64_t revisions() const { return 0; }
  /// The pending partition reads of reductions on this plan (reduce/partition_tasks.cpp).
  [[nodiscard]] std::shared_ptr<PartitionTasks> partition_tasks() const;

 protected:
  [[nodiscard]] std::vector<std::string> all_names() const {
    std::vector<std::string> out;
    for (const auto& f : schema_) out.push_back(f.name);
    return out;
  }

 private:
  Schema schema_;
  mutable std::mutex tasks_mutex_;
  mutable std::shared_ptr<PartitionTasks> tasks_;
};

using PlanPtr = std::shared_ptr<const PlanNode>;

/// `schema` with, for each column its input holds under that name in the same built dtype
/// (`input`, the input's schema), the input's resolved dtype (`resolved`, in the same order).
[[nodiscard]] inline Schema follow_input(Schema schema, const Schema& input,
                                         const Schema& resolved) {
  LOOM_ASSERT(input.size() == resolved.size(), "a resolved schema of other columns");
  for (auto& f : schema) {
    for (std::size_t c = 0; c < input.size(); ++c) {
      if (input[c].name == f.name && input[c].dtype == f.dtype) f.dtype = resolved[c].dtype;
    }
  }
  return schema;
}

class CsvScan final : public PlanNode {
 public:
  friend struct PlanExplainer;  // explain.cpp reads the step
  explicit CsvScan(std::shared_ptr<CsvSource> source);
  [[nodiscard]] std::int64_t npartitions() const override {
    return static_cast<std::int64_t>(source_->partitions().size());
  }
  [[nodiscard]] Table partition(std::int64_t p,
                                const std::vector<std::string>& needed) const override;
  [[nodiscard]] const CsvSource* csv() const override { return source_.get(); }
  [[nodiscard]] Schema resolved_schema() const override;
  [[nodiscard]] std::int64_t revisions() const override { return source_->dtype_revisions(); }
  void prepare() const override { source_->resolve(); }
  /// Partition p, and for each row whether one of `check_only` (columns not read) is missing.
  [[nodiscard]] Table partition_checking(std::int64_t p, const std::vector<std::string>& needed,
                                         const std::vector<std::string>& check_only,
                                         std::vector<std::uint8_t>& row_missing) const;

 private:
  std::shared_ptr<CsvSource> source_;
};

class MemoryScan final : public PlanNode {
 public:
  friend struct PlanExplainer;  // explain.cpp reads the step
  MemoryScan(Schema schema, std::vector<Table> tables)
      : PlanNode(std::move(schema)), tables_(std::move(tables)) {}
  [[nodiscard]] std::int64_t npartitions() const override {
    return static_cast<std::int64_t>(tables_.size());
  }
  [[nodiscard]] Table partition(std::int64_t p,
                                const std::vector<std::string>& /*needed*/) const override {
    LOOM_ASSERT(p >= 0 && static_cast<std::size_t>(p) < tables_.size(),
                "a partition past the frame's tables");
    return tables_[static_cast<std::size_t>(p)];
  }

 private:
  std::vector<Table> tables_;
};

/// A step with one input and as many partitions.
class StepNode : public PlanNode {
 public:
  friend struct PlanExplainer;  // explain.cpp reads the step
  StepNode(PlanPtr input, Schema schema) : PlanNode(std::move(schema)), input_(std::move(input)) {}
  [[nodiscard]] std::int64_t npartitions() const override { return input_->npartitions(); }
  void prepare() const override { input_->prepare(); }
  [[nodiscard]] const CsvSource* csv() const override { return input_->csv(); }
  /// The input's resolved dtypes for the columns this step passes on (same name and built
  /// dtype); a step that makes or renames columns says more.
  [[nodiscard]] Schema resolved_schema() const override {
    return follow_input(schema(), input_->schema(), input_->resolved_schema());
  }
  [[nodiscard]] std::int64_t revisions() const override { return input_->revisions(); }

 protected:
  PlanPtr input_;
};

class FilterNode final : public StepNode {
 public:
  FilterNode(PlanPtr input, ExprPtr mask)
      : StepNode(input, input->schema()), mask_(std::move(mask)) {}
  [[nodiscard]] Table partition(std::int64_t p,
                                const std::vector<std::string>& needed) const override;
  [[nodiscard]] const PlanPtr& input() const noexcept { return input_; }
  [[nodiscard]] const ExprPtr& mask() const noexcept { return mask_; }

 private:
  ExprPtr mask_;
};

class ProjectNode final : public StepNode {
 public:
  ProjectNode(PlanPtr input, Schema schema) : StepNode(std::move(input), std::move(schema)) {}
  [[nodiscard]] Table partition(std::int64_t p,
                                const std::vector<std::string>& needed) const override;
};

class AssignNode final : public StepNode {
 public:
  friend struct PlanExplainer;  // explain.cpp reads the step
  AssignNode(PlanPtr input, Schema schema, std::string name, ExprPtr value)
      : StepNode(std::move(input), std::move(schema)),
        name_(std::move(name)),
        value_(std::move(value)) {}
  [[nodiscard]] Table partition(std::int64_t p,
                                const std::vector<std::string>& needed) const override;
  [[nodiscard]] Schema resolved_schema() const override;

 private:
  std::string name_;
  ExprPtr value_;
};

class DropNaNode final : public StepNode {
 public:
  friend struct PlanExplainer;  // explain.cpp reads the step
  DropNaNode(PlanPtr input, std::vector<std::string> subset)
      : StepNode(input, input->schema()), subset_(std::move(subset)) {}
  [[nodiscard]] Table partition(std::int64_t p,
                                const std::vector<std::string>& needed) const override;

 private:
  std::vector<std::string> subset_;  // empty: every column
};

class FillNaNode final : public StepNode {
 public:
  friend struct PlanExplainer;  // explain.cpp reads the step
  FillNaNode(PlanPtr input, std::vector<std::pair<std::string, Literal>> values)
      : StepNode(input, input->schema()), values_(std::move(values)) {}
  [[nodiscard]] Table partition(std::int64_t p,
                                const std::vector<std::string>& needed) const override;

 private:
  std::vector<std::pair<std::string, Literal>> values_;
};

class RenameNode final : public StepNode {
 public:
  friend struct PlanExplainer;  // explain.cpp reads the step
  RenameNode(PlanPtr input, Schema schema, std::vector<std::pair<std::string, std::string>> map)
      : StepNode(std::move(input), std::move(schema)), map_(std::move(map)) {}
  [[nodiscard]] Table partition(std::int64_t p,
                                const std::vector<std::string>& needed) const override;
  [[nodiscard]] Schema resolved_schema() const override;

 private:
  std::vector<std::pair<std::string, std::string>> map_;  // old -> new
};

/// A step that needs its whole input at once (group-by aggregation, sort, drop_duplicates):
/// one partition, computed once (in prepare, before anything asks for it) by `compute`. Its
/// resolved schema is `resolve` of its input's (without one: the input's dtypes of the columns
/// it passes on).
class OnceNode final : public PlanNode {
 public:
  friend struct PlanExplainer;  // explain.cpp reads the step
  using Resolve = std::function<Schema(const Schema& input_resolved)>;
  OnceNode(PlanPtr input, Schema schema, std::function<Table(const PlanNode&)> compute,
           Resolve resolve = nullptr)
      : OnceNode(std::move(input), std::move(schema), "whole frame", std::move(compute),
                 std::move(resolve)) {}
  /// `label` names the step in explain(), visualize() and traces ("sort_values", "groupby").
  OnceNode(PlanPtr input, Schema schema, std::string label,
           std::function<Table(const PlanNode&)> compute, Resolve resolve = nullptr)
      : PlanNode(std::move(schema)),
        input_(std::move(input)),
        compute_(std::move(compute)),
        resolve_(std::move(resolve)),
        label_(std::move(label)) {}
  [[nodiscard]] std::int64_t npartitions() const override { return 1; }
  void prepare() const override {
    std::call_once(once_, [this] {
      input_->prepare();
      result_ = compute_(*input_);
    });
  }
  /// The result, in the dtypes resolved now (a column of the result computed before its
  /// source revised it to float64 is handed out as float64).
  [[nodiscard]] Table partition(std::int64_t /*p*/,
                                const std::vector<std::string>& /*needed*/) const override;
  [[nodiscard]] const CsvSource* csv() const override { return input_->csv(); }
  [[nodiscard]] Schema resolved_schema() const override;
  [[nodiscard]] std::int64_t revisions() const override { return input_->revisions(); }

 private:
  PlanPtr input_;
  std::function<Table(const PlanNode&)> compute_;
  Resolve resolve_;
  std::string label_;
  mutable std::once_flag once_;
  mutable Table result_;
};

class KeyIndex;

/// The rows of a table by join key (merge.cpp): the distinct keys in a KeyIndex (the group-by's
/// index of encoded keys), each key's rows in order in `rows` from starts[g] to starts[g + 1].
struct JoinIndex {
  JoinIndex();
  ~JoinIndex();
  JoinIndex(JoinIndex&&) noexcept;
  JoinIndex& operator=(JoinIndex&&) noexcept;
  std::unique_ptr<KeyIndex> keys;
  std::vector<std::int64_t> starts;
  std::vector<std::int64_t> rows;
};

/// A hash join (merge.cpp): with dataframe.shuffle.method = "tasks", the right side computed
/// once and hashed on the keys, each left partition probed as it is produced; with "disk",
/// both sides cut into buckets by key hash through files, partition b joining bucket b.
class MergeNode final : public StepNode {
 public:
  friend struct PlanExplainer;  // explain.cpp reads the step
  enum class How { kInner, kLeft, kRight, kOuter };
  MergeNode(PlanPtr left, PlanPtr right, Schema schema, std::vector<std::string> on, How how);
  [[nodiscard]] std::int64_t npartitions() const override;
  [[nodiscard]] Schema resolved_schema() const override;
  [[nodiscard]] std::int64_t revisions() const override {
    return input_->revisions() + right_->revisions();
  }
  void prepare() const override;
  [[nodiscard]] Table partition(std::int64_t p,
                                const std::vector<std::string>& needed) const override;

 private:
  using Index = JoinIndex;
  // Row pairs of an output partition: left row, right row (-1: none on that side).
  struct Pairs {
    std::vector<std::int64_t> left;
    std::vector<std::int64_t> right;
  };
  [[nodiscard]] Index index_of(const Table& t) const;
  void check_keys(const Table& left, const Table& right) const;
  [[nodiscard]] Pairs probe(const Table& probing, const Index& index, bool keep_unmatched,
                            bool probing_left) const;
  [[nodiscard]] Table output(const Table& left, const Table& right, const Pairs& pairs) const;
  [[nodiscard]] Table unmatched_right() const;
  [[nodiscard]] std::filesystem::path piece(char side, std::int64_t p, std::int64_t bucket) const;
  void scatter(const PlanNode& plan, char side) const;
  [[nodiscard]] Table gather(const PlanNode& plan, char side, std::int64_t bucket) const;
  [[nodiscard]] Table join_bucket(std::int64_t bucket) const;

  PlanPtr right_;
  std::vector<std::string> on_;
  How how_;
  mutable std::once_flag once_;
  mutable bool disk_ = false;
  // "tasks": the side not streamed, computed once and hashed (the right one; the left one for
  // a right join).
  mutable Table held_;
  mutable Index held_index_;
  mutable loom::detail::TempFolder folder_;  // "disk": the pieces
};

struct PlanExplainer;
/// The step's name in traces, explain() and visualize(): "read_csv", "filter", "groupby"...
std::string step_name(const PlanNode& plan);
/// explain(): one line per step, the top step first.
std::string explain_plan(const PlanNode& plan);
/// visualize(): the plan as Graphviz DOT.
std::string plan_dot(const PlanNode& plan);

/// Every partition of `plan` (the schema's columns, in order), computed in parallel in one
/// settled run: each column in one dtype, its resolved one.
std::vector<Table> compute_partitions(const PlanNode& plan);
/// The same, with the resolved schema the partitions hold.
std::pair<Schema, std::vector<Table>> compute_resolved_partitions(const PlanNode& plan);
/// Every partition of `plan` joined into one table with the schema's columns.
Table compute_all(const PlanNode& plan);
/// Tables with `schema`'s columns (in order) one after another; empty columns of the schema's
/// dtypes when there are none.
Table concat_tables(const Schema& schema, const std::vector<Table>& parts);

/// What one aggregated output column computes.
struct AggSpec {
  std::string column;  // input column ("" for size)
  std::string fn;      // sum, mean, std, var, min, max, count, size, first, last, nunique
  std::string output;  // result column name
};

/// The table of `t`'s columns `names` in that order.
Table select(const Table& t, const std::vector<std::string>& names);
/// `t` with its column `name` converted to `type` (shared as it is where it has that type).
Table with_dtype(const Table& t, const std::string& name, DType type);
/// The group-by itself (src/dataframe/groupby/groupby.cpp): partials per partition, merged,
/// sorted, in one settled run; the result's dtypes are aggregate_schema of the input's resolved
/// schema (`result_schema`, built from the input's built one, names the same columns).
Table aggregate(const PlanNode& input, const std::vector<std::string>& keys,
                const std::vector<AggSpec>& aggs, const Schema& result_schema);
/// The result schema of an aggregation (SchemaError for unknown columns or functions that do
/// not apply to a column's type).
Schema aggregate_schema(const Schema& input, const std::vector<std::string>& keys,
                        const std::vector<AggSpec>& aggs);
/// The dtype `e` has over columns of `schema`'s dtypes (an int expression over a column a
/// source revised to float64 is float64), as evaluate makes it (src/dataframe/expr/expr.cpp).
DType resolved_dtype(const Expr& e, const Schema& schema);
/// query()'s parser (src/dataframe/expr/query.cpp).
ExprPtr parse_query(const std::string& text, const Schema& schema,
                    const std::map<std::string, Literal>& vars);

}  // namespace loom::dataframe::detail
