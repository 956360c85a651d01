// Parallel workloads P1-P5 (defined in README.md), each beside its sequential baseline:
//   ./bench_parallel
// Names: P1_map_fine/{seq,loom}, P2_map_medium/{seq,loom_threads,loom_processes},
// P3_memmap/{seq,loom}, P4_memory_cache/{xxh3,loom_miss,loom_hit},
// P5_dump_load/{fwrite,fread,loom_dump,loom_load (.npy),loom_dump_general,loom_load_general}.
// Data files go to LOOM_BENCH_DATA (default build/bench-data in the source tree), reused.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <numeric>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <xxhash.h>

#include "bench_util.hpp"
#include "loom/loom.hpp"

namespace {

using loom::bench::kScale;

// ---- P1_map_fine: 1,000,000 sqrt calls, output allocated in the timed region ----

constexpr std::size_t kFine = 1'000'000 / kScale;

const std::vector<double>& fine_inputs() {
  static const std::vector<double> v = [] {
    std::vector<double> x(kFine);
    for (std::size_t i = 0; i < kFine; ++i) x[i] = static_cast<double>(i);
    return x;
  }();
  return v;
}

void P1_seq(benchmark::State& state) {
  const auto& in = fine_inputs();
  for (auto _ : state) {
    std::vector<double> out(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) out[i] = std::sqrt(in[i]);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kFine));
}

void P1_loom(benchmark::State& state) {
  const auto& in = fine_inputs();
  for (auto _ : state) {
    std::vector<double> out =
        loom::Parallel({.n_jobs = -1})(in, [](double x) { return std::sqrt(x); });
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kFine));
}

// ---- P2_map_medium: 200 calls of about 10 ms of CPU work ----

constexpr int kMedium = 200 / static_cast<int>(kScale);

double spin(std::int64_t iterations, int seed) {
  double s = 0;
  for (std::int64_t k = 1; k <= iterations; ++k)
    s += std::sin(static_cast<double>(seed + k)) / static_cast<double>(k);
  return s;
}

// Iterations that take about 10 ms on this machine (measured once).
std::int64_t ten_ms_of_work() {
  static const std::int64_t iterations = [] {
    const std::int64_t probe = 200'000;
    const auto t0 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(spin(probe, 1));
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return static_cast<std::int64_t>(static_cast<double>(probe) * 0.010 / s);
  }();
  return iterations;
}

std::vector<int> medium_inputs() {
  std::vector<int> v(kMedium);
  for (int i = 0; i < kMedium; ++i) v[static_cast<std::size_t>(i)] = i;
  return v;
}

void P2_seq(benchmark::State& state) {
  const auto inputs = medium_inputs();
  const std::int64_t n = ten_ms_of_work();
  for (auto _ : state) {
    std::vector<double> out;
    for (int x : inputs) out.push_back(spin(n, x));
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * kMedium);
}

void P2_loom(benchmark::State& state, const char* backend) {
  const auto inputs = medium_inputs();
  const std::int64_t n = ten_ms_of_work();
  for (auto _ : state) {
    std::vector<double> out = loom::Parallel({.n_jobs = -1, .backend = backend})(
        inputs, [n](int x) { return spin(n, x); });
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * kMedium);
}

// ---- P3_memmap: 400 MB float64 .npy, mapped, 8 slice means ----

constexpr std::int64_t kP3Rows = 800;
constexpr std::int64_t kP3Cols = 62'500 / kScale;  // 400 MB
constexpr int kP3Slices = 8;

std::filesystem::path p3_file() {
  const auto path = loom::bench::data_dir() / fmt::format("p3_{}x{}.npy", kP3Rows, kP3Cols);
  if (!std::filesystem::exists(path)) {
    auto a = loom::random::rand({kP3Rows, kP3Cols}, 3);
    loom::dump(a, path);
  }
  // Warm page cache: one untimed read.
  benchmark::DoNotOptimize(loom::load_npy<double>(path, {.mmap_mode = "r"}).sum());
  return path;
}

double slice_mean(const loom::NDArray<double>& m, int s) {
  const std::int64_t rows = kP3Rows / kP3Slices;
  return m.slice(s * rows, (s + 1) * rows).mean();
}

void P3_seq(benchmark::State& state) {
  const auto path = p3_file();
  double peak = 0;
  for (auto _ : state) {
    loom::bench::reset_peak_rss();
    const auto m = loom::load_npy<double>(path, {.mmap_mode = "r"});
    std::vector<double> means;
    for (int s = 0; s < kP3Slices; ++s) means.push_back(slice_mean(m, s));
    benchmark::DoNotOptimize(means.data());
    peak = std::max(peak, loom::bench::peak_rss_mb());
  }
  state.counters["peak_rss_mb"] = peak;
}

