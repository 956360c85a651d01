// Scheduling: errors and cancellation, nested computes, deep chains, thread counts.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <oneapi/tbb/task_arena.h>

#include "../support/expect_error.hpp"

#include "loom/core.hpp"

namespace {

// The graph node behind a handle (the tests look at node ids and states).
template <class Scalar>
loom::detail::NodeBase* node_of(const loom::Delayed<Scalar>& d) {
  return loom::detail::DelayedAccess::node(d);
}

using namespace std::chrono_literals;

TEST(Errors, ThrowingTaskBecomesTaskErrorNamingIt) {
  auto bad = loom::delayed([](int) -> int { throw std::runtime_error("boom"); }, "explode")(1);
  auto after = loom::delayed([](int v) { return v + 1; })(bad);
  EXPECT_ERROR((void)after.compute(), loom::TaskError, [](const loom::TaskError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("explode"), std::string::npos) << what;
    EXPECT_NE(what.find("std::runtime_error"), std::string::npos) << what;
    EXPECT_NE(what.find("boom"), std::string::npos) << what;
    EXPECT_EQ(e.task_name().rfind("explode #", 0), 0U) << e.task_name();
    EXPECT_ERROR(std::rethrow_if_nested(e), std::runtime_error,
                 [](const std::runtime_error& original) { EXPECT_STREQ(original.what(), "boom"); });
  });
  EXPECT_TRUE(bad.done());
  EXPECT_THROW((void)bad.compute(), loom::TaskError);  // a failed node keeps its error
}

TEST(Errors, NonStandardExceptionsAreWrappedToo) {
  auto bad = loom::delayed([]() -> int { throw 42; })();
  EXPECT_ERROR((void)bad.compute(), loom::TaskError, [](const loom::TaskError& e) {
    EXPECT_NE(std::string(e.what()).find("int"), std::string::npos) << e.what();
    EXPECT_ERROR(std::rethrow_if_nested(e), int, [](int v) { EXPECT_EQ(v, 42); });
  });
}

TEST(Errors, FailureCancelsTasksNotYetStartedAndStopsRunningOnes) {
  loom::config::Scope threads({{"scheduler.num_threads", "2"}});
  std::atomic<bool> gate_started{false};
  std::atomic<bool> gate_saw_stop{false};
  std::atomic<int> started{0};
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  // `gate` runs while `fail` throws, and waits (cooperatively) for the stop request that the
  // failure sends; the tasks that depend on it must then never start.
  auto gate = loom::delayed([&] {
    gate_started = true;
    while (!loom::current_task().stop_requested() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(1ms);
    }
    gate_saw_stop = loom::current_task().stop_requested();
    return true;
  })();
  auto fail = loom::delayed(
      [&]() -> bool {
        while (!gate_started && std::chrono::steady_clock::now() < deadline) {
          std::this_thread::sleep_for(1ms);
        }
        throw std::logic_error("first failure");
      },
      "fail")();
  std::vector<loom::Delayed<int>> roots;
  for (int i = 0; i < 100; ++i) {
    roots.push_back(loom::delayed([&](bool, int v) {
      ++started;
      return v;
    })(gate, i));
  }
  roots.push_back(loom::delayed([](bool) { return 0; })(fail));
  EXPECT_THROW((void)loom::compute(roots), loom::TaskError);
  EXPECT_TRUE(gate_saw_stop.load());
  EXPECT_EQ(started.load(), 0);
}

TEST(Errors, CancelledTasksCanBeComputedLater) {
  loom::config::Scope threads({{"scheduler.num_threads", "1"}});
  std::atomic<int> calls{0};
  auto fail = loom::delayed([]() -> int { throw std::runtime_error("no"); })();
  auto dep = loom::delayed([](int) { return 1; })(fail);
  std::vector<loom::Delayed<int>> independent;
  for (int i = 0; i < 10; ++i) {
    independent.push_back(loom::delayed([&](int v) {
      ++calls;
      return v;
    })(i));
  }
  std::vector<loom::Delayed<int>> roots = independent;
  roots.push_back(dep);  // `fail` is spawned last: with one thread it runs first
  EXPECT_THROW((void)loom::compute(roots), loom::TaskError);
  EXPECT_EQ(calls.load(), 0);  // all ten were cancelled before they started
  std::vector<int> expected = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  EXPECT_EQ(loom::compute(independent), expected);  // cancelled ones run now
  EXPECT_EQ(calls.load(), 10);
}

