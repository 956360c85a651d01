// Dataframe workloads D1-D2 and D4a (defined in README.md), each beside its baseline, in one run:
//   ./bench_dataframe --benchmark_format=console
// The db-benchmark groupby table (1e7 rows, K = 100; SMALL: 1e6) is generated once into the
// data folder (deterministic; columns and distributions in README.md).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <algorithm>
#include <fstream>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "bench_util.hpp"
#include "loom/dataframe.hpp"

namespace {

namespace dd = loom::dataframe;
using loom::bench::kScale;

constexpr std::int64_t kRows = 10'000'000 / kScale;
constexpr std::int64_t kK = 100;

std::uint64_t splitmix(std::uint64_t& s) {
  std::uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

const std::string& table_path() {
  static const std::string path = [] {
    const auto p = loom::bench::data_dir() / fmt::format("G1_{}_1e2_0_0.csv", kRows);
    if (!std::filesystem::exists(p)) {
      const auto tmp = p.string() + ".tmp";
      std::FILE* f = std::fopen(tmp.c_str(), "wb");
      std::fputs("id1,id2,id3,id4,id5,id6,v1,v2,v3\n", f);
      std::uint64_t s = 108;
      const std::int64_t groups3 = kRows / kK;
      std::string line;
      for (std::int64_t i = 0; i < kRows; ++i) {
        const auto r = [&](std::int64_t n) {
          return static_cast<std::int64_t>(splitmix(s) % static_cast<std::uint64_t>(n)) + 1;
        };
        const double v3 =
            std::round(static_cast<double>(splitmix(s) >> 11) * 0x1.0p-53 * 100.0 * 1e6) / 1e6;
        line = fmt::format("id{:03},id{:03},id{:010},{},{},{},{},{},{:.6f}\n", r(kK), r(kK),
                           r(groups3), r(kK), r(kK), r(groups3), r(5), r(15), v3);
        std::fputs(line.c_str(), f);
      }
      std::fclose(f);
      std::filesystem::rename(tmp, p);
    }
    return p.string();
  }();
  return path;
}

std::int64_t file_bytes() {
  return static_cast<std::int64_t>(std::filesystem::file_size(table_path()));
}

// ---- D1 read ----

void D1_read_raw(benchmark::State& state) {
  const std::string& path = table_path();
  std::vector<char> buffer(static_cast<std::size_t>(file_bytes()));
  for (auto _ : state) {
    const int fd = ::open(path.c_str(), O_RDONLY);
    std::size_t got = 0;
    while (got < buffer.size()) {
      const ssize_t n = ::read(fd, buffer.data() + got, buffer.size() - got);
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    ::close(fd);
    benchmark::DoNotOptimize(buffer.data());
  }
  state.SetBytesProcessed(state.iterations() * file_bytes());
}

void D1_read_loom(benchmark::State& state) {
  loom::bench::reset_peak_rss();
  for (auto _ : state) {
    const auto df = dd::read_csv(table_path()).persist();
    benchmark::DoNotOptimize(df.npartitions());
  }
  state.SetBytesProcessed(state.iterations() * file_bytes());
  state.counters["peak_rss_mb"] = loom::bench::peak_rss_mb();
}

// ---- D1 groupby q1..q5 on the persisted frame ----

const dd::DataFrame& persisted() {
  static const dd::DataFrame df = dd::read_csv(table_path()).persist();
  return df;
}

const dd::Table& table() {
  static const dd::Table t = persisted().compute();
  return t;
}

void q_loom(benchmark::State& state, int q) {
  const auto& df = persisted();
  for (auto _ : state) {
    dd::Table r;
    switch (q) {
      case 1:
        r = df.groupby("id1")["v1"].sum().compute();
        break;
      case 2:
        r = df.groupby({"id1", "id2"})["v1"].sum().compute();
        break;
      case 3:
        r = df.groupby("id3").agg({{"v1", {"sum"}}, {"v3", {"mean"}}}).compute();
        break;
      case 4:
        r = df.groupby("id4")[{"v1", "v2", "v3"}].mean().compute();
        break;
      default:
        r = df.groupby("id6")[{"v1", "v2", "v3"}].sum().compute();
        break;
    }
    benchmark::DoNotOptimize(r.num_rows());
  }
}

// The baseline: one thread, std::unordered_map on the parsed columns.
void q_map(benchmark::State& state, int q) {
  const dd::Table& t = table();
  const auto id1 = t.column<std::string_view>("id1");
  const auto id2 = t.column<std::string_view>("id2");
  const auto id3 = t.column<std::string_view>("id3");
  const auto id4 = t.column<std::int64_t>("id4");
  const auto id6 = t.column<std::int64_t>("id6");
  const auto v1 = t.column<std::int64_t>("v1");
  const auto v2 = t.column<std::int64_t>("v2");
  const auto v3 = t.column<double>("v3");
  const std::size_t n = id1.size();
  for (auto _ : state) {
    std::size_t groups = 0;
    if (q == 1) {
      std::unordered_map<std::string_view, std::int64_t> m;
      for (std::size_t i = 0; i < n; ++i) m[id1[i]] += v1[i];
      groups = m.size();
    } else if (q == 2) {
      std::unordered_map<std::string, std::int64_t> m;
      std::string key;
      for (std::size_t i = 0; i < n; ++i) {
        key.assign(id1[i]);
        key.push_back('\0');
        key.append(id2[i]);
        m[key] += v1[i];
      }
      groups = m.size();
    } else if (q == 3) {
      struct A {
        std::int64_t s = 0;
        double t = 0;
        std::int64_t c = 0;
      };
      std::unordered_map<std::string_view, A> m;
      for (std::size_t i = 0; i < n; ++i) {
        A& a = m[id3[i]];
        a.s += v1[i];
        a.t += v3[i];
        ++a.c;
      }
      groups = m.size();
    } else if (q == 4) {
      struct A {
        double a = 0, b = 0, c = 0;
        std::int64_t n = 0;
      };
      std::unordered_map<std::int64_t, A> m;
      for (std::size_t i = 0; i < n; ++i) {
        A& a = m[id4[i]];
        a.a += static_cast<double>(v1[i]);
        a.b += static_cast<double>(v2[i]);
        a.c += v3[i];
        ++a.n;
      }
      groups = m.size();
    } else {
      struct A {
        std::int64_t a = 0, b = 0;
        double c = 0;
      };
      std::unordered_map<std::int64_t, A> m;
      for (std::size_t i = 0; i < n; ++i) {
        A& a = m[id6[i]];
        a.a += v1[i];
        a.b += v2[i];
        a.c += v3[i];
      }
      groups = m.size();
    }
    benchmark::DoNotOptimize(groups);
  }
}

// ---- D4a value_counts of id3 (1e5 distinct strings) on the persisted frame ----

void D4a_loom(benchmark::State& state) {
  const auto& df = persisted();
  for (auto _ : state) {
    const dd::Table r = df["id3"].value_counts().compute();
    benchmark::DoNotOptimize(r.num_rows());
  }
}

// The baseline: one thread, std::unordered_map counts, then a sort by count descending and
// value ascending (value_counts' order).
void D4a_map(benchmark::State& state) {
  const auto id3 = table().column<std::string_view>("id3");
  const std::size_t n = id3.size();
  for (auto _ : state) {
    std::unordered_map<std::string_view, std::int64_t> m;
    for (std::size_t i = 0; i < n; ++i) ++m[id3[i]];
    std::vector<std::pair<std::string_view, std::int64_t>> out(m.begin(), m.end());
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    benchmark::DoNotOptimize(out.data());
  }
}

// ---- D1 merge: 2e6 rows in 8 partitions joined with 1e5 keys (each matches one row) ----

// Left: keys drawn from 1e5 (as id3's), an int value; right: every key once, a float value.
// In memory, so that the join is what is timed; `text`: string keys "id0000000001", else ints.
std::pair<dd::DataFrame, dd::DataFrame> merge_sides(bool text) {
  constexpr std::int64_t kLeftRows = 2'000'000 / kScale;
  constexpr std::int64_t kKeys = 100'000 / kScale;
  constexpr std::int64_t kParts = 8;
  std::uint64_t s = 7;
  std::vector<dd::Table> left;
  for (std::int64_t p = 0; p < kParts; ++p) {
    std::vector<std::optional<std::string>> names;
    std::vector<std::optional<std::int64_t>> ids;
    std::vector<std::optional<std::int64_t>> values;
    for (std::int64_t i = 0; i < kLeftRows / kParts; ++i) {
      const auto k = static_cast<std::int64_t>(splitmix(s) % kKeys) + 1;
      if (text) {
        names.emplace_back(fmt::format("id{:010}", k));
      } else {
        ids.emplace_back(k);
      }
      values.emplace_back(i);
    }
    left.emplace_back(
        std::vector<std::string>{"k", "v"},
        std::vector<dd::Column>{text ? dd::Column::from_strings(names) : dd::Column::from_ints(ids),
                                dd::Column::from_ints(values)});
  }
  std::vector<std::optional<std::string>> names;
  std::vector<std::optional<std::int64_t>> ids;
  std::vector<std::optional<double>> values;
  for (std::int64_t k = 1; k <= kKeys; ++k) {
    if (text) {
      names.emplace_back(fmt::format("id{:010}", k));
    } else {
      ids.emplace_back(k);
    }
    values.emplace_back(static_cast<double>(k) / 4);
  }
  const dd::Table right(
      {"k", "w"}, {text ? dd::Column::from_strings(names) : dd::Column::from_ints(ids),
                   dd::Column::from_doubles(values)});
  return {dd::DataFrame::from_tables(std::move(left)), dd::DataFrame::from_tables({right})};
}

void merge_loom(benchmark::State& state, bool text) {
  const auto [left, right] = merge_sides(text);
  for (auto _ : state) {
    const dd::Table r = left.merge(right, {"k"}).compute();
    benchmark::DoNotOptimize(r.num_rows());
  }
}

// ---- D2: read_csv -> query("v3 > 50") -> dropna -> groupby("id1").agg(v1: mean, std, count) ----

void D2_loom(benchmark::State& state) {
  loom::bench::reset_peak_rss();
  for (auto _ : state) {
    const auto r = dd::read_csv(table_path())
                       .query("v3 > 50")
                       .dropna()
                       .groupby("id1")
                       .agg({{"v1", {"mean", "std", "count"}}})
                       .compute();
    benchmark::DoNotOptimize(r.num_rows());
  }
  state.counters["peak_rss_mb"] = loom::bench::peak_rss_mb();
}

// Sequential C++: parse every field of every row, then filter, then group.
void D2_seq(benchmark::State& state) {
  for (auto _ : state) {
    std::ifstream in(table_path());
    std::string line;
    std::getline(in, line);  // header
    std::vector<std::string> id1;
    std::vector<std::int64_t> v1;
    std::vector<double> v3;
    std::vector<std::string> fields(9);
    while (std::getline(in, line)) {
      std::size_t start = 0;
      for (int f = 0; f < 9; ++f) {
        const std::size_t end = f < 8 ? line.find(',', start) : line.size();
        fields[static_cast<std::size_t>(f)].assign(line, start, end - start);
        start = end + 1;
      }
      id1.push_back(fields[0]);
      std::int64_t a = 0;
      std::from_chars(fields[6].data(), fields[6].data() + fields[6].size(), a);
      v1.push_back(a);
      v3.push_back(std::strtod(fields[8].c_str(), nullptr));
    }
    struct A {
      double n = 0, mean = 0, m2 = 0;
    };
    std::unordered_map<std::string, A> m;
    for (std::size_t i = 0; i < id1.size(); ++i) {
      if (!(v3[i] > 50)) continue;
      A& a = m[id1[i]];
      a.n += 1;
      const double d = static_cast<double>(v1[i]) - a.mean;
      a.mean += d / a.n;
      a.m2 += d * (static_cast<double>(v1[i]) - a.mean);
    }
    benchmark::DoNotOptimize(m.size());
  }
}

}  // namespace

BENCHMARK(D1_read_raw)->Name("D1_read_csv/read")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(D1_read_loom)->Name("D1_read_csv/loom")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(q_map, q1, 1)
    ->Name("D1_groupby_q1/unordered_map")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(q_loom, q1, 1)
    ->Name("D1_groupby_q1/loom")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(q_map, q2, 2)
    ->Name("D1_groupby_q2/unordered_map")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(q_loom, q2, 2)
    ->Name("D1_groupby_q2/loom")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(q_map, q3, 3)
    ->Name("D1_groupby_q3/unordered_map")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(q_loom, q3, 3)
    ->Name("D1_groupby_q3/loom")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(q_map, q4, 4)
    ->Name("D1_groupby_q4/unordered_map")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(q_loom, q4, 4)
    ->Name("D1_groupby_q4/loom")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(q_map, q5, 5)
    ->Name("D1_groupby_q5/unordered_map")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(q_loom, q5, 5)
    ->Name("D1_groupby_q5/loom")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(merge_loom, text, true)
    ->Name("D1_merge/string_key")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(merge_loom, ints, false)
    ->Name("D1_merge/int_key")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(D4a_map)
    ->Name("D4a_value_counts/unordered_map")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(D4a_loom)
    ->Name("D4a_value_counts/loom")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(D2_seq)
    ->Name("D2_seed_pipeline/seq")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
BENCHMARK(D2_loom)->Name("D2_seed_pipeline/loom")->UseRealTime()->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
