// Column expressions: type checks when built, evaluation per partition.
#include "loom/dataframe/detail/expr.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <regex>
#include <unordered_set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "loom/core/error.hpp"
#include "dataframe/column_builder.hpp"
#include "dataframe/field_text.hpp"

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

namespace {

std::regex compile_pattern(const std::string& pattern, bool case_sensitive) {
  auto flags = std::regex::ECMAScript;
  if (!case_sensitive) flags |= std::regex::icase;
#ifdef __GLIBCXX__
  // libstdc++'s default (backtracking) matcher recurses once per character: a long value could
  // overflow the stack. Its breadth-first matcher keeps the depth to the pattern's size (and
  // takes polynomial time); it refuses back-references, a SchemaError below.
  flags |= std::regex_constants::__polynomial;
#endif
  try {
    return std::regex(pattern, flags);
  } catch (const std::regex_error& e) {
    throw SchemaError(fmt::format("str.contains: '{}' is not a valid regular expression ({})",
                                  pattern, e.what()));
  }
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// The test of one value for a str.contains expression.
std::function<bool(std::string_view)> contains_test(const Expr& e) {
  // A pattern without metacharacters is its own text: searched as a substring.
  const bool literal = e.name.find_first_of("^$\\.*+?()[]{}|") == std::string::npos;
  if (e.regex && !literal) {
    auto re = std::make_shared<std::regex>(compile_pattern(e.name, e.case_sensitive));
    return [re](std::string_view v) { return std::regex_search(v.begin(), v.end(), *re); };
  }
  if (e.case_sensitive) {
    return [p = e.name](std::string_view v) { return v.find(p) != std::string_view::npos; };
  }
  return [p = e.name](std::string_view v) {
    return std::search(v.begin(), v.end(), p.begin(), p.end(),
                       [](char a, char b) { return lower(a) == lower(b); }) != v.end();
  };
}

}  // namespace

ExprPtr contains_expr(ExprPtr a, std::string pattern, bool regex, bool case_sensitive) {
  if (a->dtype != DType::string) {
    throw SchemaError(fmt::format("str.contains on {}, which is {}, not string", describe(*a),
                                  dtype_name(a->dtype)));
  }
  if (regex) (void)compile_pattern(pattern, case_sensitive);  // a bad pattern is said now
  auto e = std::make_shared<Expr>();
  e->op = Op::kContains;
  e->dtype = DType::boolean;
  e->name = std::move(pattern);
  e->regex = regex;
  e->case_sensitive = case_sensitive;
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
    default:
      return fmt::format("({} {} {})", describe(*e.args[0]), op_name(e.op), describe(*e.args[1]));
  }
}

namespace {

// An operand of an element-wise step: a column or a literal, read as numbers or strings.
struct Operand {
  Column column;
  const ColumnData* d = nullptr;
  const Literal* lit = nullptr;
  DType dtype = DType::int64;

