// DataFrame::explain() and visualize(): the plan step by step, with the columns each step is
// asked for (projection pushdown), the filters that run on each partition as it is read
// (predicate pushdown) and the partition counts. The columns follow the same rules as the
// steps' partition() functions in dataframe.cpp.

#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "dataframe/plan.hpp"

namespace loom::dataframe::detail {

struct PlanExplainer {
  struct Step {
    int id;
    int depth;
    std::string name;
    std::string detail;                // what the step does ("(v3 > 50)")
    std::vector<std::string> columns;  // asked for
    std::vector<std::string> filters;  // run on each partition as it is read (scans)
    std::int64_t partitions;
    std::vector<int> inputs;
  };
  std::vector<Step> steps;

  static std::vector<std::string> names_of(const Schema& schema) {
    std::vector<std::string> out;
    for (const auto& f : schema) out.push_back(f.name);
    return out;
  }
  static void add_unique(std::vector<std::string>& out, const std::string& name) {
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }

  static std::string name(const PlanNode& n) {
    if (dynamic_cast<const CsvScan*>(&n) != nullptr) return "read_csv";
    if (dynamic_cast<const MemoryScan*>(&n) != nullptr) return "from_tables";
    if (dynamic_cast<const FilterNode*>(&n) != nullptr) return "filter";
    if (dynamic_cast<const ProjectNode*>(&n) != nullptr) return "project";
    if (dynamic_cast<const AssignNode*>(&n) != nullptr) return "assign";
    if (dynamic_cast<const DropNaNode*>(&n) != nullptr) return "dropna";
    if (dynamic_cast<const FillNaNode*>(&n) != nullptr) return "fillna";
    if (dynamic_cast<const RenameNode*>(&n) != nullptr) return "rename";
    if (const auto* once = dynamic_cast<const OnceNode*>(&n)) return once->label_;
    if (dynamic_cast<const MergeNode*>(&n) != nullptr) return "merge";
    return "step";
  }

