// Group-by against a sequential reference worked out in the test (std::map over the generated
// rows), for every key shape the aggregation treats differently: ints in a compact range, ints
// that leave it (down to INT64_MIN and up to INT64_MAX), plain strings (some longer than 16
// bytes, some sharing 16-byte prefixes), dictionary strings, two dictionary keys, a string
// with an int, float keys; values with missing entries and NaN, in many partitions.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "loom/dataframe.hpp"
#include "loom/io/serialize.hpp"
#include "write_file.hpp"

namespace {

namespace dd = loom::dataframe;
using loom::test::write_file;

struct Row {
  std::optional<std::int64_t> compact;  // 0..49, some missing
  std::int64_t wild = 0;                // compact at first, then anywhere
  std::int64_t spread = 0;              // a range that grows both ways, row by row
  std::string text;                     // plain strings: mostly distinct
  std::string word;                     // dictionary strings
  double half = 0;                      // float key
  std::optional<std::int64_t> v;
  std::optional<double> x;  // missing or NaN sometimes
  bool x_nan = false;
};

std::vector<Row> make_rows() {
  std::vector<Row> rows;
  const char* words[] = {"apple", "kiwi", "fig", "date", "lime"};
  for (int i = 0; i < 6000; ++i) {
    Row r;
    if (i % 11 != 3) r.compact = (i * 7) % 50;
    if (i < 2000) {
      r.wild = i % 100 + 1000;
    } else if (i % 5 == 0) {
      r.wild = i % 3 == 0 ? INT64_MIN + 1 + i % 4 : INT64_MAX - i % 4;
    } else {
      r.wild = (i % 2 == 0 ? 1 : -1) * static_cast<std::int64_t>(i % 37) * 1'000'000'007LL;
    }
    r.spread = (i % 2 == 0 ? -3 : 3) * (i % 3000);
    // Lengths 1..24; "sharedprefix16b-" keys differ only after byte 16; distinct within a
    // partition (so stored plainly), 5000 in all.
    const int k = (i * 13) % 5000;
    r.text = k % 3 == 0 ? "sharedprefix16b-" + std::to_string(k)
             : k % 3 == 1
                 ? std::string(1 + k % 9, static_cast<char>('a' + k % 26)) + std::to_string(k)
                 : "t" + std::to_string(k);
    r.word = words[(i / 7) % 5];
    r.half = (i % 9) * 0.5 - 1.0;
    if (i % 17 != 0) r.v = (i * 31) % 101 - 20;
    if (i % 19 == 0) {
      r.x_nan = true;
    } else if (i % 23 != 0) {
      r.x = ((i * 17) % 1000) / 8.0;
    }
    rows.push_back(r);
  }
  return rows;
}

std::string to_csv(const std::vector<Row>& rows) {
  std::string out = "compact,wild,spread,text,word,half,v,x\n";
  for (const auto& r : rows) {
    out += r.compact ? std::to_string(*r.compact) : "";
    out += "," + std::to_string(r.wild) + "," + std::to_string(r.spread) + "," + r.text + "," +
           r.word + ",";
    char half[32];
    std::snprintf(half, sizeof(half), "%.1f", r.half);
    out += half;
    out += ",";
    out += r.v ? std::to_string(*r.v) : "";
    out += ",";
    if (r.x_nan) {
      out += "NaN";
    } else if (r.x) {
      char x[32];
      std::snprintf(x, sizeof(x), "%.3f", *r.x);
      out += x;
    }
    out += "\n";
  }
  return out;
}

struct Agg {
  std::int64_t size = 0;
  std::int64_t v_sum = 0;
  std::int64_t v_count = 0;
  std::optional<std::int64_t> v_min;
  std::optional<std::int64_t> v_max;
  double x_sum = 0;
  std::int64_t x_count = 0;
};

// The reference: rows grouped under `key` (nullopt: the row has a missing key).
template <class Key, class KeyOf>
std::map<Key, Agg> reference(const std::vector<Row>& rows, KeyOf key_of) {
  std::map<Key, Agg> groups;
  for (const auto& r : rows) {
    const std::optional<Key> key = key_of(r);
    if (!key) continue;
    Agg& a = groups[*key];
    ++a.size;
    if (r.v) {
      a.v_sum += *r.v;
      ++a.v_count;
      a.v_min = a.v_min ? std::min(*a.v_min, *r.v) : *r.v;
      a.v_max = a.v_max ? std::max(*a.v_max, *r.v) : *r.v;
    }
    if (r.x) {
      a.x_sum += *r.x;
      ++a.x_count;
    }
  }
  return groups;
}

dd::Table grouped(const dd::DataFrame& df, const std::vector<std::string>& keys) {
  return df.groupby(keys)
      .agg({{"v", {"sum", "count", "mean", "min", "max", "size"}}, {"x", {"sum", "mean", "count"}}})
      .compute();
}

// Compares the aggregates of every group (in key order) with the reference; `check_key`
// compares row r's key columns with the reference key.
template <class Key, class CheckKey>
void expect_matches(const dd::Table& t, const std::map<Key, Agg>& want, CheckKey check_key) {
  ASSERT_EQ(t.num_rows(), static_cast<std::int64_t>(want.size()));
  std::int64_t r = 0;
  for (const auto& [key, a] : want) {
    check_key(r, key);
    EXPECT_EQ(t.value<std::int64_t>(r, "v_size"), a.size) << "row " << r;
    EXPECT_EQ(t.value<std::int64_t>(r, "v_sum"), a.v_sum) << "row " << r;
    EXPECT_EQ(t.value<std::int64_t>(r, "v_count"), a.v_count) << "row " << r;
    EXPECT_EQ(t.value<std::int64_t>(r, "v_min"), a.v_min) << "row " << r;
    EXPECT_EQ(t.value<std::int64_t>(r, "v_max"), a.v_max) << "row " << r;
    const auto mean = t.value<double>(r, "v_mean");
    if (a.v_count == 0) {
      EXPECT_FALSE(mean.has_value());
    } else {
      EXPECT_NEAR(*mean, static_cast<double>(a.v_sum) / static_cast<double>(a.v_count), 1e-9);
    }
    EXPECT_NEAR(*t.value<double>(r, "x_sum"), a.x_sum, 1e-6) << "row " << r;
    EXPECT_EQ(t.value<std::int64_t>(r, "x_count"), a.x_count) << "row " << r;
    ++r;
  }
}

class GroupByKeys : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rows_ = new std::vector<Row>(make_rows());
    path_ = new std::string(write_file("groupby_keys.csv", to_csv(*rows_)));
  }
  static void TearDownTestSuite() {
    delete rows_;
    delete path_;
  }
  // Small blocks: many partitions, each with its own groups to merge.
  static dd::DataFrame frame() { return dd::read_csv(*path_, {.blocksize = 9000}); }
  static std::vector<Row>* rows_;
  static std::string* path_;
};
std::vector<Row>* GroupByKeys::rows_ = nullptr;
std::string* GroupByKeys::path_ = nullptr;

