#pragma once
// dd::Series: a lazy column expression of a dataframe, `df["v"]`. Arithmetic, comparisons,
// `& | ~`, isna/notna, isin, str().contains, astype; a boolean Series filters its frame:
// `df[df["v"] > 100]`. Types are checked when the expression is built (loom::SchemaError:
// `df["name"] > 3` on strings, an unknown column).

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "loom/dataframe/detail/expr.hpp"

namespace loom::dataframe {

/// Options of `str().contains` (pandas' regex= and case=).
struct ContainsOptions {
  bool regex = true;
  bool case_sensitive = true;
};

class Series;
namespace detail {
struct SeriesAccess;
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
    /// expression (ECMAScript syntax, searched anywhere in the value) unless `.regex = false`
    /// (a plain substring); `.case_sensitive = false` ignores case. A pattern that is not a
    /// valid regular expression is a SchemaError.
    [[nodiscard]] Series contains(const std::string& pattern, ContainsOptions options = {}) const {
      return s_.wrap(
          detail::contains_expr(s_.expr_, pattern, options.regex, options.case_sensitive));
    }

   private:
    const Series& s_;
  };
  [[nodiscard]] StringMethods str() const { return StringMethods(*this); }

 private:
  friend class DataFrame;  // (df["name"]: a Series starts as a frame's column)
  friend struct detail::SeriesAccess;
  /// The expression and the columns it was built on (the frame checks a mask or an assigned
  /// value against its own), and a new Series on the same columns.
  [[nodiscard]] const detail::ExprPtr& expr() const noexcept { return expr_; }
  [[nodiscard]] const detail::Schema& schema() const noexcept { return schema_; }
  [[nodiscard]] Series wrap(detail::ExprPtr e) const { return Series(std::move(e), schema_); }
  Series(detail::ExprPtr expr, detail::Schema schema)
      : expr_(std::move(expr)), schema_(std::move(schema)) {}

  detail::ExprPtr expr_;
  detail::Schema schema_;
};

namespace detail {
/// For the operators below: users can neither see a Series' expression nor wrap their own.
struct SeriesAccess {
  static const ExprPtr& expr(const Series& s) noexcept { return s.expr(); }
  static const Schema& schema(const Series& s) noexcept { return s.schema(); }
  static Series wrap(const Series& like, ExprPtr e) { return like.wrap(std::move(e)); }
  static const Literal& literal(const Scalar& s) noexcept { return s.literal(); }
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
