// query(): a pandas-like boolean expression parsed into a column expression.
//
//   expr := or;  or := and (("or" | "|") and)*;  and := not (("and" | "&") not)*
//   not  := ("not" | "~") not | cmp
//   cmp  := sum (("==" | "!=" | "<" | "<=" | ">" | ">=") sum)* | sum ["not"] "in" list
//           (a chain "1 < a <= 5" is (1 < a) and (a <= 5), as in Python)
//   sum  := prod (("+" | "-") prod)*;  prod := unary (("*" | "/") unary)*
//   unary := "-" unary | primary
//   primary := number | 'string' | "string" | True | False | name accessor* | `any name` accessor*
//              | @var | "(" expr ")"
//   accessor := ".dt." field | ".dt.floor(" string ")" | ".str." method "(" [literal ("," literal)*] ")"
//   list := "[" literal ("," literal)* "]" | "(" literal ("," literal)* ")" | @var
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <unordered_map>

#include <fmt/format.h>

#include "dataframe/field_text.hpp"
#include "dataframe/plan.hpp"
#include "loom/core/error.hpp"

namespace loom::dataframe::detail {

namespace {

class QueryParser {
 public:
  QueryParser(const std::string& text, const Schema& schema,
              const std::map<std::string, Literal>& vars)
      : text_(text), schema_(schema), vars_(vars) {}

