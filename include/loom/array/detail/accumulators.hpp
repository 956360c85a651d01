#pragma once
// The accumulators of chunked-array reductions: each takes runs of values (`add`), merges with
// another of its kind (`merge`, for the tree of partial results) and is finished by the
// reduction that owns it.

#include <cmath>
#include <cstdint>
#include <optional>
#include <type_traits>

#include "loom/array/array.hpp"
#include "loom/core/detail/moments.hpp"

namespace loom::array::detail {

template <class Scalar>
struct SumAcc {
  using A = std::conditional_t<std::is_floating_point_v<Scalar>, double, std::int64_t>;
  A total = 0;
  void add(const Scalar* x, std::int64_t n) {
    if constexpr (std::is_floating_point_v<Scalar>) {
      total += sum_as_double(x, n);
    } else {
      A t = 0;
      for (std::int64_t i = 0; i < n; ++i) t += static_cast<A>(x[i]);
      total += t;
    }
  }
  void add_sum(double s, std::int64_t /*n*/) { total += static_cast<A>(s); }
  void merge(const SumAcc& o) { total += o.total; }
  [[nodiscard]] sum_type<Scalar> result() const { return static_cast<sum_type<Scalar>>(total); }
};

template <class Scalar>
struct ProdAcc {
  using A = std::conditional_t<std::is_floating_point_v<Scalar>, double, std::int64_t>;
  A total = 1;
  void add(const Scalar* x, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) total *= static_cast<A>(x[i]);
  }
  void merge(const ProdAcc& o) { total *= o.total; }
  [[nodiscard]] sum_type<Scalar> result() const { return static_cast<sum_type<Scalar>>(total); }
};

/// Count and sum, for the mean (one pass).
template <class Scalar>
struct MeanAcc {
  double count = 0;
  double total = 0;
  void add(const Scalar* x, std::int64_t n) {
    total += sum_as_double(x, n);
    count += static_cast<double>(n);
  }
  void add_sum(double s, std::int64_t n) {
    total += s;
    count += static_cast<double>(n);
  }
  void merge(const MeanAcc& o) {
    count += o.count;
    total += o.total;
  }
};

/// Count, mean and sum of squared deviations (loom::detail::Moments, shared with the group-by),
/// a run of values at a time: the run's own moments, in 8 lanes, merged in.
template <class Scalar>
struct MomentsAcc : loom::detail::Moments {
  void add(const Scalar* x, std::int64_t n) {
    if (n == 0) return;
    const double tile_mean = sum_as_double(x, n) / static_cast<double>(n);
    double lanes[8] = {};
    std::int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
      for (int k = 0; k < 8; ++k) {
        const double d = static_cast<double>(x[i + k]) - tile_mean;
        lanes[k] += d * d;
      }
    }
    double q = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) +
               ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
    for (; i < n; ++i) {
      const double d = static_cast<double>(x[i]) - tile_mean;
      q += d * d;
    }
    merge(loom::detail::Moments{static_cast<double>(n), tile_mean, q});
  }
};

/// Whether x beats `best` for min (max with IsMax): NaN beats every number, as NumPy's min,
/// max, argmin and argmax let NaN win.
template <bool IsMax, class T>
bool beats(T x, T best) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(x)) return !std::isnan(best);
    if (std::isnan(best)) return false;
  }
  if constexpr (std::is_same_v<T, bool>) {
    return IsMax ? (x && !best) : (!x && best);
  } else {
    return IsMax ? x > best : x < best;
  }
}

template <class T, bool IsMax>
struct ExtremeAcc {
  std::optional<T> best;
  void add(const T* x, std::int64_t n) {
    if (n == 0) return;
    T b = best ? *best : x[0];
    for (std::int64_t i = 0; i < n; ++i) {
      if (beats<IsMax>(x[i], b)) b = x[i];
    }
    best = b;
  }
  void merge(const ExtremeAcc& o) {
    if (o.best) add(&*o.best, 1);
  }
};

/// The best value and its position (the first one on ties): argmin and argmax. `add_at` is
/// told the position of x[0] and whether the positions of x[1..] follow it (else all n values
/// are at `position`).
template <class T, bool IsMax>
struct ArgAcc {
  T best{};
  std::int64_t index = -1;
  void add_at(const T* x, std::int64_t n, std::int64_t position, bool consecutive) {
    for (std::int64_t i = 0; i < n; ++i) take(x[i], consecutive ? position + i : position);
  }
  void merge(const ArgAcc& o) {
    if (o.index >= 0) take(o.best, o.index);
  }
  void take(T v, std::int64_t at) {
    // Neither beating the other means equal (or both NaN): the first position wins.
    if (index < 0 || beats<IsMax>(v, best) || (!beats<IsMax>(best, v) && at < index)) {
      best = v;
      index = at;
    }
  }
};

template <class T, bool IsAll>
struct LogicAcc {
  bool value = IsAll;
  void add(const T* x, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) {
      if (IsAll) {
        value = value && static_cast<bool>(x[i]);
      } else {
        value = value || static_cast<bool>(x[i]);
      }
    }
  }
  void merge(const LogicAcc& o) { value = IsAll ? value && o.value : value || o.value; }
};

}  // namespace loom::array::detail