TEST(Errors, CancelledDependencyIsComputedAgainForANewValue) {
  loom::config::Scope threads({{"scheduler.num_threads", "1"}});
  auto fail = loom::delayed([]() -> int { throw std::runtime_error("fail-task"); }, "fail")();
  auto b = loom::delayed([] { return 5; }, "b")();
  auto x = loom::delayed([](int p, int q) { return p + q; })(fail, b);
  EXPECT_THROW((void)x.compute(), loom::TaskError);
  ASSERT_EQ(node_of(b)->state(), loom::detail::NodeState::cancelled);
  auto y = loom::delayed([](int q) { return q * 2; })(b);  // does not depend on `fail`
  EXPECT_EQ(y.compute(), 10);
  EXPECT_EQ(b.compute(), 5);
  EXPECT_THROW((void)x.compute(), loom::TaskError);  // x's own failure stays
}

TEST(Errors, ExecutorStaysUsableAfterAFailure) {
  for (int round = 0; round < 20; ++round) {
    auto bad = loom::delayed([]() -> int { throw std::runtime_error("x"); })();
    EXPECT_THROW((void)bad.compute(), loom::TaskError);
    auto good = loom::delayed([](int v) { return v * 2; })(round);
    EXPECT_EQ(good.compute(), round * 2);
  }
}

TEST(Errors, OneFailingRootFailsTheWholeCompute) {
  auto ok = loom::delayed([] { return 1; })();
  auto bad = loom::delayed([]() -> int { throw std::runtime_error("bad root"); }, "bad")();
  EXPECT_ERROR_CONTAINS((void)loom::compute(ok, bad), loom::TaskError, "bad root");
}

// A task that computes another graph: with one thread, the waiting task must help.
int nested_sum(int n) {
  std::vector<loom::Delayed<int>> parts;
  for (int i = 0; i < n; ++i) parts.push_back(loom::delayed([](int x) { return x; })(i));
  auto total = loom::delayed([](const std::vector<int>& v) {
    int s = 0;
    for (int x : v) s += x;
    return s;
  })(loom::compute(parts));
  return total.compute();
}

TEST(Nested, ComputeInsideATaskWithOneThreadDoesNotDeadlock) {
  loom::config::Scope threads({{"scheduler.num_threads", "1"}});
  std::vector<loom::Delayed<int>> outer;
  for (int i = 1; i <= 20; ++i) outer.push_back(loom::delayed(nested_sum)(i));
  std::vector<int> expected;
  for (int i = 1; i <= 20; ++i) expected.push_back(i * (i - 1) / 2);
  EXPECT_EQ(loom::compute(outer), expected);
}

TEST(Nested, TaskWaitingForANodeQueuedByTheOuterCompute) {
  loom::config::Scope threads({{"scheduler.num_threads", "1"}});
  auto shared = loom::delayed([] { return 100; })();
  std::vector<loom::Delayed<int>> roots;
  for (int i = 0; i < 10; ++i) {
    // Each task computes `shared`, which the outer compute claimed too.
    roots.push_back(loom::delayed([shared](int v) { return shared.compute() + v; })(i));
  }
  roots.push_back(shared);
  std::vector<int> expected;
  for (int i = 0; i < 10; ++i) expected.push_back(100 + i);
  expected.push_back(100);
  EXPECT_EQ(loom::compute(roots), expected);
}

TEST(Nested, NestedComputeStaysInTheCallersArena) {
  // The outer graph runs in a 3-thread arena; the global one has another size.
  loom::config::Scope threads({{"scheduler.num_threads", "2"}});
  auto probe = loom::delayed([] {
    auto inner = loom::delayed([] { return tbb::this_task_arena::max_concurrency(); })();
    return inner.compute();
  })();
  int seen = 0;
  loom::Executor::with_threads(3).run([&] { seen = probe.compute(); });
  EXPECT_EQ(seen, 3);
}

