// Column expressions when built: type checks, descriptions, the columns they read
// (evaluate.cpp evaluates them; strings.cpp and dates.cpp build and evaluate .str and .dt).
#include "loom/dataframe/detail/expr.hpp"

#include <algorithm>
#include <functional>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "dataframe/expr/kernels.hpp"
#include "dataframe/field_text.hpp"
#include "dataframe/plan.hpp"
#include "loom/core/error.hpp"

namespace loom::dataframe::detail {

namespace {

const char* op_name(Op op) {
  switch (op) {
    case Op::kAdd:
      return "+";
    case Op::kSub:
      return "-";
    case Op::kMul:
      return "*";
    case Op::kDiv:
      return "/";
    case Op::kNeg:
      return "-";
    case Op::kEq:
      return "==";
    case Op::kNe:
      return "!=";
    case Op::kLt:
      return "<";
    case Op::kLe:
      return "<=";
    case Op::kGt:
      return ">";
    case Op::kGe:
      return ">=";
    case Op::kAnd:
      return "&";
    case Op::kOr:
      return "|";
    case Op::kNot:
      return "~";
    case Op::kIsNa:
      return "isna";
    case Op::kNotNa:
      return "notna";
    case Op::kIsIn:
      return "isin";
    case Op::kContains:
      return "str.contains";
    case Op::kCast:
      return "astype";
    default:
      return "?";
  }
}

bool is_comparison(Op op) {
  return op == Op::kEq || op == Op::kNe || op == Op::kLt || op == Op::kLe || op == Op::kGt ||
         op == Op::kGe;
}

DType literal_type(const Literal& v) {
  if (std::holds_alternative<std::int64_t>(v)) return DType::int64;
  if (std::holds_alternative<double>(v)) return DType::float64;
  if (std::holds_alternative<bool>(v)) return DType::boolean;
  return DType::string;
}

[[noreturn]] void mismatch(Op op, const Expr& a, const Expr& b) {
  throw SchemaError(fmt::format("cannot apply {} to {} ({}) and {} ({})", op_name(op), describe(a),
                                dtype_name(a.dtype), describe(b), dtype_name(b.dtype)));
}

// A string literal compared with a datetime column becomes a datetime literal.
ExprPtr as_datetime(const ExprPtr& lit) {
  std::int64_t ns = 0;
  const auto* s = std::get_if<std::string>(&lit->literal);
  if (s == nullptr || !parse_datetime(*s, ns)) {
    throw SchemaError(
        fmt::format("'{}' is not a date to compare with a datetime column", describe(*lit)));
  }
  auto e = std::make_shared<Expr>();
  e->op = Op::kLiteral;
  e->dtype = DType::datetime;
  e->literal = ns;
  return e;
}

}  // namespace

DType schema_type(const Schema& schema, const std::string& name) {
  for (const auto& f : schema) {
    if (f.name == name) return f.dtype;
  }
  std::vector<std::string> names;
  for (const auto& f : schema) names.push_back(f.name);
  throw SchemaError(fmt::format("no column '{}' (columns: {})", name, fmt::join(names, ", ")));
}

ExprPtr column_expr(const Schema& schema, const std::string& name) {
  auto e = std::make_shared<Expr>();
  e->op = Op::kColumn;
  e->name = name;
  e->dtype = schema_type(schema, name);
  return e;
}

ExprPtr literal_expr(Literal value) {
  if (std::holds_alternative<std::monostate>(value)) {
    throw SchemaError("a missing value cannot be an operand");
  }
  auto e = std::make_shared<Expr>();
  e->op = Op::kLiteral;
  e->dtype = literal_type(value);
  e->literal = std::move(value);
  return e;
}

ExprPtr binary_expr(Op op, ExprPtr a, ExprPtr b) {
  auto e = std::make_shared<Expr>();
  e->op = op;
  const DType x = a->dtype;
  const DType y = b->dtype;
  if (op == Op::kAnd || op == Op::kOr) {
    if (x != DType::boolean || y != DType::boolean) mismatch(op, *a, *b);
    e->dtype = DType::boolean;
  } else if (is_comparison(op)) {
    if (x == DType::datetime && y == DType::string && b->op == Op::kLiteral) b = as_datetime(b);
    if (y == DType::datetime && x == DType::string && a->op == Op::kLiteral) a = as_datetime(a);
    const DType x2 = a->dtype;
    const DType y2 = b->dtype;
    const bool ok = (is_numeric(x2) && is_numeric(y2)) || (x2 == y2);
    if (!ok) mismatch(op, *a, *b);
    e->dtype = DType::boolean;
  } else {  // arithmetic
    if (!is_numeric(x) || !is_numeric(y)) mismatch(op, *a, *b);
    const bool ints = x != DType::float64 && y != DType::float64;
    e->dtype = op == Op::kDiv || !ints ? DType::float64 : DType::int64;
  }
  e->args = {std::move(a), std::move(b)};
  return e;
}

ExprPtr unary_expr(Op op, ExprPtr a) {
  auto e = std::make_shared<Expr>();
  e->op = op;
  if (op == Op::kNot) {
    if (a->dtype != DType::boolean) {
      throw SchemaError(
          fmt::format("cannot apply ~ to {} ({})", describe(*a), dtype_name(a->dtype)));
    }
    e->dtype = DType::boolean;
  } else if (op == Op::kNeg) {
    if (!is_numeric(a->dtype) || a->dtype == DType::boolean) {
      throw SchemaError(fmt::format("cannot negate {} ({})", describe(*a), dtype_name(a->dtype)));
    }
    e->dtype = a->dtype;
  } else {
    e->dtype = DType::boolean;  // isna, notna
  }
  e->args = {std::move(a)};
  return e;
}

ExprPtr isin_expr(ExprPtr a, std::vector<Literal> values) {
  for (const auto& v : values) {
    const DType t = literal_type(v);
    const bool ok = (is_numeric(a->dtype) && is_numeric(t)) || t == a->dtype;
    if (!ok) {
      throw SchemaError(fmt::format("isin: {} is {}, the values include a {}", describe(*a),
                                    dtype_name(a->dtype), dtype_name(t)));
    }
  }
  auto e = std::make_shared<Expr>();
  e->op = Op::kIsIn;
  e->dtype = DType::boolean;
  e->set = std::move(values);
  e->args = {std::move(a)};
  return e;
}

ExprPtr cast_expr(ExprPtr a, DType to) {
  auto e = std::make_shared<Expr>();
  e->op = Op::kCast;
  e->dtype = to;
  e->args = {std::move(a)};
  return e;
}

void referenced_columns(const Expr& e, std::vector<std::string>& out) {
  if (e.op == Op::kColumn && std::find(out.begin(), out.end(), e.name) == out.end()) {
    out.push_back(e.name);
  }
  for (const auto& a : e.args) referenced_columns(*a, out);
}

std::string describe(const Expr& e) {
  switch (e.op) {
    case Op::kColumn:
      return e.name;
    case Op::kLiteral:
      return std::visit(
          [&](const auto& v) -> std::string {
            using V = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<V, std::monostate>) {
              return "NA";
            } else if constexpr (std::is_same_v<V, std::string>) {
              return fmt::format("'{}'", v);
            } else if constexpr (std::is_same_v<V, bool>) {
              return v ? "True" : "False";
            } else {
              return e.dtype == DType::datetime ? format_datetime(static_cast<std::int64_t>(v))
                                                : fmt::format("{}", v);
            }
          },
          e.literal);
    case Op::kNeg:
    case Op::kNot:
      return fmt::format("{}{}", op_name(e.op), describe(*e.args[0]));
    case Op::kIsNa:
    case Op::kNotNa:
    case Op::kIsIn:
    case Op::kCast:
      return fmt::format("{}.{}()", describe(*e.args[0]), op_name(e.op));
    case Op::kContains:
      return fmt::format("{}.str.contains('{}')", describe(*e.args[0]), e.name);
    case Op::kStr:
      return fmt::format("{}.str.{}()", describe(*e.args[0]), e.name);
    case Op::kDt:
      return fmt::format("{}.dt.{}", describe(*e.args[0]), e.name);
    default:
      return fmt::format("({} {} {})", describe(*e.args[0]), op_name(e.op), describe(*e.args[1]));
  }
}

DType resolved_dtype(const Expr& e, const Schema& schema) {
  // Only a column's own dtype and arithmetic on it follow an int column revised to float64
  // (binary_expr's and unary_expr's rules); every other step's type does not depend on it.
  switch (e.op) {
    case Op::kColumn:
      return schema_type(schema, e.name);
    case Op::kAdd:
    case Op::kSub:
    case Op::kMul: {
      const bool floats = resolved_dtype(*e.args[0], schema) == DType::float64 ||
                          resolved_dtype(*e.args[1], schema) == DType::float64;
      return floats ? DType::float64 : e.dtype;
    }
    case Op::kNeg:
      return resolved_dtype(*e.args[0], schema) == DType::float64 ? DType::float64 : e.dtype;
    default:
      return e.dtype;
  }
}

}  // namespace loom::dataframe::detail
