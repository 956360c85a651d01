// merge: a hash join on key columns (pandas' merge, how = "inner", "left", "right" or "outer";
// missing keys match each other, as pandas'). With dataframe.shuffle.method = "tasks" one side
// is computed once and hashed (the right; the left for a right join) and the other's partitions
// are probed as they are produced; an outer join ends with a partition of the right rows no left
// key matched. With "disk", both sides are cut by key hash into as many buckets as the left has
// partitions, the pieces written to files (loom::dump), and each output partition joins one
// bucket: only a bucket of each side is in memory at a time.
#include <algorithm>
#include <atomic>

#include <fmt/format.h>

#include "dataframe/groupby/group_keys.hpp"
#include "loom/core/config.hpp"
#include "loom/core/detail/parallel_blocks.hpp"
#include "loom/core/detail/assert.hpp"
#include "loom/core/error.hpp"
#include "loom/dataframe/dataframe.hpp"
#include "dataframe/column_builder.hpp"
#include "loom/io/dump.hpp"
#include "dataframe/plan.hpp"

namespace loom::dataframe::detail {

namespace {

std::vector<const ColumnData*> key_columns(const Table& t, const std::vector<std::string>& on) {
  std::vector<const ColumnData*> keys;
  for (const auto& k : on) keys.push_back(&detail::data_of(t.column(k)));
  return keys;
}

// The join key of row i: as pandas' merge, missing values match each other (unlike SQL), so a
// missing value is a key of its own (a 0 byte; a value is a 1 byte and its encoding). Numbers
// by value: the two sides' sources decide their dtypes independently (one may revise the key to
// float64, and the side held for probing is read once), so 3 on one side matches 3.0 on the
// other.
const std::string& join_key(const std::vector<const ColumnData*>& keys, std::int64_t i,
                            std::string& out) {
  out.clear();
  for (const auto* d : keys) {
    if (d->is_missing(i)) {
      out.push_back('\0');
    } else {
      out.push_back('\1');
      encode_by_value(out, *d, i);
    }
  }
  return out;
}

}  // namespace

JoinIndex::JoinIndex() : keys(std::make_unique<KeyIndex>(false)) {}
JoinIndex::~JoinIndex() = default;
JoinIndex::JoinIndex(JoinIndex&&) noexcept = default;
JoinIndex& JoinIndex::operator=(JoinIndex&&) noexcept = default;

// Each row's key found (or added) in the index, then the rows grouped by key in their order.
MergeNode::Index MergeNode::index_of(const Table& t) const {
  Index index;
  const auto keys = key_columns(t, on_);
  const auto n = static_cast<std::size_t>(t.num_rows());
  std::vector<std::int32_t> key_of(n);
  std::string key;
  for (std::size_t i = 0; i < n; ++i) {
    join_key(keys, static_cast<std::int64_t>(i), key);
    key_of[i] = index.keys->find_or_add(key_hash(key), 0, key);
  }
  index.starts.assign(index.keys->keys().size() + 1, 0);
  for (const std::int32_t g : key_of) ++index.starts[static_cast<std::size_t>(g) + 1];
  for (std::size_t g = 1; g < index.starts.size(); ++g) index.starts[g] += index.starts[g - 1];
  std::vector<std::int64_t> at(index.starts.begin(), index.starts.end() - 1);
  index.rows.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    index.rows[static_cast<std::size_t>(at[static_cast<std::size_t>(key_of[i])]++)] =
        static_cast<std::int64_t>(i);
  }
  return index;
}

void MergeNode::check_keys(const Table& left, const Table& right) const {
  if (left.num_rows() == 0 || right.num_rows() == 0) return;  // nothing to match
  for (const auto& k : on_) {
    const DType a = left.column(k).dtype();
    const DType b = right.column(k).dtype();
    if (!common_dtype(a, b)) {  // (an int key matches a key one side's source revised to floats)
      throw SchemaError(fmt::format("merge: key '{}' holds {} on the left and {} on the right", k,
                                    dtype_name(a), dtype_name(b)));
    }
  }
}

