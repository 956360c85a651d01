// Core workloads C1-C3 (defined in README.md), each beside its baseline, in one run:
//   ./bench_core --benchmark_format=console
// Names: <ID>/loom for loom, <ID>/<baseline> for the baselines (tbb, parallel_reduce, seq).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <numeric>
#include <vector>

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_reduce.h>
#include <oneapi/tbb/task_group.h>

#include "bench_util.hpp"
#include "loom/core.hpp"

namespace {

using loom::bench::kScale;

constexpr std::int64_t kTasks = 1'000'000 / kScale;

// ---- C1_fanout: build, compute and destroy 1,000,000 independent empty tasks ----

void C1_fanout_loom(benchmark::State& state) {
  auto empty = loom::delayed([] {});
  for (auto _ : state) {
    std::vector<loom::Delayed<void>> tasks;
    tasks.reserve(kTasks);
    for (std::int64_t i = 0; i < kTasks; ++i) tasks.push_back(empty());
    loom::compute(tasks);
  }
  state.SetItemsProcessed(state.iterations() * kTasks);
}

// The same with tracing on: every task an event. start() (outside the timing) clears what the
// previous iteration recorded; the buffers keep their capacity, as a long traced run's do.
void C1_fanout_loom_traced(benchmark::State& state) {
  auto empty = loom::delayed([] {});
  for (auto _ : state) {
    state.PauseTiming();
    loom::trace::start();
    state.ResumeTiming();
    std::vector<loom::Delayed<void>> tasks;
    tasks.reserve(kTasks);
    for (std::int64_t i = 0; i < kTasks; ++i) tasks.push_back(empty());
    loom::compute(tasks);
  }
  loom::trace::stop("/dev/null");
  state.SetItemsProcessed(state.iterations() * kTasks);
}

void C1_fanout_tbb(benchmark::State& state) {
  for (auto _ : state) {
    tbb::task_group group;
    for (std::int64_t i = 0; i < kTasks; ++i) group.run([] {});
    group.wait();
  }
  state.SetItemsProcessed(state.iterations() * kTasks);
}

// ---- C2_chain: build and compute a 1,000,000-long dependency chain ----

void C2_chain_loom(benchmark::State& state) {
  auto step = loom::delayed([](std::int64_t v) { return v + 1; });
  for (auto _ : state) {
    loom::Delayed<std::int64_t> d = loom::delayed([] { return std::int64_t{0}; })();
    for (std::int64_t i = 0; i < kTasks; ++i) d = step(d);
    benchmark::DoNotOptimize(d.compute());
  }
  state.SetItemsProcessed(state.iterations() * kTasks);
}

// Each task spawns its successor.
struct ChainStep {
  tbb::task_group* group;
  std::int64_t* value;
  std::int64_t remaining;
  void operator()() const {
    *value += 1;
    if (remaining > 1) group->run(ChainStep{group, value, remaining - 1});
  }
};

void C2_chain_tbb(benchmark::State& state) {
  for (auto _ : state) {
    std::int64_t value = 0;
    tbb::task_group group;
    group.run(ChainStep{&group, &value, kTasks});
    group.wait();
    benchmark::DoNotOptimize(value);
  }
  state.SetItemsProcessed(state.iterations() * kTasks);
}

// ---- C3_tree: sum of 2^26 int32 as a binary tree of delayed sums over 1,024 leaves ----

constexpr std::int64_t kLeaves = 1024;
constexpr std::int64_t kElements = (std::int64_t{1} << 26) / kScale / kLeaves * kLeaves;

const std::vector<std::int32_t>& tree_data() {
  static const std::vector<std::int32_t> data = [] {
    std::vector<std::int32_t> v(static_cast<std::size_t>(kElements));
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<std::int32_t>(i % 1000) - 500;
    return v;
  }();
  return data;
}

std::int64_t sum_range(const std::int32_t* first, std::int64_t n) {
  std::int64_t s = 0;
  for (std::int64_t i = 0; i < n; ++i) s += first[i];
  return s;
}

void C3_tree_loom(benchmark::State& state) {
  const auto& data = tree_data();
  const std::int64_t leaf = kElements / kLeaves;
  auto leaf_sum =
      loom::delayed([](const std::int32_t* p, std::int64_t n) { return sum_range(p, n); });
  auto add = loom::delayed([](std::int64_t a, std::int64_t b) { return a + b; });
  for (auto _ : state) {
    std::vector<loom::Delayed<std::int64_t>> level;
    level.reserve(kLeaves);
    for (std::int64_t i = 0; i < kLeaves; ++i)
      level.push_back(leaf_sum(data.data() + i * leaf, leaf));
    while (level.size() > 1) {
      std::vector<loom::Delayed<std::int64_t>> next;
      next.reserve(level.size() / 2);
      for (std::size_t i = 0; i + 1 < level.size(); i += 2)
        next.push_back(add(level[i], level[i + 1]));
      level = std::move(next);
    }
    benchmark::DoNotOptimize(level[0].compute());
  }
  state.SetBytesProcessed(state.iterations() * kElements * 4);
}

void C3_tree_parallel_reduce(benchmark::State& state) {
  const auto& data = tree_data();
  for (auto _ : state) {
    const std::int64_t total = tbb::parallel_reduce(
        tbb::blocked_range<std::size_t>(0, data.size()), std::int64_t{0},
        [&](const tbb::blocked_range<std::size_t>& r, std::int64_t acc) {
          return acc + sum_range(data.data() + r.begin(), static_cast<std::int64_t>(r.size()));
        },
        std::plus<>());
    benchmark::DoNotOptimize(total);
  }
  state.SetBytesProcessed(state.iterations() * kElements * 4);
}

void C3_tree_seq(benchmark::State& state) {
  const auto& data = tree_data();
  for (auto _ : state) benchmark::DoNotOptimize(sum_range(data.data(), kElements));
  state.SetBytesProcessed(state.iterations() * kElements * 4);
}

}  // namespace

BENCHMARK(C1_fanout_tbb)->Name("C1_fanout/tbb")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(C1_fanout_loom)->Name("C1_fanout/loom")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(C1_fanout_loom_traced)
    ->Name("C1_fanout/loom_traced")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(C2_chain_tbb)->Name("C2_chain/tbb")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(C2_chain_loom)->Name("C2_chain/loom")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(C3_tree_seq)->Name("C3_tree/seq")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(C3_tree_parallel_reduce)
    ->Name("C3_tree/parallel_reduce")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(C3_tree_loom)->Name("C3_tree/loom")->UseRealTime()->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
