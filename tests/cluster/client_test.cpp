// Client on a LocalCluster, in both modes (thread groups and worker processes): remote tasks,
// put/get/wait/cancel, submit/map/gather/scatter/run, as_completed, scale, restart, close; the
// results equal those of a sequential loop. Also the callable rule and the default client.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <numeric>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "../support/expect_error.hpp"
#include "cluster_support.hpp"
#include "loom/cluster.hpp"

using namespace std::chrono_literals;

namespace {

int square(int x) { return x * x; }
int add(int a, int b) { return a + b; }
int fail_on_three(int x) {
  if (x == 3) throw std::runtime_error("three is not allowed");
  return x;
}
int slow_square(int x, int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return x * x;
}
long my_pid() { return static_cast<long>(::getpid()); }
loom::NDArray<double> ramp(std::int64_t n) {
  auto a = loom::NDArray<double>::uninitialized(loom::Shape{n});
  for (std::int64_t i = 0; i < n; ++i) a.mutable_data()[i] = static_cast<double>(i % 1000);
  return a;
}
double total(const loom::NDArray<double>& a) { return a.sum(); }
int unregistered_triple(int x) { return 3 * x; }
// A callable with state that serializes: its state crosses with each call.
struct Shift {
  int by = 0;
  int operator()(int x) const { return x + by; }
  template <class Archive>
  void serialize(Archive& archive) {
    archive(by);
  }
};

// Submits from inside a task: thread workers run it on the cluster too; a worker process cannot.
int nested_square(int x) { return loom::get(loom::task(square).remote(x)); }

LOOM_REMOTE(square);
LOOM_REMOTE(add);
LOOM_REMOTE(fail_on_three);
LOOM_REMOTE(slow_square);
LOOM_REMOTE(my_pid);
LOOM_REMOTE(ramp);
LOOM_REMOTE(total);
LOOM_REMOTE(nested_square);
// Generic lambdas (registered, so that worker processes can run them): an ObjectRef<U> argument
// gives them the stored value.
constexpr auto twice = [](auto x) { return 2 * x; };
constexpr auto size_of = [](const auto& v) { return static_cast<std::int64_t>(v.size()); };
LOOM_REMOTE(twice);
LOOM_REMOTE(size_of);

struct Mode {
  bool processes;
  const char* name;
};

class ClientOnCluster : public loom::test::ClusterTest,
                        public ::testing::WithParamInterface<Mode> {
 protected:
  loom::LocalClusterOptions options(int workers = 2, int threads = 1) const {
    return {.n_workers = workers, .threads_per_worker = threads, .memory_limit = "1GB",
            .processes = GetParam().processes};
  }
};

TEST_P(ClientOnCluster, SubmitMapGatherEqualASequentialLoop) {
  loom::LocalCluster cluster(options(2, 2));
  remember(cluster);
  loom::Client client(cluster);
  std::vector<int> inputs(100);
  std::iota(inputs.begin(), inputs.end(), -50);
  std::vector<int> expected;
  for (int x : inputs) expected.push_back(square(x));
  EXPECT_EQ(client.gather(client.map(square, inputs)), expected);
  EXPECT_EQ(client.gather(client.submit(add, 2, 40)), 42);
  // A dependency chain: refs as arguments, as in the remote API.
  auto sq = loom::task(square);
  auto plus = loom::task(add);
  loom::ObjectRef<int> chain = plus.remote(sq.remote(3), client.scatter(4));
  for (int i = 0; i < 10; ++i) chain = plus.remote(chain, sq.remote(i));
  int want = 9 + 4;
  for (int i = 0; i < 10; ++i) want += i * i;
  EXPECT_EQ(loom::get(chain), want);
  EXPECT_FALSE(loom::is_initialized());  // the cluster ran it, not the remote runtime
}

TEST_P(ClientOnCluster, TasksRunOnTheWorkers) {
  loom::LocalCluster cluster(options(2, 1));
  remember(cluster);
  loom::Client client(cluster);
  std::set<long> worker_pids;
  for (const auto& w : cluster.workers()) worker_pids.insert(w.pid);
  std::vector<loom::ObjectRef<long>> refs;
  for (int i = 0; i < 20; ++i) refs.push_back(loom::task(my_pid).remote());
  for (long pid : loom::get(refs)) {
    if (GetParam().processes) {
      EXPECT_TRUE(worker_pids.count(pid) == 1) << pid;
    } else {
      EXPECT_EQ(pid, ::getpid());
    }
  }
  loom::test::wait_tasks_done(cluster, 20);
  const auto done = cluster.workers();
  EXPECT_EQ(done[0].tasks_done + done[1].tasks_done, 20);
}

TEST_P(ClientOnCluster, PutGetWaitCancelAsInThreadsMode) {
  loom::LocalCluster cluster(options(2, 1));
  remember(cluster);
  loom::Client client(cluster);
  const loom::ObjectRef<loom::NDArray<double>> big = loom::put(ramp(300'000));
  double want = 0;
  for (std::int64_t i = 0; i < 300'000; ++i) want += static_cast<double>(i % 1000);
  EXPECT_DOUBLE_EQ(loom::get(loom::task(total).remote(big)), want);
  // A result made in a worker and summed in another worker and in the driver.
  const auto made = loom::task(ramp).remote(std::int64_t{2'000'000});
  double want_made = 0;
  for (std::int64_t i = 0; i < 2'000'000; ++i) want_made += static_cast<double>(i % 1000);
  EXPECT_DOUBLE_EQ(loom::get(loom::task(total).remote(made)), want_made);
  EXPECT_DOUBLE_EQ(loom::get(made).sum(), want_made);

  std::vector<loom::ObjectRef<int>> refs;
  refs.push_back(loom::task(slow_square).remote(2, 2000));
  refs.push_back(loom::task(slow_square).remote(3, 1));
  auto [ready, pending] = loom::wait(refs, {.num_returns = 1, .timeout = 10s});
  ASSERT_EQ(ready.size(), 1U);
  EXPECT_EQ(loom::get(ready[0]), 9);
  // Queued behind two slow tasks on a full cluster: cancel drops it.
  std::vector<loom::ObjectRef<int>> busy;
  for (int i = 0; i < 8; ++i) busy.push_back(loom::task(slow_square).remote(i, 300));
  auto late = loom::task(square).remote(5);
  loom::cancel(late);
  EXPECT_THROW((void)loom::get(late), loom::Cancelled);
  EXPECT_EQ(loom::get(busy)[7], 49);
}

TEST_P(ClientOnCluster, ExceptionsBecomeTaskErrorsAsInThreadsMode) {
  loom::LocalCluster cluster(options(2, 1));
  remember(cluster);
  loom::Client client(cluster);
  auto refs = client.map(fail_on_three, std::vector<int>{1, 2, 3, 4});
  EXPECT_EQ(client.gather(refs[3]), 4);
  EXPECT_ERROR(
      (void)client.gather(refs[2]), loom::TaskError, [](const loom::TaskError& e) {
        EXPECT_NE(std::string(e.what()).find("three is not allowed"), std::string::npos);
        EXPECT_THROW(std::rethrow_if_nested(e), std::runtime_error);
        return ::testing::AssertionSuccess();
      });
  // A dependent of a failed task fails with that error.
  auto dependent = loom::task(add).remote(refs[2], 1);
  EXPECT_THROW((void)loom::get(dependent), loom::TaskError);
}

TEST_P(ClientOnCluster, TasksSubmittedInsideTasks) {
  loom::LocalCluster cluster(options(2, 1));
  remember(cluster);
  loom::Client client(cluster);
  auto ref = client.submit(nested_square, 6);
  if (GetParam().processes) {
    EXPECT_ERROR_CONTAINS((void)loom::get(ref), loom::TaskError, "for the driver");
  } else {
    EXPECT_EQ(loom::get(ref), 36);
  }
}

TEST_P(ClientOnCluster, CapturelessLambdasFunctionPointersAndSerializableCallablesCross) {
  loom::LocalCluster cluster(options(2, 1));
  remember(cluster);
  loom::Client client(cluster);
  EXPECT_EQ(client.gather(client.submit([](int x) { return x + 1; }, 41)), 42);
  EXPECT_EQ(client.gather(client.submit(&unregistered_triple, 5)), 15);
  EXPECT_EQ(client.gather(client.submit(Shift{10}, 5)), 15);  // a Serializable callable
  EXPECT_EQ(client.gather(client.map(Shift{-1}, std::vector<int>{1, 2})), (std::vector<int>{0, 1}));
  EXPECT_EQ(client.gather(client.map([](const std::string& s) { return s + "!"; },
                                     std::vector<std::string>{"a", "b"})),
            (std::vector<std::string>{"a!", "b!"}));
}

TEST_P(ClientOnCluster, GenericLambdasGetValuesOfRefs) {
  loom::LocalCluster cluster(options(2, 1));
  remember(cluster);
  loom::Client client(cluster);
  EXPECT_EQ(client.gather(client.submit(twice, 21)), 42);
  EXPECT_DOUBLE_EQ(client.gather(client.submit(twice, 1.25)), 2.5);
  const auto stored = client.scatter(std::vector<int>{1, 2, 3});
  EXPECT_EQ(client.gather(client.submit(size_of, stored)), 3);
  EXPECT_EQ(client.gather(client.map(twice, std::vector<int>{1, 2, 3})), (std::vector<int>{2, 4, 6}));
}

TEST_P(ClientOnCluster, TheCallableRule) {
  loom::LocalCluster cluster(options(1, 1));
  remember(cluster);
  loom::Client client(cluster);
  const int offset = 10;
  auto capturing = loom::task([offset](int x) { return x + offset; }).options({.name = "shift"});
  if (GetParam().processes) {
    // At submit, naming the task and how to register it; never a failure inside the worker.
    EXPECT_ERROR_CONTAINS((void)capturing.remote(1), loom::ConfigError, "task 'shift'",
                          "LOOM_REMOTE(fn)", "task_named");
    EXPECT_ERROR_CONTAINS((void)client.submit([offset](int x) { return x + offset; }, 1),
                          loom::ConfigError, "LOOM_REMOTE", "lambda");
  } else {
    EXPECT_EQ(loom::get(capturing.remote(1)), 11);  // thread workers share the driver's memory
  }
  EXPECT_EQ(cluster.workers()[0].restarts, 0);
}

TEST_P(ClientOnCluster, RunGivesOneResultPerWorker) {
  loom::LocalCluster cluster(options(3, 1));
  remember(cluster);
  loom::Client client(cluster);
  const std::map<int, long> pids = client.run([] { return static_cast<long>(::getpid()); });
  const auto workers = cluster.workers();
  ASSERT_EQ(pids.size(), 3U);
  for (const auto& w : workers) {
    ASSERT_TRUE(pids.count(w.id) == 1);
    EXPECT_EQ(pids.at(w.id), GetParam().processes ? w.pid : ::getpid());
  }
  client.run([] {});  // void: nothing comes back
  loom::test::wait_tasks_done(cluster, 6);
  EXPECT_EQ(cluster.workers()[2].tasks_done, 2);
}

TEST_P(ClientOnCluster, AsCompletedYieldsInCompletionOrderAndTakesAdditions) {
  loom::LocalCluster cluster(options(3, 1));
  remember(cluster);
  loom::Client client(cluster);
  std::vector<loom::ObjectRef<int>> refs{client.submit(slow_square, 1, 1500),
                                         client.submit(slow_square, 2, 10),
                                         client.submit(slow_square, 3, 700)};
  std::vector<std::size_t> order;
  std::vector<int> values;
  auto done = loom::as_completed(refs, {.with_results = true});
  bool added = false;
  for (const auto& c : done) {
    order.push_back(c.index);
    values.push_back(c.value());
    if (!added) {
      added = true;
      done.add(client.submit(slow_square, 4, 1));
    }
  }
  ASSERT_EQ(order.size(), 4U);
  EXPECT_EQ(order.front(), 1U);
  EXPECT_EQ(order.back(), 0U);  // the slowest last; the added one before it
  EXPECT_EQ(values.back(), 1);
  std::vector<int> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, (std::vector<int>{1, 4, 9, 16}));

  auto slow = loom::as_completed(std::vector{client.submit(slow_square, 5, 3000)},
                                 {.timeout = std::chrono::milliseconds(100)});
  EXPECT_ERROR_CONTAINS(for (const auto& c : slow) (void)c, loom::Timeout, "as_completed");
}

TEST_P(ClientOnCluster, ScaleAddsAndRetiresWorkers) {
  loom::LocalCluster cluster(options(1, 1));
  remember(cluster);
  loom::Client client(cluster);
  cluster.scale(3);
  remember(cluster);
  auto ws = cluster.workers();
  ASSERT_EQ(ws.size(), 3U);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(ws[i].id, i);
  std::vector<int> xs(30);
  std::iota(xs.begin(), xs.end(), 0);
  std::vector<int> want;
  for (int x : xs) want.push_back(x * x);
  EXPECT_EQ(client.gather(client.map(square, xs)), want);
  cluster.scale(1);
  EXPECT_EQ(cluster.workers().size(), 1U);
  EXPECT_EQ(client.gather(client.map(square, xs)), want);
  EXPECT_ERROR_CONTAINS(cluster.scale(-1), loom::ConfigError, "-1");
}

TEST_P(ClientOnCluster, RestartReplacesWorkersAndTasksGoOn) {
  loom::LocalCluster cluster(options(2, 1));
  remember(cluster);
  loom::Client client(cluster);
  const auto before = cluster.workers();
  client.restart();
  remember(cluster);
  const auto after = cluster.workers();
  ASSERT_EQ(after.size(), 2U);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(after[i].restarts, 1);
    if (GetParam().processes) EXPECT_NE(after[i].pid, before[i].pid);
  }
  EXPECT_EQ(client.gather(client.submit(square, 12)), 144);
}

TEST_P(ClientOnCluster, CloseCancelsPendingRefsAndIsIdempotent) {
  loom::LocalCluster cluster(options(1, 1));
  remember(cluster);
  loom::Client client(cluster);
  std::vector<loom::ObjectRef<int>> refs;
  for (int i = 0; i < 6; ++i) refs.push_back(client.submit(slow_square, i, 400));
  std::this_thread::sleep_for(50ms);
  cluster.close();
  cluster.close();
  for (std::size_t i = 0; i < refs.size(); ++i) {
    // The queued ones were dropped; the running one asked to stop (processes: its worker ended).
    if (i == 0 && !GetParam().processes) {
      EXPECT_THROW((void)loom::get(refs[i]), loom::Cancelled);
    } else {
      EXPECT_ERROR_CONTAINS((void)loom::get(refs[i]), loom::Cancelled, "cluster closed");
    }
  }
  EXPECT_ERROR_CONTAINS((void)client.submit(square, 2), loom::Cancelled, "cluster closed");
  EXPECT_ERROR_CONTAINS(cluster.scale(2), loom::Cancelled, "cluster closed");
  EXPECT_TRUE(cluster.workers().empty());
}

TEST_P(ClientOnCluster, DestructorClosesAlsoWhenTheDriverThrows) {
  std::vector<loom::ObjectRef<int>> refs;
  try {
    loom::LocalCluster cluster(options(2, 1));
    remember(cluster);
    loom::Client client(cluster);
    for (int i = 0; i < 6; ++i) refs.push_back(client.submit(slow_square, i, 200));
    throw std::runtime_error("the driver gives up");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(loom::test::child_processes(), std::vector<pid_t>{});
  EXPECT_THROW((void)loom::get(refs.back()), loom::Cancelled);
}

INSTANTIATE_TEST_SUITE_P(Modes, ClientOnCluster,
                         ::testing::Values(Mode{false, "threads"}, Mode{true, "processes"}),
                         [](const auto& info) { return std::string(info.param.name); });

using Clients = loom::test::ClusterTest;

TEST_F(Clients, TheNewestClientIsCurrentAndScopesNest) {
  EXPECT_EQ(loom::Client::current(), nullptr);
  loom::LocalCluster one({.n_workers = 1, .threads_per_worker = 1, .processes = false});
  loom::LocalCluster two({.n_workers = 1, .threads_per_worker = 1, .processes = false});
  {
    loom::Client a(one);
    EXPECT_EQ(loom::Client::current(), &a);
    {
      loom::Client b(two);
      EXPECT_EQ(loom::Client::current(), &b);
      {
        auto scope = a.as_current();
        EXPECT_EQ(loom::Client::current(), &a);
      }
      EXPECT_EQ(loom::Client::current(), &b);
      loom::Client quiet(one, {.set_as_default = false});
      EXPECT_EQ(loom::Client::current(), &b);
    }
    EXPECT_EQ(loom::Client::current(), &a);
    EXPECT_EQ(a.dashboard_link(), "");
    EXPECT_EQ(&a.cluster(), &one);
  }
  EXPECT_EQ(loom::Client::current(), nullptr);
}

TEST_F(Clients, ClientWithoutAClusterOwnsALocalCluster) {
  {
    loom::Client client;
    remember(client.cluster());
    EXPECT_FALSE(client.cluster().workers().empty());
    EXPECT_EQ(client.gather(client.submit(square, 9)), 81);
  }
}

TEST_F(Clients, InitAndAClientExcludeEachOther) {
  {
    loom::LocalCluster cluster({.n_workers = 1, .threads_per_worker = 1, .processes = false});
    loom::Client client(cluster);
    EXPECT_ERROR_CONTAINS(loom::init(), loom::ConfigError, "loom::Client");
    EXPECT_FALSE(loom::is_initialized());
  }
  loom::init({.num_cpus = 1});
  {
    loom::LocalCluster cluster({.n_workers = 1, .threads_per_worker = 1, .processes = false});
    EXPECT_ERROR_CONTAINS(loom::Client client(cluster), loom::ConfigError, "loom::init()");
  }
  loom::shutdown();
}

TEST_F(Clients, ResourceRequestsAWorkerCannotMeetFailAtSubmit) {
  loom::LocalCluster cluster({.n_workers = 2, .threads_per_worker = 2, .processes = false});
  loom::Client client(cluster);
  EXPECT_ERROR_CONTAINS((void)loom::task(square).options({.num_cpus = 3}).remote(1),
                        loom::ResourceError, "num_cpus = 3");
  EXPECT_EQ(loom::get(loom::task(square).options({.num_cpus = 2}).remote(4)), 16);
}

}  // namespace
