#pragma once
// The one mapping from a column's dtype (dataframe::DType) to NumPy's dtype codes
// (loom::detail::DType, the element codes of .npy files). The two enums stay apart: a column
// also holds strings and datetimes, NumPy's codes also hold every integer width. Where a
// column's values are NumPy numbers, their names and codes come from here.

#include <optional>

#include "loom/dataframe/column.hpp"
#include "loom/io/npy.hpp"

namespace loom::dataframe::detail {

/// NumPy's code for the values of a column of dtype `t`: int64 → i8, float64 → f8, bool → b1;
/// none for strings and datetimes, which have no .npy code here.
constexpr std::optional<loom::detail::DType> numpy_dtype(DType t) noexcept {
  switch (t) {
    case DType::int64:
      return loom::detail::DType::i8;
    case DType::float64:
      return loom::detail::DType::f8;
    case DType::boolean:
      return loom::detail::DType::b1;
    case DType::string:
    case DType::datetime:
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace loom::dataframe::detail
