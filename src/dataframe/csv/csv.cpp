// read_csv's source: files, partitions on row boundaries, schema inference, partition parsing.
#include "dataframe/csv/csv.hpp"

#include <fcntl.h>
#include <glob.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <iostream>
#include <unordered_set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "dataframe/csv/csv_tokenize.hpp"
#include "loom/core/config.hpp"
#include "loom/core/detail/parallel_blocks.hpp"
#include "loom/core/detail/assert.hpp"
#include "loom/core/error.hpp"
#include "dataframe/column_builder.hpp"
#include "dataframe/field_text.hpp"

namespace loom::dataframe {

ByteSize::ByteSize(const char* text) : bytes_(parse_bytes(text)) {}
ByteSize::ByteSize(const std::string& text) : bytes_(parse_bytes(text)) {}

}  // namespace loom::dataframe

namespace loom::dataframe::detail {

MappedFile::MappedFile(const std::string& path) : path_(path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw Error(fmt::format("read_csv: cannot open '{}': {}", path, std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(fmt::format("read_csv: '{}' is not a regular file", path));
  }
  size_ = st.st_size;
  if (size_ > 0) {
    void* m = ::mmap(nullptr, static_cast<std::size_t>(size_), PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
      ::close(fd);
      throw Error(fmt::format("read_csv: cannot map '{}': {}", path, std::strerror(errno)));
    }
    ::madvise(m, static_cast<std::size_t>(size_), MADV_SEQUENTIAL);
    data_ = static_cast<const char*>(m);
  }
  ::close(fd);
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<char*>(data_), static_cast<std::size_t>(size_));
}

namespace {

constexpr std::int64_t kSampleBytes = 256 * 1024;

// pandas' default missing-value strings.
const char* const kDefaultNa[] = {
    "",     "#N/A", "#N/A N/A", "#NA",  "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A",  "NA",       "NULL", "NaN",     "None",     "n/a",  "nan",  "null"};

std::vector<std::string> expand(const std::string& pattern) {
  if (pattern.find_first_of("*?[") == std::string::npos) return {pattern};
  glob_t g{};
  const int rc = ::glob(pattern.c_str(), 0, nullptr, &g);
  std::vector<std::string> out;
  if (rc == 0) {
    for (std::size_t k = 0; k < g.gl_pathc; ++k) out.emplace_back(g.gl_pathv[k]);
  }
  ::globfree(&g);
  if (out.empty()) throw Error(fmt::format("read_csv: no file matches '{}'", pattern));
  std::sort(out.begin(), out.end());
  return out;
}

// The 1-based physical line of byte `offset`.
// The line number of a byte offset, counted on from the last one asked for (rows are reported
// in file order: many bad lines cost one pass, not one each).
class LineCounter {
 public:
  // Rows of one partition: counting starts at its first byte, whose line number `start_line`
  // gives (once, when a bad row first needs it).
  LineCounter(const MappedFile& f, std::int64_t start, std::function<std::int64_t()> start_line)
      : f_(f), offset_(start), start_line_(std::move(start_line)) {}
  std::int64_t operator()(std::int64_t offset) {
    if (line_ == 0) line_ = start_line_();
    if (offset < offset_) {  // not expected (rows come in order): count from the start
      offset_ = 0;
      line_ = 1;
    }
    line_ += std::count(f_.data() + offset_, f_.data() + offset, '\n');
    offset_ = offset;
    return line_;
  }

