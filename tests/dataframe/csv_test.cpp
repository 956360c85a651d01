// read_csv against hand-made files whose parsed values are written out in the tests: quotes,
// CRLF, BOM, missing final newline, empty fields, bad lines, dtype inference and widening,
// block boundaries inside quoted fields, globs of several files.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../scratch_folder.hpp"
#include "../support/expect_error.hpp"
#include "loom/core/config.hpp"
#include "loom/dataframe.hpp"
#include "write_file.hpp"

namespace dd = loom::dataframe;

namespace {

using loom::test::write_file;

TEST(ReadCsv, QuotesCrlfBomAndMissingFinalNewline) {
  const std::string path = write_file("edge.csv",
                                      "\xEF\xBB\xBFname,qty,price,note\r\n"
                                      "\"Smith, J\",3,1.5,\"said \"\"hi\"\"\"\r\n"
                                      "plain,,2.25,\"two\nlines\"\r\n"
                                      "\"\",7,,x");
  const auto df = dd::read_csv(path);
  EXPECT_EQ(df.columns(), (std::vector<std::string>{"name", "qty", "price", "note"}));
  const auto types = df.dtypes();
  EXPECT_EQ(types[0].second, dd::DType::string);
  EXPECT_EQ(types[1].second, dd::DType::int64);
  EXPECT_EQ(types[2].second, dd::DType::float64);
  const dd::Table t = df.compute();
  ASSERT_EQ(t.num_rows(), 3);
  EXPECT_EQ(t.value<std::string_view>(0, "name"), "Smith, J");
  EXPECT_EQ(t.value<std::string_view>(0, "note"), "said \"hi\"");
  EXPECT_EQ(t.value<std::string_view>(1, "note"), "two\nlines");
  EXPECT_EQ(t.value<std::int64_t>(0, "qty"), 3);
  EXPECT_FALSE(t.value<std::int64_t>(1, "qty").has_value());  // empty: missing, still int64
  EXPECT_EQ(t.value<double>(1, "price"), 2.25);
  EXPECT_FALSE(t.value<double>(2, "price").has_value());
  EXPECT_FALSE(t.value<std::string_view>(2, "name").has_value());  // "" is missing, as pandas
  EXPECT_EQ(t.value<std::string_view>(2, "note"), "x");
  EXPECT_EQ(t.column<std::int64_t>("qty").null_count(), 1);
}

TEST(ReadCsv, BlockBoundariesNeverSplitARow) {
  // Rows with quoted newlines and separators; every blocksize from 1 byte up must give the
  // same rows, including cuts inside quotes and right at a quoted newline. Twice: LF lines,
  // and CRLF lines with a UTF-8 BOM and no final line end (so cuts also fall between a CR and
  // its LF, and the last partition ends without one); some rows miss their last value.
  struct Variant {
    const char* eol;
    bool bom;
    bool final_eol;
  };
  for (const Variant& variant : {Variant{"\n", false, true}, Variant{"\r\n", true, false}}) {
    const std::string eol = variant.eol;
    std::string text = std::string(variant.bom ? "\xEF\xBB\xBF" : "") + "id,text,v" + eol;
    std::vector<std::string> expect;
    for (int i = 0; i < 40; ++i) {
      const std::string body =
          i % 3 == 0 ? "a" + eol + "b,c" : (i % 3 == 1 ? "say \"\"x\"\"" : "plain");
      const std::string v = i % 7 == 5 ? "" : std::to_string(i * 2);
      text += std::to_string(i) + ",\"" + body + "\"," + v;
      if (i < 39 || variant.final_eol) text += eol;
      std::string unq = body;
      for (std::size_t k = 0; (k = unq.find("\"\"", k)) != std::string::npos; ++k) unq.erase(k, 1);
      expect.push_back(unq);
    }
    const std::string path = write_file("blocks.csv", text);
    for (std::int64_t bs : {1, 2, 7, 13, 31, 64, 100, 4096}) {
      const auto df = dd::read_csv(path, {.blocksize = bs});
      const dd::Table t = df.compute();
      ASSERT_EQ(t.num_rows(), 40) << "blocksize " << bs << " eol " << eol.size();
      ASSERT_EQ(t.column_names()[0], "id");  // (the BOM is not part of the name)
      const auto ids = t.column<std::int64_t>("id");
      const auto texts = t.column<std::string_view>("text");
      const auto vs = t.column<std::int64_t>("v");
      for (std::size_t i = 0; i < 40; ++i) {
        ASSERT_EQ(ids[i], static_cast<std::int64_t>(i)) << "blocksize " << bs;
        ASSERT_EQ(texts[i], expect[i]) << "blocksize " << bs;
        if (i % 7 == 5) {
          ASSERT_FALSE(vs.is_valid(i)) << "blocksize " << bs << " row " << i;
        } else {
          ASSERT_EQ(vs[i], static_cast<std::int64_t>(2 * i));
        }
      }
      if (bs <= 64) EXPECT_GT(df.npartitions(), 1);
    }
    EXPECT_EQ(dd::read_csv(path, {.blocksize = "1MB"}).npartitions(), 1);
  }
}

TEST(ReadCsv, IntMeetingFloatWidensEverywhere) {
  // The sample (the first 256 KB) sees only ints; a later partition meets a float.
  std::string text = "k,v\n";
  for (int i = 0; i < 60000; ++i) text += "a," + std::to_string(i) + "\n";
  text += "b,2.5\n";
  const std::string path = write_file("widen.csv", text);
  const auto df = dd::read_csv(path, {.blocksize = "64kB"});
  EXPECT_EQ(df.dtypes()[1].second, dd::DType::int64);
  EXPECT_GT(df.npartitions(), 3);
  const dd::Table t = df.compute();
  ASSERT_EQ(t.column("v").dtype(), dd::DType::float64);
  EXPECT_EQ(t.value<double>(59999, "v"), 59999.0);
  EXPECT_EQ(t.value<double>(60000, "v"), 2.5);
  const dd::Table sums = df.groupby("k")["v"].sum().compute();
  EXPECT_EQ(sums.column("v").dtype(), dd::DType::float64);
  EXPECT_EQ(sums.value<double>(0, "v"), 59999.0 * 60000 / 2);
  EXPECT_EQ(sums.value<double>(1, "v"), 2.5);
  // Persisted: float64 in every partition and in dtypes, so that it can even be a key.
  const auto kept = df.persist();
  EXPECT_EQ(kept.dtypes()[1].second, dd::DType::float64);
  const dd::Table by_v = kept.groupby("v").size().compute();
  EXPECT_EQ(by_v.num_rows(), 60001);
  EXPECT_EQ(by_v.value<double>(3, "v"), 2.5);
  // Every partition holds the widened column as float64, also in a lazy step: as text, row 0
  // is "0.0" like row 60000's "2.5" (the first computation met the float in its last partition
  // and read the earlier ones again; later ones parse the column as float64 from the start).
  const auto fresh = dd::read_csv(path, {.blocksize = "64kB"});
  const auto texts = fresh.assign("s", fresh["v"].astype(dd::DType::string)).compute();
  EXPECT_EQ(texts.value<std::string_view>(0, "s"), "0.0");
  EXPECT_EQ(texts.value<std::string_view>(60000, "s"), "2.5");
  const std::int64_t after_first = fresh.partitions_read();
  EXPECT_EQ(after_first, 2 * fresh.npartitions());  // read twice, once
  (void)fresh.compute();
  EXPECT_EQ(fresh.partitions_read(), after_first + fresh.npartitions());
  // Not persisted: the group-by meets the float in the last partition and starts again with the
  // key float64 everywhere.
  const dd::Table lazy_by_v = df.groupby("v").size().compute();
  ASSERT_EQ(lazy_by_v.num_rows(), 60001);
  EXPECT_EQ(lazy_by_v.column("v").dtype(), dd::DType::float64);
  EXPECT_EQ(lazy_by_v.value<double>(3, "v"), 2.5);
}

// A group-by planned before the source revised its columns runs against the dtypes the source
// decides now: the key is float64 from its first partition on, read once (no new start).
TEST(ReadCsv, AGroupByBuiltBeforeARevisionReadsEachPartitionOnce) {
  std::string text = "k,v\n";
  for (int i = 0; i < 60000; ++i) text += std::to_string(i % 7) + "," + std::to_string(i) + "\n";
  text += "2.5,0.5\n";
  const std::string path = write_file("revised_before.csv", text);
  const auto df = dd::read_csv(path, {.blocksize = "64kB"});
  const auto by_k = df.groupby("k").agg({{"v", {"sum", "min", "max", "first", "last", "nunique"}}});
  ASSERT_EQ(df.dtypes()[0].second, dd::DType::int64);
  (void)df.compute();  // meets the floats: k and v are float64 from now on
  const std::int64_t before = df.partitions_read();
  const dd::Table t = by_k.compute();
  EXPECT_EQ(df.partitions_read() - before, df.npartitions());
  ASSERT_EQ(t.num_rows(), 8);
  EXPECT_EQ(t.column("k").dtype(), dd::DType::float64);
  EXPECT_EQ(t.column("v_sum").dtype(), dd::DType::float64);
  EXPECT_EQ(t.column("v_min").dtype(), dd::DType::float64);
  EXPECT_EQ(t.value<double>(3, "k"), 2.5);
  EXPECT_EQ(t.value<double>(3, "v_sum"), 0.5);
  EXPECT_EQ(t.value<double>(0, "v_min"), 0.0);
  EXPECT_EQ(t.value<double>(0, "v_max"), 59997.0);
  EXPECT_EQ(t.value<double>(7, "v_last"), 59996.0);  // the last i < 60000 with i % 7 == 6
  EXPECT_EQ(t.value<std::int64_t>(1, "v_nunique"), 8572);  // i % 7 == 1 for i < 60000
}

// A value column the source revises while a group-by reads it: the run starts again, and every
// aggregate sees the column as float64 in every partition (sums, extremes, first and last,
// distinct values), in one and two threads, in memory and through the disk shuffle.
TEST(ReadCsv, AValueColumnRevisedDuringAGroupByIsFloatEverywhere) {
  std::string text = "k,v\n";
  for (int i = 0; i < 60000; ++i) text += (i % 2 == 0 ? "a," : "b,") + std::to_string(i) + "\n";
  text += "a,0.5\n";
  const std::string path = write_file("revised_during.csv", text);
  for (const char* method : {"tasks", "disk"}) {
    for (const char* threads : {"1", "2"}) {
      loom::config::Scope scope{{"dataframe.shuffle.method", method},
                                {"scheduler.num_threads", threads}};
      const auto df = dd::read_csv(path, {.blocksize = "64kB"});
      const dd::Table t =
          df.groupby("k").agg({{"v", {"sum", "min", "max", "first", "last", "nunique"}}}).compute();
      ASSERT_EQ(t.num_rows(), 2) << method << threads;
      EXPECT_EQ(t.column("v_sum").dtype(), dd::DType::float64) << method << threads;
      EXPECT_EQ(t.value<double>(0, "v_sum"), 29999.0 * 30000 + 0.5) << method << threads;
      EXPECT_EQ(t.value<double>(0, "v_min"), 0.0) << method << threads;
      EXPECT_EQ(t.value<double>(0, "v_max"), 59998.0) << method << threads;
      EXPECT_EQ(t.value<double>(0, "v_first"), 0.0) << method << threads;
      EXPECT_EQ(t.value<double>(0, "v_last"), 0.5) << method << threads;
      EXPECT_EQ(t.value<std::int64_t>(0, "v_nunique"), 30001) << method << threads;
      EXPECT_EQ(t.value<double>(1, "v_max"), 59999.0) << method << threads;
    }
  }
}

TEST(ReadCsv, TextInANumericColumnNamesFileLineAndColumn) {
  std::string text = "a,b\n";
  for (int i = 0; i < 40000; ++i) text += std::to_string(i) + ",1.5\n";
  text += "7,oops\n";
  const std::string path = write_file("text_in_numbers.csv", text);
  EXPECT_ERROR_CONTAINS((void)dd::read_csv(path).compute(), loom::SchemaError,
                        "text_in_numbers.csv:40002", "'b'", "oops", "dtype");
  // An explicit dtype reads it as text.
  const auto t = dd::read_csv(path, {.dtype = {{"b", dd::DType::string}}}).compute();
  EXPECT_EQ(t.value<std::string_view>(40000, "b"), "oops");
}

TEST(ReadCsv, BadLinesErrorSkipOrWarn) {
  const std::string path = write_file("bad.csv", "a,b\n1,2\n3,4,5\n6\n7,8\n");
  EXPECT_ERROR((void)dd::read_csv(path).compute(), loom::ParseError, [](const loom::ParseError& e) {
    EXPECT_EQ(e.line(), 3U);
    EXPECT_EQ(e.column(), 3U);
    EXPECT_NE(e.file().find("bad.csv"), std::string::npos);
  });
  for (const char* mode : {"skip", "warn"}) {
    const auto t = dd::read_csv(path, {.on_bad_lines = mode}).compute();
    ASSERT_EQ(t.num_rows(), 3) << mode;  // the long row dropped; the short one padded
    EXPECT_EQ(t.value<std::int64_t>(1, "a"), 6);
    EXPECT_FALSE(t.value<std::int64_t>(1, "b").has_value());
  }
  EXPECT_THROW((void)dd::read_csv(path, {.on_bad_lines = "ignore"}), loom::ConfigError);
  const std::string open_quote = write_file("open_quote.csv", "a,b\n1,\"never closed\n2,3\n");
  EXPECT_THROW((void)dd::read_csv(open_quote).compute(), loom::ParseError);
}

TEST(ReadCsv, GlobOfFilesEachWithAHeader) {
  const auto dir = loom::test::scratch_folder() / "glob";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "part1.csv") << "k,v\nx,1\ny,2\n";
  std::ofstream(dir / "part2.csv") << "k,v\nx,10\n";
  std::ofstream(dir / "part3.csv") << "k,v\n";  // header only
  const auto df = dd::read_csv((dir / "part*.csv").string());
  const auto t = df.compute();
  ASSERT_EQ(t.num_rows(), 3);
  EXPECT_EQ(t.value<std::int64_t>(2, "v"), 10);
  EXPECT_THROW((void)dd::read_csv((dir / "nothing*.csv").string()), loom::Error);
  EXPECT_THROW((void)dd::read_csv((dir / "missing.csv").string()), loom::Error);
  std::ofstream(dir / "other.csv") << "k,w\nx,1\n";
  EXPECT_THROW((void)dd::read_csv((dir / "*.csv").string()), loom::SchemaError);
}

