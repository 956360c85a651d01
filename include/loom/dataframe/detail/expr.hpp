#pragma once
// The lazy column expressions behind dd::Series and query(): a tree typed when it is built
// (loom::SchemaError for unknown columns and mismatched types) and evaluated per partition.

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "loom/dataframe/column.hpp"
#include "loom/dataframe/table.hpp"

namespace loom::dataframe::detail {

/// A column's name and dtype, in a frame's order.
struct Field {
  std::string name;
  DType dtype;
};
using Schema = std::vector<Field>;

/// The dtype of column `name`, or SchemaError naming it and the columns there are.
DType schema_type(const Schema& schema, const std::string& name);

using Literal = std::variant<std::monostate, std::int64_t, double, bool, std::string>;

enum class Op {
  kColumn,
  kLiteral,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kNeg,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kAnd,
  kOr,
  kNot,
  kIsNa,
  kNotNa,
  kIsIn,
  kContains,
  kCast,
  kStr,  // a string method (name: which; literal, set: its arguments)
  kDt    // a datetime accessor (name: which; literal: floor's unit in ns)
};

struct Expr {
  Op op = Op::kLiteral;
  DType dtype = DType::int64;  // of the result
  std::string name;            // kColumn: the column; kContains: the pattern; kStr, kDt: method
  bool regex = false;          // kContains: the pattern is a regular expression
  bool case_sensitive = true;  // kContains
  Literal literal;             // kLiteral
  std::vector<Literal> set;    // kIsIn
  std::vector<std::shared_ptr<const Expr>> args;
};
using ExprPtr = std::shared_ptr<const Expr>;

ExprPtr column_expr(const Schema& schema, const std::string& name);
ExprPtr literal_expr(Literal value);
/// A binary operation, type-checked ("what" names it in errors).
ExprPtr binary_expr(Op op, ExprPtr a, ExprPtr b);
ExprPtr unary_expr(Op op, ExprPtr a);
ExprPtr isin_expr(ExprPtr a, std::vector<Literal> values);
ExprPtr contains_expr(ExprPtr a, std::string pattern, bool regex = false,
                      bool case_sensitive = true);
ExprPtr cast_expr(ExprPtr a, DType to);
/// `a.str.<method>(args)`: lower, upper, strip, len, startswith(s), endswith(s),
/// replace(pattern, replacement) (args: the strings; `regex` for replace).
ExprPtr string_expr(ExprPtr a, const std::string& method, std::vector<std::string> args = {},
                    bool regex = false);
/// `a.dt.<field>`: year, month, day, hour, minute, second, dayofweek, date; or
/// `a.dt.floor(freq)` with `freq` as "1h", "15min", "1d" (ConfigError for another unit).
ExprPtr date_expr(ExprPtr a, const std::string& field);
ExprPtr date_floor_expr(ExprPtr a, const std::string& freq);

/// The columns an expression reads.
void referenced_columns(const Expr& e, std::vector<std::string>& out);
/// The expression's values on one partition.
Column evaluate(const Expr& e, const Table& t);
/// A readable form ("(v3 > 50)") for errors and plans.
std::string describe(const Expr& e);

}  // namespace loom::dataframe::detail