// Every row of `probing` in order with its matches in `index` (rows of the other side, in
// their order), or alone (-1 on the other side) when it has none and `keep_unmatched`.
MergeNode::Pairs MergeNode::probe(const Table& probing, const Index& index, bool keep_unmatched,
                                  bool probing_left) const {
  Pairs out;
  auto& mine = probing_left ? out.left : out.right;
  auto& theirs = probing_left ? out.right : out.left;
  const auto keys = key_columns(probing, on_);
  std::string key;
  for (std::int64_t i = 0; i < probing.num_rows(); ++i) {
    join_key(keys, i, key);
    const std::int32_t g = index.keys->find(key_hash(key), key);
    if (g < 0) {
      if (keep_unmatched) {
        mine.push_back(i);
        theirs.push_back(-1);
      }
      continue;
    }
    const auto u = static_cast<std::size_t>(g);
    LOOM_ASSERT(u + 1 < index.starts.size(), "a join key past the index's row ranges");
    for (std::int64_t k = index.starts[u]; k < index.starts[u + 1]; ++k) {
      mine.push_back(i);
      theirs.push_back(index.rows[static_cast<std::size_t>(k)]);
    }
  }
  return out;
}

namespace {

// Rows `rows` of `d` (-1: a missing value), in d's dtype; `d` may be null when every row is -1:
// then `type`.
Column take_or_null(const ColumnData* d, DType type, const std::vector<std::int64_t>& rows) {
  ColumnBuilder b(d != nullptr ? d->dtype : type);
  b.reserve(static_cast<std::int64_t>(rows.size()));
  for (const std::int64_t r : rows) r < 0 ? b.append_null() : b.append_from(*d, r);
  return b.finish();
}

}  // namespace

// The left's columns (keys included: from the right row where there is no left one), then the
// right's other columns; names from the schema. A side without rows in `pairs` may be an empty
// table.
Table MergeNode::output(const Table& left, const Table& right, const Pairs& pairs) const {
  const Schema& ls = input_->schema();
  const auto n = static_cast<std::int64_t>(pairs.left.size());
  const bool all_left = left.num_columns() != 0 &&
                        std::find(pairs.left.begin(), pairs.left.end(), -1) == pairs.left.end();
  std::vector<Column> cols;
  for (const auto& f : ls) {
    const bool key = std::find(on_.begin(), on_.end(), f.name) != on_.end();
    if (all_left) {
      cols.push_back(take(left.column(f.name), pairs.left));
    } else if (!key) {
      const ColumnData* l =
          left.num_columns() == 0 ? nullptr : &detail::data_of(left.column(f.name));
      cols.push_back(take_or_null(l, f.dtype, pairs.left));
    } else {
      const ColumnData* l =
          left.num_columns() == 0 ? nullptr : &detail::data_of(left.column(f.name));
      const ColumnData& r = detail::data_of(right.column(f.name));
      // Both sides' common dtype (check_keys: one side's source may have revised its key).
      const DType type = l != nullptr ? common_dtype(l->dtype, r.dtype).value_or(r.dtype) : r.dtype;
      ColumnBuilder b(type);
      b.reserve(n);
      for (std::int64_t k = 0; k < n; ++k) {
        const auto u = static_cast<std::size_t>(k);
        pairs.left[u] >= 0 ? b.append_from(*l, pairs.left[u]) : b.append_from(r, pairs.right[u]);
      }
      cols.push_back(b.finish());
    }
  }
  for (const auto& f : right_->schema()) {
    if (std::find(on_.begin(), on_.end(), f.name) != on_.end()) continue;
    cols.push_back(take_or_null(&detail::data_of(right.column(f.name)), f.dtype, pairs.right));
  }
  // Handed out in the merge's resolved dtypes, as every partition of a run holds them: a key
  // whose other side's source revised it to float64, a column of a side without rows here.
  const Schema resolved = resolved_schema();
  std::vector<std::string> names;
  for (std::size_t c = 0; c < cols.size(); ++c) {
    names.push_back(resolved[c].name);
    const DType have = cols[c].dtype();
    if (have != resolved[c].dtype && common_dtype(have, resolved[c].dtype) == resolved[c].dtype) {
      cols[c] = cast(cols[c], resolved[c].dtype);
    }
  }
  return Table(std::move(names), std::move(cols));
}

// The left's resolved columns (a key in both sides' common dtype), then the right's others.
Schema MergeNode::resolved_schema() const {
  Schema out = schema();
  const Schema left = input_->resolved_schema();
  const Schema right = right_->resolved_schema();
  std::size_t k = 0;
  for (; k < left.size(); ++k) {
    out[k].dtype = left[k].dtype;
    if (std::find(on_.begin(), on_.end(), left[k].name) == on_.end()) continue;
    const DType theirs = schema_type(right, left[k].name);
    out[k].dtype = common_dtype(left[k].dtype, theirs).value_or(left[k].dtype);
  }
  for (const auto& f : right) {
    if (std::find(on_.begin(), on_.end(), f.name) != on_.end()) continue;
    LOOM_ASSERT(k < out.size(), "a merge's resolved schema past its columns");
    out[k++].dtype = f.dtype;
  }
  return out;
}