TEST(ReadCsv, OptionsNamesUsecolsNaValuesDatesSep) {
  const std::string path =
      write_file("opts.txt", "1;2024-01-31;none;x\n2;2024-02-01 12:30:00;5;y\n");
  const auto df = dd::read_csv(path, {.sep = ';',
                                      .header = false,
                                      .names = {"id", "when", "n", "tag"},
                                      .usecols = {"id", "when", "n"},
                                      .na_values = {"none"},
                                      .parse_dates = {"when"}});
  EXPECT_EQ(df.columns(), (std::vector<std::string>{"id", "when", "n"}));
  EXPECT_EQ(df.dtypes()[1].second, dd::DType::datetime);
  EXPECT_EQ(df.dtypes()[2].second, dd::DType::int64);
  const auto t = df.compute();
  ASSERT_EQ(t.num_rows(), 2);
  EXPECT_FALSE(t.value<std::int64_t>(0, "n").has_value());
  const auto when = t.column<dd::Timestamp>("when");
  EXPECT_EQ((when[1] - when[0]), std::chrono::hours(36) + std::chrono::minutes(30));
  EXPECT_EQ(t.column("when").format(0), "2024-01-31");
  EXPECT_THROW((void)dd::read_csv(path, {.sep = ';', .header = false, .usecols = {"zzz"}}),
               loom::SchemaError);
}

