// Group-by aggregation: each partition is aggregated block by block into partial results per
// group (group_keys.hpp finds the groups, aggregates.hpp and fused_sums.hpp do the per-row
// work), the partials are merged in partition order, and the groups come out sorted by key
// (pandas' sort=True).
#include <algorithm>
#include <chrono>

#include <fmt/format.h>
#include <cereal/types/string.hpp>
#include <cereal/types/unordered_set.hpp>
#include <cereal/types/vector.hpp>

#include "core/temp_folder.hpp"
#include "dataframe/groupby/aggregates.hpp"
#include "dataframe/groupby/fused_sums.hpp"
#include "dataframe/groupby/group_keys.hpp"
#include "dataframe/plan.hpp"
#include "loom/core/config.hpp"
#include "loom/core/detail/parallel_blocks.hpp"
#include "loom/core/error.hpp"
#include "loom/core/executor.hpp"
#include "loom/core/trace.hpp"
#include "loom/io/dump.hpp"

namespace loom::dataframe::detail {

namespace {

const char* const kFunctions[] = {"sum",   "mean", "std",   "var",  "min",    "max",
                                  "count", "size", "first", "last", "nunique"};

// One partition's groups and their partial results.
struct Partial {
  GroupKeys keys;
  std::vector<Aggregate> accs;  // one per AggSpec

  template <class Archive>
  void serialize(Archive& ar) {
    ar(keys, accs);
  }
};

// dataframe.shuffle.method = "disk": each partition's partial results go to a file as soon as
// they are made and come back one at a time for the merge (loom::dump and loom::load: atomic,
// checksummed), so that only one partition's partials are in memory with the merged groups.

// Rows go through in blocks small enough that their group numbers stay in L1 while every
// aggregation reads them.
constexpr std::int64_t kBlockRows = 4096;

// The partial results of consecutive partitions, as long as their columns take the same loops:
// the grouper and the fused sums go on from one partition to the next, so that a run of
// partitions makes one set of groups (with many groups, finding them again in every partition
// and merging each partition's partials cost as much as the rows).
class PartialMaker {
 public:
  PartialMaker(const Table& t, const std::vector<std::string>& keys,
               const std::vector<AggSpec>& aggs)
      : keys_(keys), aggs_(aggs) {
    columns(t);
    for (std::size_t s = 0; s < aggs.size(); ++s) {
      // (every partition of the run holds the column in this dtype: aggregate checks)
      part_.accs.emplace_back(agg_fn(aggs[s].fn),
                              values_[s] != nullptr ? values_[s]->dtype : DType::int64);
    }
    shape_ = shape();
    for (std::size_t s = 0; s < aggs.size(); ++s) {
      if (FusedSums::fits(part_.accs[s], values_[s])) {
        fused_.add_member(s, values_[s], aggs[s].fn != "count");
      } else {
        unfused_.push_back(s);
      }
    }
    grouper_ = make_grouper(key_cols_, part_.keys, &fused_.lines());  // (records laid out now)
  }

  /// Goes on with partition t; false when its columns need other loops (then only finish()
  /// is left: this partial ends before t).
  bool bind(const Table& t) {
    columns(t);
    if (shape() != shape_ || !grouper_->bind(key_cols_)) return false;
    fused_.rebind(values_);
    return true;
  }

  /// Every row of the partition bound last.
  void add(const Table& t) {
    const std::int64_t n = t.num_rows();
    group_.resize(static_cast<std::size_t>(std::min(std::max<std::int64_t>(n, 1), kBlockRows)));
    for (std::int64_t begin = 0; begin < n; begin += kBlockRows) {
      const std::int64_t rows = std::min(kBlockRows, n - begin);
      grouper_->assign(begin, rows, group_.data());
      fused_.add_block(begin, rows, group_.data(), part_.keys.size());
      for (const std::size_t s : unfused_) {
        part_.accs[s].resize(part_.keys.size());
        part_.accs[s].consume(values_[s], begin, rows, group_.data());
      }
    }
  }

  Partial finish() {
    std::vector<std::int64_t> group_rows;
    fused_.finish(part_.accs, part_.keys.size(), group_rows);
    for (const std::size_t s : unfused_) {
      part_.accs[s].resize(part_.keys.size());
      part_.accs[s].finish_partition(group_rows);
    }
    return std::move(part_);
  }

 private:
  void columns(const Table& t) {
    key_cols_.clear();
    for (const auto& k : keys_) key_cols_.push_back(&detail::data_of(t.column(k)));
    values_.clear();
    for (const auto& a : aggs_)
      values_.push_back(a.fn == "size" ? nullptr : &detail::data_of(t.column(a.column)));
  }
  // The shape of the value columns bound: whether the fused loop takes each (it does not when
  // the column has missing values in this partition).
  std::vector<int> shape() const {
    std::vector<int> out;
    for (std::size_t s = 0; s < aggs_.size(); ++s) {
      if (values_[s] == nullptr) {  // size
        out.push_back(-1);
        continue;
      }
      out.push_back(FusedSums::fits(part_.accs[s], values_[s]) ? 1 : 0);
    }
    return out;
  }

