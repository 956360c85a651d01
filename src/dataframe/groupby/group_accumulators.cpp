// Group-by accumulators: the per-row and per-group work of every aggregation function.
#include "dataframe/groupby/group_accumulators.hpp"

#include <cmath>
#include <utility>

#include "dataframe/groupby/group_keys.hpp"
#include "dataframe/groupby/thread_scratch.hpp"

namespace loom::dataframe::detail {

namespace {

// Int sums wrap around on overflow, as pandas' int64 sums do (a signed overflow would be UB).
inline std::int64_t wrapping_add(std::int64_t a, std::int64_t b) noexcept {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
}

}  // namespace

AggFn agg_fn(const std::string& name) {
  static const std::pair<const char*, AggFn> table[] = {
      {"sum", AggFn::kSum},     {"mean", AggFn::kMean},      {"std", AggFn::kStd},
      {"var", AggFn::kVar},     {"min", AggFn::kMin},        {"max", AggFn::kMax},
      {"count", AggFn::kCount}, {"size", AggFn::kSize},      {"first", AggFn::kFirst},
      {"last", AggFn::kLast},   {"nunique", AggFn::kNunique}};
  for (const auto& [n, f] : table) {
    if (name == n) return f;
  }
  return AggFn::kSum;  // names are checked by aggregate_schema first
}

void Accumulator::ensure_sums(bool floats) {
  if (floats) {
    if (fsum.size() < count.size()) fsum.resize(count.size(), 0.0);
  } else if (isum.size() < count.size()) {
    isum.resize(count.size(), 0);
  }
}

void Accumulator::resize(std::size_t n) {
  if (count.size() == n) return;
  count.resize(n, 0);
  if (fn == AggFn::kSum || fn == AggFn::kMean) {
    // Each sum only once a value of its kind came (ensure_sums): an int column's partials carry
    // no float sums, and no fresh pages for them.
    if (!isum.empty()) isum.resize(n, 0);
    if (!fsum.empty()) fsum.resize(n, 0.0);
  } else if (fn == AggFn::kStd || fn == AggFn::kVar) {
    mean.resize(n, 0.0);
    m2.resize(n, 0.0);
  } else if (fn == AggFn::kMin || fn == AggFn::kMax || fn == AggFn::kFirst || fn == AggFn::kLast) {
    fval.resize(n, 0.0);
    ival.resize(n, 0);
    sval.resize(n);
  } else if (fn == AggFn::kNunique) {
    uniq.resize(n);
  }
}

bool Accumulator::counts_rows() const noexcept {
  return fn == AggFn::kSum || fn == AggFn::kMean || fn == AggFn::kCount || fn == AggFn::kSize;
}

void Accumulator::add_block(const ColumnData* d, std::int64_t begin, std::int64_t n,
                            const std::int32_t* group) {
  if (!counts_rows()) {
    for (std::int64_t k = 0; k < n; ++k) {
      const std::int32_t g = group[k];
      if (g < 0 || d->is_missing(begin + k)) continue;
      add(static_cast<std::size_t>(g), *d, begin + k);
    }
    return;
  }
  // Sums, means and counts: `count` holds the missing values until finish_partition.
  if (fn == AggFn::kSize) return;
  const bool sums = fn != AggFn::kCount;
  saw_float = saw_float || d->dtype == DType::float64;
  if (sums) ensure_sums(d->dtype == DType::float64);
  for (std::int64_t k = 0; k < n; ++k) {
    const std::int32_t g = group[k];
    if (g < 0) continue;
    const std::int64_t i = begin + k;
    const auto u = static_cast<std::size_t>(i);
    const auto gu = static_cast<std::size_t>(g);
    if (d->is_missing(i)) {
      ++count[gu];
    } else if (sums) {
      switch (d->dtype) {
        case DType::float64:
          fsum[gu] += d->floats[u];
          break;
        case DType::boolean:
          isum[gu] = wrapping_add(isum[gu], d->bools[u]);
          break;
        default:
          isum[gu] = wrapping_add(isum[gu], d->ints[u]);
          break;
      }
    }
  }
}

void Accumulator::finish_partition(const std::vector<std::int64_t>& rows) {
  if (!counts_rows()) return;
  for (std::size_t g = 0; g < count.size(); ++g) count[g] = rows[g] - count[g];
}

// ---- fused sums ----

bool FusedSums::fits(const Accumulator& acc, const ColumnData* d) noexcept {
  return (acc.fn == AggFn::kSum || acc.fn == AggFn::kMean || acc.fn == AggFn::kCount) &&
         d != nullptr && d->validity.empty() &&
         (d->dtype == DType::int64 || d->dtype == DType::float64);
}

void FusedSums::add_member(std::size_t acc, const ColumnData* d, bool sums) {
  Member m{acc, d, d->dtype == DType::float64, -1, -1};
  if (sums) m.sum = static_cast<int>(stride_++);
  lines_.set_record(stride_);
  if (m.is_float) m.missing = floats_++;
  members_.push_back(m);
}

void FusedSums::rebind(const std::vector<const ColumnData*>& values) {
  for (Member& m : members_) m.column = values[m.acc];
}

namespace {

struct FusedRows {
  Cell* cells;
  std::int64_t* missing;
  std::size_t stride;
  std::size_t floats;
  bool count_rows;
};

// The fused loop with the number of int and float columns known at compile time (a loop over
// them costs as much as the sums), records fetched ahead when they lie beyond L2. kInts or
// kFloats < 0: any number (given).
template <int kInts, int kFloats, bool kFar>
void fused_loop(const FusedRows& r, const std::int32_t* group, std::int64_t n,
                const FusedSums::IntSum* ints, int n_ints, const FusedSums::FloatSum* floats,
                int n_floats) {
  const int ni = kInts >= 0 ? kInts : n_ints;
  const int nf = kFloats >= 0 ? kFloats : n_floats;
  constexpr std::int64_t kAhead = 16;
  for (std::int64_t k = 0; k < n; ++k) {
    if constexpr (kFar) {
      if (k + kAhead < n) {
        const std::int32_t ahead = group[k + kAhead];
        __builtin_prefetch(r.cells + static_cast<std::size_t>(ahead < 0 ? 0 : ahead) * r.stride, 1);
      }
    }
    const std::int32_t g = group[k];
    if (g < 0) continue;
    Cell* const rec = r.cells + static_cast<std::size_t>(g) * r.stride;
    if (r.count_rows) ++rec[0].i;
    for (int j = 0; j < ni; ++j)
      rec[ints[j].cell].i = wrapping_add(rec[ints[j].cell].i, ints[j].v[k]);
    for (int j = 0; j < nf; ++j) {
      const double x = floats[j].v[k];
      if (std::isnan(x)) [[unlikely]] {
        ++r.missing[static_cast<std::size_t>(g) * r.floats +
                    static_cast<std::size_t>(floats[j].missing)];
      } else if (floats[j].cell >= 0) {
        rec[floats[j].cell].f += x;
      }
    }
  }
}

template <bool kFar>
void fused_dispatch(const FusedRows& r, const std::int32_t* group, std::int64_t n,
                    const FusedSums::IntSum* ints, int n_ints, const FusedSums::FloatSum* floats,
                    int n_floats) {
  // (0, 0): only the rows counted (no fused column).
#define LOOM_FUSED_CASE(I, F)                                            \
  if (n_ints == (I) && n_floats == (F)) {                                \
    fused_loop<I, F, kFar>(r, group, n, ints, n_ints, floats, n_floats); \
    return;                                                              \
  }
  LOOM_FUSED_CASE(0, 0)
  LOOM_FUSED_CASE(1, 0)
  LOOM_FUSED_CASE(2, 0)
  LOOM_FUSED_CASE(3, 0)
  LOOM_FUSED_CASE(0, 1)
  LOOM_FUSED_CASE(1, 1)
  LOOM_FUSED_CASE(2, 1)
  LOOM_FUSED_CASE(3, 1)
  LOOM_FUSED_CASE(0, 2)
  LOOM_FUSED_CASE(1, 2)
  LOOM_FUSED_CASE(2, 2)
#undef LOOM_FUSED_CASE
  fused_loop<-1, -1, kFar>(r, group, n, ints, n_ints, floats, n_floats);
}

void run_fused(const FusedRows& r, const std::int32_t* group, std::int64_t n,
               const FusedSums::IntSum* ints, int n_ints, const FusedSums::FloatSum* floats,
               int n_floats, bool far) {
  far ? fused_dispatch<true>(r, group, n, ints, n_ints, floats, n_floats)
      : fused_dispatch<false>(r, group, n, ints, n_ints, floats, n_floats);
}

}  // namespace

FusedSums::FusedSums() { lines_.set_record(stride_); }

void FusedSums::add_block(std::int64_t begin, std::int64_t n, const std::int32_t* group,
                          std::size_t groups) {
  lines_.ensure(groups);
  if (missing_.size() < groups * floats_) missing_.resize(groups * floats_, 0);
  Cell* const c = lines_.records();
  std::int64_t* const missing = missing_.data();
  const std::size_t stride = lines_.stride();
  const auto b = static_cast<std::size_t>(begin);
  // One pass: each row's record is fetched once for all the columns.
  IntSum ints[8];
  // Narrow int columns are widened a block at a time (in cache) for the fused loop.
  auto widened = [](const ColumnData& d, std::size_t from, std::int64_t count,
                    std::vector<std::int64_t>& buffer) -> const std::int64_t* {
    return d.ints.visit([&](const auto* v) -> const std::int64_t* {
      if constexpr (sizeof(*v) == sizeof(std::int64_t)) {
        return v + from;
      } else {
        buffer.resize(static_cast<std::size_t>(count));
        for (std::int64_t k = 0; k < count; ++k)
          buffer[static_cast<std::size_t>(k)] = v[from + static_cast<std::size_t>(k)];
        return buffer.data();
      }
    });
  };
  FloatSum floats[8];
  int n_ints = 0;
  int n_floats = 0;
  // Eight columns a pass (at least one pass: the rows are counted in the first).
  for (std::size_t first = 0; first == 0 || first < members_.size(); first += 8) {
    n_ints = 0;
    n_floats = 0;
    const bool count_rows = first == 0;
    for (std::size_t j = first; j < std::min(members_.size(), first + 8); ++j) {
      const Member& m = members_[j];
      if (m.is_float) {
        floats[n_floats++] = {m.column->floats.data() + b, m.sum, m.missing};
      } else if (m.sum >= 0) {
        ints[n_ints] = {widened(*m.column, b, n, scratch_[static_cast<std::size_t>(n_ints)]),
                        m.sum};
        ++n_ints;
      }
    }
    const bool far = groups * stride * sizeof(Cell) > (std::size_t{1} << 18);  // beyond L2
    const FusedRows rows{c, missing, stride, floats_, count_rows};
    run_fused(rows, group, n, ints, n_ints, floats, n_floats, far);
  }
}

void FusedSums::finish(std::vector<Accumulator>& accs, std::size_t groups,
                       std::vector<std::int64_t>& rows) {
  lines_.ensure(groups);
  if (missing_.size() < groups * floats_) missing_.resize(groups * floats_, 0);
  rows.resize(groups);
  for (std::size_t g = 0; g < groups; ++g) rows[g] = lines_.record(g)[0].i;
  for (const Member& m : members_) {
    Accumulator& acc = accs[m.acc];
    acc.resize(groups);
    acc.saw_float = acc.saw_float || m.is_float;
    if (m.sum >= 0) acc.ensure_sums(m.is_float);
    for (std::size_t g = 0; g < groups; ++g) {
      const Cell* record = lines_.record(g);
      acc.count[g] =
          record[0].i -
          (m.missing < 0 ? 0 : missing_[g * floats_ + static_cast<std::size_t>(m.missing)]);
      if (m.sum < 0) continue;
      if (m.is_float) {
        acc.fsum[g] = record[m.sum].f;
      } else {
        acc.isum[g] = record[m.sum].i;
      }
    }
  }
}

// Value i of d into group g (not missing).
void Accumulator::add(std::size_t g, const ColumnData& d, std::int64_t i) {
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
  switch (fn) {
    case AggFn::kSum:
    case AggFn::kMean:
      ensure_sums(is_float);
      if (is_float) {
        fsum[g] += x;
      } else {
        isum[g] = wrapping_add(isum[g], xi);
      }
      break;
    case AggFn::kStd:
    case AggFn::kVar: {
      const double delta = x - mean[g];
      mean[g] += delta / static_cast<double>(seen + 1);
      m2[g] += delta * (x - mean[g]);
      break;
    }
    case AggFn::kMin:
    case AggFn::kMax: {
      const bool want_max = fn == AggFn::kMax;
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
      break;
    }
    case AggFn::kFirst:
    case AggFn::kLast:
      if (fn == AggFn::kLast || seen == 0) {
        fval[g] = x;
        ival[g] = xi;
        if (d.dtype == DType::string) sval[g] = d.str(i);
      }
      break;
    case AggFn::kNunique: {
      // By value: 3 in an int partition and 3.0 in a widened one are one value.
      std::string key;
      encode_by_value(key, d, i);
      uniq[g].insert(std::move(key));
      break;
    }
    case AggFn::kCount:
    case AggFn::kSize:
      break;
  }
}

void Accumulator::merge(const Accumulator& o, const std::vector<std::int32_t>& target) {
  saw_float = saw_float || o.saw_float;
  text = text || o.text;
  const std::size_t n = target.size();
  if (fn == AggFn::kSum || fn == AggFn::kMean || fn == AggFn::kCount || fn == AggFn::kSize) {
    for (std::size_t h = 0; h < n; ++h) count[static_cast<std::size_t>(target[h])] += o.count[h];
    if (fn == AggFn::kSum || fn == AggFn::kMean) {
      if (!o.isum.empty()) {
        ensure_sums(false);
        for (std::size_t h = 0; h < n; ++h) {
          const auto g = static_cast<std::size_t>(target[h]);
          isum[g] = wrapping_add(isum[g], o.isum[h]);
        }
      }
      if (!o.fsum.empty()) {
        ensure_sums(true);
        for (std::size_t h = 0; h < n; ++h) fsum[static_cast<std::size_t>(target[h])] += o.fsum[h];
      }
    }
    return;
  }
  for (std::size_t h = 0; h < n; ++h) merge_one(static_cast<std::size_t>(target[h]), o, h);
}

// Group h of `o` (a later partition) into group g.
void Accumulator::merge_one(std::size_t g, const Accumulator& o, std::size_t h) {
  const std::int64_t a = count[g];
  const std::int64_t b = o.count[h];
  if (b == 0) return;
  count[g] = a + b;
  if (fn == AggFn::kStd || fn == AggFn::kVar) {  // Chan et al.
    const double n = static_cast<double>(a + b);
    const double delta = o.mean[h] - mean[g];
    mean[g] += delta * static_cast<double>(b) / n;
    m2[g] += o.m2[h] + delta * delta * static_cast<double>(a) * static_cast<double>(b) / n;
  } else if (fn == AggFn::kMin || fn == AggFn::kMax) {
    const bool want_max = fn == AggFn::kMax;
    const bool take =
        a == 0 || (text        ? (want_max ? o.sval[h] > sval[g] : o.sval[h] < sval[g])
                   : saw_float ? (want_max ? o.fval[h] > fval[g] : o.fval[h] < fval[g])
                               : (want_max ? o.ival[h] > ival[g] : o.ival[h] < ival[g]));
    if (take) {
      fval[g] = o.fval[h];
      ival[g] = o.ival[h];
      sval[g] = o.sval[h];
    }
  } else if (fn == AggFn::kFirst || fn == AggFn::kLast) {
    if (fn == AggFn::kLast || a == 0) {
      fval[g] = o.fval[h];
      ival[g] = o.ival[h];
      sval[g] = o.sval[h];
    }
  } else if (fn == AggFn::kNunique) {
    uniq[g].insert(o.uniq[h].begin(), o.uniq[h].end());
  }
}

void Accumulator::emit(std::size_t g, DType t, ColumnBuilder& b) const {
  const std::int64_t c = count[g];
  switch (fn) {
    case AggFn::kCount:
    case AggFn::kSize:
      b.append_int(c);
      return;
    case AggFn::kNunique:
      b.append_int(static_cast<std::int64_t>(uniq[g].size()));
      return;
    case AggFn::kSum:
      t == DType::int64 ? b.append_int(int_sum(g))
                        : b.append_double(static_cast<double>(int_sum(g)) + float_sum(g));
      return;
    case AggFn::kMean:
      c == 0 ? b.append_null()
             : b.append_double((static_cast<double>(int_sum(g)) + float_sum(g)) /
                               static_cast<double>(c));
      return;
    case AggFn::kStd:
    case AggFn::kVar:
      if (c <= 1) {
        b.append_null();
      } else {
        const double v = m2[g] / static_cast<double>(c - 1);
        b.append_double(fn == AggFn::kStd ? std::sqrt(v) : v);
      }
      return;
    default:
      break;
  }
  if (c == 0) {  // min/max/first/last of nothing
    b.append_null();
  } else if (t == DType::string) {
    b.append_string(sval[g]);
  } else if (t == DType::float64) {
    b.append_double(fval[g]);
  } else if (t == DType::boolean) {
    b.append_bool(ival[g] != 0);
  } else {
    b.append_int(ival[g]);
  }
}

}  // namespace loom::dataframe::detail