TEST(Nested, SiblingsComputingEachOtherWhileOneRunsDoNotDeadlock) {
  // t1 waits (nested) for `slow`, running on the other thread; t2 computes t1. A helping wait
  // in t1 could pick up t2, which would then wait for t1 lower on its own stack.
  loom::config::Scope threads({{"scheduler.num_threads", "2"}});
  std::atomic<bool> slow_started{false};
  auto slow = loom::delayed([&] {
    slow_started = true;
    std::this_thread::sleep_for(50ms);
    return 1;
  })();
  auto t1 = loom::delayed([&](int) {
    while (!slow_started) std::this_thread::yield();
    return slow.compute() + 10;
  })(0);
  auto t2 = loom::delayed([&](int) { return t1.compute() + 100; })(0);
  auto [a, b, c] = loom::compute(slow, t1, t2);
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 11);
  EXPECT_EQ(c, 111);
}

TEST(Nested, CurrentTaskIsRestoredAfterANestedCompute) {
  auto outer = loom::delayed(
      [] {
        auto inner = loom::delayed([] { return 1; })();
        (void)inner.compute();
        return std::string(loom::current_task().name());
      },
      "outer")();
  EXPECT_EQ(outer.compute(), "outer");
}

TEST(Chains, MillionLongChainComputesAndDestroysWithoutRecursion) {
  auto step = loom::delayed([](std::int64_t v) { return v + 1; });
  loom::Delayed<std::int64_t> d = loom::delayed([] { return std::int64_t{0}; })();
  for (int i = 0; i < 1'000'000; ++i) d = step(d);
  EXPECT_EQ(d.graph().size(), 1'000'001U);
  EXPECT_EQ(d.compute(), 1'000'000);
}

TEST(Chains, UncomputedMillionLongChainIsDestroyedWithoutRecursion) {
  auto step = loom::delayed([](int v) { return v + 1; });
  loom::Delayed<int> d = loom::delayed([] { return 0; })();
  for (int i = 0; i < 1'000'000; ++i) d = step(d);
  d = loom::Delayed<int>();  // drops the whole chain
  SUCCEED();
}

TEST(Chains, WideFanInMatchesSequentialSum) {
  std::vector<loom::Delayed<std::int64_t>> leaves;
  for (int i = 0; i < 10000; ++i) {
    leaves.push_back(loom::delayed([](std::int64_t x) { return x * x; })(std::int64_t{i}));
  }
  // Binary tree reduction.
  while (leaves.size() > 1) {
    std::vector<loom::Delayed<std::int64_t>> next;
    for (std::size_t i = 0; i + 1 < leaves.size(); i += 2) {
      next.push_back(loom::delayed([](std::int64_t a, std::int64_t b) { return a + b; })(
          leaves[i], leaves[i + 1]));
    }
    if (leaves.size() % 2 == 1) next.push_back(leaves.back());
    leaves = std::move(next);
  }
  std::int64_t expected = 0;
  for (std::int64_t i = 0; i < 10000; ++i) expected += i * i;
  EXPECT_EQ(leaves[0].compute(), expected);
}

TEST(Executor, EffectiveNJobsFollowsJoblib) {
  const int cpus = loom::cpu_count();
  EXPECT_GE(cpus, 1);
  EXPECT_EQ(loom::effective_n_jobs(1), 1);
  EXPECT_EQ(loom::effective_n_jobs(7), 7);
  EXPECT_EQ(loom::effective_n_jobs(-1), cpus);
  EXPECT_EQ(loom::effective_n_jobs(-2), std::max(cpus - 1, 1));
  EXPECT_EQ(loom::effective_n_jobs(-1000), 1);
  EXPECT_THROW((void)loom::effective_n_jobs(0), loom::ConfigError);
}

TEST(Executor, ArenasHaveTheAskedSizeEvenAboveTheCores) {
  for (int n : {1, 3}) {
    int seen = 0;
    loom::Executor::with_threads(n).run([&] { seen = tbb::this_task_arena::max_concurrency(); });
    EXPECT_EQ(seen, n);
    EXPECT_EQ(&loom::Executor::with_threads(n), &loom::Executor::with_threads(n));
  }
  EXPECT_THROW((void)loom::Executor::with_threads(0), loom::ConfigError);
}

