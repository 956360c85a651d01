#pragma once
// Dtypes the CSV source decides while it reads, and all the rest of the plan needs to know of
// that decision. A CSV column's dtype is inferred from a sample; a partition past the sample may
// hold floats in a column the sample read as int64. The source then decides (csv.cpp): the
// column is float64 from then on, in every partition it parses. The other dataframe files never
// test which dtypes widen to which; they ask the two questions below. Private to src/dataframe.

#include <cstdint>
#include <optional>

#include "dataframe/csv/csv.hpp"

namespace loom::dataframe::detail {

/// The dtype of one column held as `a` in one place and as `b` in another (the partitions of a
/// frame, two frames' merge keys, a mask built on another frame): theirs when they agree,
/// float64 for int64 and float64 (an int column a source widened to floats, or from_tables'
/// partitions); nullopt when they cannot be one column.
[[nodiscard]] inline std::optional<DType> common_dtype(DType a, DType b) noexcept {
  if (a == b) return a;
  const auto number = [](DType t) { return t == DType::int64 || t == DType::float64; };
  if (number(a) && number(b)) return DType::float64;
  return std::nullopt;
}

/// Runs `read` (a pass over partitions parsed by `source`, which may be null) again until a run
/// during which the source revised no column's dtype: the partitions a run read before the
/// revision hold the column in its old dtype, so only such a run sees every column in one dtype
/// across partitions. At most once more per revised column.
template <class Read>
auto read_settled(const CsvSource* source, Read&& read) {
  for (;;) {
    const std::int64_t before = source != nullptr ? source->dtype_revisions() : 0;
    auto result = read();
    if (source == nullptr || source->dtype_revisions() == before) return result;
  }
}

}  // namespace loom::dataframe::detail
