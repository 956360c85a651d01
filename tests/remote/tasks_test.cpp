// Remote tasks: results against a sequential reference, dependencies, errors, retries, cancel.
#include <atomic>
#include <chrono>
#include <numeric>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "../support/expect_error.hpp"

#include "loom/remote.hpp"

using namespace std::chrono_literals;

namespace {

int square(int x) { return x * x; }
int add(int a, int b) { return a + b; }

}  // namespace

LOOM_REMOTE(square);
LOOM_REMOTE(add);

namespace {

class Remote : public ::testing::Test {
 protected:
  void SetUp() override { loom::init({.num_cpus = 2}); }
  void TearDown() override { loom::shutdown(); }
};

TEST_F(Remote, SquareTasksMatchSequential) {
  auto sq = loom::task([](int x) { return x * x; });
  std::vector<loom::ObjectRef<int>> refs;
  for (int i = 0; i < 1000; ++i) refs.push_back(sq.remote(i));
  std::vector<int> got = loom::get(refs);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(got[i], i * i);
  EXPECT_EQ(loom::get(sq.remote(3)), 9);
}

TEST_F(Remote, DependencyChainPassesStoredValues) {
  auto preprocess = loom::task([](const std::vector<double>& raw) {
    std::vector<double> out(raw);
    for (double& x : out) x *= 2;
    return out;
  });
  auto train = loom::task([](const std::vector<double>& data) {
    return std::accumulate(data.begin(), data.end(), 0.0);
  });
  auto evaluate = loom::task([](double model, const std::vector<double>& test) {
    return model + static_cast<double>(test.size());
  });
  const std::vector<double> test{1, 2, 3};
  std::vector<loom::ObjectRef<double>> metrics;
  for (int k = 0; k < 5; ++k) {
    auto raw = loom::put(std::vector<double>(10, k));
    metrics.push_back(evaluate.remote(train.remote(preprocess.remote(raw)), test));
  }
  for (int k = 0; k < 5; ++k) EXPECT_DOUBLE_EQ(loom::get(metrics[k]), 20.0 * k + 3);
}

TEST_F(Remote, ConstRefParameterGetsTheStoredObjectItself) {
  auto big = loom::put(std::vector<int>(1000, 7));
  const std::vector<int>* stored = loom::get_ptr(big).get();
  auto address = loom::task([](const std::vector<int>& v) { return &v; });
  std::vector<loom::ObjectRef<const std::vector<int>*>> refs;
  for (int i = 0; i < 10; ++i) refs.push_back(address.remote(big));
  for (auto* p : loom::get(refs)) EXPECT_EQ(p, stored);
}

TEST_F(Remote, ExceptionBecomesTaskErrorNamingTheTask) {
  auto fail = loom::task([](int x) -> int {
                throw std::runtime_error("bad input " + std::to_string(x));
              }).options({.name = "parse", .max_retries = 3});
  auto ref = fail.remote(5);
  EXPECT_ERROR((void)loom::get(ref), loom::TaskError, [](const loom::TaskError& e) {
    EXPECT_NE(std::string(e.what()).find("parse #"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("bad input 5"), std::string::npos) << e.what();
    EXPECT_THROW(std::rethrow_if_nested(e), std::runtime_error);
  });
  // A dependent task fails with the same error, without running.
  std::atomic<int> ran{0};
  auto next = loom::task([&ran](int x) {
    ++ran;
    return x;
  });
  EXPECT_THROW((void)loom::get(next.remote(ref)), loom::TaskError);
  EXPECT_EQ(ran.load(), 0);
}

TEST_F(Remote, RetriesAfterExceptionsUntilSuccess) {
  std::atomic<int> attempts{0};
  auto flaky = loom::task([&attempts](int x) {
                 if (attempts.fetch_add(1) < 2) throw std::runtime_error("transient");
                 return x + 1;
               }).options({.max_retries = 3, .retry_exceptions = true});
  EXPECT_EQ(loom::get(flaky.remote(41)), 42);
  EXPECT_EQ(attempts.load(), 3);
}

TEST_F(Remote, FinalFailureListsEveryAttempt) {
  std::atomic<int> attempts{0};
  auto always = loom::task([&attempts]() -> int {
                  throw std::runtime_error("try " + std::to_string(attempts.fetch_add(1) + 1));
                }).options({.name = "always", .max_retries = 2, .retry_exceptions = true});
  EXPECT_ERROR_CONTAINS((void)loom::get(always.remote()), loom::TaskError, "after 3 attempts",
                        "try 1", "try 3");
  EXPECT_EQ(attempts.load(), 3);
}

TEST_F(Remote, RetryOnOnlyRetriesTheNamedExceptions) {
  std::atomic<int> attempts{0};
  auto picky =
      loom::task([&attempts]() -> int {
        ++attempts;
        throw std::logic_error("not retried");
      }).options({.max_retries = 3, .retry_exceptions = loom::retry_on<std::runtime_error>()});
  EXPECT_THROW((void)loom::get(picky.remote()), loom::TaskError);
  EXPECT_EQ(attempts.load(), 1);
  std::atomic<int> runtime_attempts{0};
  auto retried =
      loom::task([&runtime_attempts]() -> int {
        if (++runtime_attempts < 3) throw std::range_error("derived from runtime_error");
        return 1;
      }).options({.max_retries = 3, .retry_exceptions = loom::retry_on<std::runtime_error>()});
  EXPECT_EQ(loom::get(retried.remote()), 1);
  EXPECT_EQ(runtime_attempts.load(), 3);
}

TEST_F(Remote, NoRetriesForExceptionsByDefault) {
  std::atomic<int> attempts{0};
  auto once = loom::task([&attempts]() -> int {
    ++attempts;
    throw std::runtime_error("x");
  });
  EXPECT_THROW((void)loom::get(once.remote()), loom::TaskError);
  EXPECT_EQ(attempts.load(), 1);
}

TEST_F(Remote, GetTimeoutLeavesTheTaskRunning) {
  std::atomic<bool> release{false};
  auto slow = loom::task([&release]() {
    while (!release.load()) std::this_thread::sleep_for(1ms);
    return 5;
  });
  auto ref = slow.remote();
  EXPECT_THROW((void)loom::get(ref, {.timeout = 20ms}), loom::Timeout);
  release = true;
  EXPECT_EQ(loom::get(ref), 5);
}

TEST_F(Remote, WaitReturnsReadyAndPending) {
  std::atomic<bool> release{false};
  auto slow = loom::task([&release](int x) {
    while (!release.load()) std::this_thread::sleep_for(1ms);
    return x;
  });
  auto fast = loom::task([](int x) { return x; });
  std::vector<loom::ObjectRef<int>> refs{slow.remote(1), fast.remote(2), fast.remote(3)};
  auto [ready, pending] = loom::wait(refs, {.num_returns = 2});
  ASSERT_EQ(ready.size(), 2U);
  ASSERT_EQ(pending.size(), 1U);
  EXPECT_EQ(pending[0], refs[0]);
  auto [r2, p2] = loom::wait(refs, {.num_returns = 3, .timeout = 20ms});
  EXPECT_EQ(r2.size(), 2U);
  EXPECT_EQ(p2.size(), 1U);
  release = true;
  auto [r3, p3] = loom::wait(refs, {.num_returns = 3});
  EXPECT_EQ(r3.size(), 3U);
  EXPECT_TRUE(p3.empty());
}

TEST_F(Remote, WaitForMoreRefsThanGivenIsAnError) {
  auto fast = loom::task([](int x) { return x; });
  std::vector<loom::ObjectRef<int>> refs{fast.remote(1), fast.remote(2), fast.remote(3)};
  EXPECT_THROW((void)loom::wait(refs, {.num_returns = 4}), loom::Error);
}

TEST_F(Remote, CancelQueuedAndRunningTasks) {
  std::atomic<bool> started{false};
  auto spin = loom::task([&started]() {
                started = true;
                while (!loom::current_task().stop_requested()) std::this_thread::sleep_for(1ms);
                return 1;
              }).options({.num_cpus = 2});
  auto running = spin.remote();
  while (!started.load()) std::this_thread::sleep_for(1ms);
  std::atomic<int> ran{0};
  auto queued_task = loom::task([&ran]() { return ++ran; });
  auto queued = queued_task.remote();  // waits: the spinning task holds both CPUs
  loom::cancel(queued);
  loom::cancel(running);
  EXPECT_THROW((void)loom::get(running), loom::Cancelled);
  EXPECT_THROW((void)loom::get(queued), loom::Cancelled);
  EXPECT_EQ(ran.load(), 0);
}

TEST_F(Remote, CancelOfAFinishedTaskDoesNothing) {
  std::atomic<int> ran{0};
  auto queued_task = loom::task([&ran]() { return ++ran; });
  auto done = queued_task.remote();
  EXPECT_EQ(loom::get(done), 1);
  loom::cancel(done);  // finished: nothing happens
  EXPECT_EQ(loom::get(done), 1);
}

TEST_F(Remote, RegisteredFunctionsByName) {
  auto sq = loom::task_named<int(int)>("square");
  EXPECT_EQ(loom::get(sq.remote(7)), 49);
  EXPECT_EQ(sq.name(), "square");
  EXPECT_EQ(loom::task(square).name(), "square");
  EXPECT_EQ(loom::get(loom::task_named<int(int, int)>("add").remote(2, 3)), 5);
  EXPECT_THROW((void)loom::task_named<int(double)>("square"), loom::ConfigError);
  EXPECT_THROW((void)loom::task_named<int(int)>("nope"), loom::ConfigError);
}

TEST_F(Remote, NestedTasksDoNotDeadlock) {
  // Every task waits for a child while holding the runtime's only CPUs: waiting lends them.
  auto leaf = loom::task([](int x) { return x + 1; });
  auto parent = loom::task([leaf](int x) { return loom::get(leaf.remote(x)) * 2; });
  std::vector<loom::ObjectRef<int>> refs;
  for (int i = 0; i < 20; ++i) refs.push_back(parent.remote(i));
  for (int i = 0; i < 20; ++i) EXPECT_EQ(loom::get(refs[i]), (i + 1) * 2);
}

// Refs from two tasks and a put feed one task (fan-in), each converted to its parameter's type.
TEST_F(Remote, RefsAsArgumentsAreConvertedToTheParameterTypes) {
  auto sq = loom::task([](int x) { return x * x; });
  auto add3 = loom::task([](int a, const int& b, double c) { return a + b + c; });
  auto a = sq.remote(2);
  auto b = sq.remote(3);
  EXPECT_DOUBLE_EQ(loom::get(add3.remote(a, b, loom::put(5))), 18.0);  // ObjectRef<int> -> double
}

TEST_F(Remote, OptionsWithoutArgumentsKeepsTheDefaults) {
  auto sq = loom::task([](int x) { return x * x; });
  EXPECT_EQ(loom::get(sq.options().remote(4)), 16);  // options() with {} omitted
}

TEST_F(Remote, GetOfManyWithATimeout) {
  std::atomic<bool> release{false};
  auto slow = loom::task([&release](int x) {
    while (!release.load()) std::this_thread::sleep_for(1ms);
    return x;
  });
  std::vector<loom::ObjectRef<int>> refs{loom::put(1), slow.remote(2)};
  EXPECT_THROW((void)loom::get(refs, {.timeout = 30ms}), loom::Timeout);
  release = true;
  EXPECT_EQ(loom::get(refs, {.timeout = 10s}), (std::vector<int>{1, 2}));
}

TEST_F(Remote, WaitAndTimedGetInsideTasksLendTheirCpus) {
  // Each parent holds one of the two CPUs while it waits for its children: without lending,
  // the children could never start.
  auto leaf = loom::task([](int x) { return x; });
  auto parent_wait = loom::task([leaf](int n) {
    std::vector<loom::ObjectRef<int>> kids;
    for (int i = 0; i < n; ++i) kids.push_back(leaf.remote(i));
    auto [ready, pending] = loom::wait(kids, {.num_returns = kids.size()});
    return static_cast<int>(ready.size());
  });
  auto parent_get =
      loom::task([leaf](int x) { return loom::get(leaf.remote(x), {.timeout = 10s}); });
  std::vector<loom::ObjectRef<int>> waits{parent_wait.remote(5), parent_wait.remote(5)};
  std::vector<loom::ObjectRef<int>> gets{parent_get.remote(1), parent_get.remote(2)};
  EXPECT_EQ(loom::get(waits, {.timeout = 20s}), (std::vector<int>{5, 5}));
  EXPECT_EQ(loom::get(gets, {.timeout = 20s}), (std::vector<int>{1, 2}));
}

TEST_F(Remote, VoidTasks) {
  std::atomic<int> count{0};
  auto bump = loom::task([&count](int n) { count += n; });
  std::vector<loom::ObjectRef<void>> refs;
  for (int i = 1; i <= 10; ++i) refs.push_back(bump.remote(i));
  loom::get(refs);
  EXPECT_EQ(count.load(), 55);
}

TEST_F(Remote, EmptyRefIsAnError) {
  loom::ObjectRef<int> empty;
  EXPECT_THROW((void)loom::get(empty), loom::Error);
  auto id = loom::task([](int x) { return x; });
  EXPECT_THROW((void)id.remote(empty), loom::Error);
}

TEST(RemoteRuntime, InitTwiceIsAnError) {
  loom::init({.num_cpus = 1});
  EXPECT_THROW(loom::init(), loom::Error);
  EXPECT_TRUE(loom::is_initialized());
  loom::shutdown();
}

TEST(RemoteRuntime, RepeatedShutdownsLeaveTheRuntimeStopped) {
  loom::init({.num_cpus = 1});
  loom::shutdown();
  EXPECT_FALSE(loom::is_initialized());
  loom::shutdown();  // twice: nothing
}

TEST(RemoteRuntime, ARuntimeObjectRestartsAfterShutdownForItsScope) {
  loom::init({.num_cpus = 1});
  loom::shutdown();
  loom::shutdown();
  {
    loom::Runtime rt({.num_cpus = 3});
    EXPECT_EQ(loom::get(loom::task([] { return 1; }).remote()), 1);
  }
  EXPECT_FALSE(loom::is_initialized());
}

TEST(RemoteRuntime, BadInitOptionsAreConfigErrors) {
  EXPECT_THROW(loom::init({.num_cpus = 0}), loom::ConfigError);
  EXPECT_THROW(loom::init({.num_cpus = 2, .mode = "cluster"}), loom::ConfigError);
  EXPECT_THROW(loom::init({.resources = {{"disk", -1}}}), loom::ConfigError);
}

TEST(RemoteRuntime, ATaskWithoutInitStartsARuntimeWithTheDefaults) {
  // Without init, a task starts a runtime with the defaults (as Ray).
  EXPECT_EQ(loom::get(loom::task([] { return 2; }).remote()), 2);
  EXPECT_TRUE(loom::is_initialized());
  loom::shutdown();
}

TEST(RemoteRuntime, ShutdownCancelsQueuedTasks) {
  loom::init({.num_cpus = 1});
  std::atomic<bool> started{false};
  auto block = loom::task([&started] {
    started = true;
    while (!loom::current_task().stop_requested()) std::this_thread::sleep_for(1ms);
    return 0;
  });
  auto running = block.remote();
  auto queued = loom::task([] { return 1; }).remote();
  while (!started.load()) std::this_thread::sleep_for(1ms);
  loom::shutdown();
  EXPECT_THROW((void)loom::get(running), loom::Cancelled);
  EXPECT_THROW((void)loom::get(queued), loom::Cancelled);
}

// Remote functions come from task() and task_named() only: no user builds one around a
// worker entry of its own.
int plus_one(int x) { return x + 1; }
TEST(RemoteTasks, RemoteFunctionsAreMadeByTask) {
  using Function = int (*)(int);
  static_assert(!std::is_constructible_v<loom::RemoteFunction<Function>, Function>);
  static_assert(
      !std::is_constructible_v<loom::RemoteFunction<Function>, Function, std::string,
                               loom::detail::WorkerThunk>);
  EXPECT_EQ(loom::get(loom::task(&plus_one).remote(2)), 3);
  loom::shutdown();  // the task started a default runtime: stop it for the tests after this one
}

}  // namespace