// Plain numbers are read straight from the text; every form that is not one takes the general
// parser. Each value must be exactly what strtod / from_chars make of its text.
TEST(ReadCsv, NumbersReadFromTheTextAreExact) {
  std::vector<std::string> ints{"0",
                                "-0",
                                "007",
                                "42",
                                "-17",
                                "123456789012345678",
                                "1234567890123456789",
                                "-9223372036854775807",
                                "+5"};
  std::vector<std::string> floats{"0.1",
                                  "-0.0",
                                  "12.345678",
                                  "99.999999",
                                  "1.",
                                  ".5",
                                  "1e5",
                                  "-2.5E-3",
                                  "0.30000000000000004",
                                  "123456789012345.6",
                                  "3.14159265358979",
                                  "1234567.890123456789",
                                  "5"};
  std::uint64_t s = 7;
  for (int k = 0; k < 3000; ++k) {  // random plain decimals with 1..17 digits
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    const int whole = static_cast<int>((s >> 33) % 9) + 1;
    const int frac = static_cast<int>((s >> 40) % 9);
    std::string v = (s >> 60) % 2 == 0 ? "" : "-";
    for (int d = 0; d < whole + frac; ++d) {
      s = s * 6364136223846793005ULL + 1442695040888963407ULL;
      if (d == whole) v += ".";
      v += static_cast<char>('0' + (s >> 59) % 10);
    }
    floats.push_back(v);
  }
  std::string text = "i,f\n";
  for (std::size_t r = 0; r < floats.size(); ++r) {
    text += ints[r % ints.size()] + "," + floats[r] + "\n";
  }
  const auto t = dd::read_csv(write_file("numbers.csv", text)).compute();
  ASSERT_EQ(t.column("i").dtype(), dd::DType::int64);
  ASSERT_EQ(t.column("f").dtype(), dd::DType::float64);
  for (std::size_t r = 0; r < floats.size(); ++r) {
    const std::string& it = ints[r % ints.size()];
    std::int64_t want = 0;
    const char* b = it.data() + (it[0] == '+' ? 1 : 0);
    std::from_chars(b, it.data() + it.size(), want);
    ASSERT_EQ(t.value<std::int64_t>(static_cast<std::int64_t>(r), "i"), want) << it;
    const double f = std::strtod(floats[r].c_str(), nullptr);
    const auto got = t.value<double>(static_cast<std::int64_t>(r), "f");
    ASSERT_TRUE(got.has_value()) << floats[r];
    ASSERT_EQ(std::signbit(*got), std::signbit(f)) << floats[r];
    ASSERT_EQ(*got, f) << floats[r];
  }
  // A missing-value string that is a number makes every number be looked up.
  const auto path = write_file("numeric_na.csv", "a,b\n-1,2.5\n3,-1\n-1.5,999\n");
  const auto na = dd::read_csv(path, {.na_values = {"-1", "999"}}).compute();
  EXPECT_FALSE(na.value<double>(0, "a").has_value());
  EXPECT_EQ(na.value<double>(1, "a"), 3.0);
  EXPECT_EQ(na.value<double>(2, "a"), -1.5);
  EXPECT_FALSE(na.value<double>(1, "b").has_value());
  EXPECT_FALSE(na.value<double>(2, "b").has_value());
}

