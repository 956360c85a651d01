// Remote workloads R1-R3 (defined in README.md), each beside its baseline, in one run:
//   ./bench_remote --benchmark_format=console
// Names: <ID>/loom... for loom, <ID>/<baseline> for the baselines (tbb, memcpy).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include <oneapi/tbb/task_group.h>

#include "bench_util.hpp"
#include "loom/core/detail/buffer.hpp"
#include "loom/core/trace.hpp"
#include "loom/remote.hpp"

namespace {

using loom::bench::kScale;

constexpr std::int64_t kTasks = 100'000 / kScale;
constexpr std::int64_t kCalls = 1'000'000 / kScale;
constexpr std::int64_t kSmallOps = 100'000 / kScale;
constexpr std::int64_t kBigBytes = 100'000'000 / kScale;

// The runtime lives for the whole program (as a Ray session would).
void ensure_runtime() {
  if (!loom::is_initialized()) loom::init();
}

// ---- the tbb baseline: a task_group running n tasks that each store a result ----

void run_tbb(std::int64_t n) {
  std::vector<std::int64_t> results(static_cast<std::size_t>(n));
  tbb::task_group group;
  for (std::int64_t i = 0; i < n; ++i) group.run([&results, i] { results[i] = i * i; });
  group.wait();
  benchmark::DoNotOptimize(results.data());
}

void R1_tbb(benchmark::State& state) {
  for (auto _ : state) run_tbb(kTasks);
  state.SetItemsProcessed(state.iterations() * kTasks);
}

// ---- R1_remote_tasks: 100,000 trivial task.remote(), then get all ----

void R1_loom(benchmark::State& state) {
  ensure_runtime();
  auto square = loom::task([](std::int64_t x) { return x * x; });
  for (auto _ : state) {
    std::vector<loom::ObjectRef<std::int64_t>> refs;
    refs.reserve(kTasks);
    for (std::int64_t i = 0; i < kTasks; ++i) refs.push_back(square.remote(i));
    benchmark::DoNotOptimize(loom::get(refs).data());
  }
  state.SetItemsProcessed(state.iterations() * kTasks);
}

// The same with tracing on: every attempt an event (start() clears the last iteration's).
void R1_loom_traced(benchmark::State& state) {
  ensure_runtime();
  auto square = loom::task([](std::int64_t x) { return x * x; });
  for (auto _ : state) {
    state.PauseTiming();
    loom::trace::start();
    state.ResumeTiming();
    std::vector<loom::ObjectRef<std::int64_t>> refs;
    refs.reserve(kTasks);
    for (std::int64_t i = 0; i < kTasks; ++i) refs.push_back(square.remote(i));
    benchmark::DoNotOptimize(loom::get(refs).data());
  }
  loom::trace::stop("/dev/null");
  state.SetItemsProcessed(state.iterations() * kTasks);
}

// ---- R2_actor_calls: 1,000,000 counter.increment calls, then one get ----

class Counter {
 public:
  std::int64_t increment() { return ++value_; }

 private:
  std::int64_t value_ = 0;
};

void R2_tbb(benchmark::State& state) {
  for (auto _ : state) run_tbb(kCalls);
  state.SetItemsProcessed(state.iterations() * kCalls);
}

void R2_loom(benchmark::State& state) {
  ensure_runtime();
  for (auto _ : state) {
    auto counter = loom::actor<Counter>().remote();
    auto increment = counter.task(&Counter::increment);
    loom::ObjectRef<std::int64_t> last;
    for (std::int64_t i = 0; i < kCalls; ++i) last = increment.remote();
    if (loom::get(last) != kCalls) state.SkipWithError("wrong count");
  }
  state.SetItemsProcessed(state.iterations() * kCalls);
}

// ---- R3_put_get: put (a copy: the array has another owner) and get of 100 MB; small ops ----

loom::NDArray<double> big_array() {
  auto a = loom::NDArray<double>::uninitialized(loom::Shape{kBigBytes / 8});
  double* d = a.mutable_data();
  for (std::int64_t i = 0; i < a.size(); ++i) d[i] = static_cast<double>(i);
  return a;
}

void R3_memcpy(benchmark::State& state) {
  const auto source = big_array();
  for (auto _ : state) {
    auto buffer = loom::detail::allocate_buffer(source.nbytes(), /*zero=*/false);
    std::memcpy(buffer->data(), source.data(), source.nbytes());
    benchmark::DoNotOptimize(buffer->data());
  }
  state.SetBytesProcessed(state.iterations() * kBigBytes);
}

void R3_loom_put(benchmark::State& state) {
  ensure_runtime();
  const auto source = big_array();  // the caller keeps it: put copies
  for (auto _ : state) {
    auto ref = loom::put(source);
    benchmark::DoNotOptimize(ref.id());
  }
  state.SetBytesProcessed(state.iterations() * kBigBytes);
}

void R3_loom_get(benchmark::State& state) {
  ensure_runtime();
  auto ref = loom::put(big_array());
  for (auto _ : state) {
    auto a = loom::get(ref);
    benchmark::DoNotOptimize(a.data());
  }
  state.SetBytesProcessed(state.iterations() * kBigBytes);
}

void R3_small_tbb(benchmark::State& state) {
  for (auto _ : state) run_tbb(kSmallOps);
  state.SetItemsProcessed(state.iterations() * kSmallOps);
}

void R3_loom_small(benchmark::State& state) {
  ensure_runtime();
  for (auto _ : state) {
    std::int64_t total = 0;
    for (std::int64_t i = 0; i < kSmallOps; ++i) total += loom::get(loom::put(i));
    benchmark::DoNotOptimize(total);
  }
  state.SetItemsProcessed(state.iterations() * kSmallOps);
}

}  // namespace

BENCHMARK(R1_tbb)->Name("R1_remote_tasks/tbb")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(R1_loom)->Name("R1_remote_tasks/loom")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(R1_loom_traced)
    ->Name("R1_remote_tasks/loom_traced")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(R2_tbb)->Name("R2_actor_calls/tbb")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(R2_loom)->Name("R2_actor_calls/loom")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(R3_memcpy)->Name("R3_put_get/memcpy")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(R3_loom_put)->Name("R3_put_get/loom_put")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(R3_loom_get)->Name("R3_put_get/loom_get")->UseRealTime()->Unit(benchmark::kNanosecond);
BENCHMARK(R3_small_tbb)->Name("R3_put_get/tbb")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(R3_loom_small)
    ->Name("R3_put_get/loom_small")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