TEST(Executor, MoreThreadsThanCoresReallyRunAtOnce) {
  // `big` tasks that each wait until all `big` have started: only possible with `big` threads.
  const int big = loom::cpu_count() * 2 + 1;
  std::atomic<int> arrived{0};
  std::atomic<int> met{0};
  std::vector<loom::Delayed<void>> tasks;
  for (int i = 0; i < big; ++i) {
    tasks.push_back(loom::delayed([&, big] {
      ++arrived;
      const auto deadline = std::chrono::steady_clock::now() + 10s;
      while (arrived.load() < big && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(1ms);
      }
      if (arrived.load() >= big) ++met;
    })());
  }
  loom::Executor::with_threads(big).run([&] { loom::compute(tasks); });
  EXPECT_EQ(met.load(), big);
}

TEST(Executor, GlobalFollowsConfigThenEnvironment) {
  {
    loom::config::Scope threads({{"scheduler.num_threads", "3"}});
    EXPECT_EQ(loom::Executor::global().num_threads(), 3);
  }
  if (const char* env = std::getenv("LOOM_NUM_THREADS")) {
    EXPECT_EQ(loom::Executor::global().num_threads(), std::atoi(env));
  } else {
    EXPECT_EQ(loom::Executor::global().num_threads(), loom::cpu_count());
  }
}

TEST(CurrentTask, OutsideATaskIsAnError) {
  EXPECT_FALSE(loom::in_task());
  EXPECT_THROW((void)loom::current_task(), loom::Error);
}

TEST(CurrentTask, InsideATaskGivesItsName) {
  auto d = loom::delayed([] { return std::string(loom::current_task().name()); }, "named")();
  EXPECT_EQ(d.compute(), "named");
  auto stop = loom::delayed([] { return loom::current_task().stop_requested(); })();
  EXPECT_FALSE(stop.compute());
}

}  // namespace

namespace {

TEST(Inline, InlineScopeRunsTheGraphOnTheCallingThread) {
  const auto caller = std::this_thread::get_id();
  std::vector<loom::Delayed<bool>> on_caller;
  for (int i = 0; i < 50; ++i) {
    on_caller.push_back(
        loom::delayed([caller](int) { return std::this_thread::get_id() == caller; })(i));
  }
  loom::detail::InlineScope scope;
  EXPECT_TRUE(loom::detail::computes_inline());
  const std::vector<bool> results = loom::compute(on_caller);
  EXPECT_EQ(results.size(), 50U);
  EXPECT_TRUE(std::all_of(results.begin(), results.end(), [](bool b) { return b; }));
}

TEST(Inline, InlineComputeWaitsForANodeAPoolComputeIsRunning) {
  std::atomic<bool> release{false};
  auto slow = loom::delayed([&] {
    while (!release) std::this_thread::yield();
    return 7;
  })();
  auto plus = loom::delayed([](int v) { return v + 1; })(slow);
  std::thread pool_user([&] { EXPECT_EQ(slow.compute(), 7); });
  while (node_of(slow)->state() != loom::detail::NodeState::running) std::this_thread::yield();
  std::thread releaser([&] {
    std::this_thread::sleep_for(20ms);
    release = true;
  });
  {
    loom::detail::InlineScope scope;
    EXPECT_EQ(plus.compute(), 8);
  }
  pool_user.join();
  releaser.join();
}

TEST(Inline, ADiamondRunsItsSharedNodeOnceAsInThePool) {
  loom::detail::InlineScope scope;
  std::atomic<int> calls{0};
  auto top = loom::delayed([&] { return ++calls; })();
  auto l = loom::delayed([](int v) { return v + 1; })(top);
  auto r = loom::delayed([](int v) { return v + 2; })(top);
  auto d = loom::delayed([](int a, int b) { return a + b; })(l, r);
  EXPECT_EQ(d.compute(), 5);
  EXPECT_EQ(calls.load(), 1);
}

TEST(Inline, ThrowingTaskBecomesTaskErrorAsInThePool) {
  loom::detail::InlineScope scope;
  std::atomic<int> calls{0};
  auto top = loom::delayed([&] { return ++calls; })();
  auto l = loom::delayed([](int v) { return v + 1; })(top);
  auto r = loom::delayed([](int v) { return v + 2; })(top);
  auto d = loom::delayed([](int a, int b) { return a + b; })(l, r);
  auto bad = loom::delayed([](int) -> int { throw std::runtime_error("inline boom"); })(d);
  EXPECT_THROW((void)bad.compute(), loom::TaskError);
}

}  // namespace