TEST_F(GroupByKeys, FrameHasTheShapesUnderTest) {
  EXPECT_GT(frame().npartitions(), 20);
  const auto t = frame().compute();
  EXPECT_FALSE(
      dd::detail::data_of(t.column("text")).dictionary);  // mostly distinct: stored plainly
  EXPECT_TRUE(dd::detail::data_of(t.column("word")).dictionary);
}

TEST_F(GroupByKeys, CompactIntKeyWithMissingValues) {
  const auto want = reference<std::int64_t>(
      *rows_, [](const Row& r) -> std::optional<std::int64_t> { return r.compact; });
  const auto t = grouped(frame(), {"compact"});
  expect_matches(t, want, [&](std::int64_t r, std::int64_t k) {
    EXPECT_EQ(t.value<std::int64_t>(r, "compact"), k);
  });
}

TEST_F(GroupByKeys, IntKeyLeavingEveryRange) {
  const auto want = reference<std::int64_t>(
      *rows_, [](const Row& r) -> std::optional<std::int64_t> { return r.wild; });
  const auto t = grouped(frame(), {"wild"});
  EXPECT_EQ(t.value<std::int64_t>(0, "wild"), INT64_MIN + 1);
  expect_matches(t, want, [&](std::int64_t r, std::int64_t k) {
    EXPECT_EQ(t.value<std::int64_t>(r, "wild"), k) << "row " << r;
  });
}

