// The cluster's scheduler: its work per task stays flat over 200,000 tasks (operation counters,
// no timing), a task goes to the worker holding its input, idle workers steal queued tasks.
#include <chrono>
#include <numeric>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "cluster/cluster_state.hpp"
#include "cluster_support.hpp"
#include "loom/cluster.hpp"

using namespace std::chrono_literals;

namespace {

int identity(int x) { return x; }
loom::NDArray<double> block(std::int64_t n) {
  return loom::NDArray<double>::full(loom::Shape{n}, 1.0);
}
double nap_and_sum(const loom::NDArray<double>& a, int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return a.sum();
}

LOOM_REMOTE(identity);
LOOM_REMOTE(block);
LOOM_REMOTE(nap_and_sum);

std::int64_t operations(const loom::detail::SchedulerCounters& c) {
  return c.placement_steps + c.queue_pushes + c.queue_pops + c.backlog_pushes + c.steals +
         c.steal_steps + c.wakeups;
}

using Scheduling = loom::test::ClusterTest;

TEST_F(Scheduling, WorkPerTaskIsFlatOver200000Tasks) {
  loom::LocalCluster cluster({.n_workers = 2, .threads_per_worker = 1, .processes = false});
  loom::Client client(cluster);
  const auto& state = loom::detail::cluster_state_of(cluster);
  auto fn = loom::task(identity);
  constexpr int kWindow = 50'000;
  std::vector<double> per_task;
  for (int window = 0; window < 4; ++window) {
    const auto before = state.counters();
    std::vector<loom::ObjectRef<int>> refs;
    refs.reserve(kWindow);
    for (int i = 0; i < kWindow; ++i) refs.push_back(fn.remote(i));
    const std::vector<int> values = loom::get(refs);
    ASSERT_EQ(values[kWindow - 1], kWindow - 1);
    const auto after = state.counters();
    EXPECT_EQ(after.placements - before.placements, kWindow);
    per_task.push_back(static_cast<double>(operations(after) - operations(before)) / kWindow);
  }
  // O(1) per task: a few steps per worker, and the same in the last window as in the first.
  EXPECT_LT(per_task.front(), 40.0);
  EXPECT_LT(per_task.back(), per_task.front() * 1.5 + 2.0)
      << "first window " << per_task.front() << " ops/task, last " << per_task.back();
}

TEST_F(Scheduling, ATaskGoesToTheWorkerHoldingItsInput) {
  const loom::config::Scope scope({{"scheduler.work-stealing", "false"}});
  loom::LocalCluster cluster({.n_workers = 3, .threads_per_worker = 1, .processes = false});
  loom::Client client(cluster);
  loom::ObjectRef<loom::NDArray<double>> data;
  {
    const loom::detail::PinToWorker pin(2);
    data = loom::task(block).remote(std::int64_t{1} << 20);
  }
  ASSERT_DOUBLE_EQ(loom::get(data).sum(), static_cast<double>(1 << 20));
  for (int i = 0; i < 5; ++i) {
    EXPECT_DOUBLE_EQ(loom::get(loom::task(nap_and_sum).remote(data, 0)),
                     static_cast<double>(1 << 20));
  }
  loom::test::wait_tasks_done(cluster, 6);
  const auto ws = cluster.workers();
  EXPECT_EQ(ws[0].tasks_done, 0);
  EXPECT_EQ(ws[1].tasks_done, 0);
  EXPECT_EQ(ws[2].tasks_done, 6);
}

TEST_F(Scheduling, IdleWorkersStealQueuedTasks) {
  for (const char* stealing : {"true", "false"}) {
    const loom::config::Scope scope({{"scheduler.work-stealing", stealing}});
    loom::LocalCluster cluster({.n_workers = 2, .threads_per_worker = 1, .processes = false});
    loom::Client client(cluster);
    loom::ObjectRef<loom::NDArray<double>> data;
    {
      const loom::detail::PinToWorker pin(0);
      data = loom::task(block).remote(std::int64_t{1} << 20);
    }
    (void)loom::get(data);
    loom::test::wait_tasks_done(cluster, 1);  // its thread is free again
    // Three consumers fit worker 0's queue (1 thread, 2 queued): locality puts them all there.
    std::vector<loom::ObjectRef<double>> refs;
    for (int i = 0; i < 3; ++i) refs.push_back(loom::task(nap_and_sum).remote(data, 300));
    for (double v : loom::get(refs)) EXPECT_DOUBLE_EQ(v, static_cast<double>(1 << 20));
    loom::test::wait_tasks_done(cluster, 4);
    const auto ws = cluster.workers();
    const auto counters = loom::detail::cluster_state_of(cluster).counters();
    if (std::string(stealing) == "true") {
      EXPECT_GE(counters.steals, 1);
      EXPECT_GE(ws[1].tasks_done, 1);
    } else {
      EXPECT_EQ(counters.steals, 0);
      EXPECT_EQ(ws[1].tasks_done, 0);
      EXPECT_EQ(ws[0].tasks_done, 4);
    }
  }
}

TEST_F(Scheduling, ProcessesClusterRuns10000TasksInOrder) {
  loom::LocalCluster cluster({.n_workers = 2, .threads_per_worker = 2});
  remember(cluster);
  loom::Client client(cluster);
  std::vector<int> xs(10'000);
  std::iota(xs.begin(), xs.end(), 0);
  EXPECT_EQ(client.gather(client.map(identity, xs)), xs);
}

}  // namespace
