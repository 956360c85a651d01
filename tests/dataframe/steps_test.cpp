// Steps with more to them than one pass over a partition: dropna pushed below filters and into
// the CSV scan, merge through an on-disk shuffle, str.contains (regular expressions, long
// values) — each against a hand-worked answer or a plain reference.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "../scratch_folder.hpp"
#include "loom/dataframe.hpp"
#include "write_file.hpp"

namespace dd = loom::dataframe;
using loom::test::write_file;

namespace {

// dropna straight after read_csv only checks the columns nothing else needs (no parse), and
// goes below query filters; either way the rows kept are those of the full path (a persisted
// frame, every column parsed) and of the hand-worked answer.
TEST(DataFrame, DropnaOfUnreadColumnsAndBelowFilters) {
  const auto path = write_file("dropna_pushdown.csv",
                               "d,a,b,c\n"
                               "1,1,x,1.5\n"         // d > 2 is false
                               "3,2,NA,2.5\n"        // b is NA
                               "4,,y,3.5\n"          // a is empty
                               "5,4,z,nan\n"         // c is NaN
                               "6,5,w,-nan\n"        // c is NaN
                               "7,6,v,\n"            // c is empty
                               "8,7,u,7.5\n"         // kept
                               "9,8,t\n"             // too few fields: c is missing
                               "10,9,s,9.5,extra\n"  // a bad line, skipped
                               "11,10,r,10.5\n"      // kept
                               "12,11,q,1e3\n");     // kept
  const auto df = dd::read_csv(path, {.on_bad_lines = "skip"});
  auto ds = [](const dd::DataFrame& frame) {
    std::vector<std::int64_t> out;
    const auto t = frame.compute();
    for (std::int64_t r = 0; r < t.num_rows(); ++r) out.push_back(*t.value<std::int64_t>(r, "d"));
    return out;
  };
  const std::vector<std::int64_t> all_kept{8, 11, 12};
  EXPECT_EQ(ds(df.query("d > 2").dropna()[{"d"}]), all_kept);
  EXPECT_EQ(ds(df.dropna().query("d > 2")[{"d"}]), all_kept);
  EXPECT_EQ(ds(df.persist().query("d > 2").dropna()[{"d"}]), all_kept);
  const std::vector<std::int64_t> c_kept{3, 4, 8, 11, 12};
  EXPECT_EQ(ds(df.query("d > 2").dropna({"c"})[{"d"}]), c_kept);
  EXPECT_EQ(ds(df.persist().query("d > 2").dropna({"c"})[{"d"}]), c_kept);
  // With every column asked for, the same rows.
  const auto whole = df.query("d > 2").dropna().compute();
  EXPECT_EQ(whole.num_rows(), 3);
  EXPECT_EQ(whole.value<std::string_view>(1, "b"), "r");
  EXPECT_EQ(whole.value<double>(2, "c"), 1000.0);
  EXPECT_EQ(df.query("d > 2").dropna().len(), 3);
}

}  // namespace

