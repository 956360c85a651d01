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
  kCast
};

struct Expr {
  Op op = Op::kLiteral;
  DType dtype = DType::int64;  // of the result
  std::string name;            // kColumn: the column; kContains: the pattern
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

/// The columns an expression reads.
void referenced_columns(const Expr& e, std::vector<std::string>& out);
/// The expression's values on one partition.
Column evaluate(const Expr& e, const Table& t);
/// A readable form ("(v3 > 50)") for errors and plans.
std::string describe(const Expr& e);

}  // namespace loom::dataframe::detail
