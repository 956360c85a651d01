#pragma once
// dd::Series: a lazy column expression of a dataframe, `df["v"]`. Arithmetic, comparisons,
// `& | ~`, isna/notna, isin, str().contains, astype; a boolean Series filters its frame:
// `df[df["v"] > 100]`. Types are checked when the expression is built (loom::SchemaError:
// `df["name"] > 3` on strings, an unknown column).

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "loom/core/delayed.hpp"
#include "loom/dataframe/detail/expr.hpp"

namespace loom::dataframe {

/// One value of a column, as a reduction returns it (`df["v"].max()`): missing
/// (std::monostate: no value, as pandas' NaN/NaT), int64, float64, bool, string or datetime.
using Value = std::variant<std::monostate, std::int64_t, double, bool, std::string,
                           std::chrono::sys_time<std::chrono::nanoseconds>>;

/// Options of `str().contains` (pandas' regex= and case=).
struct ContainsOptions {
  bool regex = true;
  bool case_sensitive = true;
};

/// Options of `str().replace`: the pattern is plain text unless `.regex = true` (RE2 syntax;
/// `\\1` in the replacement is the first group).
struct ReplaceOptions {
  bool regex = false;
};

class Series;
namespace detail {
struct SeriesAccess;
class PlanNode;
}  // namespace detail

/// A value on the other side of an operator: a number, a bool or a string.
class Scalar {
 public:
  template <class I>
  requires std::is_integral_v<I> &&(!std::is_same_v<I, bool>)Scalar(I v)
      : value_(static_cast<std::int64_t>(v)) {}        // NOLINT(google-explicit-constructor)
  Scalar(double v) : value_(v) {}                      // NOLINT(google-explicit-constructor)
  Scalar(float v) : value_(static_cast<double>(v)) {}  // NOLINT(google-explicit-constructor)
  Scalar(bool v) : value_(v) {}                        // NOLINT(google-explicit-constructor)
  Scalar(const char* v) : value_(std::string(v)) {}    // NOLINT(google-explicit-constructor)
  Scalar(std::string v) : value_(std::move(v)) {}      // NOLINT(google-explicit-constructor)

 private:
  // The expression builders read the value: a Series (isin), a frame (fillna, query's
  // variables) and the operators below through detail::SeriesAccess.
  friend class Series;
  friend class DataFrame;
  friend struct detail::SeriesAccess;
  [[nodiscard]] const detail::Literal& literal() const noexcept { return value_; }

  detail::Literal value_;
};

class DataFrame;

class Series {
 public:
  [[nodiscard]] DType dtype() const noexcept { return expr_->dtype; }

  [[nodiscard]] Series isna() const { return wrap(detail::unary_expr(detail::Op::kIsNa, expr_)); }
  [[nodiscard]] Series notna() const { return wrap(detail::unary_expr(detail::Op::kNotNa, expr_)); }
  [[nodiscard]] Series isin(const std::vector<Scalar>& values) const {
    std::vector<detail::Literal> v;
    for (const auto& s : values) v.push_back(s.literal());
    return wrap(detail::isin_expr(expr_, std::move(v)));
  }
  [[nodiscard]] Series astype(DType to) const { return wrap(detail::cast_expr(expr_, to)); }

  /// String methods (pandas' .str): `df["name"].str().contains("ab")`.
  class StringMethods {
   public:
    explicit StringMethods(const Series& s) : s_(s) {}
    /// Whether each value contains `pattern` (missing → false): as pandas, a regular
    /// expression (RE2 syntax, searched anywhere in the value, in time linear in its length)
    /// unless `.regex = false` (a plain substring); `.case_sensitive = false` ignores case.
    /// RE2 is Python's `re` without back-references (`\\1`) and lookaround (`(?=`, `(?<=`): a
    /// pattern that is not valid RE2 is a SchemaError naming the position.
    [[nodiscard]] Series contains(const std::string& pattern, ContainsOptions options = {}) const {
      return s_.wrap(
          detail::contains_expr(s_.expr_, pattern, options.regex, options.case_sensitive));
    }
    /// ASCII letters to lower / upper case (other bytes unchanged).
    [[nodiscard]] Series lower() const { return method("lower"); }
    [[nodiscard]] Series upper() const { return method("upper"); }
    /// Without leading and trailing whitespace.
    [[nodiscard]] Series strip() const { return method("strip"); }
    /// The number of characters (UTF-8 code points), int64.
    [[nodiscard]] Series len() const { return method("len"); }
    /// Whether each value starts / ends with `text` (missing → false).
    [[nodiscard]] Series startswith(const std::string& text) const {
      return method("startswith", {text});
    }
    [[nodiscard]] Series endswith(const std::string& text) const {
      return method("endswith", {text});
    }
    /// Every occurrence of `pattern` replaced by `replacement`.
    [[nodiscard]] Series replace(const std::string& pattern, const std::string& replacement,
                                 ReplaceOptions options = {}) const {
      return s_.wrap(
          detail::string_expr(s_.expr_, "replace", {pattern, replacement}, options.regex));
    }