  [[nodiscard]] bool valid(std::int64_t i) const { return lit != nullptr || d->is_valid(i); }
  [[nodiscard]] double num(std::int64_t i) const {
    if (lit != nullptr) {
      if (const auto* x = std::get_if<std::int64_t>(lit)) return static_cast<double>(*x);
      if (const auto* x = std::get_if<double>(lit)) return *x;
      if (const auto* x = std::get_if<bool>(lit)) return *x ? 1.0 : 0.0;
      return 0;
    }
    const auto u = static_cast<std::size_t>(i);
    switch (d->dtype) {
      case DType::float64:
        return d->floats[u];
      case DType::boolean:
        return d->bools[u];
      default:
        return static_cast<double>(d->ints[u]);
    }
  }
  [[nodiscard]] std::int64_t integer(std::int64_t i) const {
    if (lit != nullptr) {
      if (const auto* x = std::get_if<std::int64_t>(lit)) return *x;
      if (const auto* x = std::get_if<bool>(lit)) return *x ? 1 : 0;
      return 0;
    }
    const auto u = static_cast<std::size_t>(i);
    return d->dtype == DType::boolean ? d->bools[u] : d->ints[u];
  }
  [[nodiscard]] std::string_view text(std::int64_t i) const {
    if (lit != nullptr) return std::get<std::string>(*lit);
    return d->str(i);
  }
};

Operand operand(const Expr& e, const Table& t) {
  Operand o;
  if (e.op == Op::kLiteral) {
    o.lit = &e.literal;
    o.dtype = e.dtype;
    return o;
  }
  o.column = evaluate(e, t);
  o.d = &o.column.data();
  o.dtype = o.d->dtype;
  return o;
}

template <class F>
Column bool_column(std::int64_t n, F value) {
  auto d = std::make_shared<ColumnData>();  // no missing values: the bytes written straight
  d->dtype = DType::boolean;
  d->size = n;
  d->bools.resize(static_cast<std::size_t>(n));
  std::uint8_t* out = d->bools.data();
  for (std::int64_t i = 0; i < n; ++i) out[i] = value(i) ? 1 : 0;
  return Column(std::move(d));
}

bool compare(Op op, int c) {
  switch (op) {
    case Op::kEq:
      return c == 0;
    case Op::kNe:
      return c != 0;
    case Op::kLt:
      return c < 0;
    case Op::kLe:
      return c <= 0;
    case Op::kGt:
      return c > 0;
    default:
      return c >= 0;
  }
}

Column compare_columns(Op op, const Operand& a, const Operand& b, std::int64_t n) {
  if (a.dtype == DType::string) {
    // A dictionary column against a literal: compare each distinct string once.
    if (a.lit == nullptr && b.lit != nullptr && a.d->dictionary) {
      const std::string& s = std::get<std::string>(*b.lit);
      const std::int64_t distinct = static_cast<std::int64_t>(a.d->offsets.size()) - 1;
      std::vector<std::uint8_t> hit(static_cast<std::size_t>(distinct));
      for (std::int64_t k = 0; k < distinct; ++k) {
        hit[static_cast<std::size_t>(k)] = compare(op, a.d->entry(k).compare(s)) ? 1 : 0;
      }
      return bool_column(n, [&](std::int64_t i) {
        if (!a.d->is_valid(i)) return op == Op::kNe;
        return hit[static_cast<std::size_t>(a.d->codes[static_cast<std::size_t>(i)])] != 0;
      });
    }
    return bool_column(n, [&](std::int64_t i) {
      if (!a.valid(i) || !b.valid(i)) return op == Op::kNe;  // as pandas: NaN != x
      return compare(op, a.text(i).compare(b.text(i)));
    });
  }
  // A float column against a number: the number read once, the values in a tight loop.
  if (a.lit == nullptr && b.lit != nullptr && a.dtype == DType::float64 &&
      b.dtype != DType::string) {
    const double y = b.num(0);
    const double* v = a.d->floats.data();
    const ColumnData& d = *a.d;
    auto cmp = [&](auto test) {
      if (std::isnan(y)) return bool_column(n, [&](std::int64_t) { return op == Op::kNe; });
      if (d.validity.empty()) {
        return bool_column(n, [&](std::int64_t i) { return test(v[i], y); });
      }
      return bool_column(
          n, [&](std::int64_t i) { return d.is_valid(i) ? test(v[i], y) : op == Op::kNe; });
    };
    // NaN compares false (true for !=), as pandas.
    switch (op) {
      case Op::kLt:
        return cmp([](double x, double z) { return x < z; });
      case Op::kLe:
        return cmp([](double x, double z) { return x <= z; });
      case Op::kGt:
        return cmp([](double x, double z) { return x > z; });
      case Op::kGe:
        return cmp([](double x, double z) { return x >= z; });
      case Op::kEq:
        return cmp([](double x, double z) { return x == z; });
      default:
        return cmp([](double x, double z) { return !(x == z); });
    }
  }
  const bool ints = a.dtype != DType::float64 && b.dtype != DType::float64;
  if (ints) {
    return bool_column(n, [&](std::int64_t i) {
      if (!a.valid(i) || !b.valid(i)) return op == Op::kNe;
      const std::int64_t x = a.integer(i);
      const std::int64_t y = b.integer(i);
      return compare(op, x < y ? -1 : (y < x ? 1 : 0));
    });
  }
  return bool_column(n, [&](std::int64_t i) {
    if (!a.valid(i) || !b.valid(i)) return op == Op::kNe;
    const double x = a.num(i);
    const double y = b.num(i);
    if (std::isnan(x) || std::isnan(y)) return op == Op::kNe;
    return compare(op, x < y ? -1 : (y < x ? 1 : 0));
  });
}

Column arithmetic(Op op, DType result, const Operand& a, const Operand& b, std::int64_t n) {
  ColumnBuilder out(result);
  out.reserve(n);
  for (std::int64_t i = 0; i < n; ++i) {
    if (!a.valid(i) || !b.valid(i)) {
      out.append_null();
      continue;
    }
    if (result == DType::int64) {
      const std::int64_t x = a.integer(i);
      const std::int64_t y = b.integer(i);
      out.append_int(op == Op::kAdd ? x + y : op == Op::kSub ? x - y : x * y);
    } else {
      const double x = a.num(i);
      const double y = b.num(i);
      out.append_double(op == Op::kAdd   ? x + y
                        : op == Op::kSub ? x - y
                        : op == Op::kMul ? x * y
                                         : x / y);
    }
  }
  return out.finish();
}

}  // namespace

