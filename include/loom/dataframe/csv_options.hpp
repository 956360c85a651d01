#pragma once
// The options of dd::read_csv (pandas' and dask's names).

#include <concepts>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "loom/dataframe/column.hpp"

namespace loom::dataframe {

/// A byte count, given as a number or in Dask's spellings ("64MB", "100MB", "1GiB").
class ByteSize {
 public:
  ByteSize(std::integral auto bytes)  // NOLINT(google-explicit-constructor)
      : bytes_(static_cast<std::int64_t>(bytes)) {}
  ByteSize(const char* text);         // NOLINT(google-explicit-constructor)
  ByteSize(const std::string& text);  // NOLINT(google-explicit-constructor)
  [[nodiscard]] std::int64_t bytes() const noexcept { return bytes_; }

 private:
  std::int64_t bytes_;
};

struct ReadCsvOptions {
  /// Bytes per partition: files are cut near multiples of this, on row boundaries.
  ByteSize blocksize = "64MB";
  char sep = ',';
  /// Whether the first line of each file names the columns.
  bool header = true;
  /// Column names (replacing the header's, or naming columns of headerless files).
  std::vector<std::string> names{};
  /// Only these columns (in the file's order).
  std::vector<std::string> usecols{};
  /// Per-column dtypes; the others are inferred from a sample.
  std::map<std::string, DType> dtype{};
  /// Extra strings read as missing (besides "", "NA", "NaN", "null", ... as pandas).
  std::vector<std::string> na_values{};
  /// Columns parsed as datetime (ISO 8601: "2024-01-31", "2024-01-31 12:00:00").
  std::vector<std::string> parse_dates{};
  /// A row with too many fields: "error" (loom::ParseError), "skip" or "warn" (drop it; warn
  /// prints file:line to stderr).
  std::string on_bad_lines = "error";
};

}  // namespace loom::dataframe