TEST_F(GroupByKeys, IntKeyWideningBothWays) {
  const auto want = reference<std::int64_t>(
      *rows_, [](const Row& r) -> std::optional<std::int64_t> { return r.spread; });
  const auto t = grouped(frame(), {"spread"});
  expect_matches(t, want, [&](std::int64_t r, std::int64_t k) {
    EXPECT_EQ(t.value<std::int64_t>(r, "spread"), k) << "row " << r;
  });
}

TEST_F(GroupByKeys, PlainStringKey) {
  const auto want = reference<std::string>(
      *rows_, [](const Row& r) -> std::optional<std::string> { return r.text; });
  const auto t = grouped(frame(), {"text"});
  expect_matches(t, want, [&](std::int64_t r, const std::string& k) {
    EXPECT_EQ(t.value<std::string_view>(r, "text"), k) << "row " << r;
  });
}

TEST_F(GroupByKeys, DictionaryStringKeys) {
  const auto one = reference<std::string>(
      *rows_, [](const Row& r) -> std::optional<std::string> { return r.word; });
  const auto t1 = grouped(frame(), {"word"});
  expect_matches(t1, one, [&](std::int64_t r, const std::string& k) {
    EXPECT_EQ(t1.value<std::string_view>(r, "word"), k);
  });
  using Pair = std::pair<std::string, std::string>;
  const auto two = reference<Pair>(*rows_, [](const Row& r) -> std::optional<Pair> {
    return Pair{r.word, r.text};
  });
  const auto t2 = grouped(frame(), {"word", "text"});
  expect_matches(t2, two, [&](std::int64_t r, const Pair& k) {
    EXPECT_EQ(t2.value<std::string_view>(r, "word"), k.first);
    EXPECT_EQ(t2.value<std::string_view>(r, "text"), k.second);
  });
}

TEST_F(GroupByKeys, StringWithIntKeys) {
  using Mixed = std::pair<std::string, std::int64_t>;
  const auto mixed = reference<Mixed>(*rows_, [](const Row& r) -> std::optional<Mixed> {
    if (!r.compact) return std::nullopt;
    return Mixed{r.word, *r.compact};
  });
  const auto t1 = grouped(frame(), {"word", "compact"});
  expect_matches(t1, mixed, [&](std::int64_t r, const Mixed& k) {
    EXPECT_EQ(t1.value<std::string_view>(r, "word"), k.first);
    EXPECT_EQ(t1.value<std::int64_t>(r, "compact"), k.second);
  });
}

TEST_F(GroupByKeys, FloatKey) {
  const auto halves =
      reference<double>(*rows_, [](const Row& r) -> std::optional<double> { return r.half; });
  const auto t2 = grouped(frame(), {"half"});
  expect_matches(t2, halves,
                 [&](std::int64_t r, double k) { EXPECT_EQ(t2.value<double>(r, "half"), k); });
}

}  // namespace

