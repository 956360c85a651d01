// Parallel workloads P1, P2 of BENCHMARKS.md, each beside its sequential baseline:
//   ./bench_parallel
// Names: P1_map_fine/{seq,loom}, P2_map_medium/{seq,loom_threads,loom_processes}.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <vector>

#include "loom/parallel.hpp"

namespace {

#ifdef LOOM_BENCH_SMALL
constexpr std::size_t kScale = 10;
#else
constexpr std::size_t kScale = 1;
#endif

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
  for (std::int64_t k = 1; k <= iterations; ++k) s += std::sin(static_cast<double>(seed + k)) / static_cast<double>(k);
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

BENCHMARK_MAIN();
