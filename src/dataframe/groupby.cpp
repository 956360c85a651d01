// Group-by aggregation: each partition is aggregated into partial results per group (a hash
// on the keys), the partials are merged, and the groups come out sorted by key (pandas'
// sort=True). Keys are encoded as byte strings whose order is the keys' order, so one
// comparison sorts by every key column.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include <xxhash.h>
#include <cereal/archives/binary.hpp>
#include <cereal/types/deque.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/unordered_set.hpp>
#include <cereal/types/vector.hpp>

#include "loom/core/config.hpp"
#include "loom/core/detail/temp_folder.hpp"

#include <fmt/format.h>

#include "loom/core/detail/parallel_blocks.hpp"
#include "loom/core/error.hpp"
#include "loom/dataframe/detail/column_builder.hpp"
#include "plan.hpp"

namespace loom::dataframe::detail {

namespace {

const char* const kFunctions[] = {"sum",   "mean", "std",   "var",  "min",    "max",
                                  "count", "size", "first", "last", "nunique"};

// ---- order-preserving key encoding ----

void put_u64(std::string& out, std::uint64_t v) {
  for (int k = 7; k >= 0; --k) out.push_back(static_cast<char>((v >> (8 * k)) & 0xFF));
}
std::uint64_t get_u64(const char*& p) {
  std::uint64_t v = 0;
  for (int k = 0; k < 8; ++k) v = (v << 8) | static_cast<unsigned char>(*p++);
  return v;
}
void encode_value(std::string& out, const ColumnData& d, std::int64_t i) {
  const auto u = static_cast<std::size_t>(i);
  switch (d.dtype) {
    case DType::int64:
    case DType::datetime:
      put_u64(out, static_cast<std::uint64_t>(d.ints[u]) ^ (std::uint64_t{1} << 63));
      break;
    case DType::float64: {
      std::uint64_t bits = 0;
      std::memcpy(&bits, &d.floats[u], 8);
      bits = (bits >> 63) != 0 ? ~bits : bits | (std::uint64_t{1} << 63);
      put_u64(out, bits);
      break;
    }
    case DType::boolean:
      out.push_back(static_cast<char>(d.bools[u]));
      break;
    case DType::string: {
      const std::string_view s = d.str(i);
      for (char c : s) {  // 0x00 escaped as 0x00 0xFF so that the terminator sorts first
        out.push_back(c);
        if (c == '\0') out.push_back('\xFF');
      }
      out.push_back('\0');
      out.push_back('\0');
      break;
    }
  }
}
void decode_value(const char*& p, ColumnBuilder& b) {
  switch (b.dtype()) {
    case DType::int64:
    case DType::datetime:
      b.append_int(static_cast<std::int64_t>(get_u64(p) ^ (std::uint64_t{1} << 63)));
      break;
    case DType::float64: {
      std::uint64_t bits = get_u64(p);
      bits = (bits >> 63) != 0 ? bits & ~(std::uint64_t{1} << 63) : ~bits;
      double v = 0;
      std::memcpy(&v, &bits, 8);
      b.append_double(v);
      break;
    }
    case DType::boolean:
      b.append_bool(*p++ != 0);
      break;
    case DType::string: {
      std::string s;
      for (;;) {
        if (p[0] == '\0' && p[1] == '\0') {
          p += 2;
          break;
        }
        if (p[0] == '\0') {  // escaped NUL
          s.push_back('\0');
          p += 2;
          continue;
        }
        s.push_back(*p++);
      }
      b.append_string(s);
      break;
    }
  }
}

bool is_missing(const ColumnData& d, std::int64_t i) {
  if (!d.valid(i)) return true;
  return d.dtype == DType::float64 && std::isnan(d.floats[static_cast<std::size_t>(i)]);
}

// ---- accumulators: one per aggregated column, vectors indexed by group ----

enum class Fn { kSum, kMean, kStd, kVar, kMin, kMax, kCount, kSize, kFirst, kLast, kNunique };

Fn fn_of(const std::string& name) {
  static const std::pair<const char*, Fn> table[] = {
      {"sum", Fn::kSum},     {"mean", Fn::kMean}, {"std", Fn::kStd},        {"var", Fn::kVar},
      {"min", Fn::kMin},     {"max", Fn::kMax},   {"count", Fn::kCount},    {"size", Fn::kSize},
      {"first", Fn::kFirst}, {"last", Fn::kLast}, {"nunique", Fn::kNunique}};
  for (const auto& [n, f] : table) {
    if (name == n) return f;
  }
  return Fn::kSum;  // names are checked by aggregate_schema first
}

struct Acc {
  Acc() = default;  // for deserialization
  explicit Acc(Fn f) : fn(f) {}
  Fn fn = Fn::kSum;
  std::vector<std::int64_t> count;  // non-missing values (size: all rows)
  std::vector<std::int64_t> isum;   // of integer (and bool) values
  std::vector<double> fsum;         // of float values: the total is isum + fsum
  std::vector<double> mean;
  std::vector<double> m2;
  std::vector<double> fval;  // min/max/first/last of numbers
  std::vector<std::int64_t> ival;
  std::vector<std::string> sval;
  std::vector<std::unordered_set<std::string>> uniq;
  bool saw_float = false;
  bool text = false;  // min/max/first/last of strings

