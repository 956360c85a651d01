// Cluster workload S1 (defined in README.md) beside its baseline, in one run:
//   ./bench_cluster --benchmark_format=console
// Names: S1_cluster_tasks/loom (100,000 tasks), S1_cluster_tasks_1m/loom (1,000,000),
// S1_cluster_tasks/socketpair (the baseline).
#include <benchmark/benchmark.h>

#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.hpp"
#include "core/frame_codec.hpp"
#include "core/worker_process.hpp"
#include "loom/cluster.hpp"

namespace {

using loom::bench::kScale;

constexpr std::int64_t kTasks = 100'000 / kScale;
constexpr std::int64_t kTasksMillion = 1'000'000 / kScale;

void empty_task() {}
LOOM_REMOTE(empty_task);

// ---- S1: empty registered tasks through LocalCluster(2 workers x 1 thread, processes) ----

void run_cluster(std::int64_t n) {
  static loom::LocalCluster cluster({.n_workers = 2, .threads_per_worker = 1, .processes = true});
  static loom::Client client(cluster);
  auto fn = loom::task(empty_task);
  std::vector<loom::ObjectRef<void>> refs;
  refs.reserve(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) refs.push_back(fn.remote());
  client.gather(refs.back());
  loom::get(refs);
}

void S1_loom(benchmark::State& state) {
  for (auto _ : state) run_cluster(kTasks);
  state.SetItemsProcessed(state.iterations() * kTasks);
}

void S1_loom_1m(benchmark::State& state) {
  for (auto _ : state) run_cluster(kTasksMillion);
  state.SetItemsProcessed(state.iterations() * kTasksMillion);
}

// ---- the baseline: two processes exchanging the same frames over a socketpair ----
// The driver writes n call frames of a cluster call's size (one thread) while reading the n
// replies (another); the child answers each frame at once. No scheduling, no serialization.

void run_socketpair(std::int64_t n) {
  const std::string frame(96, 'x');  // about a cluster call frame (code addresses, id, name)
  auto worker = loom::detail::WorkerProcess::spawn([](int in, int out) {
    while (auto f = loom::detail::read_frame(in)) {
      if (!loom::detail::write_frame(out, 2, f->index, {})) return;
    }
  });
  std::thread writer([&] {
    for (std::int64_t i = 0; i < n; ++i) {
      (void)loom::detail::write_frame(worker.to_child(), 1, static_cast<std::uint64_t>(i), frame);
    }
  });
  for (std::int64_t i = 0; i < n; ++i) benchmark::DoNotOptimize(loom::detail::read_frame(worker.from_child()));
  writer.join();
  (void)worker.finish(std::chrono::milliseconds(1000));
}

void S1_socketpair(benchmark::State& state) {
  for (auto _ : state) run_socketpair(kTasks);
  state.SetItemsProcessed(state.iterations() * kTasks);
}

}  // namespace

BENCHMARK(S1_socketpair)->Name("S1_cluster_tasks/socketpair")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(S1_loom)->Name("S1_cluster_tasks/loom")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(S1_loom_1m)
    ->Name("S1_cluster_tasks_1m/loom")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);

BENCHMARK_MAIN();
