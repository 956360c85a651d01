// merge: a hash join on key columns (pandas' merge, how = "inner" or "left"; missing keys match
// each other, as pandas'). With
// dataframe.shuffle.method = "tasks" the right side is computed once and hashed, and each left
// partition is probed as it is produced. With "disk", both sides are cut by key hash into as
// many buckets as the left has partitions, the pieces written to files (loom::dump), and each
// output partition joins one bucket: only a bucket of each side is in memory at a time.
#include <algorithm>

#include <fmt/format.h>

#include "group_keys.hpp"
#include "loom/core/config.hpp"
#include "loom/core/detail/parallel_blocks.hpp"
#include "loom/core/error.hpp"
#include "loom/dataframe/dataframe.hpp"
#include "loom/dataframe/detail/column_builder.hpp"
#include "loom/io/dump.hpp"
#include "plan.hpp"

namespace loom::dataframe::detail {

namespace {

std::vector<const ColumnData*> key_columns(const Table& t, const std::vector<std::string>& on) {
  std::vector<const ColumnData*> keys;
  for (const auto& k : on) keys.push_back(&t.column(k).data());
  return keys;
}

// The join key of row i: as pandas' merge, missing values match each other (unlike SQL), so a
// missing value is a key of its own (a 0 byte; a value is a 1 byte and its encoding).
const std::string& join_key(const std::vector<const ColumnData*>& keys, std::int64_t i,
                            std::string& out) {
  out.clear();
  for (const auto* d : keys) {
    if (is_missing(*d, i)) {
      out.push_back('\0');
    } else {
      out.push_back('\1');
      encode_value(out, *d, i);
    }
  }
  return out;
}

}  // namespace

MergeNode::Index MergeNode::index_of(const Table& right) const {
  Index index;
  const auto keys = key_columns(right, on_);
  std::string key;
  for (std::int64_t i = 0; i < right.num_rows(); ++i) {
    index[join_key(keys, i, key)].push_back(i);
  }
  return index;
}

Table MergeNode::join(const Table& left, const Table& right, const Index& index) const {
  const auto keys = key_columns(left, on_);
  for (std::size_t k = 0; k < on_.size(); ++k) {
    if (keys[k]->dtype != right.column(on_[k]).dtype()) {  // a column widened while read
      throw SchemaError(fmt::format("merge: key '{}' holds {} on the left and {} on the right",
                                    on_[k], dtype_name(keys[k]->dtype),
                                    dtype_name(right.column(on_[k]).dtype())));
    }
  }
  std::vector<std::int64_t> left_rows;
  std::vector<std::int64_t> right_rows;  // -1: no match (left join)
  std::string key;
  for (std::int64_t i = 0; i < left.num_rows(); ++i) {
    const auto it = index.find(join_key(keys, i, key));
    if (it == index.end()) {
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
  for (const auto& name : right.column_names()) {
    if (std::find(on_.begin(), on_.end(), name) != on_.end()) continue;
    const ColumnData& d = right.column(name).data();
    ColumnBuilder b(d.dtype);
    b.reserve(static_cast<std::int64_t>(right_rows.size()));
    for (const std::int64_t r : right_rows) r < 0 ? b.append_null() : b.append_from(d, r);
    cols.push_back(b.finish());
  }
  std::vector<std::string> names;
  for (const auto& f : schema()) names.push_back(f.name);
  return Table(std::move(names), std::move(cols));
}

MergeNode::MergeNode(PlanPtr left, PlanPtr right, Schema schema, std::vector<std::string> on,
                     bool left_join)
    : StepNode(std::move(left), std::move(schema)),
      right_(std::move(right)),
      on_(std::move(on)),
      left_join_(left_join) {}

std::filesystem::path MergeNode::piece(char side, std::int64_t p, std::int64_t bucket) const {
  return folder_.path() / fmt::format("{}-{}-{}.bin", side, p, bucket);
}

void MergeNode::scatter(const PlanNode& plan, char side) const {
  const std::int64_t buckets = input_->npartitions();
  std::vector<std::string> names;
  for (const auto& f : plan.schema()) names.push_back(f.name);
  loom::detail::parallel_blocks(plan.npartitions(), [&](std::int64_t p) {
    const Table t = select(plan.partition(p, names), names);
    const auto keys = key_columns(t, on_);
    std::vector<std::vector<std::int64_t>> rows(static_cast<std::size_t>(buckets));
    std::string key;
    for (std::int64_t i = 0; i < t.num_rows(); ++i) {
      const std::uint64_t h = key_hash(join_key(keys, i, key));
      rows[static_cast<std::size_t>(h % static_cast<std::uint64_t>(buckets))].push_back(i);
    }
    for (std::int64_t b = 0; b < buckets; ++b) {
      const auto& r = rows[static_cast<std::size_t>(b)];
      if (r.empty()) continue;
      std::vector<Column> cols;
      for (const auto& c : t.columns()) cols.push_back(take(c, r));
      loom::dump(Table(t.column_names(), std::move(cols)), piece(side, p, b));
    }
  });
}

Table MergeNode::gather(const PlanNode& plan, char side, std::int64_t bucket) const {
  std::vector<Table> pieces;
  for (std::int64_t p = 0; p < plan.npartitions(); ++p) {
    const auto path = piece(side, p, bucket);
    if (std::filesystem::exists(path)) pieces.push_back(loom::load<Table>(path));
  }
  std::vector<std::string> names;
  for (const auto& f : plan.schema()) names.push_back(f.name);
  std::vector<Column> cols;
  for (std::size_t c = 0; c < names.size(); ++c) {
    std::vector<Column> parts;
    for (const auto& t : pieces) parts.push_back(t.column(c));
    cols.push_back(parts.empty() ? ColumnBuilder(plan.schema()[c].dtype).finish() : concat(parts));
  }
  return Table(std::move(names), std::move(cols));
}

void MergeNode::prepare() const {
  input_->prepare();
  std::call_once(once_, [this] {
    right_->prepare();
    disk_ = config::get("dataframe.shuffle.method") == "disk";
    if (!disk_) {
      right_table_ = compute_all(*right_);
      right_index_ = index_of(right_table_);
      return;
    }
    folder_ = loom::detail::TempFolder("merge");
    if (input_->npartitions() == 0) return;  // no buckets: nothing to join
    scatter(*right_, 'r');
    scatter(*input_, 'l');
  });
}

Table MergeNode::partition(std::int64_t p, const std::vector<std::string>& /*needed*/) const {
  prepare();
  if (!disk_) return join(input_->partition(p, {}), right_table_, right_index_);
  const Table right = gather(*right_, 'r', p);
  return join(gather(*input_, 'l', p), right, index_of(right));
}

}  // namespace loom::dataframe::detail

namespace loom::dataframe {

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

}  // namespace loom::dataframe