  void resize(std::size_t n) {
    count.resize(n, 0);
    if (fn == Fn::kSum || fn == Fn::kMean) {
      isum.resize(n, 0);
      fsum.resize(n, 0.0);
    } else if (fn == Fn::kStd || fn == Fn::kVar) {
      mean.resize(n, 0.0);
      m2.resize(n, 0.0);
    } else if (fn == Fn::kMin || fn == Fn::kMax || fn == Fn::kFirst || fn == Fn::kLast) {
      fval.resize(n, 0.0);
      ival.resize(n, 0);
      sval.resize(n);
    } else if (fn == Fn::kNunique) {
      uniq.resize(n);
    }
  }

  // Takes value i of d into group g (not missing).
  void add(std::size_t g, const ColumnData& d, std::int64_t i) {
    const auto u = static_cast<std::size_t>(i);
    const bool is_float = d.dtype == DType::float64;
    saw_float = saw_float || is_float;
    text = text || d.dtype == DType::string;
    const double x = is_float                    ? d.floats[u]
                     : d.dtype == DType::boolean ? d.bools[u]
                     : d.dtype == DType::string  ? 0.0
                                                 : static_cast<double>(d.ints[u]);
    const std::int64_t xi = d.dtype == DType::boolean                                 ? d.bools[u]
                            : (d.dtype == DType::int64 || d.dtype == DType::datetime) ? d.ints[u]
                                                                                      : 0;
    const std::int64_t seen = count[g]++;
    if (fn == Fn::kSum || fn == Fn::kMean) {
      if (is_float) {
        fsum[g] += x;
      } else {
        isum[g] += xi;
      }
    } else if (fn == Fn::kStd || fn == Fn::kVar) {
      const double delta = x - mean[g];
      mean[g] += delta / static_cast<double>(seen + 1);
      m2[g] += delta * (x - mean[g]);
    } else if (fn == Fn::kMin || fn == Fn::kMax) {
      const bool want_max = fn == Fn::kMax;
      if (d.dtype == DType::string) {
        const std::string_view s = d.str(i);
        if (seen == 0 || (want_max ? s > sval[g] : s < sval[g])) sval[g] = s;
      } else {
        // Integers (and datetimes) compare as integers: doubles lose them above 2^53.
        const bool better = is_float ? (want_max ? x > fval[g] : x < fval[g])
                                     : (want_max ? xi > ival[g] : xi < ival[g]);
        if (seen == 0 || better) {
          fval[g] = x;
          ival[g] = xi;
        }
      }
    } else if (fn == Fn::kFirst || fn == Fn::kLast) {
      if (fn == Fn::kLast || seen == 0) {
        fval[g] = x;
        ival[g] = xi;
        if (d.dtype == DType::string) sval[g] = d.str(i);
      }
    } else if (fn == Fn::kNunique) {
      std::string key;
      encode_value(key, d, i);
      uniq[g].insert(std::move(key));
    }
  }