   private:
    [[nodiscard]] Series method(const char* name, std::vector<std::string> args = {}) const {
      return s_.wrap(detail::string_expr(s_.expr_, name, std::move(args)));
    }
    const Series& s_;
  };
  [[nodiscard]] StringMethods str() const { return StringMethods(*this); }

  /// Datetime fields (pandas' .dt), as int64 columns: `df["t"].dt().hour() == 9`; usable in
  /// masks, assign and group-by keys (assign them first). SchemaError on other dtypes.
  class DateMethods {
   public:
    explicit DateMethods(const Series& s) : s_(s) {}
    [[nodiscard]] Series year() const { return field("year"); }
    [[nodiscard]] Series month() const { return field("month"); }
    [[nodiscard]] Series day() const { return field("day"); }
    [[nodiscard]] Series hour() const { return field("hour"); }
    [[nodiscard]] Series minute() const { return field("minute"); }
    [[nodiscard]] Series second() const { return field("second"); }
    /// Monday 0 ... Sunday 6.
    [[nodiscard]] Series dayofweek() const { return field("dayofweek"); }
    /// Midnight of the day (a datetime; pandas gives date objects).
    [[nodiscard]] Series date() const { return field("date"); }
    /// Rounded down to a multiple of `freq`: "1h", "15min", "1d", "30s", "1ms", ... (pandas'
    /// names; loom::ConfigError naming another).
    [[nodiscard]] Series floor(const std::string& freq) const {
      return s_.wrap(detail::date_floor_expr(s_.expr_, freq));
    }

   private:
    [[nodiscard]] Series field(const char* name) const {
      return s_.wrap(detail::date_expr(s_.expr_, name));
    }
    const Series& s_;
  };
  [[nodiscard]] DateMethods dt() const { return DateMethods(*this); }

  /// Reductions, lazy (pandas' skipna: missing values are left out). sum/prod of int or bool
  /// values are int64 (0 and 1 when there are none), of floats float64; min/max keep the
  /// dtype (strings and datetimes too) and are missing when there is no value. An int column
  /// that meets floats while it is read gives a float64 result. Arithmetic on a string or
  /// datetime Series is a SchemaError here.
  [[nodiscard]] Delayed<Value> sum() const;
  [[nodiscard]] Delayed<Value> prod() const;
  [[nodiscard]] Delayed<Value> min() const;
  [[nodiscard]] Delayed<Value> max() const;
  /// NaN when there are no values (std/var: fewer than ddof + 1).
  [[nodiscard]] Delayed<double> mean() const;
  [[nodiscard]] Delayed<double> std(int ddof = 1) const;
  [[nodiscard]] Delayed<double> var(int ddof = 1) const;
  /// Values present; rows; distinct values present.
  [[nodiscard]] Delayed<std::int64_t> count() const;
  [[nodiscard]] Delayed<std::int64_t> size() const;
  [[nodiscard]] Delayed<std::int64_t> nunique() const;
  /// Whether any / every present value is true (non-zero); all() of nothing is true.
  [[nodiscard]] Delayed<bool> any() const;
  [[nodiscard]] Delayed<bool> all() const;

  /// The values as a one-column table, named as name() says.
  [[nodiscard]] Table compute() const;
  /// Each distinct present value and its number of rows: columns `<name>` and "count", by count
  /// descending, ties by value ascending (a lazy frame).
  [[nodiscard]] DataFrame value_counts() const;
  /// The distinct values in order of first appearance, a missing value included once
  /// (pandas' unique(); a lazy frame of one column).
  [[nodiscard]] DataFrame unique() const;
  /// The name compute() and value_counts() give the column: the column's when the expression
  /// reads one (`df["k"].str().upper()` is "k", as pandas), else the expression's text.
  [[nodiscard]] std::string name() const;