MergeNode::MergeNode(PlanPtr left, PlanPtr right, Schema schema, std::vector<std::string> on,
                     How how)
    : StepNode(std::move(left), std::move(schema)),
      right_(std::move(right)),
      on_(std::move(on)),
      how_(how),
      disk_(config::get("dataframe.shuffle.method") == "disk") {}

std::int64_t MergeNode::npartitions() const {
  if (disk_) {  // one per bucket; a right or outer join keeps the right rows of an empty left
    const bool keeps_right = how_ == How::kRight || how_ == How::kOuter;
    return std::max<std::int64_t>(input_->npartitions(), keeps_right ? 1 : 0);
  }
  if (how_ == How::kRight) return right_->npartitions();
  return input_->npartitions() + (how_ == How::kOuter ? 1 : 0);  // + the unmatched right rows
}
std::filesystem::path MergeNode::piece(char side, std::int64_t p, std::int64_t bucket) const {
  return folder_.path() / fmt::format("{}-{}-{}.bin", side, p, bucket);
}

void MergeNode::scatter(const PlanNode& plan, char side) const {
  const std::int64_t buckets = npartitions();
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
  return concat_tables(plan.schema(), pieces);
}

void MergeNode::prepare() const {
  input_->prepare();
  std::call_once(once_, [this] {
    right_->prepare();
    if (!disk_) {
      held_ = compute_all(how_ == How::kRight ? *input_ : *right_);
      held_index_ = index_of(held_);
      return;
    }
    folder_ = loom::detail::TempFolder("merge", loom::detail::TempPurpose::spill);
    if (npartitions() == 0) return;  // no buckets: nothing to join
    scatter(*right_, 'r');
    scatter(*input_, 'l');
  });
}

// Both sides' rows of one key bucket: every kind of join is complete within it.
Table MergeNode::join_bucket(std::int64_t bucket) const {
  const Table left = gather(*input_, 'l', bucket);
  const Table right = gather(*right_, 'r', bucket);
  check_keys(left, right);
  if (how_ == How::kRight) return output(left, right, probe(right, index_of(left), true, false));
  Pairs pairs = probe(left, index_of(right), how_ != How::kInner, true);
  if (how_ == How::kOuter) {
    std::vector<std::uint8_t> matched(static_cast<std::size_t>(right.num_rows()), 0);
    for (const std::int64_t r : pairs.right) {
      if (r >= 0) matched[static_cast<std::size_t>(r)] = 1;
    }
    for (std::int64_t r = 0; r < right.num_rows(); ++r) {
      if (matched[static_cast<std::size_t>(r)] != 0) continue;
      pairs.left.push_back(-1);
      pairs.right.push_back(r);
    }
  }
  return output(left, right, pairs);
}

// An outer join's last partition: the right rows whose key no left row has (the left's key
// columns read once more, partition by partition).
Table MergeNode::unmatched_right() const {
  const std::int64_t np = input_->npartitions();
  const std::size_t held_keys = held_index_.starts.size() - 1;
  std::vector<std::atomic<std::uint8_t>> matched(held_keys);  // (zero: C++20)
  loom::detail::parallel_blocks(np, [&](std::int64_t p) {
    const Table t = input_->partition(p, on_);
    check_keys(t, held_);
    const auto keys = key_columns(t, on_);
    std::string key;
    for (std::int64_t i = 0; i < t.num_rows(); ++i) {
      join_key(keys, i, key);
      const std::int32_t g = held_index_.keys->find(key_hash(key), key);
      if (g >= 0) matched[static_cast<std::size_t>(g)].store(1, std::memory_order_relaxed);
    }
  });
  Pairs pairs;
  for (std::size_t g = 0; g < held_keys; ++g) {
    if (matched[g].load(std::memory_order_relaxed) != 0) continue;
    for (std::int64_t k = held_index_.starts[g]; k < held_index_.starts[g + 1]; ++k) {
      pairs.right.push_back(held_index_.rows[static_cast<std::size_t>(k)]);
    }
  }
  std::sort(pairs.right.begin(), pairs.right.end());  // in the right side's order
  pairs.left.assign(pairs.right.size(), -1);
  return output(Table(), held_, pairs);
}

