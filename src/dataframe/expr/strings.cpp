// The .str methods: contains on RE2 (linear time, no recursion per character: a long value
// cannot overflow the stack; RE2's syntax, so no back-references or lookaround), lower, upper,
// strip, len, startswith, endswith, replace. Missing values stay missing (contains,
// startswith, endswith: false, as the masks of pandas' na=False).
#include <algorithm>
#include <functional>
#include <memory>
#include <vector>

#include <fmt/format.h>
#include <re2/re2.h>

#include "dataframe/column_builder.hpp"
#include "dataframe/expr/kernels.hpp"
#include "loom/core/error.hpp"

namespace loom::dataframe::detail {

namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

// Where the group that is never closed opens (RE2 names the whole pattern for that error).
std::size_t unclosed_paren(const std::string& pattern) {
  std::vector<std::size_t> open;
  bool in_class = false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\') {
      ++i;
    } else if (in_class) {
      in_class = c != ']';
    } else if (c == '[') {
      in_class = true;
    } else if (c == '(') {
      open.push_back(i);
    } else if (c == ')' && !open.empty()) {
      open.pop_back();
    }
  }
  return open.empty() ? std::string::npos : open.back();
}

// A compiled pattern, or SchemaError naming it, what is wrong and where (1-based position of
// the part RE2 objects to).
std::shared_ptr<const re2::RE2> compile_pattern(const std::string& what, const std::string& pattern,
                                                bool case_sensitive) {
  re2::RE2::Options options;
  options.set_log_errors(false);
  options.set_case_sensitive(case_sensitive);
  auto re = std::make_shared<const re2::RE2>(pattern, options);
  if (!re->ok()) {
    const std::string& arg = re->error_arg();
    std::size_t at = arg.empty() ? std::string::npos : pattern.find(arg);
    if (re->error_code() == re2::RE2::ErrorMissingParen) at = unclosed_paren(pattern);
    throw SchemaError(fmt::format(
        "{}: '{}' is not a valid regular expression ({}{}; RE2 syntax: no back-references or "
        "lookaround)",
        what, pattern, re->error(),
        at == std::string::npos ? std::string() : fmt::format(" at position {}", at + 1)));
  }
  return re;
}

void require_string(const Expr& a, const std::string& method) {
  if (a.dtype != DType::string) {
    throw SchemaError(fmt::format("str.{} on {}, which is {}, not string", method, describe(a),
                                  dtype_name(a.dtype)));
  }
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

}  // namespace

std::function<bool(std::string_view)> contains_test(const Expr& e) {
  // A pattern without metacharacters is its own text: searched as a substring.
  const bool literal = e.name.find_first_of("^$\\.*+?()[]{}|") == std::string::npos;
  if (e.regex && !literal) {
    auto re = compile_pattern("str.contains", e.name, e.case_sensitive);
    return [re](std::string_view v) { return re2::RE2::PartialMatch(v, *re); };
  }
  if (e.case_sensitive) {
    return [p = e.name](std::string_view v) { return v.find(p) != std::string_view::npos; };
  }
  return [p = e.name](std::string_view v) {
    return std::search(v.begin(), v.end(), p.begin(), p.end(),
                       [](char a, char b) { return lower(a) == lower(b); }) != v.end();
  };
}

ExprPtr contains_expr(ExprPtr a, std::string pattern, bool regex, bool case_sensitive) {
  require_string(*a, "contains");
  if (regex) (void)compile_pattern("str.contains", pattern, case_sensitive);  // said now
  auto e = std::make_shared<Expr>();
  e->op = Op::kContains;
  e->dtype = DType::boolean;
  e->name = std::move(pattern);
  e->regex = regex;
  e->case_sensitive = case_sensitive;
  e->args = {std::move(a)};
  return e;
}

ExprPtr string_expr(ExprPtr a, const std::string& method, std::vector<std::string> args,
                    bool regex) {
  require_string(*a, method);
  auto e = std::make_shared<Expr>();
  e->op = Op::kStr;
  if (method == "lower" || method == "upper" || method == "strip") {
    e->dtype = DType::string;
  } else if (method == "len") {
    e->dtype = DType::int64;
  } else if (method == "startswith" || method == "endswith") {
    e->dtype = DType::boolean;
  } else if (method == "replace") {
    e->dtype = DType::string;
    if (regex) (void)compile_pattern("str.replace", args.at(0), true);
  } else {
    throw SchemaError(fmt::format(
        "str.{}: no such string method (lower, upper, strip, len, startswith, endswith, "
        "replace, contains)",
        method));
  }
  e->name = method;
  e->regex = regex;
  for (auto& s : args) e->set.emplace_back(std::move(s));
  e->args = {std::move(a)};
  return e;
}

Column string_method(const Expr& e, const Column& a) {
  const ColumnData& d = data_of(a);
  const std::string& m = e.name;
  auto arg = [&](std::size_t k) -> const std::string& { return std::get<std::string>(e.set.at(k)); };
  std::shared_ptr<const re2::RE2> re;
  if (m == "replace" && e.regex) re = compile_pattern("str.replace", arg(0), true);
  ColumnBuilder b(e.dtype);
  b.reserve(d.size);
  std::string s;
  for (std::int64_t i = 0; i < d.size; ++i) {
    if (!d.is_valid(i)) {
      if (e.dtype == DType::boolean) {
        b.append_bool(false);
      } else {
        b.append_null();
      }
      continue;
    }
    const std::string_view v = d.str(i);
    if (m == "len") {
      // Characters, as Python counts them: UTF-8 bytes that do not continue a character.
      b.append_int(std::count_if(v.begin(), v.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
      }));
    } else if (m == "startswith") {
      b.append_bool(v.starts_with(arg(0)));
    } else if (m == "endswith") {
      b.append_bool(v.ends_with(arg(0)));
    } else if (m == "strip") {
      std::size_t lo = 0;
      std::size_t hi = v.size();
      while (lo < hi && is_space(v[lo])) ++lo;
      while (hi > lo && is_space(v[hi - 1])) --hi;
      b.append_string(v.substr(lo, hi - lo));
    } else if (m == "lower" || m == "upper") {
      s.assign(v);
      for (char& c : s) c = m == "lower" ? lower(c) : upper(c);
      b.append_string(s);
    } else {  // replace
      s.assign(v);
      if (re) {
        re2::RE2::GlobalReplace(&s, *re, arg(1));
      } else if (!arg(0).empty()) {
        std::string out;
        std::size_t from = 0;
        for (std::size_t at = s.find(arg(0)); at != std::string::npos;
             at = s.find(arg(0), from)) {
          out.append(s, from, at - from);
          out += arg(1);
          from = at + arg(0).size();
        }
        out.append(s, from);
        s = std::move(out);
      }
      b.append_string(s);
    }
  }
  return b.finish();
}

}  // namespace loom::dataframe::detail