  template <class Archive>
  void serialize(Archive& ar) {
    ar(fn, count, isum, fsum, mean, m2, fval, ival, sval, uniq, saw_float, text);
  }

  // Merges group h of `o` (a later partition) into group g.
  void merge(std::size_t g, const Acc& o, std::size_t h) {
    saw_float = saw_float || o.saw_float;
    text = text || o.text;
    const std::int64_t a = count[g];
    const std::int64_t b = o.count[h];
    if (b == 0) return;
    count[g] = a + b;
    if (fn == Fn::kSum || fn == Fn::kMean) {
      isum[g] += o.isum[h];
      fsum[g] += o.fsum[h];
    } else if (fn == Fn::kStd || fn == Fn::kVar) {  // Chan et al.
      const double n = static_cast<double>(a + b);
      const double delta = o.mean[h] - mean[g];
      mean[g] += delta * static_cast<double>(b) / n;
      m2[g] += o.m2[h] + delta * delta * static_cast<double>(a) * static_cast<double>(b) / n;
    } else if (fn == Fn::kMin || fn == Fn::kMax) {
      const bool want_max = fn == Fn::kMax;
      const bool take =
          a == 0 ||
          (text || o.text             ? (want_max ? o.sval[h] > sval[g] : o.sval[h] < sval[g])
           : saw_float || o.saw_float ? (want_max ? o.fval[h] > fval[g] : o.fval[h] < fval[g])
                                      : (want_max ? o.ival[h] > ival[g] : o.ival[h] < ival[g]));
      if (take) {
        fval[g] = o.fval[h];
        ival[g] = o.ival[h];
        sval[g] = o.sval[h];
      }
    } else if (fn == Fn::kFirst || fn == Fn::kLast) {
      if (fn == Fn::kLast || a == 0) {
        fval[g] = o.fval[h];
        ival[g] = o.ival[h];
        sval[g] = o.sval[h];
      }
    } else if (fn == Fn::kNunique) {
      uniq[g].insert(o.uniq[h].begin(), o.uniq[h].end());
    }
  }
};

struct Partial {
  std::deque<std::string> keys;  // encoded, per group in order of appearance (stable addresses)
  std::unordered_map<std::string_view, std::size_t> index;  // only where keys may repeat
  std::vector<Acc> accs;                                    // one per AggSpec
};

// dataframe.shuffle.method = "disk": each partition's partial results go to a file as soon as
// they are made and come back one at a time for the merge, so that only one partition's
// partials are in memory with the merged groups.
void write_partial(const Partial& part, const std::filesystem::path& path) {
  std::ofstream out(path, std::ios::binary);
  {
    cereal::BinaryOutputArchive ar(out);
    ar(part.keys, part.accs);
  }
  out.flush();
  if (!out) {
    throw Error(fmt::format("groupby: cannot write the partial results to '{}'", path.string()));
  }
}
Partial read_partial(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("groupby: the partial results in '{}' are gone", path.string()));
  cereal::BinaryInputArchive ar(in);
  Partial part;
  ar(part.keys, part.accs);
  return part;
}

Partial aggregate_partition(const Table& t, const std::vector<std::string>& keys,
                            const std::vector<AggSpec>& aggs) {
  Partial part;
  for (const auto& a : aggs) part.accs.emplace_back(fn_of(a.fn));
  const std::int64_t n = t.num_rows();
  std::vector<const ColumnData*> key_cols;
  for (const auto& k : keys) key_cols.push_back(&t.column(k).data());
  // Row -> group (-1: a missing key, dropped as pandas' dropna=True does).
  std::vector<std::int32_t> group(static_cast<std::size_t>(n), -1);
  std::int64_t int_lo = 0;  // the range of a single int key (set by the test below)
  std::int64_t int_hi = 0;
  // A new group for a key known to be new (dictionary entries and int values are distinct).
  auto new_group = [&](std::string&& key) {
    part.keys.push_back(std::move(key));
    return static_cast<std::int64_t>(part.keys.size() - 1);
  };
  // The group of a key that may have been seen.
  auto group_of = [&](std::string&& key) {
    const auto it = part.index.find(key);
    if (it != part.index.end()) return static_cast<std::int64_t>(it->second);
    const std::int64_t g = new_group(std::move(key));
    part.index.emplace(part.keys.back(), static_cast<std::size_t>(g));
    return g;
  };
  if (key_cols.size() == 1 && key_cols[0]->dtype == DType::string && key_cols[0]->dictionary) {
    // One dictionary-encoded key: each distinct string is looked up once.
    const ColumnData& d = *key_cols[0];
    std::vector<std::int64_t> code_group(d.offsets.size() - 1, -1);
    for (std::int64_t i = 0; i < n; ++i) {
      if (!d.valid(i)) continue;
      const auto code = static_cast<std::size_t>(d.codes[static_cast<std::size_t>(i)]);
      if (code_group[code] < 0) {
        std::string key;
        encode_value(key, d, i);
        code_group[code] = new_group(std::move(key));
      }
      group[static_cast<std::size_t>(i)] = code_group[code];
    }
  } else if (key_cols.size() == 1 && key_cols[0]->dtype == DType::int64 && n > 0 &&
             [&] {  // a compact range of ints: a table indexed by value
               const auto [lo_it, hi_it] =
                   std::minmax_element(key_cols[0]->ints.begin(), key_cols[0]->ints.end());
               int_lo = *lo_it;
               int_hi = *hi_it;
               return static_cast<double>(int_hi) - static_cast<double>(int_lo) < (1 << 22);
             }()) {
    const ColumnData& d = *key_cols[0];
    const std::int64_t lo = int_lo;
    const std::int64_t hi = int_hi;
    std::vector<std::int64_t> value_group(static_cast<std::size_t>(hi - lo + 1), -1);
    for (std::int64_t i = 0; i < n; ++i) {
      if (!d.valid(i)) continue;
      const auto u = static_cast<std::size_t>(i);
      std::int64_t& g = value_group[static_cast<std::size_t>(d.ints[u] - lo)];
      if (g < 0) {
        std::string key;
        encode_value(key, d, i);
        g = new_group(std::move(key));
      }
      group[u] = g;
    }
  } else if (key_cols.size() == 1 && key_cols[0]->dtype == DType::int64) {
    const ColumnData& d = *key_cols[0];
    std::unordered_map<std::int64_t, std::int64_t> ids;
    for (std::int64_t i = 0; i < n; ++i) {
      if (!d.valid(i)) continue;
      const auto [it, fresh] = ids.try_emplace(d.ints[static_cast<std::size_t>(i)], -1);
      if (fresh) {
        std::string key;
        encode_value(key, d, i);
        it->second = new_group(std::move(key));
      }
      group[static_cast<std::size_t>(i)] = it->second;
    }
  } else if (std::all_of(
                 key_cols.begin(), key_cols.end(),
                 [](const ColumnData* d) { return d->dtype == DType::string && d->dictionary; }) &&
             [&] {
               double product = 1;
               for (const auto* d : key_cols) product *= static_cast<double>(d->offsets.size() - 1);
               return product <= 1 << 22;
             }()) {
    // Several dictionary-encoded keys: the codes combine into one small number, looked up in a
    // table; each combination is encoded once.
    std::vector<std::int64_t> radix;
    std::int64_t cells = 1;
    for (const auto* d : key_cols) {
      radix.push_back(cells);
      cells *= static_cast<std::int64_t>(d->offsets.size() - 1);
    }
    std::vector<std::int64_t> cell_group(static_cast<std::size_t>(cells), -1);
    std::string key;
    for (std::int64_t i = 0; i < n; ++i) {
      std::int64_t cell = 0;
      bool complete = true;
      for (std::size_t k = 0; k < key_cols.size(); ++k) {
        if (!key_cols[k]->valid(i)) {
          complete = false;
          break;
        }
        cell += radix[k] * key_cols[k]->codes[static_cast<std::size_t>(i)];
      }
      if (!complete) continue;
      std::int64_t& g = cell_group[static_cast<std::size_t>(cell)];
      if (g < 0) {
        key.clear();
        for (const auto* d : key_cols) encode_value(key, *d, i);
        g = new_group(std::string(key));
      }
      group[static_cast<std::size_t>(i)] = g;
    }
  } else if (key_cols.size() == 1 && key_cols[0]->dtype == DType::string) {
    // One key of plain (mostly distinct) strings: a flat open-addressing table of (hash, group),
    // strings compared only when the hashes match, against a row that holds the group's key.
    const ColumnData& d = *key_cols[0];
    struct Slot {
      std::uint64_t hash = 0;
      std::int64_t group = -1;
    };
    std::vector<Slot> slots(1024);
    std::vector<std::int64_t> key_row;  // per group
    std::size_t mask = slots.size() - 1;
    for (std::int64_t i = 0; i < n; ++i) {
      if (!d.valid(i)) continue;
      const std::string_view v = d.str(i);
      const std::uint64_t h = XXH3_64bits(v.data(), v.size());
      for (std::size_t k = h & mask;; k = (k + 1) & mask) {
        Slot& slot = slots[k];
        if (slot.group < 0) {
          std::string key;
          encode_value(key, d, i);
          slot = {h, new_group(std::move(key))};
          key_row.push_back(i);
          group[static_cast<std::size_t>(i)] = slot.group;
          if (key_row.size() * 2 > slots.size()) {  // grow at half full
            std::vector<Slot> bigger(slots.size() * 2);
            mask = bigger.size() - 1;
            for (const Slot& s : slots) {
              if (s.group < 0) continue;
              std::size_t j = s.hash & mask;
              while (bigger[j].group >= 0) j = (j + 1) & mask;
              bigger[j] = s;
            }
            slots = std::move(bigger);
          }
          break;
        }
        if (slot.hash == h && d.str(key_row[static_cast<std::size_t>(slot.group)]) == v) {
          group[static_cast<std::size_t>(i)] = slot.group;
          break;
        }
      }
    }
  } else {
    std::string key;
    for (std::int64_t i = 0; i < n; ++i) {
      key.clear();
      bool complete = true;
      for (const auto* d : key_cols) {
        if (is_missing(*d, i)) {
          complete = false;
          break;
        }
        encode_value(key, *d, i);
      }
      if (complete) group[static_cast<std::size_t>(i)] = group_of(std::string(key));
    }
  }
  const std::size_t groups = part.keys.size();
  for (std::size_t s = 0; s < aggs.size(); ++s) {
    Acc& acc = part.accs[s];
    acc.resize(groups);
    if (aggs[s].fn == "size") {
      for (std::int64_t i = 0; i < n; ++i) {
        if (group[static_cast<std::size_t>(i)] >= 0)
          ++acc.count[static_cast<std::size_t>(group[static_cast<std::size_t>(i)])];
      }
      continue;
    }
    const ColumnData& d = t.column(aggs[s].column).data();
    const bool dense = d.validity.empty();
    if (dense && (acc.fn == Fn::kSum || acc.fn == Fn::kMean || acc.fn == Fn::kCount) &&
        (d.dtype == DType::int64 || d.dtype == DType::float64)) {
      // The common case in one tight loop: numbers without missing values.
      const bool ints = d.dtype == DType::int64;
      acc.saw_float = acc.saw_float || !ints;
      const bool sums = acc.fn != Fn::kCount;
      for (std::int64_t i = 0; i < n; ++i) {
        const std::int64_t g = group[static_cast<std::size_t>(i)];
        if (g < 0) continue;
        const auto u = static_cast<std::size_t>(i);
        const auto gu = static_cast<std::size_t>(g);
        if (ints) {
          ++acc.count[gu];
          if (sums) {
            acc.isum[gu] += d.ints[u];
          }
        } else {
          if (std::isnan(d.floats[u])) continue;
          ++acc.count[gu];
          if (sums) acc.fsum[gu] += d.floats[u];
        }
      }
      continue;
    }
    for (std::int64_t i = 0; i < n; ++i) {
      const std::int64_t g = group[static_cast<std::size_t>(i)];
      if (g < 0 || is_missing(d, i)) continue;
      acc.add(static_cast<std::size_t>(g), d, i);
    }
  }
  return part;
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

Table aggregate(const PlanNode& input, const std::vector<std::string>& keys,
                const std::vector<AggSpec>& aggs, const Schema& result_schema) {
  std::vector<std::string> needed = keys;
  for (const auto& a : aggs) {
    if (!a.column.empty() && std::find(needed.begin(), needed.end(), a.column) == needed.end()) {
      needed.push_back(a.column);
    }
  }
  // A key column read as int64 from the sample that met floats later would encode its keys two
  // ways: an error that says what to do rather than split groups.
  auto checked_keys = [&](Table t) {
    for (std::size_t k = 0; k < keys.size(); ++k) {
      const DType have = t.column(keys[k]).dtype();
      if (have != result_schema[k].dtype) {
        throw SchemaError(fmt::format(
            "groupby: key column '{}' was read as {} from a sample but holds {} values further "
            "on; give it that dtype when reading",
            keys[k], dtype_name(result_schema[k].dtype), dtype_name(have)));
      }
    }
    return t;
  };
  const std::int64_t np = input.npartitions();
  constexpr std::size_t kBuckets = 64;
  std::vector<Partial> merged(kBuckets);
  for (auto& out : merged) {
    for (const auto& a : aggs) out.accs.emplace_back(fn_of(a.fn));
  }
  // Merges some partials (in partition order: first/last follow the row order) into the
  // buckets: groups are spread by key hash, the buckets merged in parallel.
  auto merge_partials = [&](std::vector<Partial>& partials) {
    std::vector<std::vector<std::vector<std::uint32_t>>> members(
        partials.size(), std::vector<std::vector<std::uint32_t>>(kBuckets));
    loom::detail::parallel_blocks(static_cast<std::int64_t>(partials.size()), [&](std::int64_t p) {
      const Partial& part = partials[static_cast<std::size_t>(p)];
      auto& mine = members[static_cast<std::size_t>(p)];
      for (std::size_t h = 0; h < part.keys.size(); ++h) {
        const auto bucket = XXH3_64bits(part.keys[h].data(), part.keys[h].size()) % kBuckets;
        mine[bucket].push_back(static_cast<std::uint32_t>(h));
      }
    });
    loom::detail::parallel_blocks(static_cast<std::int64_t>(kBuckets), [&](std::int64_t bi) {
      const auto bucket = static_cast<std::size_t>(bi);
      Partial& out = merged[bucket];
      std::size_t bound = out.keys.size();
      for (const auto& m : members) bound += m[bucket].size();
      for (auto& acc : out.accs) acc.resize(bound);
      out.index.reserve(bound);
      for (std::size_t p = 0; p < partials.size(); ++p) {
        const Partial& part = partials[p];
        for (const std::uint32_t h : members[p][bucket]) {
          const auto found = out.index.find(std::string_view(part.keys[h]));
          std::size_t g = 0;
          if (found == out.index.end()) {
            g = out.keys.size();
            out.keys.emplace_back(part.keys[h]);
            out.index.emplace(out.keys.back(), g);
          } else {
            g = found->second;
          }
          for (std::size_t s = 0; s < aggs.size(); ++s) out.accs[s].merge(g, part.accs[s], h);
        }
      }
    });
  };
  if (config::get("dataframe.shuffle.method") == "disk") {
    const loom::detail::TempFolder folder("groupby");
    auto file = [&](std::int64_t p) { return folder.path() / fmt::format("partial-{}.bin", p); };
    loom::detail::parallel_blocks(np, [&](std::int64_t p) {
      write_partial(aggregate_partition(checked_keys(input.partition(p, needed)), keys, aggs),
                    file(p));
    });
    for (std::int64_t p = 0; p < np; ++p) {
      std::vector<Partial> one;
      one.push_back(read_partial(file(p)));
      merge_partials(one);
    }
  } else {  // "tasks" (or "p2p"): every partition's partials in memory, merged together
    std::vector<Partial> partials(static_cast<std::size_t>(np));
    loom::detail::parallel_blocks(np, [&](std::int64_t p) {
      partials[static_cast<std::size_t>(p)] =
          aggregate_partition(checked_keys(input.partition(p, needed)), keys, aggs);
    });
    merge_partials(partials);
  }
  // Sorted by key: (bucket, group) pairs.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> order;
  for (std::size_t bucket = 0; bucket < kBuckets; ++bucket) {
    for (std::size_t g = 0; g < merged[bucket].keys.size(); ++g) {
      order.emplace_back(static_cast<std::uint32_t>(bucket), static_cast<std::uint32_t>(g));
    }
  }
  auto key_of = [&](const std::pair<std::uint32_t, std::uint32_t>& o) -> const std::string& {
    return merged[o.first].keys[o.second];
  };
  std::sort(order.begin(), order.end(),
            [&](const auto& a, const auto& b) { return key_of(a) < key_of(b); });

  std::vector<std::string> names;
  std::vector<Column> cols;
  std::vector<ColumnBuilder> key_builders;
  for (std::size_t k = 0; k < keys.size(); ++k) key_builders.emplace_back(result_schema[k].dtype);
  for (const auto& o : order) {
    const char* p = key_of(o).data();
    for (auto& b : key_builders) decode_value(p, b);
  }
  for (std::size_t k = 0; k < keys.size(); ++k) {
    names.push_back(keys[k]);
    cols.push_back(key_builders[k].finish());
  }
  for (std::size_t s = 0; s < aggs.size(); ++s) {
    bool saw_float = false;
    for (const auto& m : merged) saw_float = saw_float || m.accs[s].saw_float;
    const std::string& fn = aggs[s].fn;
    DType t = result_schema[keys.size() + s].dtype;
    if (saw_float && t == DType::int64 && fn != "count" && fn != "size" && fn != "nunique") {
      t = DType::float64;  // an int column widened to float64 while it was read
    }
    ColumnBuilder b(t);
    b.reserve(static_cast<std::int64_t>(order.size()));
    for (const auto& o : order) {
      const Acc& acc = merged[o.first].accs[s];
      const std::size_t g = o.second;
      const std::int64_t c = acc.count[g];
      if (fn == "count" || fn == "size") {
        b.append_int(c);
      } else if (fn == "nunique") {
        b.append_int(static_cast<std::int64_t>(acc.uniq[g].size()));
      } else if (fn == "sum") {
        t == DType::int64 ? b.append_int(acc.isum[g])
                          : b.append_double(static_cast<double>(acc.isum[g]) + acc.fsum[g]);
      } else if (fn == "mean") {
        c == 0 ? b.append_null()
               : b.append_double((static_cast<double>(acc.isum[g]) + acc.fsum[g]) /
                                 static_cast<double>(c));
      } else if (fn == "std" || fn == "var") {
        if (c <= 1) {
          b.append_null();
        } else {
          const double v = acc.m2[g] / static_cast<double>(c - 1);
          b.append_double(fn == "std" ? std::sqrt(v) : v);
        }
      } else if (c == 0) {  // min/max/first/last of nothing
        b.append_null();
      } else if (t == DType::string) {
        b.append_string(acc.sval[g]);
      } else if (t == DType::float64) {
        b.append_double(acc.fval[g]);
      } else if (t == DType::boolean) {
        b.append_bool(acc.ival[g] != 0);
      } else {
        b.append_int(acc.ival[g]);
      }
    }
    names.push_back(aggs[s].output);
    cols.push_back(b.finish());
  }
  return Table(std::move(names), std::move(cols));
}

}  // namespace loom::dataframe::detail

namespace loom::dataframe::detail {

bool encode_row(const std::vector<const ColumnData*>& columns, std::int64_t i, std::string& out) {
  out.clear();
  for (const auto* d : columns) {
    if (is_missing(*d, i)) return false;
    encode_value(out, *d, i);
  }
  return true;
}

}  // namespace loom::dataframe::detail