  // Visits `n`, asked for `needed` (never empty here: a compute asks for the whole schema),
  // with `filters` the filters above it on the same partitions; returns its step's id.
  int visit(const PlanNode& n, std::vector<std::string> needed, std::vector<std::string> filters,
            int depth) {
    const int id = static_cast<int>(steps.size());
    steps.push_back({id, depth, name(n), "", needed, {}, n.npartitions(), {}});
    auto input_of = [&](const PlanPtr& input, std::vector<std::string> ask,
                        std::vector<std::string> f) {
      const int in = visit(*input, std::move(ask), std::move(f), depth + 1);
      steps[static_cast<std::size_t>(id)].inputs.push_back(in);
    };
    auto with = [&](std::vector<std::string> extra) {
      std::vector<std::string> out = needed;
      for (const auto& e : extra) add_unique(out, e);
      return out;
    };
    if (const auto* csv = dynamic_cast<const CsvScan*>(&n)) {
      const auto& files = csv->source_->files();
      steps[static_cast<std::size_t>(id)].detail =
          files.size() == 1 ? fmt::format("'{}'", files[0]) : fmt::format("{} files", files.size());
      steps[static_cast<std::size_t>(id)].filters = std::move(filters);
    } else if (dynamic_cast<const MemoryScan*>(&n) != nullptr) {
      steps[static_cast<std::size_t>(id)].filters = std::move(filters);
    } else if (const auto* f = dynamic_cast<const FilterNode*>(&n)) {
      const std::string mask = describe(*f->mask());
      steps[static_cast<std::size_t>(id)].detail = mask;
      std::vector<std::string> refs;
      referenced_columns(*f->mask(), refs);
      filters.push_back(mask);
      input_of(f->input(), with(refs), std::move(filters));
    } else if (const auto* p = dynamic_cast<const ProjectNode*>(&n)) {
      input_of(p->input_, needed, std::move(filters));
    } else if (const auto* a = dynamic_cast<const AssignNode*>(&n)) {
      steps[static_cast<std::size_t>(id)].detail =
          fmt::format("{} = {}", a->name_, describe(*a->value_));
      std::vector<std::string> ask;
      for (const auto& c : needed) {
        if (c != a->name_) ask.push_back(c);
      }
      std::vector<std::string> refs;
      referenced_columns(*a->value_, refs);
      for (const auto& r : refs) add_unique(ask, r);
      if (ask.empty() && !a->input_->schema().empty()) ask.push_back(a->input_->schema()[0].name);
      input_of(a->input_, ask, std::move(filters));
    } else if (const auto* d = dynamic_cast<const DropNaNode*>(&n)) {
      const std::vector<std::string> subset =
          d->subset_.empty() ? names_of(d->schema()) : d->subset_;
      steps[static_cast<std::size_t>(id)].detail =
          fmt::format("subset [{}]", fmt::join(subset, ", "));
      filters.push_back(fmt::format("dropna [{}]", fmt::join(subset, ", ")));
      input_of(d->input_, with(subset), std::move(filters));
    } else if (const auto* fill = dynamic_cast<const FillNaNode*>(&n)) {
      std::vector<std::string> cols;
      for (const auto& [c, v] : fill->values_) cols.push_back(c);
      steps[static_cast<std::size_t>(id)].detail = fmt::format("in [{}]", fmt::join(cols, ", "));
      input_of(fill->input_, needed, std::move(filters));
    } else if (const auto* r = dynamic_cast<const RenameNode*>(&n)) {
      std::vector<std::string> ask;
      std::vector<std::string> pairs;
      for (const auto& c : needed) {
        std::string old = c;
        for (const auto& [from, to] : r->map_) {
          if (to == c) old = from;
        }
        ask.push_back(old);
      }
      for (const auto& [from, to] : r->map_) pairs.push_back(fmt::format("{} -> {}", from, to));
      steps[static_cast<std::size_t>(id)].detail = fmt::format("{}", fmt::join(pairs, ", "));
      input_of(r->input_, ask, std::move(filters));
    } else if (const auto* once = dynamic_cast<const OnceNode*>(&n)) {
      // A whole-frame step reads every column of its input, and no filter runs below it.
      input_of(once->input_, names_of(once->input_->schema()), {});
    } else if (const auto* m = dynamic_cast<const MergeNode*>(&n)) {
      steps[static_cast<std::size_t>(id)].detail = fmt::format("on [{}]", fmt::join(m->on_, ", "));
      input_of(m->input_, names_of(m->input_->schema()), {});
      input_of(m->right_, names_of(m->right_->schema()), {});
    }
    return id;
  }

  explicit PlanExplainer(const PlanNode& plan) { visit(plan, names_of(plan.schema()), {}, 0); }
};

std::string step_name(const PlanNode& plan) { return PlanExplainer::name(plan); }

std::string explain_plan(const PlanNode& plan) {
  const PlanExplainer e(plan);
  std::string out;
  for (const auto& s : e.steps) {
    out += std::string(static_cast<std::size_t>(2 * s.depth), ' ');
    out += s.name;
    if (!s.detail.empty()) out += " " + s.detail;
    out += fmt::format("  columns=[{}]", fmt::join(s.columns, ", "));
    if (!s.filters.empty()) out += fmt::format("  filters=[{}]", fmt::join(s.filters, ", "));
    out += fmt::format("  partitions={}\n", s.partitions);
  }
  return out;
}

namespace {
std::string dot_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}
}  // namespace

std::string plan_dot(const PlanNode& plan) {
  const PlanExplainer e(plan);
  std::string dot = "digraph loom_dataframe {\n  rankdir=BT;\n  node [shape=box];\n";
  for (const auto& s : e.steps) {
    std::string label = s.name;
    if (!s.detail.empty()) label += "\\n" + dot_escape(s.detail);
    label += "\\ncolumns: " + dot_escape(fmt::format("{}", fmt::join(s.columns, ", ")));
    if (!s.filters.empty()) {
      label += "\\nfilters: " + dot_escape(fmt::format("{}", fmt::join(s.filters, ", ")));
    }
    label += fmt::format("\\n{} partitions", s.partitions);
    dot += fmt::format("  n{} [label=\"{}\"];\n", s.id, label);
  }
  for (const auto& s : e.steps) {
    for (int in : s.inputs) dot += fmt::format("  n{} -> n{};\n", in, s.id);
  }
  dot += "}\n";
  return dot;
}

}  // namespace loom::dataframe::detail
