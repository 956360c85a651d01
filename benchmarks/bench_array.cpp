// Chunked-array workloads A1-A3 (defined in README.md), each
// beside its baseline, in one run:   ./bench_array --benchmark_format=console
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_reduce.h>
#include <Eigen/Core>

#include "bench_util.hpp"
#include "loom/array.hpp"
#include "loom/core/random.hpp"

namespace {

namespace da = loom::array;
using loom::bench::kScale;

constexpr std::int64_t kN = 10000 / (kScale == 1 ? 1 : 3);  // 10000x10000 (SMALL: ~3333)
constexpr std::int64_t kChunk = 1000;

const da::Array<double>& persisted_x() {
  static const da::Array<double> x =
      da::random::random({kN, kN}, {.chunks = {kChunk, kChunk}, .seed = 42}).persist();
  return x;
}

// ---- A1: ((x + 1) ** 2).mean() ----

void A1_loom_persisted(benchmark::State& state) {
  const auto& x = persisted_x();
  for (auto _ : state) benchmark::DoNotOptimize(da::pow(x + 1.0, 2.0).mean().compute_scalar());
  state.SetItemsProcessed(state.iterations() * kN * kN);
}

// The hand loops sum in 8 interleaved lanes, as loom does: one accumulator would bound them by
// the adder's latency and flatter loom.
template <class F>
double lanes_sum(std::int64_t begin, std::int64_t end, F f) {
  double lanes[8] = {};
  std::int64_t i = begin;
  for (; i + 8 <= end; i += 8) {
    for (int k = 0; k < 8; ++k) lanes[k] += f(i + k);
  }
  double t = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) +
             ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
  for (; i < end; ++i) t += f(i);
  return t;
}

void A1_fused(benchmark::State& state) {
  const loom::NDArray<double> x = persisted_x().compute();  // a plain buffer
  const double* d = x.data();
  for (auto _ : state) {
    const double s = tbb::parallel_reduce(
        tbb::blocked_range<std::int64_t>(0, kN * kN, 1 << 16), 0.0,
        [d](const tbb::blocked_range<std::int64_t>& r, double acc) {
          return acc + lanes_sum(r.begin(), r.end(),
                                 [d](std::int64_t i) { return (d[i] + 1) * (d[i] + 1); });
        },
        [](double a, double b) { return a + b; });
    benchmark::DoNotOptimize(s / static_cast<double>(kN * kN));
  }
  state.SetItemsProcessed(state.iterations() * kN * kN);
}

void A1_loom_lazy(benchmark::State& state) {
  loom::bench::reset_peak_rss();
  for (auto _ : state) {
    const auto x = da::random::random({kN, kN}, {.chunks = {kChunk, kChunk}, .seed = 42});
    benchmark::DoNotOptimize(da::pow(x + 1.0, 2.0).mean().compute_scalar());
  }
  state.counters["peak_rss_mb"] = loom::bench::peak_rss_mb();
  state.SetItemsProcessed(state.iterations() * kN * kN);
}

void A1_fused_gen(benchmark::State& state) {
  for (auto _ : state) {
    const double s = tbb::parallel_reduce(
        tbb::blocked_range<std::int64_t>(0, kN * kN, 1 << 16), 0.0,
        [](const tbb::blocked_range<std::int64_t>& r, double acc) {
          return acc + lanes_sum(r.begin(), r.end(), [](std::int64_t i) {
                   const double v =
                       loom::detail::counter_uniform(42, static_cast<std::uint64_t>(i));
                   return (v + 1) * (v + 1);
                 });
        },
        [](double a, double b) { return a + b; });
    benchmark::DoNotOptimize(s / static_cast<double>(kN * kN));
  }
  state.SetItemsProcessed(state.iterations() * kN * kN);
}

// ---- A2: x (4000x4000, chunks 100) persisted -> rechunk(1000) -> x.T().dot(x) ----

constexpr std::int64_t kGram = 4000 / (kScale == 1 ? 1 : 4);

const da::Array<double>& gram_x() {
  static const da::Array<double> x =
      da::random::random({kGram, kGram}, {.chunks = {100, 100}, .seed = 1}).persist();
  return x;
}

void A2_loom(benchmark::State& state) {
  const auto& x = gram_x();
  for (auto _ : state) {
    const auto xr = x.rechunk({1000, 1000});
    benchmark::DoNotOptimize(xr.T().dot(xr).compute());
  }
}

void A2_eigen(benchmark::State& state) {
  const loom::NDArray<double> x = gram_x().compute();
  for (auto _ : state) {
    Eigen::MatrixXd g = x.matrix().transpose() * x.matrix();
    benchmark::DoNotOptimize(g.data());
  }
}

// ---- A3: x.sum(axis=0), x.std(axis=1) against single-thread Eigen ----

void A3_sum_loom(benchmark::State& state) {
  const auto& x = persisted_x();
  for (auto _ : state) benchmark::DoNotOptimize(x.sum(0).compute());
  state.SetItemsProcessed(state.iterations() * kN * kN);
}

void A3_sum_eigen(benchmark::State& state) {
  const loom::NDArray<double> x = persisted_x().compute();
  for (auto _ : state) {
    Eigen::VectorXd s = x.matrix().colwise().sum().transpose();
    benchmark::DoNotOptimize(s.data());
  }
  state.SetItemsProcessed(state.iterations() * kN * kN);
}

void A3_std_loom(benchmark::State& state) {
  const auto& x = persisted_x();
  for (auto _ : state) benchmark::DoNotOptimize(x.std(1).compute());
  state.SetItemsProcessed(state.iterations() * kN * kN);
}

void A3_std_eigen(benchmark::State& state) {
  const loom::NDArray<double> x = persisted_x().compute();
  for (auto _ : state) {
    const auto m = x.matrix();
    const Eigen::VectorXd mean = m.rowwise().mean();
    Eigen::VectorXd sd =
        ((m.colwise() - mean).array().square().rowwise().sum() / static_cast<double>(kN)).sqrt();
    benchmark::DoNotOptimize(sd.data());
  }
  state.SetItemsProcessed(state.iterations() * kN * kN);
}

}  // namespace

// The lazy form first: its peak RSS is measured before anything is persisted.
BENCHMARK(A1_fused_gen)
    ->Name("A1_elementwise_mean/fused_gen")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(A1_loom_lazy)
    ->Name("A1_elementwise_mean/loom_lazy")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(A1_fused)
    ->Name("A1_elementwise_mean/fused")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(A1_loom_persisted)
    ->Name("A1_elementwise_mean/loom_persisted")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(A2_eigen)->Name("A2_rechunk_gram/eigen")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(A2_loom)->Name("A2_rechunk_gram/loom")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(A3_sum_eigen)->Name("A3_sum_axis0/eigen")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(A3_sum_loom)->Name("A3_sum_axis0/loom")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(A3_std_eigen)->Name("A3_std_axis1/eigen")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(A3_std_loom)->Name("A3_std_axis1/loom")->UseRealTime()->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