 private:
  const MappedFile& f_;
  std::int64_t offset_;
  std::int64_t line_ = 0;  // 0: not known yet
  std::function<std::int64_t()> start_line_;
};

}  // namespace

CsvSource::CsvSource(const std::string& path_or_glob, ReadCsvOptions options)
    : options_(std::move(options)), paths_(expand(path_or_glob)) {
  if (options_.blocksize.bytes() <= 0) {
    throw ConfigError(
        fmt::format("read_csv: blocksize must be positive, not {}", options_.blocksize.bytes()));
  }
  if (options_.on_bad_lines != "error" && options_.on_bad_lines != "skip" &&
      options_.on_bad_lines != "warn") {
    throw ConfigError(
        fmt::format("read_csv: on_bad_lines is '{}'; use \"error\", \"skip\" or \"warn\"",
                    options_.on_bad_lines));
  }
  for (const char* s : kDefaultNa) na_.insert(s);
  for (const auto& s : options_.na_values) na_.insert(s, /*user=*/true);
  for (const auto& p : paths_) maps_.push_back(std::make_shared<MappedFile>(p));
  data_start_.assign(paths_.size(), 0);
  // The header (or the first row's width) of each file; the first file names the columns.
  for (std::size_t k = 0; k < paths_.size(); ++k) {
    const MappedFile& f = *maps_[k];
    const char* p = f.data();
    const char* end = p + f.size();
    if (f.size() >= 3 && std::memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3;
    const char* first = p;
    RowTokenizer tok(options_.sep);
    std::vector<std::string> names;
    const auto status = tok.next(p, end);
    if (status == RowTokenizer::Status::kUnterminatedQuote) {
      throw ParseError(f.path(), 1, 1, "a quoted field in the first line is never closed");
    }
    for (auto v : tok.fields()) names.emplace_back(v);
    if (options_.header) {
      data_start_[k] = p - f.data();
    } else {
      data_start_[k] = first - f.data();
      for (std::size_t c = 0; c < names.size(); ++c) names[c] = std::to_string(c);
    }
    if (status == RowTokenizer::Status::kEnd) {
      if (k == 0)
        throw Error(fmt::format("read_csv: '{}' is empty: no header, no columns", f.path()));
      names = schema_.file_columns;
    }
    if (!options_.names.empty()) {
      if (options_.names.size() != names.size() && status != RowTokenizer::Status::kEnd) {
        throw SchemaError(fmt::format("read_csv: {} names given for the {} columns of '{}'",
                                      options_.names.size(), names.size(), f.path()));
      }
      names = options_.names;
    }
    if (k == 0) {
      schema_.file_columns = names;
    } else if (names != schema_.file_columns) {
      throw SchemaError(fmt::format("read_csv: '{}' has columns {}, '{}' has {}", f.path(),
                                    fmt::join(names, ","), paths_[0],
                                    fmt::join(schema_.file_columns, ",")));
    }
  }
  for (std::size_t c = 0; c < schema_.file_columns.size(); ++c) {
    schema_.column_index.emplace(schema_.file_columns[c], c);
  }
  const std::unordered_set<std::string> usecols(options_.usecols.begin(), options_.usecols.end());
  for (std::size_t c = 0; c < schema_.file_columns.size(); ++c) {
    const bool wanted = usecols.empty() || usecols.contains(schema_.file_columns[c]);
    if (wanted) schema_.output.push_back(c);
  }
  for (const auto& u : options_.usecols) {
    if (!schema_.has(u)) {
      throw SchemaError(
          fmt::format("read_csv: usecols names '{}', which '{}' does not have "
                      "(columns: {})",
                      u, paths_[0], fmt::join(schema_.file_columns, ", ")));
    }
  }
  for (const auto& [name, t] : options_.dtype) {
    if (!schema_.has(name)) {
      throw SchemaError(fmt::format("read_csv: dtype names column '{}', which '{}' does not have",
                                    name, paths_[0]));
    }
  }
  infer();
  for (std::size_t k = 0; k < paths_.size(); ++k) split(k);
}

const MappedFile& CsvSource::file(std::size_t k) const { return *maps_[k]; }

std::int64_t CsvSource::parse_count() const noexcept { return parses_->load(); }

std::int64_t CsvSource::dtype_revisions() const noexcept { return widened_->count.load(); }

DType CsvSource::current_dtype(std::size_t c) const {
  LOOM_ASSERT(c < schema_.file_dtypes.size(), "a file column past the CSV schema");
  const std::lock_guard<std::mutex> lock(widened_->mutex);
  const bool wide = c < widened_->columns.size() && widened_->columns[c];
  return wide ? DType::float64 : schema_.file_dtypes[c];
}

std::int64_t CsvSource::first_line(std::size_t p) const {
  // Every partition's at once, on the first call: one pass over the files, however many bad
  // rows are reported afterwards.
  std::call_once(lines_once_, [this] {
    first_line_.assign(partitions_.size(), 1);
    std::size_t k = 0;
    while (k < partitions_.size()) {
      const std::size_t file_index = partitions_[k].file;
      const MappedFile& f = file(file_index);
      std::int64_t at = 0;
      std::int64_t line = 1;
      for (; k < partitions_.size() && partitions_[k].file == file_index; ++k) {
        line += std::count(f.data() + at, f.data() + partitions_[k].begin, '\n');
        at = partitions_[k].begin;
        first_line_[k] = line;
      }
    }
  });
  return first_line_[p];
}

void CsvSource::infer() {
  const std::size_t n = schema_.file_columns.size();
  schema_.file_dtypes.assign(n, DType::string);
  std::vector<bool> all_int(n, true);
  std::vector<bool> all_float(n, true);
  std::vector<bool> all_bool(n, true);
  std::vector<bool> seen(n, false);
  std::vector<std::unordered_set<std::string>> distinct(n);
  field_bytes_.assign(n, 0.0);
  const MappedFile& f = file(0);
  const char* p = f.data() + data_start_[0];
  std::int64_t sample_end = std::min(f.size(), data_start_[0] + kSampleBytes);
  {  // at least the first whole row, however long it is
    const char* q = p;
    RowTokenizer first(options_.sep);
    if (first.next(q, f.data() + f.size()) == RowTokenizer::Status::kRow) {
      sample_end = std::max(sample_end, std::min(f.size(), (q - f.data()) + 1));
    }
  }
  const char* end = f.data() + sample_end;
  const bool whole = end == f.data() + f.size();
  RowTokenizer tok(options_.sep);
  const char* sample_start = p;
  std::int64_t sample_rows = 0;
  for (;;) {
    const auto status = tok.next(p, end);
    if (status != RowTokenizer::Status::kRow) break;
    if (!whole && p >= end) break;  // the sample's last row may be cut short
    ++sample_rows;
    if (tok.blank() || tok.fields().size() > n) continue;
    for (std::size_t c = 0; c < tok.fields().size(); ++c) {
      const std::string_view v = tok.fields()[c];
      field_bytes_[c] += static_cast<double>(v.size());
      if (na_.contains(v)) continue;
      seen[c] = true;
      if (distinct[c].size() <= 4096) distinct[c].emplace(v);
      std::int64_t i = 0;
      double d = 0;
      bool b = false;
      if (all_int[c] && !parse_int(v, i)) all_int[c] = false;
      if (all_float[c] && !parse_double(v, d)) all_float[c] = false;
      if (all_bool[c] && !parse_bool(v, b)) all_bool[c] = false;
    }
  }
  if (sample_rows > 0) {
    row_bytes_ = static_cast<double>(p - sample_start) / static_cast<double>(sample_rows);
    for (double& b : field_bytes_) b /= static_cast<double>(sample_rows);
  }
  // Strings are interned when the sample repeats them (at most half as many distinct values as
  // rows, or few); a column of mostly distinct strings is stored plainly, with no hashing.
  schema_.dictionary.assign(n, true);
  for (std::size_t c = 0; c < n; ++c) {
    const auto d = static_cast<std::int64_t>(distinct[c].size());
    schema_.dictionary[c] = d <= 64 || d * 2 <= sample_rows;
  }
  const std::unordered_set<std::string> dates(options_.parse_dates.begin(),
                                              options_.parse_dates.end());
  for (std::size_t c = 0; c < n; ++c) {
    const std::string& name = schema_.file_columns[c];
    if (const auto it = options_.dtype.find(name); it != options_.dtype.end()) {
      schema_.file_dtypes[c] = it->second;
    } else if (dates.contains(name)) {
      schema_.file_dtypes[c] = DType::datetime;
    } else if (!seen[c]) {
      schema_.file_dtypes[c] = DType::float64;  // all missing: pandas reads float64 NaN
    } else if (all_int[c]) {
      schema_.file_dtypes[c] = DType::int64;
    } else if (all_float[c]) {
      schema_.file_dtypes[c] = DType::float64;
    } else if (all_bool[c]) {
      schema_.file_dtypes[c] = DType::boolean;
    }
  }
  for (const auto& name : options_.parse_dates) {
    if (!schema_.has(name)) {
      throw SchemaError(
          fmt::format("read_csv: parse_dates names column '{}', which '{}' does "
                      "not have",
                      name, paths_[0]));
    }
  }
}

void CsvSource::split(std::size_t k) {
  // Nominal blocks only: the cuts on row boundaries are found when the data is first needed.
  const std::int64_t start = data_start_[k];
  const std::int64_t size = file(k).size();
  const std::int64_t bs = options_.blocksize.bytes();
  if (start >= size) return;
  const std::int64_t blocks = (size - start + bs - 1) / bs;
  for (std::int64_t b = 0; b < blocks; ++b) partitions_.push_back({k, b, 0, 0});
}

void CsvSource::resolve() const {
  std::call_once(resolved_, [this] {
    // Quotes per nominal block, counted in parallel (memchr skips quote-free text at memory
    // speed): an odd count before a nominal cut means it lies inside a quoted field.
    const std::int64_t bs = options_.blocksize.bytes();
    std::vector<std::int64_t> quotes(partitions_.size(), 0);
    loom::detail::parallel_blocks(
        static_cast<std::int64_t>(partitions_.size()), [&](std::int64_t p) {
          const CsvPartition& part = partitions_[static_cast<std::size_t>(p)];
          const MappedFile& f = file(part.file);
          const std::int64_t start = data_start_[part.file];
          const char* lo = f.data() + start + part.block * bs;
          const char* hi = f.data() + std::min(f.size(), start + (part.block + 1) * bs);
          std::int64_t count = 0;
          for (const char* q = lo; (q = static_cast<const char*>(std::memchr(
                                        q, '"', static_cast<std::size_t>(hi - q)))) != nullptr;
               ++q) {
            ++count;
          }
          quotes[static_cast<std::size_t>(p)] = count;
        });
    // Each block starts at the first line end outside quotes at or after its nominal start
    // (the file's first block at its data); cuts never go backwards, so a block inside one long
    // row is empty.
    std::int64_t before = 0;
    std::int64_t previous = 0;
    for (std::size_t p = 0; p < partitions_.size(); ++p) {
      CsvPartition& part = partitions_[p];
      const MappedFile& f = file(part.file);
      const std::int64_t start = data_start_[part.file];
      std::int64_t cut = start;
      if (part.block == 0) {
        before = 0;
      } else if (start + part.block * bs < previous) {
        // The previous block's scan already passed this nominal start (a long quoted field
        // or row spans both): the first line end outside quotes after it is the same one.
        // Scanning again would make a field spanning n blocks cost n times its length.
        cut = previous;
      } else {
        cut = f.size();
        bool inside = (before & 1) != 0;
        for (std::int64_t q = start + part.block * bs; q < f.size(); ++q) {
          const char c = f.data()[q];
          if (c == '"') {
            inside = !inside;
          } else if (c == '\n' && !inside) {
            cut = q + 1;
            break;
          }
        }
        cut = std::max(cut, previous);
      }
      part.begin = cut;
      before += quotes[p];
      previous = cut;
      const bool last = p + 1 == partitions_.size() || partitions_[p + 1].file != part.file;
      if (!last) continue;
      // The file's blocks end where the next begins; the last one at the end of the file.
      part.end = f.size();
      for (std::size_t q = p; q-- > 0 && partitions_[q].file == part.file;) {
        partitions_[q].end = partitions_[q + 1].begin;
      }
    }
  });
}

Table CsvSource::parse(std::size_t p, const std::vector<std::string>& columns,
                       const std::vector<std::string>* check_only,
                       std::vector<std::uint8_t>* row_missing) const {
  resolve();
  LOOM_ASSERT(p < partitions_.size(), "a partition past the CSV source's partitions");
  parses_->fetch_add(1);
  const CsvPartition& part = partitions_[p];
  const MappedFile& f = file(part.file);
  // The file column of a name asked for.
  auto file_column = [&](const std::string& name) {
    const auto it = schema_.column_index.find(name);
    if (it == schema_.column_index.end()) {
      throw SchemaError(fmt::format("read_csv: no column '{}'", name));
    }
    return it->second;
  };
  // The file columns to read, in the order asked for.
  std::vector<std::size_t> read;
  if (columns.empty()) {
    read = schema_.output;
  } else {
    for (const auto& name : columns) read.push_back(file_column(name));
  }
  const std::size_t ncols = schema_.file_columns.size();
  std::vector<ColumnBuilder> builders;
  {
    const std::lock_guard<std::mutex> lock(widened_->mutex);
    widened_->columns.resize(schema_.file_columns.size(), false);
    for (std::size_t c : read) {
      const bool wide = widened_->columns[c];  // (found holding floats in another partition)
      builders.emplace_back(wide ? DType::float64 : schema_.file_dtypes[c], schema_.dictionary[c]);
    }
  }
  std::vector<bool> wide(read.size(), false);
  const auto estimate =
      static_cast<std::int64_t>(static_cast<double>(part.end - part.begin) / row_bytes_ * 1.05) +
      16;
  for (std::size_t j = 0; j < read.size(); ++j) {
    builders[j].reserve(estimate);
    // Plain strings: their bytes too (growing by doubling would copy them into fresh pages).
    if (!schema_.dictionary[read[j]] && schema_.file_dtypes[read[j]] == DType::string &&
        read[j] < field_bytes_.size()) {
      builders[j].reserve_bytes(
          static_cast<std::int64_t>(static_cast<double>(estimate) * field_bytes_[read[j]] * 1.05));
    }
  }

  RowTokenizer tok(options_.sep);
  LineCounter line_of(f, part.begin, [this, p] { return first_line(p); });
  const char* cursor = f.data() + part.begin;
  const char* end = f.data() + part.end;
  // Which builder each field of a row feeds (-1: a column not read: split, not converted).
  // -2: a column only checked for missing values.
  std::vector<int> slot(ncols, -1);
  constexpr int kCheck = -2;
  for (std::size_t j = 0; j < read.size(); ++j) slot[read[j]] = static_cast<int>(j);
  const bool checking = check_only != nullptr && !check_only->empty() && row_missing != nullptr;
  // Unless na_values are given (they are looked up before any parsing: "-1", "999").
  const bool fast_numbers = !na_.has_user_values();
  if (checking) {
    for (const auto& name : *check_only) {
      int& s = slot[file_column(name)];
      if (s == -1) s = kCheck;
    }
    row_missing->clear();
    row_missing->reserve(static_cast<std::size_t>(estimate));
  }
  // Each builder's dtype at hand (int64 changes to float64 when a column widens).
  std::vector<DType> dtypes;
  for (const auto& b : builders) dtypes.push_back(b.dtype());
  // Plain ints wait in a small buffer per column and go to the builder a block at a time
  // (range and width checked once per block); anything else done to that builder first takes
  // what waits.
  std::vector<IntStage> staged(read.size());
  auto flush = [&](std::size_t j) {
    builders[j].append_ints(staged[j].values.data(), staged[j].n);
    staged[j].n = 0;
  };
  std::int64_t rows = 0;
  while (cursor < end) {
    const char* row = cursor;
    if (*cursor == '\n' || (*cursor == '\r' && cursor + 1 < end && cursor[1] == '\n')) {
      cursor += *cursor == '\n' ? 1 : 2;  // a blank line
      continue;
    }
    tok.begin_row();
    std::size_t c = 0;
    std::string failure;
    bool missing = false;  // in a checked column
    for (;;) {             // fields, converted as they are split
      if (fast_numbers && c < ncols && slot[c] >= 0) {
        // Plain numbers are read straight from the text (no split, then parse).
        const auto j = static_cast<std::size_t>(slot[c]);
        ColumnBuilder& b = builders[j];
        const char* q = nullptr;
        if (dtypes[j] == DType::int64) {
          std::int64_t x = 0;
          q = scan_int(cursor, end, x);
          if (q != nullptr && (q == end || tok.stops(*q))) {
            IntStage& st = staged[j];
            st.values[st.n++] = x;
            if (st.n == st.values.size()) flush(j);
          } else {
            q = nullptr;
          }
        } else if (dtypes[j] == DType::float64) {
          double x = 0;
          q = scan_decimal(cursor, end, x);
          if (q != nullptr && (q == end || tok.stops(*q))) {
            b.append_double(x);
          } else {
            q = nullptr;
          }
        }
        if (q != nullptr) {
          cursor = q;
          ++c;
          if (tok.after_field(cursor, end) == RowTokenizer::Field::kRowEnd) break;
          continue;
        }
      }
      std::string_view v;
      const auto st = tok.field(cursor, end, v);
      if (st == RowTokenizer::Field::kUnterminatedQuote) {
        throw ParseError(f.path(), static_cast<std::size_t>(line_of(row - f.data())), c + 1,
                         "a quoted field is never closed");
      }
      if (c < ncols && slot[c] >= 0) {
        const auto j = static_cast<std::size_t>(slot[c]);
        ColumnBuilder& b = builders[j];
        if (fast_numbers && dtypes[j] == DType::string) {  // the common case, straight
          if (na_.contains(v)) {
            b.append_null();
          } else {
            b.append_string(v);
          }
          ++c;
          if (st == RowTokenizer::Field::kRowEnd) break;
          continue;
        }
        bool w = false;
        flush(j);
        if (failure.empty() && !append_field(b, v, na_, w)) {
          // Reported once the row is split: a row with too many fields is a bad line first.
          const auto line = static_cast<std::size_t>(line_of(row - f.data()));
          failure = fmt::format(
              "{}:{}: column '{}' (field {}): '{}' is not {} (the type inferred from a sample of "
              "'{}'; give this column a dtype to read it otherwise)",
              f.path(), line, schema_.file_columns[c], c + 1, v, dtype_name(builders[j].dtype()),
              paths_[0]);
        }
        if (w) {
          wide[j] = true;
          dtypes[j] = b.dtype();
        }
      } else if (c < ncols && slot[c] == kCheck) {
        missing = missing || field_missing(schema_.file_dtypes[c], v, na_);
      }
      ++c;
      if (st == RowTokenizer::Field::kRowEnd) break;
    }
    if (c > ncols) {  // too many fields: a bad line; what it added is taken back
      for (std::size_t j = 0; j < builders.size(); ++j) flush(j);
      for (auto& b : builders) b.truncate(rows);
      if (options_.on_bad_lines == "skip") continue;
      const auto line = static_cast<std::size_t>(line_of(row - f.data()));
      const std::string what = fmt::format("expected {} fields, saw {}", ncols, c);
      if (options_.on_bad_lines == "error") throw ParseError(f.path(), line, ncols + 1, what);
      std::cerr << fmt::format("{}:{}: skipping a bad line: {}\n", f.path(), line, what);
      continue;
    }
    if (!failure.empty()) throw SchemaError(failure);
    for (; c < ncols; ++c) {  // too few fields: missing values, as pandas
      if (slot[c] >= 0) {
        flush(static_cast<std::size_t>(slot[c]));
        builders[static_cast<std::size_t>(slot[c])].append_null();
      }
      missing = missing || slot[c] == kCheck;
    }
    if (checking) row_missing->push_back(missing ? 1 : 0);
    ++rows;
  }
  std::vector<std::string> names;
  std::vector<Column> cols;
  for (std::size_t j = 0; j < read.size(); ++j) {
    flush(j);
    names.push_back(schema_.file_columns[read[j]]);
    cols.push_back(builders[j].finish());
  }
  const std::lock_guard<std::mutex> lock(widened_->mutex);
  for (std::size_t j = 0; j < read.size(); ++j) {
    if (wide[j] && !widened_->columns[read[j]]) {
      widened_->columns[read[j]] = true;
      widened_->count.fetch_add(1);
    }
    // Handed out in the dtype decided now: an int column another partition revised while this
    // one was parsed comes as float64 too.
    if (widened_->columns[read[j]] && cols[j].dtype() == DType::int64) {
      cols[j] = cast(cols[j], DType::float64);
    }
  }
  return Table(std::move(names), std::move(cols));
}

}  // namespace loom::dataframe::detail