Table MergeNode::partition(std::int64_t p, const std::vector<std::string>& /*needed*/) const {
  prepare();
  if (disk_) return join_bucket(p);
  if (how_ == How::kRight) {
    const Table right = right_->partition(p, {});
    check_keys(held_, right);
    return output(held_, right, probe(right, held_index_, true, false));
  }
  if (how_ == How::kOuter && p == input_->npartitions()) return unmatched_right();
  const Table left = input_->partition(p, {});
  check_keys(left, held_);
  return output(left, held_, probe(left, held_index_, how_ != How::kInner, true));
}

}  // namespace loom::dataframe::detail

namespace loom::dataframe {

DataFrame DataFrame::merge(const DataFrame& right, const std::vector<std::string>& on,
                           const std::string& how) const {
  using How = detail::MergeNode::How;
  How kind = How::kInner;
  if (how == "left") {
    kind = How::kLeft;
  } else if (how == "right") {
    kind = How::kRight;
  } else if (how == "outer") {
    kind = How::kOuter;
  } else if (how != "inner") {
    throw ConfigError(
        fmt::format("merge: how is '{}'; use \"inner\", \"left\", \"right\" or \"outer\"", how));
  }
  if (on.empty()) throw SchemaError("merge: no key columns");
  const auto& ls = plan_->schema();
  const auto& rs = right.plan()->schema();
  std::vector<std::pair<std::string, DType>> key_types;
  for (const auto& k : on) {
    const DType a = detail::schema_type(ls, k);
    const DType b = detail::schema_type(rs, k);
    // Keys of different types never meet: say so instead. Numbers meet by value (an int64 key
    // matches a float64 one, as pandas): the key column is then float64.
    const auto common = detail::common_dtype(a, b);
    if (!common) {
      throw SchemaError(fmt::format("merge: key '{}' is {} on the left and {} on the right", k,
                                    dtype_name(a), dtype_name(b)));
    }
    if (*common != a) key_types.emplace_back(k, *common);
  }
  auto shared = [&](const std::string& name) {
    if (std::find(on.begin(), on.end(), name) != on.end()) return false;
    for (const auto& f : rs) {
      if (f.name == name) return true;
    }
    return false;
  };
  detail::Schema schema;
  for (const auto& f : ls) {
    DType t = f.dtype;
    for (const auto& [k, common] : key_types) t = k == f.name ? common : t;
    schema.push_back({shared(f.name) ? f.name + "_x" : f.name, t});
  }
  for (const auto& f : rs) {
    if (std::find(on.begin(), on.end(), f.name) != on.end()) continue;
    bool clash = false;
    for (const auto& g : ls) clash = clash || g.name == f.name;
    schema.push_back({clash ? f.name + "_y" : f.name, f.dtype});
  }
  return DataFrame(
      std::make_shared<detail::MergeNode>(plan_, right.plan(), std::move(schema), on, kind));
}

}  // namespace loom::dataframe

namespace loom::dataframe {

// Keys with other names on each side: each pair copied into a key column of one internal name
// on both sides, joined on those, which are then dropped (both named keys stay, as pandas).
DataFrame DataFrame::merge(const DataFrame& right, const MergeOptions& options) const {
  const auto& lo = options.left_on;
  const auto& ro = options.right_on;
  if (lo.empty() || lo.size() != ro.size()) {
    throw SchemaError(fmt::format(
        "merge: left_on has {} columns and right_on {}; give as many (at least one) on each side",
        lo.size(), ro.size()));
  }
  if (lo == ro) return merge(right, lo, options.how);
  DataFrame l = *this;
  DataFrame r = right;
  std::vector<std::string> keys;
  for (std::size_t k = 0; k < lo.size(); ++k) {
    const std::string key = fmt::format("__loom_merge_key_{}", k);
    l = l.assign(key, (*this)[lo[k]]);  // (SchemaError for an unknown column)
    r = r.assign(key, right[ro[k]]);
    keys.push_back(key);
  }
  const DataFrame joined = l.merge(r, keys, options.how);
  std::vector<std::string> keep;
  for (const auto& c : joined.columns()) {
    if (std::find(keys.begin(), keys.end(), c) == keys.end()) keep.push_back(c);
  }
  return joined[keep];
}

}  // namespace loom::dataframe
