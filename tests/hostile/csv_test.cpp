// read_csv against hostile files: block cuts linear in the file whatever the blocksize, and
// parsing linear in the number of columns. (This binary's tests time out after 60 s: the
// quadratic versions of these took minutes.)
#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include "../dataframe/write_file.hpp"
#include "../support/expect_error.hpp"
#include "alloc_watch.hpp"

#include "loom/core/error.hpp"
#include "loom/dataframe.hpp"

namespace dd = loom::dataframe;

namespace {

// A file with one quoted field of `length` bytes (newlines and doubled quotes inside) between
// two ordinary rows.
std::string long_quoted_field_file(std::int64_t length, std::string& field) {
  field.clear();
  while (static_cast<std::int64_t>(field.size()) < length) field += "text, \"\"more\"\"\n";
  return "id,text\n1,short\n2,\"" + field + "\"\n3,end\n";
}

TEST(HostileCsv, LongQuotedFieldAtTinyBlocksizesIsLinear) {
  std::string field;
  const std::string path =
      loom::test::write_file("quoted.csv", long_quoted_field_file(4 << 20, field));
  std::string unescaped;
  for (std::size_t k = 0; k < field.size(); ++k) {
    unescaped += field[k];
    if (field[k] == '"') ++k;  // "" is one quote
  }
  for (const std::int64_t blocksize : {7, 64}) {
    const dd::Table t = dd::read_csv(path, {.blocksize = blocksize}).compute();
    ASSERT_EQ(t.num_rows(), 3) << blocksize;
    EXPECT_EQ(t.column<std::int64_t>("id")[2], 3);
    EXPECT_EQ(t.column<std::string_view>("text")[1], unescaped) << blocksize;
  }
}

TEST(HostileCsv, UnclosedLongQuoteIsAnErrorNamingTheLine) {
  const std::string path = loom::test::write_file(
      "unclosed.csv", "id,text\n1,a\n2,\"" + std::string(1 << 20, 'x') + "\n");
  EXPECT_ERROR_CONTAINS((void)dd::read_csv(path, {.blocksize = 7}).compute(), loom::ParseError,
                        "never closed");
}

TEST(HostileCsv, WideFilesAreLinearInTheirColumns) {
  // 120,000 columns x 10 rows: each column name looked up once per partition, not searched
  // for per field; the duplicate-name check hashes.
  constexpr int kColumns = 120'000;
  constexpr int kRows = 10;
  std::string text;
  for (int c = 0; c < kColumns; ++c) text += (c ? ",c" : "c") + std::to_string(c);
  text += '\n';
  for (int r = 0; r < kRows; ++r) {
    for (int c = 0; c < kColumns; ++c) {
      if (c) text += ',';
      text += std::to_string(r + c);
    }
    text += '\n';
  }
  const std::string path = loom::test::write_file("wide.csv", text);
  const dd::Table t = dd::read_csv(path, {.blocksize = std::int64_t{1} << 20}).compute();
  ASSERT_EQ(t.num_columns(), static_cast<std::size_t>(kColumns));
  ASSERT_EQ(t.num_rows(), kRows);
  for (const int c : {0, 1, 59'999, kColumns - 1}) {
    const auto col = t.column<std::int64_t>("c" + std::to_string(c));
    for (int r = 0; r < kRows; ++r) ASSERT_EQ(col[r], r + c) << c << " " << r;
  }
}

TEST(HostileCsv, DuplicateColumnNamesInAWideTableAreErrors) {
  std::vector<std::string> names;
  std::vector<dd::Column> columns;
  for (int c = 0; c < 20'000; ++c) names.push_back("c" + std::to_string(c));
  names.push_back("c17");
  for (std::size_t c = 0; c < names.size(); ++c) {
    columns.push_back(dd::Column::from_ints({std::int64_t{1}}));
  }
  EXPECT_ERROR_CONTAINS((void)dd::Table(names, columns), loom::SchemaError,
                        "column 'c17' appears twice");
}

TEST(HostileCsv, ParsingMemoryIsBoundedByTheFile) {
  // A field claiming nothing: the largest single allocation while reading a 1 MiB quoted field
  // is a small multiple of the file.
  std::string field;
  const std::string text = long_quoted_field_file(1 << 20, field);
  const std::string path = loom::test::write_file("bounded.csv", text);
  loom::test::AllocWatch watch;
  (void)dd::read_csv(path, {.blocksize = 64}).compute();
  EXPECT_LE(watch.largest(), 4 * text.size());
}

}  // namespace