namespace {

// Every mix of value columns by every key column.
std::vector<std::pair<std::vector<std::string>, std::string>> mixes_by_key(
    const std::vector<std::vector<std::string>>& mixes) {
  std::vector<std::pair<std::vector<std::string>, std::string>> out;
  for (const char* by : {"k", "s", "l"}) {
    for (const auto& mix : mixes) out.emplace_back(mix, by);
  }
  return out;
}

// Group g's string key: zero-padded, so that the keys sort as the numbers do; short (the
// grouper keeps all of it in its header) or longer than 16 bytes (compared in full).
std::string string_key(std::int64_t g, bool long_key) {
  std::string digits = std::to_string(g);
  digits.insert(0, 6 - digits.size(), '0');
  return (long_key ? "a-key-longer-than-16-bytes-" : "key") + digits;
}

// Sums, means and counts of columns without missing entries run fused, in loops specialized by
// how many int and float columns there are; NaN values in float columns count as missing.
// Every combination against a reference, with few groups and with many (records beyond L2),
// by an int key and by string keys (whose grouper shares the records' cache lines when they
// are small enough, and keeps lines of its own when not).
TEST(GroupByFused, EveryColumnMixMatchesAReference) {
  for (const std::int64_t groups : {7, 20000}) {
    const std::int64_t rows = 100000;
    std::vector<dd::Table> parts;
    std::vector<std::int64_t> all_k;
    std::vector<std::vector<std::int64_t>> all_i(4);
    std::vector<std::vector<double>> all_f(2);
    for (std::int64_t p = 0; p < 4; ++p) {
      std::vector<std::optional<std::int64_t>> k;
      std::vector<std::optional<std::string>> short_keys;
      std::vector<std::optional<std::string>> long_keys;
      std::vector<std::vector<std::optional<std::int64_t>>> ic(4);
      std::vector<std::vector<std::optional<double>>> fc(2);
      for (std::int64_t r = p * rows / 4; r < (p + 1) * rows / 4; ++r) {
        const std::int64_t key = (r * 7919) % groups;
        k.emplace_back(key);
        short_keys.emplace_back(string_key(key, false));
        long_keys.emplace_back(string_key(key, true));
        all_k.push_back(key);
        const std::int64_t iv[4] = {r % 5, (r * 31) % 300 - 150, r * 1000003 % 70000,
                                    (r % 3) * 4000000000LL};
        for (int j = 0; j < 4; ++j) {
          ic[static_cast<std::size_t>(j)].emplace_back(iv[j]);
          all_i[static_cast<std::size_t>(j)].push_back(iv[j]);
        }
        const double fv[2] = {r % 11 == 0 ? std::nan("") : (r % 97) * 0.25,
                              r % 13 == 0 ? std::nan("") : -(r % 89) * 0.5};
        for (int j = 0; j < 2; ++j) {
          fc[static_cast<std::size_t>(j)].emplace_back(fv[j]);
          all_f[static_cast<std::size_t>(j)].push_back(fv[j]);
        }
      }
      std::vector<dd::Column> cols{dd::Column::from_ints(k), dd::Column::from_strings(short_keys),
                                   dd::Column::from_strings(long_keys)};
      for (const auto& c : ic) cols.push_back(dd::Column::from_ints(c));
      for (const auto& c : fc) cols.push_back(dd::Column::from_doubles(c));
      parts.emplace_back(
          std::vector<std::string>{"k", "s", "l", "i0", "i1", "i2", "i3", "f0", "f1"},
          std::move(cols));
    }
    const auto df = dd::DataFrame::from_tables(parts);
    const std::vector<std::vector<std::string>> mixes = {{"i0"},
                                                         {"i0", "i1"},
                                                         {"i0", "i1", "i2"},
                                                         {"f0"},
                                                         {"i0", "f0"},
                                                         {"i0", "i1", "f0"},
                                                         {"i0", "i1", "i2", "f0"},
                                                         {"f0", "f1"},
                                                         {"i3", "f0", "f1"},
                                                         {"i2", "i3", "f0", "f1"},
                                                         {"i0", "i1", "i2", "i3", "f0", "f1"}};
    for (const auto& [mix, by] : mixes_by_key(mixes)) {
      std::vector<std::pair<std::string, std::vector<std::string>>> spec;
      for (const auto& c : mix)
        spec.emplace_back(c, std::vector<std::string>{"sum", "mean", "count"});
      const auto t = df.groupby(by).agg(spec).compute();
      ASSERT_EQ(t.num_rows(), groups);
      for (const auto& c : mix) {
        std::vector<double> sum(static_cast<std::size_t>(groups), 0.0);
        std::vector<std::int64_t> isum(static_cast<std::size_t>(groups), 0);
        std::vector<std::int64_t> count(static_cast<std::size_t>(groups), 0);
        const bool is_float = c[0] == 'f';
        const std::size_t j = static_cast<std::size_t>(c[1] - '0');
        for (std::size_t r = 0; r < all_k.size(); ++r) {
          const auto g = static_cast<std::size_t>(all_k[r]);
          if (is_float) {
            if (std::isnan(all_f[j][r])) continue;
            sum[g] += all_f[j][r];
          } else {
            isum[g] += all_i[j][r];
          }
          ++count[g];
        }
        for (std::int64_t g = 0; g < groups; ++g) {
          const auto u = static_cast<std::size_t>(g);
          if (by == "k") {
            ASSERT_EQ(t.value<std::int64_t>(g, "k"), g);
          } else {
            ASSERT_EQ(t.value<std::string_view>(g, by), string_key(g, by == "l"));
          }
          ASSERT_EQ(t.value<std::int64_t>(g, c + "_count"), count[u]) << c << " group " << g;
          if (is_float) {
            ASSERT_NEAR(*t.value<double>(g, c + "_sum"), sum[u], 1e-6) << c << " group " << g;
          } else {
            ASSERT_EQ(t.value<std::int64_t>(g, c + "_sum"), isum[u]) << c << " group " << g;
          }
          const double want_mean =
              is_float ? sum[u] / static_cast<double>(count[u])
                       : static_cast<double>(isum[u]) / static_cast<double>(count[u]);
          ASSERT_NEAR(*t.value<double>(g, c + "_mean"), want_mean,
                      1e-9 * (1 + std::fabs(want_mean)))
              << c << " group " << g;
        }
      }
    }
  }
}

}  // namespace