  const std::vector<std::string>& keys_;
  const std::vector<AggSpec>& aggs_;
  Partial part_;
  std::vector<const ColumnData*> key_cols_;
  std::vector<const ColumnData*> values_;  // per aggregation (size: none)
  FusedSums fused_;
  std::unique_ptr<Grouper> grouper_;  // (may use fused_'s lines: destroyed first)
  std::vector<int> shape_;
  std::vector<std::size_t> unfused_;
  std::vector<std::int32_t> group_;
};

// The partials of partitions [first, last) in order, each handed to `out` once made (usually
// one for the whole range).
template <class Partition, class Out>
void aggregate_range(std::int64_t first, std::int64_t last, Partition partition,
                     const std::vector<std::string>& keys, const std::vector<AggSpec>& aggs,
                     Out out) {
  std::unique_ptr<PartialMaker> maker;
  for (std::int64_t p = first; p < last; ++p) {
    const Table t = partition(p);
    if (maker && !maker->bind(t)) {
      out(maker->finish());
      maker.reset();
    }
    if (!maker) maker = std::make_unique<PartialMaker>(t, keys, aggs);
    maker->add(t);
  }
  if (maker) out(maker->finish());
}

}  // namespace

Schema aggregate_schema(const Schema& input, const std::vector<std::string>& keys,
                        const std::vector<AggSpec>& aggs) {
  Schema out;
  for (const auto& k : keys) out.push_back({k, schema_type(input, k)});
  for (const auto& a : aggs) {
    if (std::find(std::begin(kFunctions), std::end(kFunctions), a.fn) == std::end(kFunctions)) {
      throw SchemaError(
          fmt::format("groupby: unknown aggregation '{}' (use sum, mean, std, var, "
                      "min, max, count, size, first, last or nunique)",
                      a.fn));
    }
    if (a.fn == "size") {
      out.push_back({a.output, DType::int64});
      continue;
    }
    const DType t = schema_type(input, a.column);
    DType r = t;
    if (a.fn == "count" || a.fn == "nunique") {
      r = DType::int64;
    } else if (a.fn == "sum" || a.fn == "mean" || a.fn == "std" || a.fn == "var") {
      if (!is_numeric(t)) {
        throw SchemaError(
            fmt::format("groupby: {} of column '{}', which is {}", a.fn, a.column, dtype_name(t)));
      }
      r = a.fn == "sum" ? (t == DType::float64 ? DType::float64 : DType::int64) : DType::float64;
    }
    out.push_back({a.output, r});
  }
  return out;
}

namespace {

// One run of the group-by over `input`, whose resolved schema is `resolved` (run_settled).
Table aggregate_once(const PlanNode& input, const std::vector<std::string>& keys,
                     const std::vector<AggSpec>& aggs, const Schema& resolved) {
  const Schema result_schema = aggregate_schema(resolved, keys, aggs);
  std::vector<std::string> needed = keys;
  for (const auto& a : aggs) {
    if (!a.column.empty() && std::find(needed.begin(), needed.end(), a.column) == needed.end()) {
      needed.push_back(a.column);
    }
  }
  // Every column read has its resolved dtype in every partition of the run (keys of two dtypes
  // would encode differently and split groups, and each aggregate's loops are those of one
  // dtype); a partition that holds one otherwise was handed out after its source revised the
  // column, and the run starts again.
  std::vector<DType> want;
  for (const auto& c : needed) want.push_back(schema_type(resolved, c));
  auto checked = [&](Table t) {
    for (std::size_t c = 0; c < needed.size(); ++c) {
      check_run_dtype(t.column(needed[c]).dtype(), want[c], "groupby", needed[c]);
    }
    return t;
  };
  const std::int64_t np = input.npartitions();
  // The merge, in partition order (first/last follow the row order): each partition's groups
  // are found among the merged ones, then every aggregation merges its partials (in parallel).
  const bool native = keys.size() == 1 && (result_schema[0].dtype == DType::int64 ||
                                           result_schema[0].dtype == DType::datetime);
  KeyIndex index(native);
  std::vector<Aggregate> merged;
  for (const auto& a : aggs) {
    merged.emplace_back(agg_fn(a.fn), a.column.empty() ? DType::int64 : schema_type(resolved, a.column));
  }
  auto merge_in = [&](Partial&& part) {
    if (index.keys().size() == 0) {  // the first partial's groups are the merged ones so far
      index.adopt(std::move(part.keys));
      for (std::size_t s = 0; s < merged.size(); ++s) merged[s].adopt(std::move(part.accs[s]));
      return;
    }
    const std::vector<std::int32_t> target = index.targets(part.keys);
    const std::size_t groups = index.keys().size();
    auto one = [&](std::int64_t s) {
      auto& acc = merged[static_cast<std::size_t>(s)];
      acc.resize(groups);
      acc.merge(part.accs[static_cast<std::size_t>(s)], target);
    };
    const auto count = static_cast<std::int64_t>(aggs.size());
    if (target.size() < 10000) {
      for (std::int64_t s = 0; s < count; ++s) one(s);
    } else {
      loom::detail::parallel_blocks(count, one);
    }
  };
  // One range of consecutive partitions per thread (merged in order, so first/last stay right).
  const std::int64_t ranges =
      std::max<std::int64_t>(1, std::min<std::int64_t>(np, loom::detail::default_num_threads()));
  auto range_first = [&](std::int64_t r) { return np * r / ranges; };
  auto partition = [&](std::int64_t p) {
    if (!trace::enabled()) return checked(input.partition(p, needed));
    const auto begin = std::chrono::steady_clock::now();
    auto keys_checked = checked(input.partition(p, needed));
    loom::detail::trace_block({"dataframe", "groupby", "partition"}, p, begin);
    return keys_checked;
  };
  if (config::get("dataframe.shuffle.method") == "disk") {
    const loom::detail::TempFolder folder("groupby", loom::detail::TempPurpose::spill);
    auto file = [&](std::int64_t r, std::size_t k) {
      return folder.path() / fmt::format("partial-{}-{}.bin", r, k);
    };
    std::vector<std::size_t> made(static_cast<std::size_t>(ranges), 0);
    loom::detail::parallel_blocks(ranges, [&](std::int64_t r) {
      std::size_t& k = made[static_cast<std::size_t>(r)];
      aggregate_range(range_first(r), range_first(r + 1), partition, keys, aggs,
                      [&](Partial&& part) { loom::dump(part, file(r, k++)); });
    });
    for (std::int64_t r = 0; r < ranges; ++r) {
      for (std::size_t k = 0; k < made[static_cast<std::size_t>(r)]; ++k) {
        merge_in(loom::load<Partial>(file(r, k)));
      }
    }
  } else {  // "tasks" (or "p2p"): every range's partials in memory, merged together
    std::vector<std::vector<Partial>> partials(static_cast<std::size_t>(ranges));
    loom::detail::parallel_blocks(ranges, [&](std::int64_t r) {
      auto& mine = partials[static_cast<std::size_t>(r)];
      aggregate_range(range_first(r), range_first(r + 1), partition, keys, aggs,
                      [&](Partial&& part) { mine.push_back(std::move(part)); });
    });
    for (auto& range : partials) {
      for (auto& part : range) {
        merge_in(std::move(part));
        part = Partial();
      }
    }
  }
  for (auto& acc : merged) acc.resize(index.keys().size());

  const std::vector<std::int32_t> order = index.sorted();
  // The key columns (decoded together) and each aggregation's column: one task each.
  std::vector<Column> cols(keys.size() + aggs.size());
  auto emit_keys = [&] {
    std::vector<ColumnBuilder> key_builders;
    for (std::size_t k = 0; k < keys.size(); ++k) {
      // One key: every value distinct, stored plainly; several: each column repeats its values.
      key_builders.emplace_back(result_schema[k].dtype, keys.size() > 1);
      key_builders.back().reserve(static_cast<std::int64_t>(order.size()));
    }
    for (const std::int32_t g : order) {
      const auto u = static_cast<std::size_t>(g);
      if (native) {
        key_builders[0].append_int(index.keys().ints[u]);
        continue;
      }
      const char* p = index.keys().key(u).data();
      for (auto& b : key_builders) decode_value(p, b);
    }
    for (std::size_t k = 0; k < keys.size(); ++k) cols[k] = key_builders[k].finish();
  };
  auto emit_agg = [&](std::size_t s) {
    cols[keys.size() + s] = merged[s].finalize(order, result_schema[keys.size() + s].dtype);
  };
  auto emit = [&](std::int64_t task) {
    if (task == 0) {
      emit_keys();
    } else {
      emit_agg(static_cast<std::size_t>(task - 1));
    }
  };
  const auto tasks = static_cast<std::int64_t>(aggs.size() + 1);
  if (order.size() < 10000) {
    for (std::int64_t task = 0; task < tasks; ++task) emit(task);
  } else {
    loom::detail::parallel_blocks(tasks, emit);
  }
  std::vector<std::string> names = keys;
  for (const auto& a : aggs) names.push_back(a.output);
  return Table(std::move(names), std::move(cols));
}

}  // namespace

Table aggregate(const PlanNode& input, const std::vector<std::string>& keys,
                const std::vector<AggSpec>& aggs, const Schema& /*result_schema*/) {
  // The result's dtypes follow the input's resolved ones (a column a source revised to
  // float64 gives float64 keys, sums, minima...): run_settled resolves them for each run.
  return run_settled(input, [&](const Schema& resolved) {
    return aggregate_once(input, keys, aggs, resolved);
  });
}

}  // namespace loom::dataframe::detail