  ExprPtr parse() {
    ExprPtr e = parse_or();
    skip_space();
    if (pos_ < text_.size()) fail(fmt::format("unexpected '{}'", text_.substr(pos_, 10)));
    return e;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { fail_at(pos_, what); }
  [[noreturn]] void fail_at(std::size_t at, const std::string& what) const {
    throw ParseError("query", 1, at + 1,
                     fmt::format("query \"{}\": {} at position {}", text_, what, at + 1));
  }
  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  // Consumes `word` when it is next (a keyword must not run on into a name).
  bool keyword(const char* word) {
    skip_space();
    const std::size_t n = std::char_traits<char>::length(word);
    if (text_.compare(pos_, n, word) != 0) return false;
    const std::size_t after = pos_ + n;
    if (after < text_.size() &&
        (std::isalnum(static_cast<unsigned char>(text_[after])) || text_[after] == '_')) {
      return false;
    }
    pos_ = after;
    return true;
  }
  bool symbol(const char* s) {
    skip_space();
    const std::size_t n = std::char_traits<char>::length(s);
    if (text_.compare(pos_, n, s) != 0) return false;
    pos_ += n;
    return true;
  }

  ExprPtr parse_or() {
    ExprPtr e = parse_and();
    for (;;) {
      const std::size_t at = pos_;
      if (keyword("or") || (peek_single('|') && symbol("|"))) {
        ExprPtr r = parse_and();  // parsed outside `checked`: its errors are wrapped once
        e = checked(at, [&] { return binary_expr(Op::kOr, e, r); });
      } else {
        return e;
      }
    }
  }
  ExprPtr parse_and() {
    ExprPtr e = parse_not();
    for (;;) {
      const std::size_t at = pos_;
      if (keyword("and") || (peek_single('&') && symbol("&"))) {
        ExprPtr r = parse_not();
        e = checked(at, [&] { return binary_expr(Op::kAnd, e, r); });
      } else {
        return e;
      }
    }
  }
  bool peek_single(char c) {
    skip_space();
    return pos_ < text_.size() && text_[pos_] == c;
  }
  // One depth budget for every recursive rule: nesting ('(', not, ~, unary -) counts here, and
  // every node `checked` builds counts its depth in the expression tree, so operator chains
  // ("a < a < a ...", "a + a + ...") are bounded too. A query nested or chained thousands deep
  // is an error at its position, not a stack overflow in the parser or in whatever walks the
  // tree later.
  class Nested {
   public:
    explicit Nested(QueryParser& p) : p_(p) {
      if (++p_.depth_ > kMaxDepth) p_.fail(fmt::format("nested more than {} deep", kMaxDepth));
    }
    ~Nested() { --p_.depth_; }
    Nested(const Nested&) = delete;
    Nested& operator=(const Nested&) = delete;

   private:
    QueryParser& p_;
  };
  static constexpr int kMaxDepth = 200;
  // Operator chains are common in real queries ("x == 1 or x == 2 or ..."): a tree may be this
  // deep (also the limit for a chain inside parentheses).
  static constexpr int kMaxTreeDepth = 1000;

  ExprPtr parse_not() {
    const std::size_t at = pos_;
    if (keyword("not") || symbol("~")) {
      const Nested nested(*this);
      ExprPtr inner = parse_not();
      return checked(at, [&] { return unary_expr(Op::kNot, inner); });
    }
    return parse_cmp();
  }
  ExprPtr parse_cmp() {
    ExprPtr left = parse_sum();
    skip_space();
    std::size_t at = pos_;
    static const std::pair<const char*, Op> ops[] = {{"==", Op::kEq}, {"!=", Op::kNe},
                                                     {"<=", Op::kLe}, {">=", Op::kGe},
                                                     {"<", Op::kLt},  {">", Op::kGt}};
    // A chain as Python's: "1 < a <= 5" is (1 < a) and (a <= 5).
    ExprPtr chain;
    for (bool more = true; more;) {
      more = false;
      for (const auto& [s, op] : ops) {
        if (!symbol(s)) continue;
        ExprPtr right = parse_sum();
        ExprPtr cmp = checked(at, [&] { return binary_expr(op, left, right); });
        chain = chain ? checked(at, [&] { return binary_expr(Op::kAnd, chain, cmp); }) : cmp;
        left = right;
        skip_space();
        at = pos_;
        more = true;
        break;
      }
    }
    if (chain) return chain;
    const std::size_t save = pos_;
    bool negate = false;
    if (keyword("not")) negate = true;
    if (keyword("in")) {
      std::vector<Literal> values = parse_list();
      ExprPtr e = checked(at, [&] { return isin_expr(left, std::move(values)); });
      return negate ? checked(at, [&] { return unary_expr(Op::kNot, e); }) : e;
    }
    pos_ = save;
    return left;
  }
  // Left-associative binary operators over operands parsed by `operand`.
  template <class Operand>
  ExprPtr parse_chain(Operand operand, std::initializer_list<std::pair<const char*, Op>> ops) {
    ExprPtr e = (this->*operand)();
    for (;;) {
      skip_space();
      const std::size_t at = pos_;
      const auto it =
          std::find_if(ops.begin(), ops.end(), [&](const auto& o) { return symbol(o.first); });
      if (it == ops.end()) return e;
      ExprPtr r = (this->*operand)();
      e = checked(at, [&] { return binary_expr(it->second, e, r); });
    }
  }
  ExprPtr parse_sum() {
    return parse_chain(&QueryParser::parse_prod, {{"+", Op::kAdd}, {"-", Op::kSub}});
  }
  ExprPtr parse_prod() {
    return parse_chain(&QueryParser::parse_unary, {{"*", Op::kMul}, {"/", Op::kDiv}});
  }
  ExprPtr parse_unary() {
    skip_space();
    const std::size_t at = pos_;
    if (symbol("-")) {
      const Nested nested(*this);
      ExprPtr inner = parse_unary();
      if (inner->op == Op::kLiteral) {  // a negative number
        Literal v = inner->literal;
        if (auto* i = std::get_if<std::int64_t>(&v)) {
          if (*i == INT64_MIN) fail_at(at, "-(-9223372036854775808) is out of int64's range");
          *i = -*i;
        } else if (auto* d = std::get_if<double>(&v)) {
          *d = -*d;
        } else {
          fail_at(at, "'-' before a literal that is not a number");
        }
        return checked(at, [&] { return literal_expr(v); });
      }
      return checked(at, [&] { return unary_expr(Op::kNeg, inner); });
    }
    return parse_primary();
  }
  ExprPtr parse_primary() {
    skip_space();
    if (pos_ >= text_.size()) fail("the expression ends too early");
    const std::size_t at = pos_;
    const char c = text_[pos_];
    if (c == '(') {
      const Nested nested(*this);
      ++pos_;
      ExprPtr e = parse_or();
      if (!symbol(")")) fail("expected ')'");
      return e;
    }
    if (c == '@') {
      ++pos_;
      const std::string name = identifier();
      const auto it = vars_.find(name);
      if (it == vars_.end()) fail_at(at, fmt::format("no value for @{} (pass it in .vars)", name));
      return checked(at, [&] { return literal_expr(it->second); });
    }
    if (c == '`') {
      const std::size_t close = text_.find('`', pos_ + 1);
      if (close == std::string::npos) fail("a `name` is never closed");
      const std::string name = text_.substr(pos_ + 1, close - pos_ - 1);
      pos_ = close + 1;
      return accessors(checked(at, [&] { return column_expr(schema_, name); }));
    }
    if (c == '\'' || c == '"' || std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      return literal_expr(literal());
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      if (keyword("True")) return literal_expr(true);
      if (keyword("False")) return literal_expr(false);
      const std::string name = identifier();
      return accessors(checked(at, [&] { return column_expr(schema_, name); }));
    }
    fail(fmt::format("unexpected '{}'", c));
  }
  // `.dt.year`, `.dt.floor('1h')`, `.str.lower()`, `.str.startswith('a')`, ... after a column.
  ExprPtr accessors(ExprPtr e) {
    for (;;) {
      if (pos_ >= text_.size() || text_[pos_] != '.') return e;
      const std::size_t at = pos_++;
      const std::string kind = identifier();
      if (kind != "dt" && kind != "str") fail_at(at, fmt::format("no accessor .{} (dt, str)", kind));
      if (pos_ >= text_.size() || text_[pos_] != '.') fail(fmt::format("expected .{}.<name>", kind));
      ++pos_;
      const std::size_t name_at = pos_;
      const std::string name = identifier();
      std::vector<Literal> args;
      const bool call = symbol("(");
      if (call) {
        skip_space();
        if (pos_ < text_.size() && text_[pos_] != ')') {
          for (;;) {
            args.push_back(literal());
            if (!symbol(",")) break;
          }
        }
        if (!symbol(")")) fail("expected ')'");
      }
      std::vector<std::string> texts;
      for (const auto& a : args) {
        const auto* t = std::get_if<std::string>(&a);
        if (t == nullptr) fail_at(name_at, fmt::format("{}.{}: the arguments are strings", kind, name));
        texts.push_back(*t);
      }
      e = checked(name_at, [&] {
        if (kind == "dt") {
          if (name == "floor") {
            if (texts.size() != 1) throw SchemaError("dt.floor takes one frequency ('1h')");
            return date_floor_expr(e, texts[0]);
          }
          if (call) throw SchemaError(fmt::format("dt.{} is a field, not a method", name));
          return date_expr(e, name);
        }
        if (name == "contains") {
          if (texts.size() != 1) throw SchemaError("str.contains takes one pattern");
          return contains_expr(e, texts[0], true, true);
        }
        if (!call) throw SchemaError(fmt::format("str.{} is a method: str.{}(...)", name, name));
        const std::size_t want = name == "replace" ? 2 : (name == "startswith" || name == "endswith") ? 1 : 0;
        if (texts.size() != want) {
          throw SchemaError(fmt::format("str.{} takes {} argument(s)", name, want));
        }
        return string_expr(e, name, texts);
      });
    }
  }
  std::string identifier() {
    const std::size_t start = pos_;
    while (pos_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) {
      ++pos_;
    }
    if (pos_ == start) fail("expected a name");
    return text_.substr(start, pos_ - start);
  }
  Literal literal() {
    skip_space();
    if (pos_ >= text_.size()) fail("expected a value");
    const char c = text_[pos_];
    if (c == '\'' || c == '"') {
      const std::size_t close = text_.find(c, pos_ + 1);
      if (close == std::string::npos) fail("a string is never closed");
      std::string s = text_.substr(pos_ + 1, close - pos_ - 1);
      pos_ = close + 1;
      return s;
    }
    if (keyword("True")) return true;
    if (keyword("False")) return false;
    const std::size_t start = pos_;
    if (text_[pos_] == '-' || text_[pos_] == '+') ++pos_;
    while (pos_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '.' ||
            ((text_[pos_] == '-' || text_[pos_] == '+') &&
             (text_[pos_ - 1] == 'e' || text_[pos_ - 1] == 'E')))) {
      ++pos_;
    }
    const std::string token = text_.substr(start, pos_ - start);
    std::int64_t i = 0;
    double d = 0;
    if (parse_int(token, i)) return i;
    if (parse_double(token, d)) return d;
    fail_at(start, fmt::format("'{}' is not a number", token));
  }
  std::vector<Literal> parse_list() {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == '@') {
      const std::size_t at = pos_++;
      const std::string name = identifier();
      const auto it = vars_.find(name);
      if (it == vars_.end()) fail_at(at, fmt::format("no value for @{} (pass it in .vars)", name));
      return {it->second};
    }
    char close = ']';
    if (symbol("[")) {
      close = ']';
    } else if (symbol("(")) {
      close = ')';
    } else {
      fail("expected a list after 'in'");
    }
    std::vector<Literal> out;
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == close) {
      ++pos_;
      return out;
    }
    for (;;) {
      out.push_back(literal());
      skip_space();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == close) {
        ++pos_;
        return out;
      }
      fail(fmt::format("expected ',' or '{}' in the list", close));
    }
  }
  // Builds an expression node from operands already parsed (so that an error is wrapped once,
  // here, not again at every level above it); its SchemaError gets the position of the
  // operator. Records the node's depth in the tree and refuses one deeper than kMaxTreeDepth.
  template <class F>
  ExprPtr checked(std::size_t at, F build) {
    ExprPtr e;
    try {
      e = build();
    } catch (const SchemaError& error) {
      throw SchemaError(
          fmt::format("query \"{}\" at position {}: {}", text_, at + 1, error.what()));
    }
    int depth = 1;
    for (const auto& arg : e->args) {
      const auto it = tree_depth_.find(arg.get());
      depth = std::max(depth, (it == tree_depth_.end() ? 1 : it->second.second) + 1);
    }
    if (depth > kMaxTreeDepth) {
      fail_at(at, fmt::format("the expression is more than {} operators deep", kMaxTreeDepth));
    }
    tree_depth_.emplace(e.get(), std::make_pair(e, depth));
    return e;
  }

  const std::string& text_;
  const Schema& schema_;
  const std::map<std::string, Literal>& vars_;
  int depth_ = 0;
  // The depth of each node `checked` built (others are leaves: 1); holding the node keeps its
  // address from being reused by another.
  std::unordered_map<const Expr*, std::pair<ExprPtr, int>> tree_depth_;
  std::size_t pos_ = 0;
};

}  // namespace

ExprPtr parse_query(const std::string& text, const Schema& schema,
                    const std::map<std::string, Literal>& vars) {
  return QueryParser(text, schema, vars).parse();
}

}  // namespace loom::dataframe::detail
