// Comparison steps (==, !=, <, <=, >, >=): one typed loop per operator and operand types,
// picked once per partition (kernels.hpp). As pandas: a missing value or a NaN compares false,
// and true for !=.
#include <cstdint>
#include <string>
#include <vector>

#include "dataframe/expr/kernels.hpp"

namespace loom::dataframe::detail {

namespace {

// The operators, on numbers (IEEE: NaN compares false, and != true) and on three-way results.
struct Eq {
  template <class T>
  static bool of(T x, T y) noexcept {
    return x == y;
  }
  static bool of3(int c) noexcept { return c == 0; }
};
struct Ne {
  template <class T>
  static bool of(T x, T y) noexcept {
    return !(x == y);
  }
  static bool of3(int c) noexcept { return c != 0; }
};
struct Lt {
  template <class T>
  static bool of(T x, T y) noexcept {
    return x < y;
  }
  static bool of3(int c) noexcept { return c < 0; }
};
struct Le {
  template <class T>
  static bool of(T x, T y) noexcept {
    return x <= y;
  }
  static bool of3(int c) noexcept { return c <= 0; }
};
struct Gt {
  template <class T>
  static bool of(T x, T y) noexcept {
    return x > y;
  }
  static bool of3(int c) noexcept { return c > 0; }
};
struct Ge {
  template <class T>
  static bool of(T x, T y) noexcept {
    return x >= y;
  }
  static bool of3(int c) noexcept { return c >= 0; }
};

// Calls f(Cmp{}) with the operator's type: the one switch, before any loop.
template <class F>
decltype(auto) with_operator(Op op, F&& f) {
  switch (op) {
    case Op::kEq:
      return f(Eq{});
    case Op::kNe:
      return f(Ne{});
    case Op::kLt:
      return f(Lt{});
    case Op::kLe:
      return f(Le{});
    case Op::kGt:
      return f(Gt{});
    default:
      return f(Ge{});
  }
}

// Block of out where `valid` has no bit: what a missing value compares to (true only for !=).
void blank_missing(std::uint8_t* out, const std::uint64_t* valid, std::int64_t begin,
                   std::int64_t n, bool ne) {
  const std::uint8_t blank = ne ? 1 : 0;
  for (std::int64_t k = 0; k < n; ++k) out[k] = validity_bit(valid, begin + k) ? out[k] : blank;
}

template <class R, class Cmp>
Column compare_numbers(const Operand& a, const Operand& b, std::int64_t n, bool ne) {
  Reader<R> x(a);
  Reader<R> y(b);
  const bool right_literal = b.d == nullptr;  // (a literal on the left was swapped right)
  const std::vector<std::uint64_t> valid = joint_validity(a, &b, n);
  return bool_column(n, [&](std::uint8_t* out) {
    for (std::int64_t begin = 0; begin < n; begin += kBlock) {
      const std::int64_t m = std::min(kBlock, n - begin);
      std::uint8_t* o = out + begin;
      const R* u = x.block(begin, m);
      const R* v = y.block(begin, m);
      if (right_literal) {  // a column against a number: the number held in a register
        const R z = v[0];
        for (std::int64_t k = 0; k < m; ++k) o[k] = Cmp::of(u[k], z) ? 1 : 0;
      } else {
        for (std::int64_t k = 0; k < m; ++k) o[k] = Cmp::of(u[k], v[k]) ? 1 : 0;
      }
      if (!valid.empty()) blank_missing(o, valid.data(), begin, m, ne);
    }
  });
}

int three_way(std::string_view x, std::string_view y) noexcept {
  const int c = x.compare(y);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

template <class Cmp>
Column compare_strings(const Operand& a, const Operand& b, std::int64_t n, bool ne) {
  const std::vector<std::uint64_t> valid = joint_validity(a, &b, n);
  const std::uint64_t* ok = valid.empty() ? nullptr : valid.data();
  if (a.d == nullptr) {  // two literals
    const bool r =
        Cmp::of3(three_way(std::get<std::string>(*a.lit), std::get<std::string>(*b.lit)));
    return bool_column(n, [&](std::uint8_t* out) {
      for (std::int64_t i = 0; i < n; ++i) out[i] = r ? 1 : 0;
    });
  }
  const ColumnData& d = *a.d;
  if (b.d == nullptr && d.dictionary) {
    // A dictionary column against a literal: each distinct string compared once.
    const std::string& s = std::get<std::string>(*b.lit);
    const std::int64_t distinct = static_cast<std::int64_t>(d.offsets.size()) - 1;
    std::vector<std::uint8_t> hit(static_cast<std::size_t>(distinct));
    for (std::int64_t k = 0; k < distinct; ++k) {
      hit[static_cast<std::size_t>(k)] = Cmp::of3(three_way(d.entry(k), s)) ? 1 : 0;
    }
    return bool_column(n, [&](std::uint8_t* out) {
      for (std::int64_t i = 0; i < n; ++i) {
        out[i] = hit[static_cast<std::size_t>(d.codes[static_cast<std::size_t>(i)])];
      }
      for (std::int64_t begin = 0; ok != nullptr && begin < n; begin += kBlock) {
        blank_missing(out + begin, ok, begin, std::min(kBlock, n - begin), ne);
      }
    });
  }
  return bool_column(n, [&](std::uint8_t* out) {
    if (b.d == nullptr) {
      const std::string_view s = std::get<std::string>(*b.lit);
      for (std::int64_t i = 0; i < n; ++i) out[i] = Cmp::of3(three_way(d.str(i), s)) ? 1 : 0;
    } else {
      const ColumnData& e = *b.d;
      for (std::int64_t i = 0; i < n; ++i) {
        out[i] = Cmp::of3(three_way(d.str(i), e.str(i))) ? 1 : 0;
      }
    }
    for (std::int64_t begin = 0; ok != nullptr && begin < n; begin += kBlock) {
      blank_missing(out + begin, ok, begin, std::min(kBlock, n - begin), ne);
    }
  });
}

}  // namespace

Column compare(Op op, const Operand& a, const Operand& b, std::int64_t n) {
  const bool ne = op == Op::kNe;
  return with_operator(op, [&](auto cmp) {
    using Cmp = decltype(cmp);
    if (a.dtype == DType::string) return compare_strings<Cmp>(a, b, n, ne);
    // Numbers as int64 unless one is float64 (ints above 2^53 compare exactly).
    const bool ints = a.dtype != DType::float64 && b.dtype != DType::float64;
    return ints ? compare_numbers<std::int64_t, Cmp>(a, b, n, ne)
                : compare_numbers<double, Cmp>(a, b, n, ne);
  });
}

}  // namespace loom::dataframe::detail
