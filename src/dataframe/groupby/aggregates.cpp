// Group-by aggregates: each function's consume, merge and finalize (aggregates.hpp).
#include "dataframe/groupby/aggregates.hpp"

#include <cmath>
#include <type_traits>
#include <utility>

#include "dataframe/column_builder.hpp"
#include "dataframe/groupby/group_keys.hpp"

namespace loom::dataframe::detail {

namespace {

// Int sums wrap around on overflow, as pandas' int64 sums do (a signed overflow would be UB).
inline std::int64_t wrapping_add(std::int64_t a, std::int64_t b) noexcept {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
}

// Row i of a column without a value: its validity bit clear (kBits: the column has a bitmap),
// or a float NaN. (The one missing-value test of the dataframe, spelled for typed loops.)
template <bool kBits, class T>
[[gnu::always_inline]] inline bool missing_at(const T* v, const std::uint64_t* bits,
                                              std::int64_t i) noexcept {
  if constexpr (kBits) {
    if (!validity_bit(bits, i)) return true;
  }
  if constexpr (std::is_floating_point_v<T>) return std::isnan(v[i]);
  return false;
}

template <bool kBits, class T, class Value, class Missing>
void rows_of(const T* v, const std::uint64_t* bits, std::int64_t begin, std::int64_t n,
             const std::int32_t* group, Value& value, Missing& missing) {
  for (std::int64_t k = 0; k < n; ++k) {
    const std::int32_t g = group[k];
    if (g < 0) continue;
    const std::int64_t i = begin + k;
    if (missing_at<kBits>(v, bits, i)) {
      missing(static_cast<std::size_t>(g));
    } else {
      value(static_cast<std::size_t>(g), i, v[i]);
    }
  }
}

// Calls value(g, i, x) for each row i of [begin, begin + n) in a group g with a value x (typed:
// double, uint8 for bools, int8..int64 for ints and datetimes as stored), missing(g) for each in
// a group without one. The loop is picked once for the column's storage and bitmap.
template <class Value, class Missing>
void for_each_number(const ColumnData& d, std::int64_t begin, std::int64_t n,
                     const std::int32_t* group, Value&& value, Missing&& missing) {
  const std::uint64_t* bits = d.validity.empty() ? nullptr : d.validity.data();
  auto run = [&](const auto* v) {
    bits != nullptr ? rows_of<true>(v, bits, begin, n, group, value, missing)
                    : rows_of<false>(v, bits, begin, n, group, value, missing);
  };
  switch (d.dtype) {
    case DType::float64:
      run(d.floats.data());
      break;
    case DType::boolean:
      run(d.bools.data());
      break;
    default:  // int64, datetime
      d.ints.visit(run);
      break;
  }
}

// The same for a string column: value(g, i) for each row in a group with a value.
template <class Value>
void for_each_string(const ColumnData& d, std::int64_t begin, std::int64_t n,
                     const std::int32_t* group, Value&& value) {
  for (std::int64_t k = 0; k < n; ++k) {
    const std::int32_t g = group[k];
    if (g < 0 || !d.is_valid(begin + k)) continue;
    value(static_cast<std::size_t>(g), begin + k);
  }
}

// A value as min/max/first/last keep it: as a double, and as an integer (0 for floats).
template <class T>
double as_double(T x) noexcept {
  return static_cast<double>(x);
}
template <class T>
std::int64_t as_integer(T x) noexcept {
  if constexpr (std::is_floating_point_v<T>) {
    return 0;
  } else {
    return static_cast<std::int64_t>(x);
  }
}

// The output column of `order`'s groups, append(b, g) appending group g's result.
template <class Append>
Column build(const std::vector<std::int32_t>& order, DType type, Append append) {
  ColumnBuilder b(type);
  b.reserve(static_cast<std::int64_t>(order.size()));
  for (const std::int32_t g : order) append(b, static_cast<std::size_t>(g));
  return b.finish();
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

// ---- count, size ----

void CountState::resize(std::size_t groups) {
  if (count.size() != groups) count.resize(groups, 0);
}

void CountState::consume(const ColumnData& d, std::int64_t begin, std::int64_t n,
                         const std::int32_t* group) {
  // `count` holds the missing values until finish_partition.
  if (d.dtype == DType::string) {
    if (d.validity.empty()) return;
    for (std::int64_t k = 0; k < n; ++k) {
      const std::int32_t g = group[k];
      if (g >= 0 && !d.is_valid(begin + k)) ++count[static_cast<std::size_t>(g)];
    }
    return;
  }
  if (d.validity.empty() && d.dtype != DType::float64) return;  // nothing missing
  for_each_number(
      d, begin, n, group, [](std::size_t, std::int64_t, auto) {},
      [&](std::size_t g) { ++count[g]; });
}

void CountState::finish_partition(const std::vector<std::int64_t>& rows) {
  for (std::size_t g = 0; g < count.size(); ++g) count[g] = rows[g] - count[g];
}

void CountState::merge(const CountState& o, const std::vector<std::int32_t>& target) {
  for (std::size_t h = 0; h < target.size(); ++h) {
    count[static_cast<std::size_t>(target[h])] += o.count[h];
  }
}

Column CountState::finalize(const std::vector<std::int32_t>& order, DType type) const {
  return build(order, type, [&](ColumnBuilder& b, std::size_t g) { b.append_int(count[g]); });
}

// ---- sum, mean ----

void SumState::resize(std::size_t groups) {
  if (count.size() == groups) return;
  count.resize(groups, 0);
  if (!isum.empty()) isum.resize(groups, 0);
  if (!fsum.empty()) fsum.resize(groups, 0.0);
}

void SumState::ensure_sums(bool floats) {
  if (floats) {
    if (fsum.size() < count.size()) fsum.resize(count.size(), 0.0);
  } else if (isum.size() < count.size()) {
    isum.resize(count.size(), 0);
  }
}

void SumState::consume(const ColumnData& d, std::int64_t begin, std::int64_t n,
                       const std::int32_t* group) {
  ensure_sums(d.dtype == DType::float64);
  for_each_number(
      d, begin, n, group,
      [&](std::size_t g, std::int64_t, auto x) {
        if constexpr (std::is_floating_point_v<decltype(x)>) {
          fsum[g] += x;
        } else {
          isum[g] = wrapping_add(isum[g], x);
        }
      },
      [&](std::size_t g) { ++count[g]; });
}

void SumState::merge(const SumState& o, const std::vector<std::int32_t>& target) {
  CountState::merge(o, target);
  const std::size_t n = target.size();
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

Column SumState::finalize(const std::vector<std::int32_t>& order, DType type) const {
  if (type == DType::int64) {
    return build(order, type, [&](ColumnBuilder& b, std::size_t g) { b.append_int(int_sum(g)); });
  }
  return build(order, type, [&](ColumnBuilder& b, std::size_t g) {
    b.append_double(static_cast<double>(int_sum(g)) + float_sum(g));
  });
}

Column MeanState::finalize(const std::vector<std::int32_t>& order, DType type) const {
  return build(order, type, [&](ColumnBuilder& b, std::size_t g) {
    const std::int64_t c = count[g];
    c == 0 ? b.append_null()
           : b.append_double((static_cast<double>(int_sum(g)) + float_sum(g)) /
                             static_cast<double>(c));
  });
}

// ---- var, std ----

template <bool kRoot>
void MomentsState<kRoot>::consume(const ColumnData& d, std::int64_t begin, std::int64_t n,
                                  const std::int32_t* group) {
  for_each_number(
      d, begin, n, group,
      [&](std::size_t g, std::int64_t, auto x) { moments[g].add(static_cast<double>(x)); },
      [](std::size_t) {});
}

template <bool kRoot>
void MomentsState<kRoot>::merge(const MomentsState& o, const std::vector<std::int32_t>& target) {
  for (std::size_t h = 0; h < target.size(); ++h) {
    moments[static_cast<std::size_t>(target[h])].merge(o.moments[h]);
  }
}

template <bool kRoot>
Column MomentsState<kRoot>::finalize(const std::vector<std::int32_t>& order, DType type) const {
  return build(order, type, [&](ColumnBuilder& b, std::size_t g) {
    const loom::detail::Moments& m = moments[g];
    if (m.count <= 1) {
      b.append_null();
    } else {
      const double v = m.m2 / (m.count - 1);
      b.append_double(kRoot ? std::sqrt(v) : v);
    }
  });
}

template struct MomentsState<false>;
template struct MomentsState<true>;

// ---- min, max, first, last ----

void ValueState::resize(std::size_t groups) {
  if (count.size() == groups) return;
  count.resize(groups, 0);
  fval.resize(groups, 0.0);
  ival.resize(groups, 0);
  sval.resize(groups);
}

Column ValueState::finalize(const std::vector<std::int32_t>& order, DType type) const {
  const DType t = type;
  return build(order, t, [&](ColumnBuilder& b, std::size_t g) {
    if (count[g] == 0) {  // min/max/first/last of nothing
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
  });
}

template <bool kMax>
void ExtremeState<kMax>::consume(const ColumnData& d, std::int64_t begin, std::int64_t n,
                                 const std::int32_t* group) {
  if (d.dtype == DType::string) {
    for_each_string(d, begin, n, group, [&](std::size_t g, std::int64_t i) {
      const std::string_view s = d.str(i);
      if (count[g]++ == 0 || (kMax ? s > sval[g] : s < sval[g])) sval[g] = s;
    });
    return;
  }
  for_each_number(
      d, begin, n, group,
      [&](std::size_t g, std::int64_t, auto x) {
        using T = decltype(x);
        // Integers (and datetimes) compare as integers: doubles lose them above 2^53.
        bool better = false;
        if constexpr (std::is_floating_point_v<T>) {
          better = kMax ? x > fval[g] : x < fval[g];
        } else {
          const std::int64_t xi = as_integer(x);
          better = kMax ? xi > ival[g] : xi < ival[g];
        }
        if (count[g]++ == 0 || better) {
          fval[g] = as_double(x);
          ival[g] = as_integer(x);
        }
      },
      [](std::size_t) {});
}

template <bool kMax>
void ExtremeState<kMax>::merge(const ExtremeState& o, const std::vector<std::int32_t>& target) {
  merge_values(o, target, [&](std::size_t g, std::size_t h) {
    return text        ? (kMax ? o.sval[h] > sval[g] : o.sval[h] < sval[g])
           : floats    ? (kMax ? o.fval[h] > fval[g] : o.fval[h] < fval[g])
                       : (kMax ? o.ival[h] > ival[g] : o.ival[h] < ival[g]);
  });
}

template <bool kLast>
void PickState<kLast>::consume(const ColumnData& d, std::int64_t begin, std::int64_t n,
                               const std::int32_t* group) {
  if (d.dtype == DType::string) {
    for_each_string(d, begin, n, group, [&](std::size_t g, std::int64_t i) {
      if (count[g]++ == 0 || kLast) {
        fval[g] = 0.0;
        ival[g] = 0;
        sval[g] = d.str(i);
      }
    });
    return;
  }
  for_each_number(
      d, begin, n, group,
      [&](std::size_t g, std::int64_t, auto x) {
        if (count[g]++ == 0 || kLast) {
          fval[g] = as_double(x);
          ival[g] = as_integer(x);
        }
      },
      [](std::size_t) {});
}

template <bool kLast>
void PickState<kLast>::merge(const PickState& o, const std::vector<std::int32_t>& target) {
  merge_values(o, target, [](std::size_t, std::size_t) { return kLast; });
}

template struct ExtremeState<false>;
template struct ExtremeState<true>;
template struct PickState<false>;
template struct PickState<true>;

// ---- nunique ----

void NuniqueState::consume(const ColumnData& d, std::int64_t begin, std::int64_t n,
                           const std::int32_t* group) {
  std::string key;
  auto add = [&](std::size_t g, std::int64_t i) {
    key.clear();
    encode_value(key, d, i);
    uniq[g].insert(key);
  };
  if (d.dtype == DType::string) {
    for_each_string(d, begin, n, group, add);
    return;
  }
  for_each_number(
      d, begin, n, group, [&](std::size_t g, std::int64_t i, auto) { add(g, i); },
      [](std::size_t) {});
}

void NuniqueState::merge(const NuniqueState& o, const std::vector<std::int32_t>& target) {
  for (std::size_t h = 0; h < target.size(); ++h) {
    uniq[static_cast<std::size_t>(target[h])].insert(o.uniq[h].begin(), o.uniq[h].end());
  }
}

Column NuniqueState::finalize(const std::vector<std::int32_t>& order, DType type) const {
  return build(order, type, [&](ColumnBuilder& b, std::size_t g) {
    b.append_int(static_cast<std::int64_t>(uniq[g].size()));
  });
}

// ---- the state of one output column ----

namespace {

template <std::size_t I = 0>
Aggregate::State make_state(std::size_t index) {
  if constexpr (I < std::variant_size_v<Aggregate::State>) {
    if (index == I) return Aggregate::State(std::in_place_index<I>);
    return make_state<I + 1>(index);
  } else {
    return Aggregate::State();
  }
}

}  // namespace

Aggregate::Aggregate(AggFn fn, DType column) : state_(make_state(static_cast<std::size_t>(fn))) {
  std::visit(
      [&](auto& s) {
        if constexpr (std::is_base_of_v<ValueState, std::remove_cvref_t<decltype(s)>>) {
          s.floats = column == DType::float64;
          s.text = column == DType::string;
        }
      },
      state_);
}

}  // namespace loom::dataframe::detail