namespace {

// merge through disk (dataframe.shuffle.method = "disk": both sides cut into buckets by key
// hash, through files) gives the rows of the in-memory hash join and of a nested-loop
// reference, for inner and left joins on two keys with missing keys on both sides (which
// match each other, as in pandas).
TEST(Merge, DiskShuffleMatchesTheInMemoryJoinAndAReference) {
  std::string lt = "a,b,x\n";
  std::string rt = "a,b,y\n";
  struct L {
    std::optional<std::int64_t> a;
    std::string b;
    std::int64_t x;
  };
  struct R {
    std::optional<std::int64_t> a;
    std::string b;
    std::int64_t y;
  };
  std::vector<L> ls;
  std::vector<R> rs;
  for (int i = 0; i < 900; ++i) {
    L l{i % 17 == 0 ? std::nullopt : std::optional<std::int64_t>(i % 40),
        "k" + std::to_string(i % 3), i};
    lt += (l.a ? std::to_string(*l.a) : "") + "," + l.b + "," + std::to_string(l.x) + "\n";
    ls.push_back(l);
  }
  for (int i = 0; i < 300; ++i) {
    R r{i % 23 == 0 ? std::nullopt : std::optional<std::int64_t>((i * 7) % 50),
        "k" + std::to_string(i % 4), 1000 + i};
    rt += (r.a ? std::to_string(*r.a) : "") + "," + r.b + "," + std::to_string(r.y) + "\n";
    rs.push_back(r);
  }
  const auto left = dd::read_csv(write_file("merge_left.csv", lt), {.blocksize = 1500});
  const auto right = dd::read_csv(write_file("merge_right.csv", rt), {.blocksize = 700});
  ASSERT_GT(left.npartitions(), 4);
  ASSERT_GT(right.npartitions(), 4);
  // (x, y) pairs of a result, sorted; -1 for a side without a match. The keys of every row
  // are those of its left row, or of its right row when it has none.
  auto pairs = [&](const dd::Table& t) {
    std::vector<std::pair<std::int64_t, std::int64_t>> out;
    for (std::int64_t r = 0; r < t.num_rows(); ++r) {
      const auto x = t.value<std::int64_t>(r, "x");
      const auto y = t.value<std::int64_t>(r, "y");
      out.emplace_back(x.value_or(-1), y.value_or(-1));
      const auto a = t.value<std::int64_t>(r, "a");
      const auto b = t.value<std::string_view>(r, "b");
      if (x) {
        EXPECT_EQ(a, ls[static_cast<std::size_t>(*x)].a) << "row " << r;
        EXPECT_EQ(b, ls[static_cast<std::size_t>(*x)].b) << "row " << r;
      } else {
        EXPECT_EQ(a, rs[static_cast<std::size_t>(*y - 1000)].a) << "row " << r;
        EXPECT_EQ(b, rs[static_cast<std::size_t>(*y - 1000)].b) << "row " << r;
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  for (const std::string how : {"inner", "left", "right", "outer"}) {
    std::vector<std::pair<std::int64_t, std::int64_t>> want;
    std::vector<bool> right_matched(rs.size(), false);
    for (const auto& l : ls) {
      bool matched = false;
      for (std::size_t k = 0; k < rs.size(); ++k) {
        const auto& r = rs[k];
        if (l.a == r.a && l.b == r.b) {  // missing keys match each other, as pandas'
          want.emplace_back(l.x, r.y);
          matched = true;
          right_matched[k] = true;
        }
      }
      if (!matched && (how == "left" || how == "outer")) want.emplace_back(l.x, -1);
    }
    for (std::size_t k = 0; k < rs.size(); ++k) {
      if (!right_matched[k] && (how == "right" || how == "outer")) want.emplace_back(-1, rs[k].y);
    }
    std::sort(want.begin(), want.end());
    const auto tasks = left.merge(right, {"a", "b"}, how).compute();
    dd::Table disk;
    {
      // The pieces go to files in the temporary directory while the merged frame lives.
      const auto tmp = loom::test::scratch_folder() / ("merge_tmp_" + how);
      std::filesystem::remove_all(tmp);
      loom::config::Scope scope{{"dataframe.shuffle.method", "disk"},
                                {"temporary-directory", tmp.string()}};
      const auto merged = left.merge(right, {"a", "b"}, how);
      disk = merged.compute();
      std::size_t files = 0;
      for (const auto& e : std::filesystem::recursive_directory_iterator(tmp)) {
        files += e.path().extension() == ".bin" ? 1 : 0;
      }
      EXPECT_GT(files, 10U) << how;
    }
    EXPECT_EQ(pairs(tasks), want) << how;
    EXPECT_EQ(pairs(disk), want) << how;
    EXPECT_EQ(disk.column_names(), tasks.column_names());
  }
}

}  // namespace

namespace {

// str.contains as pandas: a regular expression by default, a plain substring with
// regex = false, case ignored on request; dictionary and plain string columns alike.

// 300 rows: "name" cycles through six values (read as a dictionary column), "code" is c0..c299
// (a plain string column).
dd::DataFrame names_and_codes() {
  std::string text = "name,code\n";
  const std::vector<std::string> names = {"Alpha", "beta.x", "GAMMA", "a+b", "", "delta9"};
  for (int i = 0; i < 300; ++i) {
    text += names[static_cast<std::size_t>(i % 6)] + ",c" + std::to_string(i) + "\n";
  }
  return dd::read_csv(write_file("contains.csv", text));
}

TEST(StrContains, PatternsAreRegularExpressionsByDefault) {
  const auto df = names_and_codes();
  auto rows = [&](const dd::Series& mask) { return df[mask].len(); };
  EXPECT_EQ(rows(df["name"].str().contains("^[a-z]+$")), 0);  // "beta.x" has a dot
  EXPECT_EQ(rows(df["name"].str().contains("^[a-z]")), 150);  // beta.x, a+b, delta9
  EXPECT_EQ(rows(df["name"].str().contains("[0-9]$")), 50);   // delta9
  EXPECT_EQ(rows(df["name"].str().contains(".")), 250);       // any character; "" is missing
  EXPECT_EQ(rows(df["name"].str().contains("a+b")), 0);       // one or more a, then b: none
}

TEST(StrContains, PatternsArePlainSubstringsWhenRegexIsFalse) {
  const auto df = names_and_codes();
  auto rows = [&](const dd::Series& mask) { return df[mask].len(); };
  EXPECT_EQ(rows(df["name"].str().contains(".", {.regex = false})), 50);  // a dot
  EXPECT_EQ(rows(df["name"].str().contains("a+b", {.regex = false})), 50);
}

TEST(StrContains, CaseIsIgnoredOnlyOnRequest) {
  const auto df = names_and_codes();
  auto rows = [&](const dd::Series& mask) { return df[mask].len(); };
  EXPECT_EQ(rows(df["name"].str().contains("gamma")), 0);
  EXPECT_EQ(rows(df["name"].str().contains("gamma", {.case_sensitive = false})), 50);
  EXPECT_EQ(rows(df["name"].str().contains("ALPHA", {.regex = false, .case_sensitive = false})),
            50);
}

TEST(StrContains, PlainStringColumnsMatchAsDictionaryColumns) {
  const auto df = names_and_codes();
  auto rows = [&](const dd::Series& mask) { return df[mask].len(); };
  const auto t = df.compute();
  ASSERT_TRUE(dd::detail::data_of(t.column("name")).dictionary);
  ASSERT_FALSE(dd::detail::data_of(t.column("code")).dictionary);
  EXPECT_EQ(rows(df["code"].str().contains("^c[0-9]$")), 10);             // c0..c9, plain strings
  EXPECT_EQ(rows(df["code"].str().contains("5", {.regex = false})), 57);  // 5 in 0..299
}

TEST(StrContains, ABadRegularExpressionIsASchemaErrorUnlessRegexIsFalse) {
  const auto df = names_and_codes();
  EXPECT_THROW((void)df["name"].str().contains("(unclosed"), loom::SchemaError);
  EXPECT_NO_THROW((void)df["name"].str().contains("(unclosed", {.regex = false}));
}

}  // namespace

namespace {

// A regular expression over a long value does not recurse per character (libstdc++'s
// backtracking matcher would overflow the stack); back-references are refused.
TEST(StrContains, LongValuesDoNotOverflowTheStack) {
  std::string text = "s\n" + std::string(2'000'000, 'a') + "x\nshort\n";
  const auto df = dd::read_csv(write_file("long_value.csv", text));
  EXPECT_EQ(df[df["s"].str().contains(".*x")].len(), 1);
  EXPECT_EQ(df[df["s"].str().contains("(a|b)*x$")].len(), 1);
}

TEST(StrContains, BackReferencesAreSchemaErrors) {
  std::string text = "s\n" + std::string(2'000'000, 'a') + "x\nshort\n";
  const auto df = dd::read_csv(write_file("long_value.csv", text));
  EXPECT_THROW((void)df["s"].str().contains("(a)\\1"), loom::SchemaError);
}

}  // namespace

namespace {

// A float column against a number (the tight loop) and against another column (the general
// one) give pandas' answers: NaN and missing values compare false, and true for !=.
TEST(Compare, FloatColumnAgainstANumberAsPandas) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const bool with_missing : {false, true}) {
    std::vector<std::optional<double>> x = {1.0, 2.5, nan, 4.0, -0.0, 2.5};
    if (with_missing) x.push_back(std::nullopt);
    std::vector<std::optional<double>> two(x.size(), 2.5);
    const auto df = dd::DataFrame::from_tables(
        {dd::Table({"x", "two"}, {dd::Column::from_doubles(x), dd::Column::from_doubles(two)})});
    // Per row of x: <, <=, >, >=, ==, != against 2.5 (NaN and missing: false, != true).
    const std::vector<std::vector<bool>> want = {{true, false, false, false, true, false, false},
                                                 {true, true, false, false, true, true, false},
                                                 {false, false, false, true, false, false, false},
                                                 {false, true, false, true, false, true, false},
                                                 {false, true, false, false, false, true, false},
                                                 {true, false, true, true, true, false, true}};
    const auto col = df["x"];
    const std::vector<dd::Series> against_number = {col<2.5, col <= 2.5, col> 2.5, col >= 2.5,
                                                    col == 2.5, col != 2.5};
    const auto other = df["two"];
    const std::vector<dd::Series> against_column = {col<other, col <= other, col> other,
                                                    col >= other, col == other, col != other};
    for (std::size_t op = 0; op < want.size(); ++op) {
      for (const auto* series : {&against_number, &against_column}) {
        const auto t = df.assign("r", (*series)[op]).compute();
        for (std::int64_t r = 0; r < t.num_rows(); ++r) {
          EXPECT_EQ(t.value<bool>(r, "r"), want[op][static_cast<std::size_t>(r)])
              << "op " << op << " row " << r << (series == &against_number ? " number" : " column");
        }
      }
    }
  }
}

}  // namespace

namespace {

// A right-side column that is int64 in one partition and float64 in another (a CSV column
// widened while read) keeps each partition's values through every kind of join.
TEST(Merge, AValueColumnOfIntsAndFloatsKeepsEveryValue) {
  const auto left = dd::DataFrame::from_tables({dd::Table(
      {"k", "x"}, {dd::Column::from_strings({"a", "b", "c"}), dd::Column::from_ints({1, 2, 3})})});
  const auto right = dd::DataFrame::from_tables(
      {dd::Table({"k", "v"}, {dd::Column::from_strings({"a"}), dd::Column::from_ints({10})}),
       dd::Table({"k", "v"},
                 {dd::Column::from_strings({"b", "z"}), dd::Column::from_doubles({2.5, 9.5})})});
  for (const char* method : {"tasks", "disk"}) {
    loom::config::Scope scope{{"dataframe.shuffle.method", method}};
    for (const std::string how : {"inner", "left", "right", "outer"}) {
      const auto t = left.merge(right, "k", how).sort_values("k").compute();
      std::vector<std::string> keys;
      for (std::int64_t r = 0; r < t.num_rows(); ++r) {
        const std::string k(*t.value<std::string_view>(r, "k"));
        keys.push_back(k);
        const auto v = t.value<double>(r, "v");
        if (k == "a") EXPECT_EQ(v, 10.0) << method << how;
        if (k == "b") EXPECT_EQ(v, 2.5) << method << how;
        if (k == "c") EXPECT_FALSE(v.has_value()) << method << how;
        if (k == "z") EXPECT_EQ(v, 9.5) << method << how;
      }
      const std::vector<std::string> want =
          how == "inner"   ? std::vector<std::string>{"a", "b"}
          : how == "left"  ? std::vector<std::string>{"a", "b", "c"}
          : how == "right" ? std::vector<std::string>{"a", "b", "z"}
                           : std::vector<std::string>{"a", "b", "c", "z"};
      EXPECT_EQ(keys, want) << method << " " << how;
    }
  }
}

// A right or outer join with a left side of no partitions keeps every right row, in both
// shuffles.
TEST(Merge, AnEmptyLeftSideGivesTheRightRowsOrNone) {
  const auto right = dd::DataFrame::from_tables(
      {dd::Table({"k", "v"}, {dd::Column::from_strings({"a"}), dd::Column::from_ints({10})}),
       dd::Table({"k", "v"},
                 {dd::Column::from_strings({"b", "z"}), dd::Column::from_doubles({2.5, 9.5})})});
  const auto empty_left = dd::read_csv(write_file("merge_empty_left.csv", "k,x\n"),
                                       {.dtype = {{"k", dd::DType::string}}});
  ASSERT_EQ(empty_left.npartitions(), 0);
  for (const char* method : {"tasks", "disk"}) {
    loom::config::Scope scope{{"dataframe.shuffle.method", method}};
    for (const std::string how : {"right", "outer"}) {
      const auto t = empty_left.merge(right, "k", how).compute();
      EXPECT_EQ(t.num_rows(), 3) << method << " " << how;
    }
    EXPECT_EQ(empty_left.merge(right, "k", "inner").compute().num_rows(), 0) << method;
  }
}

}  // namespace