// Bad rows in every partition report their own lines (counted from each partition's first
// line, found once for the file), in "warn" mode on stderr and in "error" mode in the error.
TEST(ReadCsv, BadLinesReportTheirLinesInEveryPartition) {
  std::string text = "a,b\n";
  std::vector<int> bad_lines;
  for (int line = 2; line <= 3001; ++line) {
    if (line % 250 == 0) {
      text += "1,2,3\n";  // one field too many
      bad_lines.push_back(line);
    } else {
      text += std::to_string(line) + "," + std::to_string(line % 7) + "\n";
    }
  }
  const std::string path = write_file("bad_lines_spread.csv", text);
  const auto df = dd::read_csv(path, {.blocksize = 2000, .on_bad_lines = "warn"});
  ASSERT_GT(df.npartitions(), 5);
  testing::internal::CaptureStderr();
  const auto t = df.compute();
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(t.num_rows(), 3000 - static_cast<std::int64_t>(bad_lines.size()));
  for (const int line : bad_lines) {
    EXPECT_NE(err.find("bad_lines_spread.csv:" + std::to_string(line) + ": skipping a bad line"),
              std::string::npos)
        << line << "\n"
        << err;
  }
  // One bad row, far into the file: the error names its line.
  std::string one = "a,b\n";
  for (int line = 2; line <= 2000; ++line) one += line == 1777 ? "1,2,3\n" : "1,2\n";
  const std::string late = write_file("bad_line_late.csv", one);
  EXPECT_ERROR((void)dd::read_csv(late, {.blocksize = 1000}).compute(), loom::ParseError,
               [](const loom::ParseError& e) { EXPECT_EQ(e.line(), 1777U); });
}

