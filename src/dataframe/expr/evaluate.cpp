// Evaluation of a column expression on one partition: each step's operands evaluated, then the
// step's typed loop picked for their runtime types (kernels.hpp).
#include <bit>
#include <variant>

#include "dataframe/column_builder.hpp"
#include "dataframe/expr/kernels.hpp"

namespace loom::dataframe::detail {

Operand operand(const Expr& e, const Table& t) {
  Operand o;
  if (e.op == Op::kLiteral) {
    o.lit = &e.literal;
    o.dtype = e.dtype;
    return o;
  }
  o.column = evaluate(e, t);
  o.d = &detail::data_of(o.column);
  o.dtype = o.d->dtype;
  return o;
}

std::vector<std::uint64_t> joint_validity(const Operand& a, const Operand* b, std::int64_t n) {
  const std::uint64_t* x = a.bits();
  const std::uint64_t* y = b != nullptr ? b->bits() : nullptr;
  if (x == nullptr && y == nullptr) return {};
  const auto full = static_cast<std::size_t>(n >> 6);  // words wholly inside the rows
  std::vector<std::uint64_t> words(full + 1, 0);
  const std::size_t used = full + ((n & 63) != 0 ? 1 : 0);
  for (std::size_t w = 0; w < used; ++w) {
    words[w] =
        (x != nullptr ? x[w] : ~std::uint64_t{0}) & (y != nullptr ? y[w] : ~std::uint64_t{0});
  }
  if ((n & 63) != 0) words[full] &= (std::uint64_t{1} << (n & 63)) - 1;  // no bits past n
  return words;
}

void set_validity(ColumnData& d, std::vector<std::uint64_t> words) {
  d.validity.clear();
  d.null_count = 0;
  if (words.empty()) return;
  const std::int64_t n = d.size;
  std::int64_t valid = 0;
  for (const std::uint64_t w : words) valid += std::popcount(w);
  if (valid == n) return;  // every row holds a value: no bitmap
  d.null_count = n - valid;
  // As ColumnBuilder leaves them: the bits past n of the last word are set when that word also
  // holds the first missing row (its first append_null fills the word with ones).
  std::size_t first = 0;
  while (words[first] == ~std::uint64_t{0}) ++first;
  const auto last = static_cast<std::size_t>(n >> 6);
  if (first == last && (n & 63) != 0) words[last] |= ~((std::uint64_t{1} << (n & 63)) - 1);
  d.validity = std::move(words);
}

namespace {

// n copies of a literal (its type looked at once).
Column repeat(const Literal& value, DType dtype, std::int64_t n) {
  ColumnBuilder b(dtype);
  b.reserve(n);
  std::visit(
      [&](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        for (std::int64_t i = 0; i < n; ++i) {
          if constexpr (std::is_same_v<V, std::int64_t>) b.append_int(v);
          if constexpr (std::is_same_v<V, double>) b.append_double(v);
          if constexpr (std::is_same_v<V, bool>) b.append_bool(v);
          if constexpr (std::is_same_v<V, std::string>) b.append_string(v);
        }
      },
      value);
  return b.finish();
}

Op mirrored(Op op) {
  switch (op) {
    case Op::kLt:
      return Op::kGt;
    case Op::kLe:
      return Op::kGe;
    case Op::kGt:
      return Op::kLt;
    case Op::kGe:
      return Op::kLe;
    default:
      return op;
  }
}

}  // namespace

Column evaluate(const Expr& e, const Table& t) {
  const std::int64_t n = t.num_rows();
  switch (e.op) {
    case Op::kColumn:
      return t.column(e.name);
    case Op::kLiteral:
      return repeat(e.literal, e.dtype, n);
    case Op::kAdd:
    case Op::kSub:
    case Op::kMul:
    case Op::kDiv: {
      const Operand a = operand(*e.args[0], t);
      const Operand b = operand(*e.args[1], t);
      return arithmetic(e.op, a, b, n);
    }
    case Op::kEq:
    case Op::kNe:
    case Op::kLt:
    case Op::kLe:
    case Op::kGt:
    case Op::kGe: {
      const Operand a = operand(*e.args[0], t);
      const Operand b = operand(*e.args[1], t);
      // A literal on the left goes right (the loops take a column against a literal).
      if (a.lit != nullptr && b.lit == nullptr) return compare(mirrored(e.op), b, a, n);
      return compare(e.op, a, b, n);
    }
    case Op::kAnd:
    case Op::kOr: {
      const Operand a = operand(*e.args[0], t);
      const Operand b = operand(*e.args[1], t);
      return logical(e.op, a, b, n);
    }
    case Op::kNot:
      return logical_not(operand(*e.args[0], t), n);
    case Op::kNeg:
      return negate(operand(*e.args[0], t), n);
    case Op::kIsNa:
    case Op::kNotNa:
      return is_na(operand(*e.args[0], t), e.op == Op::kIsNa, n);
    case Op::kIsIn:
      return is_in(operand(*e.args[0], t), e.set, n);
    case Op::kContains: {
      const Operand a = operand(*e.args[0], t);
      return contains(a, contains_test(e), n);
    }
    case Op::kCast:
      return cast(evaluate(*e.args[0], t), e.dtype);
    case Op::kStr:
      return string_method(e, evaluate(*e.args[0], t));
    case Op::kDt:
      return date_method(e, evaluate(*e.args[0], t));
  }
  return Column();
}

}  // namespace loom::dataframe::detail