Column evaluate(const Expr& e, const Table& t) {
  const std::int64_t n = t.num_rows();
  switch (e.op) {
    case Op::kColumn:
      return t.column(e.name);
    case Op::kLiteral: {
      ColumnBuilder b(e.dtype);
      b.reserve(n);
      for (std::int64_t i = 0; i < n; ++i) {
        std::visit(
            [&](const auto& v) {
              using V = std::decay_t<decltype(v)>;
              if constexpr (std::is_same_v<V, std::int64_t>) b.append_int(v);
              if constexpr (std::is_same_v<V, double>) b.append_double(v);
              if constexpr (std::is_same_v<V, bool>) b.append_bool(v);
              if constexpr (std::is_same_v<V, std::string>) b.append_string(v);
            },
            e.literal);
      }
      return b.finish();
    }
    case Op::kAdd:
    case Op::kSub:
    case Op::kMul:
    case Op::kDiv: {
      const Operand a = operand(*e.args[0], t);
      const Operand b = operand(*e.args[1], t);
      // Runtime types decide (a CSV column may have widened to float64).
      const bool ints = a.dtype != DType::float64 && b.dtype != DType::float64 && e.op != Op::kDiv;
      return arithmetic(e.op, ints ? DType::int64 : DType::float64, a, b, n);
    }
    case Op::kEq:
    case Op::kNe:
    case Op::kLt:
    case Op::kLe:
    case Op::kGt:
    case Op::kGe: {
      const Operand a = operand(*e.args[0], t);
      const Operand b = operand(*e.args[1], t);
      if (a.lit != nullptr && b.lit == nullptr) {  // literal on the left: swap
        Op flipped = e.op;
        if (e.op == Op::kLt) flipped = Op::kGt;
        if (e.op == Op::kLe) flipped = Op::kGe;
        if (e.op == Op::kGt) flipped = Op::kLt;
        if (e.op == Op::kGe) flipped = Op::kLe;
        return compare_columns(flipped, b, a, n);
      }
      return compare_columns(e.op, a, b, n);
    }
    case Op::kAnd:
    case Op::kOr: {
      const Operand a = operand(*e.args[0], t);
      const Operand b = operand(*e.args[1], t);
      const bool is_and = e.op == Op::kAnd;
      return bool_column(n, [&](std::int64_t i) {
        const bool x = a.valid(i) && a.integer(i) != 0;
        const bool y = b.valid(i) && b.integer(i) != 0;
        return is_and ? x && y : x || y;
      });
    }
    case Op::kNot: {
      const Operand a = operand(*e.args[0], t);
      return bool_column(n, [&](std::int64_t i) { return !(a.valid(i) && a.integer(i) != 0); });
    }
    case Op::kNeg: {
      const Operand a = operand(*e.args[0], t);
      ColumnBuilder out(a.dtype == DType::float64 ? DType::float64 : DType::int64);
      out.reserve(n);
      for (std::int64_t i = 0; i < n; ++i) {
        if (!a.valid(i)) {
          out.append_null();
        } else if (a.dtype == DType::float64) {
          out.append_double(-a.num(i));
        } else {
          out.append_int(-a.integer(i));
        }
      }
      return out.finish();
    }
    case Op::kIsNa:
    case Op::kNotNa: {
      const Operand a = operand(*e.args[0], t);
      const bool want_na = e.op == Op::kIsNa;
      return bool_column(n, [&](std::int64_t i) {
        bool na = !a.valid(i);
        if (!na && a.dtype == DType::float64) na = std::isnan(a.num(i));
        return na == want_na;
      });
    }
    case Op::kIsIn: {
      const Operand a = operand(*e.args[0], t);
      if (a.dtype == DType::string) {
        std::unordered_set<std::string_view> set;
        for (const auto& v : e.set) set.insert(std::get<std::string>(v));
        return bool_column(n,
                           [&](std::int64_t i) { return a.valid(i) && set.contains(a.text(i)); });
      }
      std::vector<double> set;
      for (const auto& v : e.set) {
        Operand o;
        o.lit = &v;
        set.push_back(o.num(0));
      }
      return bool_column(n, [&](std::int64_t i) {
        return a.valid(i) && std::find(set.begin(), set.end(), a.num(i)) != set.end();
      });
    }
    case Op::kContains: {
      const Operand a = operand(*e.args[0], t);
      const auto test = contains_test(e);
      if (a.d != nullptr && a.d->dictionary) {  // each distinct value tested once
        std::vector<std::uint8_t> hit(a.d->offsets.size() - 1);
        for (std::size_t k = 0; k < hit.size(); ++k) {
          hit[k] = test(a.d->entry(static_cast<std::int64_t>(k))) ? 1 : 0;
        }
        return bool_column(n, [&](std::int64_t i) {
          return a.valid(i) &&
                 hit[static_cast<std::size_t>(a.d->codes[static_cast<std::size_t>(i)])] != 0;
        });
      }
      return bool_column(n, [&](std::int64_t i) { return a.valid(i) && test(a.text(i)); });
    }
    case Op::kCast:
      return cast(evaluate(*e.args[0], t), e.dtype);
  }
  return Column();
}

}  // namespace loom::dataframe::detail