// na_values are missing values before anything is parsed (pandas): numbers in any spelling,
// booleans, dates.
TEST(ReadCsv, NaValuesComeBeforeParsing) {
  const std::string path = write_file(
      "na_first.csv", "i,f,b,d\n+1,1e3,True,2024-01-01\n2,.5,False,2024-01-02\n3,2.5,true,\n");
  const auto t = dd::read_csv(path, {.na_values = {"+1", "1e3", ".5", "True", "2024-01-01"},
                                     .parse_dates = {"d"}})
                     .compute();
  EXPECT_EQ(t.column("b").dtype(), dd::DType::boolean);
  EXPECT_EQ(t.column("d").dtype(), dd::DType::datetime);
  EXPECT_FALSE(t.value<std::int64_t>(0, "i").has_value());
  EXPECT_EQ(t.value<std::int64_t>(1, "i"), 2);
  EXPECT_FALSE(t.value<double>(0, "f").has_value());
  EXPECT_FALSE(t.value<double>(1, "f").has_value());
  EXPECT_EQ(t.value<double>(2, "f"), 2.5);
  EXPECT_FALSE(t.value<bool>(0, "b").has_value());
  EXPECT_EQ(t.value<bool>(1, "b"), false);
  EXPECT_EQ(t.value<bool>(2, "b"), true);  // "true" is not "True"
  EXPECT_FALSE(t.value<dd::Timestamp>(0, "d").has_value());
  EXPECT_TRUE(t.value<dd::Timestamp>(1, "d").has_value());
  EXPECT_FALSE(t.value<dd::Timestamp>(2, "d").has_value());  // empty: NaT
  EXPECT_EQ(t.column("d").format(2), "NaT");
}

}  // namespace
