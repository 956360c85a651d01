// Arithmetic steps (+, -, *, /, unary -): one typed loop per operator, result type and operand
// shape, picked once per partition (kernels.hpp).
#include <cmath>
#include <cstdint>
#include <limits>

#include "dataframe/expr/kernels.hpp"

namespace loom::dataframe::detail {

namespace {

// Integer results wrap around on overflow (two's complement, as NumPy's int64), never UB.
inline std::int64_t wrap(std::uint64_t x) noexcept { return static_cast<std::int64_t>(x); }
inline std::uint64_t bits_of(std::int64_t x) noexcept { return static_cast<std::uint64_t>(x); }

struct Add {
  static std::int64_t of(std::int64_t x, std::int64_t y) noexcept {
    return wrap(bits_of(x) + bits_of(y));
  }
  static double of(double x, double y) noexcept { return x + y; }
};
struct Sub {
  static std::int64_t of(std::int64_t x, std::int64_t y) noexcept {
    return wrap(bits_of(x) - bits_of(y));
  }
  static double of(double x, double y) noexcept { return x - y; }
};
struct Mul {
  static std::int64_t of(std::int64_t x, std::int64_t y) noexcept {
    return wrap(bits_of(x) * bits_of(y));
  }
  static double of(double x, double y) noexcept { return x * y; }
};
struct Div {
  static double of(double x, double y) noexcept { return x / y; }
};

// Which operands are literals (their values then read once, held in a register).
enum class Shape { kColumns, kRightLiteral, kLeftLiteral };

template <class R, class F, Shape kShape>
void binary_block(const R* a, const R* b, R* out, std::int64_t n) {
  if constexpr (kShape == Shape::kRightLiteral) {
    const R y = b[0];
    for (std::int64_t k = 0; k < n; ++k) out[k] = F::of(a[k], y);
  } else if constexpr (kShape == Shape::kLeftLiteral) {
    const R x = a[0];
    for (std::int64_t k = 0; k < n; ++k) out[k] = F::of(x, b[k]);
  } else {
    for (std::int64_t k = 0; k < n; ++k) out[k] = F::of(a[k], b[k]);
  }
}

template <class R>
using BlockFn = void (*)(const R*, const R*, R*, std::int64_t);

template <class R, class F>
BlockFn<R> pick_shape(const Operand& a, const Operand& b) {
  if (a.d != nullptr && b.d == nullptr) return &binary_block<R, F, Shape::kRightLiteral>;
  if (a.d == nullptr && b.d != nullptr) return &binary_block<R, F, Shape::kLeftLiteral>;
  return &binary_block<R, F, Shape::kColumns>;
}

// What a missing row holds (as ColumnBuilder::append_null writes it).
template <class R>
constexpr R missing_value() noexcept {
  if constexpr (std::is_floating_point_v<R>) {
    return std::numeric_limits<R>::quiet_NaN();
  } else {
    return 0;
  }
}

// Block [begin, begin + n) of out: missing_value() where `valid` has no bit.
template <class R>
void blank_missing(R* out, const std::uint64_t* valid, std::int64_t begin, std::int64_t n) {
  const R blank = missing_value<R>();
  for (std::int64_t k = 0; k < n; ++k) out[k] = validity_bit(valid, begin + k) ? out[k] : blank;
}

// A column of R (int64 or double) of n rows whose blocks `step(begin, n, out)` computes,
// missing where `valid` (joint_validity) says.
template <class R, class Step>
Column numbers(std::int64_t n, std::vector<std::uint64_t> valid, Step step) {
  auto d = std::make_shared<ColumnData>();
  const bool blanks = !valid.empty();
  if constexpr (std::is_floating_point_v<R>) {
    d->dtype = DType::float64;
    d->floats.resize(static_cast<std::size_t>(n));
    for (std::int64_t begin = 0; begin < n; begin += kBlock) {
      const std::int64_t m = std::min(kBlock, n - begin);
      R* out = d->floats.data() + begin;
      step(begin, m, out);
      if (blanks) blank_missing(out, valid.data(), begin, m);
    }
  } else {
    // Ints go through a block buffer into the narrowest storage that holds them (IntValues).
    d->dtype = DType::int64;
    d->ints.reserve(static_cast<std::size_t>(n));
    std::array<R, kBlock> out{};
    for (std::int64_t begin = 0; begin < n; begin += kBlock) {
      const std::int64_t m = std::min(kBlock, n - begin);
      step(begin, m, out.data());
      if (blanks) blank_missing(out.data(), valid.data(), begin, m);
      d->ints.append(out.data(), static_cast<std::size_t>(m));
    }
  }
  d->size = n;
  set_validity(*d, std::move(valid));
  return detail::make_column(std::move(d));
}

template <class R>
Column arithmetic_as(Op op, const Operand& a, const Operand& b, std::int64_t n) {
  BlockFn<R> fn = nullptr;
  switch (op) {
    case Op::kAdd:
      fn = pick_shape<R, Add>(a, b);
      break;
    case Op::kSub:
      fn = pick_shape<R, Sub>(a, b);
      break;
    case Op::kMul:
      fn = pick_shape<R, Mul>(a, b);
      break;
    default:  // division: true division, so an integer result never gets here
      if constexpr (std::is_floating_point_v<R>) {
        fn = pick_shape<R, Div>(a, b);
      } else {
        fn = pick_shape<R, Mul>(a, b);
      }
      break;
  }
  Reader<R> x(a);
  Reader<R> y(b);
  return numbers<R>(n, joint_validity(a, &b, n), [&](std::int64_t begin, std::int64_t m, R* out) {
    fn(x.block(begin, m), y.block(begin, m), out, m);
  });
}

}  // namespace

Column arithmetic(Op op, const Operand& a, const Operand& b, std::int64_t n) {
  // The operands' dtypes in this partition decide: the run's resolved ones (resolved_dtype).
  const bool ints = a.dtype != DType::float64 && b.dtype != DType::float64 && op != Op::kDiv;
  return ints ? arithmetic_as<std::int64_t>(op, a, b, n) : arithmetic_as<double>(op, a, b, n);
}

Column negate(const Operand& a, std::int64_t n) {
  auto run = [&]<class R>(R /*type*/) {
    Reader<R> x(a);
    return numbers<R>(n, joint_validity(a, nullptr, n),
                      [&](std::int64_t begin, std::int64_t m, R* out) {
                        const R* v = x.block(begin, m);
                        for (std::int64_t k = 0; k < m; ++k) {
                          if constexpr (std::is_floating_point_v<R>) {
                            out[k] = -v[k];
                          } else {
                            out[k] = wrap(0 - bits_of(v[k]));
                          }
                        }
                      });
  };
  return a.dtype == DType::float64 ? run(double{}) : run(std::int64_t{});
}

}  // namespace loom::dataframe::detail