 private:
  friend class DataFrame;  // (df["name"]: a Series starts as a frame's column)
  friend struct detail::SeriesAccess;
  /// The expression and the columns it was built on (the frame checks a mask or an assigned
  /// value against its own), and a new Series on the same columns.
  [[nodiscard]] const detail::ExprPtr& expr() const noexcept { return expr_; }
  [[nodiscard]] const detail::Schema& schema() const noexcept { return schema_; }
  [[nodiscard]] Series wrap(detail::ExprPtr e) const {
    return Series(std::move(e), schema_, plan_);
  }
  Series(detail::ExprPtr expr, detail::Schema schema,
         std::shared_ptr<const detail::PlanNode> plan)
      : expr_(std::move(expr)), schema_(std::move(schema)), plan_(std::move(plan)) {}

  detail::ExprPtr expr_;
  detail::Schema schema_;
  std::shared_ptr<const detail::PlanNode> plan_;  // the frame it reads, for reductions
};

namespace detail {
/// For the operators below: users can neither see a Series' expression nor wrap their own.
struct SeriesAccess {
  static const ExprPtr& expr(const Series& s) noexcept { return s.expr(); }
  static const Schema& schema(const Series& s) noexcept { return s.schema(); }
  static Series wrap(const Series& like, ExprPtr e) { return like.wrap(std::move(e)); }
  static const Literal& literal(const Scalar& s) noexcept { return s.literal(); }
  static const std::shared_ptr<const PlanNode>& plan(const Series& s) noexcept { return s.plan_; }
};
}  // namespace detail

#define LOOM_SERIES_OPERATOR(sym, op)                                                              \
  [[nodiscard]] inline Series operator sym(const Series& a, const Series& b) {                     \
    return detail::SeriesAccess::wrap(                                                             \
        a, detail::binary_expr(op, detail::SeriesAccess::expr(a), detail::SeriesAccess::expr(b))); \
  }                                                                                                \
  [[nodiscard]] inline Series operator sym(const Series& a, const Scalar& b) {                     \
    return detail::SeriesAccess::wrap(                                                             \
        a, detail::binary_expr(op, detail::SeriesAccess::expr(a),                                  \
                               detail::literal_expr(detail::SeriesAccess::literal(b))));           \
  }                                                                                                \
  [[nodiscard]] inline Series operator sym(const Scalar& a, const Series& b) {                     \
    return detail::SeriesAccess::wrap(                                                             \
        b, detail::binary_expr(op, detail::literal_expr(detail::SeriesAccess::literal(a)),         \
                               detail::SeriesAccess::expr(b)));                                    \
  }
LOOM_SERIES_OPERATOR(+, detail::Op::kAdd)
LOOM_SERIES_OPERATOR(-, detail::Op::kSub)
LOOM_SERIES_OPERATOR(*, detail::Op::kMul)
LOOM_SERIES_OPERATOR(/, detail::Op::kDiv)
LOOM_SERIES_OPERATOR(==, detail::Op::kEq)
LOOM_SERIES_OPERATOR(!=, detail::Op::kNe)
LOOM_SERIES_OPERATOR(<, detail::Op::kLt)
LOOM_SERIES_OPERATOR(<=, detail::Op::kLe)
LOOM_SERIES_OPERATOR(>, detail::Op::kGt)
LOOM_SERIES_OPERATOR(>=, detail::Op::kGe)
LOOM_SERIES_OPERATOR(&, detail::Op::kAnd)
LOOM_SERIES_OPERATOR(|, detail::Op::kOr)
#undef LOOM_SERIES_OPERATOR

[[nodiscard]] inline Series operator~(const Series& a) {
  return detail::SeriesAccess::wrap(
      a, detail::unary_expr(detail::Op::kNot, detail::SeriesAccess::expr(a)));
}
[[nodiscard]] inline Series operator-(const Series& a) {
  return detail::SeriesAccess::wrap(
      a, detail::unary_expr(detail::Op::kNeg, detail::SeriesAccess::expr(a)));
}

}  // namespace loom::dataframe