namespace {

// Keys holding NUL bytes keep them through the order-preserving encoding and back; "a" sorts
// before "a\0b" before "ab".
TEST(GroupByKeysWithNul, RoundTripAndOrder) {
  using namespace std::string_literals;
  const auto t = dd::Table(
      {"k", "v"}, {dd::Column::from_strings({"ab"s, "a\0b"s, "a"s, "a\0b"s, std::nullopt, "\0"s}),
                   dd::Column::from_ints({1, 2, 3, 4, 5, 6})});
  for (const bool two : {false, true}) {
    const auto df = dd::DataFrame::from_tables({t});
    const auto r = two ? df.assign("k2", df["v"] * 0).groupby({"k", "k2"})["v"].sum().compute()
                       : df.groupby("k")["v"].sum().compute();
    ASSERT_EQ(r.num_rows(), 4);
    EXPECT_EQ(r.value<std::string_view>(0, "k"), "\0"s);
    EXPECT_EQ(r.value<std::string_view>(1, "k"), "a"s);
    EXPECT_EQ(r.value<std::string_view>(2, "k"), "a\0b"s);
    EXPECT_EQ(r.value<std::string_view>(3, "k"), "ab"s);
    EXPECT_EQ(r.value<std::int64_t>(2, "v"), 6);
  }
}

}  // namespace