void P3_loom(benchmark::State& state) {
  const auto path = p3_file();
  std::vector<int> slices(kP3Slices);
  std::iota(slices.begin(), slices.end(), 0);
  double peak = 0;
  for (auto _ : state) {
    loom::bench::reset_peak_rss();
    const auto m = loom::load_npy<double>(path, {.mmap_mode = "r"});
    // Each call reports its worker's proportional set size after its slice: the last report of
    // a worker is its size just before it exits.
    std::vector<std::tuple<double, long, double>> r =
        loom::Parallel({.n_jobs = -1, .backend = "processes"})(slices, [&m](int s) {
          const double mean = slice_mean(m, s);
          return std::tuple<double, long, double>{mean, static_cast<long>(::getpid()),
                                                  loom::bench::own_pss_mb()};
        });
    benchmark::DoNotOptimize(r.data());
    std::map<long, double> worker_pss;
    for (const auto& [mean, pid, pss] : r) worker_pss[pid] = std::max(worker_pss[pid], pss);
    double total = loom::bench::peak_rss_mb();
    for (const auto& [pid, pss] : worker_pss) total += pss;
    peak = std::max(peak, total);
  }
  state.counters["peak_rss_mb"] = peak;
}

// ---- P4_memory_cache: f(10 MB array) -> double through Memory.cache ----

const loom::NDArray<double>& p4_argument() {
  static const auto a = loom::random::rand({1250, 1000 / kScale}, 4);
  return a;
}

double p4_function(const loom::NDArray<double>& a) { return a.sum(); }

void P4_xxh3(benchmark::State& state) {
  const auto& a = p4_argument();
  for (auto _ : state) benchmark::DoNotOptimize(XXH3_64bits(a.data(), a.nbytes()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * a.nbytes()));
}

void P4_loom(benchmark::State& state, bool hit) {
  const auto& a = p4_argument();
  const auto dir = loom::bench::data_dir() / "p4_cache";
  loom::Memory memory(dir);
  memory.clear();
  auto cached = memory.cache("p4", p4_function);
  benchmark::DoNotOptimize(cached(a));
  for (auto _ : state) {
    if (!hit) {
      state.PauseTiming();
      cached.clear();
      state.ResumeTiming();
    }
    benchmark::DoNotOptimize(cached(a));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * a.nbytes()));
  memory.clear();
}

// ---- P5_dump_load: a 400 MB array as .npy and in the general format ----

const loom::NDArray<double>& p5_array() {
  static const auto a = loom::random::rand({800, 62'500 / kScale}, 5);
  return a;
}

// Writes are compared from the same start: no dirty pages left by the previous iteration (the
// kernel throttles writers by how much is waiting to reach the disk).
void settle_disk(benchmark::State& state) {
  state.PauseTiming();
  ::sync();
  state.ResumeTiming();
}

std::filesystem::path p5_path(const char* name) { return loom::bench::data_dir() / name; }

// The baseline's write: fwrite of the raw bytes.
void write_raw(const std::filesystem::path& path, const loom::NDArray<double>& a) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr || std::fwrite(a.data(), 1, a.nbytes(), f) != a.nbytes()) std::abort();
  std::fclose(f);
}

void P5_fwrite(benchmark::State& state) {
  const auto& a = p5_array();
  const auto path = p5_path("p5_raw.bin");
  for (auto _ : state) {
    settle_disk(state);
    write_raw(path, a);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * a.nbytes()));
}

void P5_fread(benchmark::State& state) {
  const auto& a = p5_array();
  const auto path = p5_path("p5_raw.bin");
  write_raw(path, a);
  for (auto _ : state) {
    auto* buffer = static_cast<char*>(std::malloc(a.nbytes()));
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr || std::fread(buffer, 1, a.nbytes(), f) != a.nbytes()) std::abort();
    std::fclose(f);
    benchmark::DoNotOptimize(buffer[a.nbytes() - 1]);
    std::free(buffer);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * a.nbytes()));
}

void P5_dump(benchmark::State& state, const char* name) {
  const auto& a = p5_array();
  const auto path = p5_path(name);
  for (auto _ : state) {
    settle_disk(state);
    loom::dump(a, path);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * a.nbytes()));
}

void P5_load(benchmark::State& state, const char* name) {
  const auto& a = p5_array();
  const auto path = p5_path(name);
  loom::dump(a, path);
  for (auto _ : state) {
    auto b = loom::load<loom::NDArray<double>>(path);
    benchmark::DoNotOptimize(b.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * a.nbytes()));
}

}  // namespace

BENCHMARK(P1_seq)->Name("P1_map_fine/seq")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(P1_loom)->Name("P1_map_fine/loom")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(P2_seq)->Name("P2_map_medium/seq")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(P2_loom, threads, "threads")
    ->Name("P2_map_medium/loom_threads")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(P2_loom, processes, "processes")
    ->Name("P2_map_medium/loom_processes")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

BENCHMARK(P3_seq)->Name("P3_memmap/seq")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(P3_loom)->Name("P3_memmap/loom")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(P4_xxh3)->Name("P4_memory_cache/xxh3")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(P4_loom, miss, false)
    ->Name("P4_memory_cache/loom_miss")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(P4_loom, hit, true)
    ->Name("P4_memory_cache/loom_hit")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(P5_fwrite)->Name("P5_dump_load/fwrite")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(P5_dump, npy, "p5.npy")
    ->Name("P5_dump_load/loom_dump")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(P5_dump, general, "p5.loom")
    ->Name("P5_dump_load/loom_dump_general")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(P5_fread)->Name("P5_dump_load/fread")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(P5_load, npy, "p5.npy")
    ->Name("P5_dump_load/loom_load")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(P5_load, general, "p5.loom")
    ->Name("P5_dump_load/loom_load_general")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
