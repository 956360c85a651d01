#pragma once
// Reading CSV files in partitions: the files of a glob, each cut at about `blocksize` bytes on
// real row boundaries (quote-aware), a schema inferred from a sample of the first file, and the
// parser of one partition. Private to src/dataframe.

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "loom/dataframe/csv_options.hpp"
#include "loom/dataframe/table.hpp"

namespace loom::dataframe::detail {

/// The strings read as missing values, with a quick filter on the first character and the
/// length together (most fields cannot be one: "1.5" starts like "1.#IND" but is shorter).
class NaSet {
 public:
  /// `user`: from na_values (may spell a number, a bool or a date: looked up before parsing).
  void insert(const std::string& s, bool user = false) {
    set_.insert(s);
    if (!s.empty()) lengths_[static_cast<unsigned char>(s[0])] |= length_bit(s.size());
    user_ = user_ || user;
  }
  /// Whether na_values added strings (then every field is looked up before it is parsed, as
  /// pandas applies na_values first: "-1", "1e3", "True", "2024-01-01").
  [[nodiscard]] bool has_user_values() const noexcept { return user_; }
  [[nodiscard]] bool contains(std::string_view v) const {
    if (v.empty()) return true;
    if ((lengths_[static_cast<unsigned char>(v[0])] & length_bit(v.size())) == 0) return false;
    return set_.find(v) != set_.end();
  }

 private:
  // Bit n for length n (63: 63 and longer).
  static std::uint64_t length_bit(std::size_t n) noexcept {
    return std::uint64_t{1} << std::min<std::size_t>(n, 63);
  }
  struct Hash {  // looks strings up by string_view (no copy)
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  std::unordered_set<std::string, Hash, std::equal_to<>> set_;
  std::array<std::uint64_t, 256> lengths_{};  // per first character: the lengths it starts
  bool user_ = false;
};

class ColumnBuilder;

/// Appends one field to a column of dtype `t`; false when its text does not fit the dtype (the
/// caller reports it). An int64 column meeting a float widens to float64 (`widened` set; the
/// source then revises the column's dtype).
/// (csv_fields.cpp)
bool append_field(ColumnBuilder& b, std::string_view v, const NaSet& na, bool& widened);
/// Whether a field of a column of type t holds a missing value (without storing it).
bool field_missing(DType t, std::string_view v, const NaSet& na);

/// Plain ints of one column parsed ahead of their builder (CsvSource::parse).
struct IntStage {
  std::array<std::int64_t, 256> values;
  std::size_t n = 0;
};

/// A read-only memory map of a whole file.
class MappedFile {
 public:
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  [[nodiscard]] const char* data() const noexcept { return data_; }
  [[nodiscard]] std::int64_t size() const noexcept { return size_; }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
  const char* data_ = nullptr;
  std::int64_t size_ = 0;
};

struct CsvPartition {
  std::size_t file = 0;
  std::int64_t block = 0;  // the nominal block of the file: [block, block + 1) * blocksize
  std::int64_t begin = 0;  // byte offsets of whole rows (set by CsvSource::resolve)
  std::int64_t end = 0;
};

struct CsvSchema {
  std::vector<std::string> file_columns;  // every column of the files, in order
  std::vector<DType> file_dtypes;
  std::vector<bool> dictionary;     // per file column: strings repeat enough to intern them
  std::vector<std::size_t> output;  // the file columns read (usecols), in file order
  // Name -> file column (the first of that name): lookups by name cost the same however many
  // columns a file has (a wide file is not quadratic in its width).
  std::unordered_map<std::string, std::size_t> column_index;
  [[nodiscard]] bool has(const std::string& name) const { return column_index.contains(name); }
};

/// The files of a read_csv call, cut into partitions, with their schema.
class CsvSource {
 public:
  CsvSource(const std::string& path_or_glob, ReadCsvOptions options);

  [[nodiscard]] const CsvSchema& schema() const noexcept { return schema_; }
  [[nodiscard]] const std::vector<CsvPartition>& partitions() const noexcept { return partitions_; }
  [[nodiscard]] const std::vector<std::string>& files() const noexcept { return paths_; }
  /// How many partitions have been parsed (persist tests: a persisted frame parses no more).
  [[nodiscard]] std::int64_t parse_count() const noexcept;
  /// How many columns' dtypes the source has revised: each column the sample read as int64 and
  /// a partition found holding floats is float64 in every partition handed out from then on.
  /// A run during which this grew is run again (run_settled, dtype_revisions.hpp).
  [[nodiscard]] std::int64_t dtype_revisions() const noexcept;
  /// The dtype file column `c` is handed out in now (its sample's, or float64 once revised).
  [[nodiscard]] DType current_dtype(std::size_t c) const;

  /// Finds each partition's cut on row boundaries (once; parse calls it): counts the quotes of
  /// every block in parallel. The constructor reads only the header and a sample.
  void resolve() const;

  /// Parses partition p: the columns named in `columns` (file names; all output columns when
  /// empty), in that order, in the dtypes decided when it is handed out (an int column meeting
  /// a float here, or revised by another partition meanwhile, comes back float64, and is
  /// float64 in every later parse: dtype_revisions).
  /// With `check_only` (file columns not read) and `row_missing`: also sets row_missing[i]
  /// when row i has a missing value in one of those columns, which are only looked at for
  /// that (dropna of columns nothing else needs; their text is not validated, as for any
  /// column not read).
  [[nodiscard]] Table parse(std::size_t p, const std::vector<std::string>& columns,
                            const std::vector<std::string>* check_only = nullptr,
                            std::vector<std::uint8_t>* row_missing = nullptr) const;

 private:
  void split(std::size_t file);
  /// The line number (1-based, in its file) of partition p's first byte.
  [[nodiscard]] std::int64_t first_line(std::size_t p) const;
  void infer();
  [[nodiscard]] const MappedFile& file(std::size_t k) const;

  ReadCsvOptions options_;
  std::vector<std::string> paths_;
  std::vector<std::shared_ptr<MappedFile>> maps_;
  std::vector<std::int64_t> data_start_;  // per file: after BOM and header
  NaSet na_;
  CsvSchema schema_;
  mutable std::vector<CsvPartition> partitions_;
  mutable std::once_flag resolved_;
  mutable std::once_flag lines_once_;
  mutable std::vector<std::int64_t> first_line_;  // per partition: its first row's line
  double row_bytes_ = 64;            // average row length in the sample (for reserving)
  std::vector<double> field_bytes_;  // per file column: average field length in the sample
  std::shared_ptr<std::atomic<std::int64_t>> parses_ =
      std::make_shared<std::atomic<std::int64_t>>(0);
  struct Widened {  // file columns found holding floats, shared by copies of the source
    std::mutex mutex;
    std::vector<bool> columns;
    std::atomic<std::int64_t> count{0};
  };
  std::shared_ptr<Widened> widened_ = std::make_shared<Widened>();
};

}  // namespace loom::dataframe::detail
