#pragma once
// The typed loops behind expression evaluation (private to src/dataframe), Arrow's compute
// kernels as the model: a step resolves its operator, its operands' storage (a literal, or a
// column of doubles, bools or ints of 1 to 8 bytes) and the result type to one loop once per
// partition — not at plan time: a column's storage width differs from partition to partition,
// and the plan's types are those it was built with, not yet those its sources decide while they
// read (a run's resolved schema) — so that the loop over the rows branches on none of them.
// Operands are read a block of kBlock rows at a time, converted to the loop's type only when stored
// otherwise; missing values are handled a block at a time from the validity bitmaps.

#include <array>
#include <bit>
#include <cstdint>
#include <functional>
#include <string_view>
#include <type_traits>
#include <vector>

#include "loom/dataframe/column.hpp"
#include "loom/dataframe/detail/expr.hpp"

namespace loom::dataframe::detail {

/// Rows per block of the typed loops (operand buffers stay in L1).
inline constexpr std::int64_t kBlock = 1024;

/// An operand of an element-wise step: a column (an evaluated sub-expression, kept alive here)
/// or a literal.
struct Operand {
  Column column;
  const ColumnData* d = nullptr;  // null for a literal
  const Literal* lit = nullptr;
  DType dtype = DType::int64;

  /// The validity words of a column with a bitmap; null when every row holds a value.
  [[nodiscard]] const std::uint64_t* bits() const noexcept {
    return d != nullptr && !d->validity.empty() ? d->validity.data() : nullptr;
  }
};
[[nodiscard]] Operand operand(const Expr& e, const Table& t);

/// A number literal as R (bools as 0 and 1; R = bool: whether it is non-zero).
template <class R>
[[nodiscard]] R literal_as(const Literal& v) noexcept {
  if (const auto* x = std::get_if<std::int64_t>(&v)) return static_cast<R>(*x);
  if (const auto* x = std::get_if<double>(&v)) return static_cast<R>(*x);
  if (const auto* x = std::get_if<bool>(&v)) return static_cast<R>(*x ? 1 : 0);
  return R{};
}

/// Reads an operand's values as R (std::int64_t, double, or bool for truth), a block at a time;
/// the conversion from the column's storage is picked once, when made. A literal is its value
/// repeated; a column stored as R is read in place.
template <class R>
class Reader {
 public:
  explicit Reader(const Operand& o) {
    if (o.d == nullptr) {
      buffer_.fill(literal_as<R>(*o.lit));
      return;
    }
    const ColumnData& d = *o.d;
    switch (d.dtype) {
      case DType::float64:
        pick(d.floats.data());
        break;
      case DType::boolean:
        pick(d.bools.data());
        break;
      case DType::string:  // (type-checked away when the expression was built)
        break;
      default:  // int64, datetime: as stored, 1 to 8 bytes
        d.ints.visit([&](const auto* v) { pick(v); });
        break;
    }
  }
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  /// Values [begin, begin + n), n <= kBlock (valid until the next call).
  [[nodiscard]] const R* block(std::int64_t begin, std::int64_t n) {
    return load_ == nullptr ? buffer_.data() : load_(values_, begin, n, buffer_.data());
  }

 private:
  template <class S>
  static const R* load(const void* values, std::int64_t begin, std::int64_t n, R* out) {
    const S* v = static_cast<const S*>(values) + begin;
    if constexpr (std::is_same_v<S, R>) {
      return v;
    } else {
      for (std::int64_t k = 0; k < n; ++k) {
        if constexpr (std::is_same_v<R, bool>) {
          out[k] = v[k] != 0;
        } else {
          out[k] = static_cast<R>(v[k]);
        }
      }
      return out;
    }
  }
  template <class S>
  void pick(const S* v) {
    values_ = v;
    load_ = &load<S>;
  }

  const R* (*load_)(const void*, std::int64_t, std::int64_t, R*) = nullptr;
  const void* values_ = nullptr;
  std::array<R, kBlock> buffer_{};
};

/// The rows of n where both operands hold a value, as validity words ((n >> 6) + 1 of them,
/// bits past n clear); empty when neither operand has a bitmap.
[[nodiscard]] std::vector<std::uint64_t> joint_validity(const Operand& a, const Operand* b,
                                                        std::int64_t n);

/// Gives `d` (n rows) the validity `words` (from joint_validity) and its null count, laid out as
/// ColumnBuilder lays them out (no bitmap when every row holds a value).
void set_validity(ColumnData& d, std::vector<std::uint64_t> words);

/// A boolean column of n rows, no value missing, whose bytes `fill(out)` writes.
template <class Fill>
[[nodiscard]] Column bool_column(std::int64_t n, Fill fill) {
  auto d = std::make_shared<ColumnData>();
  d->dtype = DType::boolean;
  d->size = n;
  d->bools.resize(static_cast<std::size_t>(n));
  fill(d->bools.data());
  return detail::make_column(std::move(d));
}

// The steps (arithmetic.cpp, compare.cpp, logic.cpp).

/// a + b, a - b, a * b (int64 when neither is float64) or a / b (float64); missing when either
/// is.
[[nodiscard]] Column arithmetic(Op op, const Operand& a, const Operand& b, std::int64_t n);
/// -a, missing where a is.
[[nodiscard]] Column negate(const Operand& a, std::int64_t n);
/// a op b for ==, !=, <, <=, >, >= (numbers, strings, datetimes); a missing value or a NaN
/// compares false (true for !=), as in pandas.
[[nodiscard]] Column compare(Op op, const Operand& a, const Operand& b, std::int64_t n);
/// a & b, a | b (a missing value is false).
[[nodiscard]] Column logical(Op op, const Operand& a, const Operand& b, std::int64_t n);
/// ~a (a missing value is false, so ~ gives true).
[[nodiscard]] Column logical_not(const Operand& a, std::int64_t n);
/// isna (or notna without want_na): not valid, or a float NaN.
[[nodiscard]] Column is_na(const Operand& a, bool want_na, std::int64_t n);
/// a.isin(set) (a missing value is in no set).
[[nodiscard]] Column is_in(const Operand& a, const std::vector<Literal>& set, std::int64_t n);
/// a.str.contains(...) by `test` (strings.cpp's contains_test).
[[nodiscard]] Column contains(const Operand& a, const std::function<bool(std::string_view)>& test,
                              std::int64_t n);

/// The test of one value for a str.contains expression (expr.cpp).
[[nodiscard]] std::function<bool(std::string_view)> contains_test(const Expr& e);
/// a.str.<method>() (strings.cpp) and a.dt.<field> (dates.cpp) of a string / datetime column.
[[nodiscard]] Column string_method(const Expr& e, const Column& a);
[[nodiscard]] Column date_method(const Expr& e, const Column& a);

}  // namespace loom::dataframe::detail