namespace {

// -0.0 and 0.0 are one key (pandas hashes them alike).
TEST(GroupByEdges, NegativeZeroIsTheSameKeyAsZero) {
  const auto t = dd::Table({"f", "v"}, {dd::Column::from_doubles({0.0, -0.0, 1.5, -0.0}),
                                        dd::Column::from_ints({INT64_MAX, 1, 7, 2})});
  const auto df = dd::DataFrame::from_tables({t});
  const auto by_f = df.groupby("f")["v"].sum().compute();
  ASSERT_EQ(by_f.num_rows(), 2);
  EXPECT_EQ(by_f.value<double>(0, "f"), 0.0);
  const auto unique = df.assign("k", df["v"] * 0).groupby("k")["f"].nunique().compute();
  EXPECT_EQ(unique.value<std::int64_t>(0, "f"), 2);  // 0.0 (= -0.0) and 1.5
}

// Int sums wrap around as pandas' int64 sums do.
TEST(GroupByEdges, IntegerSumsWrapAsInPandas) {
  const auto t = dd::Table({"f", "v"}, {dd::Column::from_doubles({0.0, -0.0, 1.5, -0.0}),
                                        dd::Column::from_ints({INT64_MAX, 1, 7, 2})});
  const auto df = dd::DataFrame::from_tables({t});
  const auto by_f = df.groupby("f")["v"].sum().compute();
  ASSERT_EQ(by_f.num_rows(), 2);
  EXPECT_EQ(by_f.value<std::int64_t>(0, "v"), INT64_MIN + 2);  // wrapped, as pandas
}

// Plain (not dictionary) string keys holding NUL bytes come back whole.
TEST(GroupByEdges, PlainStringKeysMayHoldNulBytes) {
  using namespace std::string_literals;
  std::vector<std::optional<std::string>> keys;
  std::vector<std::optional<std::int64_t>> ones;
  for (int i = 0; i < 20000; ++i) {
    keys.emplace_back("k"s + std::to_string(i % 15000) + (i % 2 == 0 ? "\0z"s : ""s));
    ones.emplace_back(1);
  }
  const dd::Table plain({"k", "one"},
                        {dd::Column::from_strings(keys), dd::Column::from_ints(ones)});
  ASSERT_FALSE(dd::detail::data_of(plain.column("k")).dictionary);
  const auto g = dd::DataFrame::from_tables({plain}).groupby("k")["one"].sum().compute();
  ASSERT_EQ(g.num_rows(), 15000);  // i and i + 15000 share a key (same parity)
  EXPECT_EQ(g.value<std::string_view>(0, "k"), "k0\0z"s);
  EXPECT_EQ(g.value<std::int64_t>(0, "one"), 2);
  std::int64_t total = 0;
  for (std::int64_t r = 0; r < g.num_rows(); ++r) {
    total += *g.value<std::int64_t>(r, "one");
    if (r > 0) {
      ASSERT_LT(*g.value<std::string_view>(r - 1, "k"), *g.value<std::string_view>(r, "k"));
    }
  }
  EXPECT_EQ(total, 20000);
}

// "disk" really goes through files: with a temporary directory that cannot be made, the disk
// shuffle fails with a loom::Error while "tasks" does not need it.
TEST(GroupByEdges, DiskShuffleUsesTheTemporaryDirectory) {
  const auto df = dd::DataFrame::from_tables(
      {dd::Table({"k", "v"}, {dd::Column::from_ints({1, 2, 1}), dd::Column::from_ints({4, 5, 6})}),
       dd::Table({"k", "v"}, {dd::Column::from_ints({2}), dd::Column::from_ints({7})})});
  loom::config::Scope where{{"temporary-directory", "/proc/loom-cannot-write-here"}};
  EXPECT_EQ(df.groupby("k")["v"].sum().compute().value<std::int64_t>(1, "v"), 12);
  loom::config::Scope disk{{"dataframe.shuffle.method", "disk"}};
  EXPECT_THROW((void)df.groupby("k")["v"].sum().compute(), loom::Error);
}

// Int columns of every storage width, large enough to be read back in several slices.
TEST(GroupByEdges, NarrowIntColumnsSerializeAtEveryWidth) {
  const std::int64_t n = 1'500'000;
  std::vector<std::optional<std::int64_t>> w1, w2, w4, w8;
  for (std::int64_t i = 0; i < n; ++i) {
    w1.emplace_back(i % 200 - 100);
    w2.emplace_back(i % 60000 - 30000);
    w4.emplace_back(i * 1000 - 700000000);
    w8.emplace_back(i % 3 == 0 ? std::optional<std::int64_t>() : i * 10000000000LL);
  }
  const dd::Table t({"w1", "w2", "w4", "w8"},
                    {dd::Column::from_ints(w1), dd::Column::from_ints(w2),
                     dd::Column::from_ints(w4), dd::Column::from_ints(w8)});
  EXPECT_EQ(dd::detail::data_of(t.column("w1")).ints.width(), 1);
  EXPECT_EQ(dd::detail::data_of(t.column("w2")).ints.width(), 2);
  EXPECT_EQ(dd::detail::data_of(t.column("w4")).ints.width(), 4);
  EXPECT_EQ(dd::detail::data_of(t.column("w8")).ints.width(), 8);
  const auto back = loom::deserialize<dd::Table>(loom::serialize(t));
  for (const char* c : {"w1", "w2", "w4", "w8"}) {
    const auto a = t.column<std::int64_t>(c);
    const auto b = back.column<std::int64_t>(c);
    ASSERT_EQ(b.size(), a.size()) << c;
    for (std::size_t i = 0; i < a.size(); ++i) {
      ASSERT_EQ(b.is_valid(i), a.is_valid(i)) << c << " " << i;
      if (a.is_valid(i)) ASSERT_EQ(b[i], a[i]) << c << " " << i;
    }
  }
}

}  // namespace
