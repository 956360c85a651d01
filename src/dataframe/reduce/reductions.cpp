// The partials of whole-column reductions (reductions.hpp): per partition, merged, finished
// with pandas' semantics (missing values left out; sum of nothing 0, min of nothing missing).
#include "dataframe/reduce/reductions.hpp"

#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "loom/core/detail/assert.hpp"
#include "loom/core/error.hpp"

namespace loom::dataframe::detail {

namespace {

// -1, 0, 1; numbers of different kinds compare by value (an int column widened midway).
int compare_values(const Value& a, const Value& b) {
  auto number = [](const Value& v, double& out) {
    if (const auto* i = std::get_if<std::int64_t>(&v)) return out = static_cast<double>(*i), true;
    if (const auto* d = std::get_if<double>(&v)) return out = *d, true;
    if (const auto* f = std::get_if<bool>(&v)) return out = *f ? 1.0 : 0.0, true;
    return false;
  };
  if (a.index() == b.index() && std::holds_alternative<std::int64_t>(a)) {
    const auto x = std::get<std::int64_t>(a);
    const auto y = std::get<std::int64_t>(b);
    return x < y ? -1 : (y < x ? 1 : 0);
  }
  double x = 0;
  double y = 0;
  if (number(a, x) && number(b, y)) return x < y ? -1 : (y < x ? 1 : 0);
  if (const auto* s = std::get_if<std::string>(&a)) {
    const int c = s->compare(std::get<std::string>(b));
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  const auto& ta = std::get<Timestamp>(a);
  const auto& tb = std::get<Timestamp>(b);
  return ta < tb ? -1 : (tb < ta ? 1 : 0);
}

void keep_best(Value& best, Value candidate, Reduction fn) {
  if (std::holds_alternative<std::monostate>(best)) {
    best = std::move(candidate);
    return;
  }
  const int c = compare_values(candidate, best);
  if (fn == Reduction::kMin ? c < 0 : c > 0) best = std::move(candidate);
}

template <class T>
std::string tagged(char tag, T v) {
  std::string s(1 + sizeof(T), tag);
  std::memcpy(s.data() + 1, &v, sizeof(T));
  return s;
}

// nunique's encoding: an integral float is the int it equals (1 and 1.0 are one value).
std::string encode_number(double x) {
  if (std::trunc(x) == x && std::abs(x) < 9.2e18) return tagged('i', static_cast<std::int64_t>(x));
  return tagged('f', x);
}

}  // namespace

const char* reduction_name(Reduction fn) noexcept {
  switch (fn) {
    case Reduction::kSum: return "sum";
    case Reduction::kProd: return "prod";
    case Reduction::kMin: return "min";
    case Reduction::kMax: return "max";
    case Reduction::kMean: return "mean";
    case Reduction::kStd: return "std";
    case Reduction::kVar: return "var";
    case Reduction::kCount: return "count";
    case Reduction::kSize: return "size";
    case Reduction::kNunique: return "nunique";
    case Reduction::kAny: return "any";
    case Reduction::kAll: return "all";
  }
  return "?";
}

void check_reducible(Reduction fn, DType t, const std::string& what) {
  const bool arithmetic = fn == Reduction::kSum || fn == Reduction::kProd ||
                          fn == Reduction::kMean || fn == Reduction::kStd ||
                          fn == Reduction::kVar || fn == Reduction::kAny || fn == Reduction::kAll;
  if (arithmetic && !is_numeric(t)) {
    throw SchemaError(fmt::format("{}(): {} is {}, which has no {} (only int64, float64 and bool)",
                                  reduction_name(fn), what, dtype_name(t), reduction_name(fn)));
  }
}

Partial reduce_partition(const Table& t, const ReduceSpec& spec) {
  const Column c = evaluate(*spec.expr, t);
  const ColumnData& d = data_of(c);
  Partial r;
  r.rows = d.size;
  r.saw_float = d.dtype == DType::float64;
  const Reduction fn = spec.fn;
  if (fn == Reduction::kSize) return r;
  const bool numeric = is_numeric(d.dtype);
  for (std::int64_t i = 0; i < d.size; ++i) {
    if (d.is_missing(i)) continue;
    ++r.count;
    const auto k = static_cast<std::size_t>(i);
    if (fn == Reduction::kCount) continue;
    if (numeric) {
      const bool is_float = d.dtype == DType::float64;
      const std::int64_t iv = is_float                     ? 0
                              : d.dtype == DType::boolean ? static_cast<std::int64_t>(d.bools[k])
                                                           : d.ints[k];
      const double x = is_float ? d.floats[k] : static_cast<double>(iv);
      switch (fn) {
        case Reduction::kSum:
          if (is_float) {
            r.float_sum += x;
          } else {
            r.int_sum += static_cast<std::uint64_t>(iv);
          }
          break;
        case Reduction::kProd:
          if (is_float) {
            r.float_prod *= x;
          } else {
            r.int_prod *= static_cast<std::uint64_t>(iv);
          }
          break;
        case Reduction::kMean:
        case Reduction::kStd:
        case Reduction::kVar: r.moments.add(x); break;
        case Reduction::kMin:
        case Reduction::kMax:
          if (d.dtype == DType::boolean) {
            keep_best(r.best, Value(iv != 0), fn);
          } else if (is_float) {
            keep_best(r.best, Value(x), fn);
          } else {
            keep_best(r.best, Value(iv), fn);
          }
          break;
        case Reduction::kNunique:
          r.distinct.insert(is_float ? encode_number(x) : tagged('i', iv));
          break;
        case Reduction::kAny: r.any = r.any || x != 0; break;
        case Reduction::kAll: r.all = r.all && x != 0; break;
        default: break;
      }
    } else if (d.dtype == DType::string) {
      const std::string_view s = d.str(i);
      if (fn == Reduction::kNunique) {
        std::string e(1, 's');
        e.append(s);
        r.distinct.insert(std::move(e));
      } else {  // min, max
        keep_best(r.best, Value(std::string(s)), fn);
      }
    } else {  // datetime
      const std::int64_t ns = d.ints[k];
      if (fn == Reduction::kNunique) {
        r.distinct.insert(tagged('t', ns));
      } else {
        keep_best(r.best, Value(Timestamp(std::chrono::nanoseconds(ns))), fn);
      }
    }
  }
  return r;
}

void merge_partials(Partial& a, Partial&& b, Reduction fn) {
  a.rows += b.rows;
  a.count += b.count;
  a.saw_float = a.saw_float || b.saw_float;
  a.int_sum += b.int_sum;
  a.float_sum += b.float_sum;
  a.int_prod *= b.int_prod;
  a.float_prod *= b.float_prod;
  a.moments.merge(b.moments);
  if (!std::holds_alternative<std::monostate>(b.best)) keep_best(a.best, std::move(b.best), fn);
  if (a.distinct.size() < b.distinct.size()) std::swap(a.distinct, b.distinct);
  a.distinct.merge(b.distinct);
  a.any = a.any || b.any;
  a.all = a.all && b.all;
}

Value value_of(const Partial& p, Reduction fn, DType dtype) {
  const bool floats = p.saw_float || dtype == DType::float64;
  switch (fn) {
    case Reduction::kSum:
      if (!floats) return static_cast<std::int64_t>(p.int_sum);
      return static_cast<double>(static_cast<std::int64_t>(p.int_sum)) + p.float_sum;
    case Reduction::kProd:
      if (!floats) return static_cast<std::int64_t>(p.int_prod);
      return static_cast<double>(static_cast<std::int64_t>(p.int_prod)) * p.float_prod;
    case Reduction::kMin:
    case Reduction::kMax:
      if (floats) {
        if (const auto* i = std::get_if<std::int64_t>(&p.best)) return static_cast<double>(*i);
      }
      return p.best;
    default: break;
  }
  LOOM_ASSERT(false, "value_of: not a value reduction");
  return {};
}

double moment_of(const Partial& p, Reduction fn, int ddof) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (fn == Reduction::kMean) return p.count == 0 ? nan : p.moments.mean;
  const double dof = p.moments.count - static_cast<double>(ddof);
  if (dof <= 0) return nan;
  const double var = p.moments.m2 / dof;
  return fn == Reduction::kStd ? std::sqrt(var) : var;
}

}  // namespace loom::dataframe::detail
