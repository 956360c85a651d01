// loom::Parallel: every backend against a sequential reference, errors, crashes, timeouts,
// generators, progress, nesting and options.
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <list>
#include <mutex>
#include <numeric>
#include <set>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <gtest/gtest.h>
#include <oneapi/tbb/task_arena.h>

#include "../support/expect_error.hpp"
#include "core/worker_process.hpp"
#include "loom/loom.hpp"

namespace {

using namespace std::chrono_literals;

int tbb_max_concurrency() { return tbb::this_task_arena::max_concurrency(); }

std::vector<double> sequential_squares(const std::vector<int>& xs) {
  std::vector<double> out;
  for (int x : xs) out.push_back(std::sqrt(static_cast<double>(x)) * x);
  return out;
}

std::vector<int> iota(int n) {
  std::vector<int> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), 0);
  return v;
}

double work(int x) { return std::sqrt(static_cast<double>(x)) * x; }

class EveryBackend : public ::testing::TestWithParam<const char*> {};

TEST_P(EveryBackend, GivesTheSequentialResultForEverySize) {
  for (int n : {0, 1, 7, 1000}) {
    const auto xs = iota(n);
    std::vector<double> r = loom::Parallel({.n_jobs = 2, .backend = GetParam()})(xs, work);
    EXPECT_EQ(r, sequential_squares(xs)) << "n = " << n;
  }
}

TEST_P(EveryBackend, DelayedCallsGiveTheSequentialResult) {
  const auto xs = iota(300);
  std::vector<double> r = loom::Parallel({.n_jobs = 2, .backend = GetParam()})(
      loom::each(xs, [](int x) { return loom::delayed(work)(x); }));
  EXPECT_EQ(r, sequential_squares(xs));
  std::vector<double> r2 =
      loom::Parallel({.n_jobs = 2, .backend = GetParam()})(loom::each(xs, work));
  EXPECT_EQ(r2, sequential_squares(xs));
  std::vector<loom::Delayed<double>> calls;
  for (int x : xs) calls.push_back(loom::delayed(work)(x));
  std::vector<double> r3 = loom::Parallel({.n_jobs = 2, .backend = GetParam()})(calls);
  EXPECT_EQ(r3, sequential_squares(xs));
}

TEST_P(EveryBackend, FixedAndAutoBatchesGiveTheSameResult) {
  const auto xs = iota(500);
  const std::vector<std::variant<loom::AutoBatch, std::int64_t>> sizes = {loom::auto_batch, 1, 7,
                                                                          100, 1000};
  for (const auto& batch : sizes) {
    std::vector<double> r =
        loom::Parallel({.n_jobs = 2, .backend = GetParam(), .batch_size = batch})(xs, work);
    EXPECT_EQ(r, sequential_squares(xs))
        << "batch_size = "
        << (batch.index() == 0 ? "auto" : std::to_string(std::get<std::int64_t>(batch)));
  }
}

TEST_P(EveryBackend, ExceptionBecomesTaskErrorNamingTheIndex) {
  const auto xs = iota(100);
  const auto run = [&] {
    (void)loom::Parallel({.n_jobs = 2, .backend = GetParam(), .batch_size = std::int64_t{4}})(
        xs, [](int x) -> int {
          if (x == 37) throw std::invalid_argument("bad item 37");
          return x;
        });
  };
  EXPECT_ERROR(run(), loom::TaskError, [](const loom::TaskError& e) {
    EXPECT_EQ(e.index(), std::optional<std::size_t>(37));
    const std::string what = e.what();
    EXPECT_NE(what.find("call 37"), std::string::npos) << what;
    EXPECT_NE(what.find("std::invalid_argument"), std::string::npos) << what;
    EXPECT_NE(what.find("bad item 37"), std::string::npos) << what;
    EXPECT_ERROR_CONTAINS(std::rethrow_if_nested(e), std::exception, "bad item 37");
  });
  // The pool (or the workers) are fine afterwards.
  std::vector<double> r = loom::Parallel({.n_jobs = 2, .backend = GetParam()})(xs, work);
  EXPECT_EQ(r, sequential_squares(xs));
}

TEST_P(EveryBackend, StringsAndContainersComeBack) {
  const auto xs = iota(50);
  std::vector<std::vector<std::string>> r =
      loom::Parallel({.n_jobs = 2, .backend = GetParam()})(xs, [](int x) {
        return std::vector<std::string>(static_cast<std::size_t>(x % 3), std::to_string(x));
      });
  ASSERT_EQ(r.size(), 50U);
  for (int x = 0; x < 50; ++x) {
    EXPECT_EQ(r[x], std::vector<std::string>(static_cast<std::size_t>(x % 3), std::to_string(x)));
  }
}

TEST_P(EveryBackend, OrderedGeneratorYieldsEveryItemInOrder) {
  const auto xs = iota(200);
  std::vector<double> seen;
  for (double& v :
       loom::Parallel({.n_jobs = 2, .backend = GetParam(), .return_as = loom::ReturnAs::generator})(
           xs, work)) {
    seen.push_back(v);
  }
  EXPECT_EQ(seen, sequential_squares(xs));
}

TEST_P(EveryBackend, UnorderedGeneratorYieldsEveryItemOnce) {
  const auto xs = iota(200);
  std::multiset<int> seen;
  for (int v : loom::Parallel(
           {.n_jobs = 2, .backend = GetParam(), .return_as = loom::ReturnAs::generator_unordered})(
           xs, [](int x) { return x; })) {
    seen.insert(v);
  }
  EXPECT_EQ(seen, std::multiset<int>(xs.begin(), xs.end()));
}

TEST_P(EveryBackend, GeneratorErrorsAreThrownWhileIterating) {
  const auto xs = iota(50);
  auto result = loom::Parallel(
      {.n_jobs = 2, .backend = GetParam(), .return_as = loom::ReturnAs::generator})(xs, [](int x) {
    if (x == 10) throw std::runtime_error("ten");
    return x;
  });
  EXPECT_THROW(
      {
        for (int v : result) (void)v;
      },
      loom::TaskError);
}

INSTANTIATE_TEST_SUITE_P(Parallel, EveryBackend,
                         ::testing::Values("threads", "processes", "sequential"));

TEST(Parallel, JoblibBackendNamesAreAliases) {
  const auto xs = iota(20);
  for (const char* name : {"threading", "loky", "multiprocessing"}) {
    std::vector<double> r = loom::Parallel({.n_jobs = 2, .backend = name})(xs, work);
    EXPECT_EQ(r, sequential_squares(xs)) << name;
  }
}

TEST(Parallel, BadOptionsAreConfigErrorsNamingTheValue) {
  const auto xs = iota(3);
  auto run = [&](const loom::ParallelOptions& o) { (void)loom::Parallel(o)(xs, work); };
  EXPECT_ERROR_CONTAINS(run({.n_jobs = 0}), loom::ConfigError, "n_jobs");
  EXPECT_ERROR_CONTAINS(run({.backend = "dask"}), loom::ConfigError, "'dask'");
  EXPECT_ERROR_CONTAINS(run({.batch_size = std::int64_t{-3}}), loom::ConfigError, "-3");
  EXPECT_ERROR_CONTAINS(run({.pre_dispatch = "lots"}), loom::ConfigError, "'lots'");
  EXPECT_THROW(loom::parallel_backend("nope"), loom::ConfigError);
}

TEST(Parallel, ProcessesRunInOtherProcessesThreadsInThisOne) {
  const auto xs = iota(8);
  std::vector<int> pids = loom::Parallel({.n_jobs = 2, .backend = "processes"})(
      xs, [](int) { return static_cast<int>(::getpid()); });
  for (int pid : pids) EXPECT_NE(pid, static_cast<int>(::getpid()));
  std::vector<int> same = loom::Parallel({.n_jobs = 2, .backend = "threads"})(
      xs, [](int) { return static_cast<int>(::getpid()); });
  for (int pid : same) EXPECT_EQ(pid, static_cast<int>(::getpid()));
}

bool no_children_left() {
  int status = 0;
  return ::waitpid(-1, &status, WNOHANG) < 0 && errno == ECHILD;
}

TEST(Parallel, CrashingTaskRaisesWorkerCrashedAndTheCallerSurvives) {
  const auto xs = iota(40);
  using Crash = void (*)();
  for (Crash crash : {+[] { std::raise(SIGSEGV); }, +[] { std::abort(); }, +[] { std::exit(3); },
                      +[] { std::_Exit(4); }}) {
    const auto run = [&] {
      (void)loom::Parallel({.n_jobs = 2, .backend = "processes"})(xs, [crash](int x) {
        if (x == 13) crash();
        return x;
      });
    };
    EXPECT_ERROR_CONTAINS(run(), loom::WorkerCrashed, "call 13");
    EXPECT_TRUE(no_children_left());
    std::vector<double> r = loom::Parallel({.n_jobs = 2, .backend = "processes"})(xs, work);
    EXPECT_EQ(r, sequential_squares(xs));
  }
  EXPECT_TRUE(no_children_left());
}

TEST(Parallel, NoZombiesWhenTheConsumerThrowsMidway) {
  const auto xs = iota(100);
  const auto consume = [&] {
    for (int v : loom::Parallel(
             {.n_jobs = 2, .backend = "processes", .return_as = loom::ReturnAs::generator})(
             xs, [](int x) {
               std::this_thread::sleep_for(1ms);
               return x;
             })) {
      if (v == 3) throw std::runtime_error("consumer gives up");
    }
  };
  EXPECT_ERROR(consume(), std::runtime_error,
               [](const std::runtime_error& e) { EXPECT_STREQ(e.what(), "consumer gives up"); });
  EXPECT_TRUE(no_children_left());
}

TEST(Parallel, ProcessesTimeoutKillsTheWorker) {
  const auto xs = iota(4);
  EXPECT_THROW((void)loom::Parallel({.n_jobs = 2, .backend = "processes", .timeout = 200ms})(
                   xs,
                   [](int x) {
                     if (x == 2) std::this_thread::sleep_for(60s);
                     return x;
                   }),
               loom::Timeout);
  EXPECT_TRUE(no_children_left());
}

TEST(Parallel, ThreadsTimeoutAsksTheCallToStop) {
  const auto xs = iota(4);
  std::atomic<bool> saw_stop{false};
  EXPECT_THROW((void)loom::Parallel({.n_jobs = 2, .backend = "threads", .timeout = 100ms})(
                   xs,
                   [&](int x) {
                     if (x == 1) {
                       const auto deadline = std::chrono::steady_clock::now() + 20s;
                       while (!loom::current_task().stop_requested() &&
                              std::chrono::steady_clock::now() < deadline) {
                         std::this_thread::sleep_for(1ms);
                       }
                       saw_stop = loom::current_task().stop_requested();
                     }
                     return x;
                   }),
               loom::Timeout);
  EXPECT_TRUE(saw_stop.load());
}

TEST(Parallel, GeneratorIsLazy) {
  for (const char* backend : {"threads", "processes", "sequential"}) {
    std::atomic<int> calls{0};
    const auto xs = iota(1000);
    auto result = loom::Parallel({.n_jobs = 2,
                                  .backend = backend,
                                  .batch_size = std::int64_t{1},
                                  .pre_dispatch = "2",
                                  .return_as = loom::ReturnAs::generator})(xs, [&calls](int x) {
      ++calls;
      return x;
    });
    auto it = result.begin();
    EXPECT_EQ(*it, 0);
    // The processes backend counts in its workers; threads and sequential here.
    if (std::string(backend) != "processes") EXPECT_LE(calls.load(), 4) << backend;
  }
}

TEST(Parallel, ResultOwnsTemporaryInputs) {
  int total = 0;
  for (int v : loom::Parallel({.n_jobs = 2, .return_as = loom::ReturnAs::generator})(
           loom::each(iota(100), [](int x) { return x * 2; }))) {
    total += v;
  }
  EXPECT_EQ(total, 9900);
}

TEST(Parallel, NonRandomAccessInputsWork) {
  std::list<int> xs = {1, 2, 3, 4, 5};
  std::vector<int> r = loom::Parallel({.n_jobs = 2})(xs, [](int x) { return x * x; });
  EXPECT_EQ(r, (std::vector<int>{1, 4, 9, 16, 25}));
}

TEST(Parallel, VoidFunctionsRunForTheirEffects) {
  std::vector<std::atomic<int>> hits(100);
  const auto xs = iota(100);
  loom::Parallel({.n_jobs = 2})(xs, [&](int x) { hits[static_cast<std::size_t>(x)]++; });
  for (auto& h : hits) EXPECT_EQ(h.load(), 1);
}

TEST(Parallel, NJobsAboveTheCoresIsHonoured) {
  const int n = loom::cpu_count() * 2 + 1;
  std::atomic<int> arrived{0};
  const auto xs = iota(n);
  std::vector<bool> met =
      loom::Parallel({.n_jobs = n, .batch_size = std::int64_t{1}})(xs, [&](int) {
        ++arrived;
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (arrived.load() < n && std::chrono::steady_clock::now() < deadline) {
          std::this_thread::sleep_for(1ms);
        }
        return arrived.load() >= n;
      });
  for (bool b : met) EXPECT_TRUE(b);
}

TEST(Parallel, NestedParallelWithOneThreadDoesNotDeadlock) {
  loom::config::Scope one({{"scheduler.num_threads", "1"}});
  const auto xs = iota(10);
  std::vector<int> r = loom::Parallel({.n_jobs = 1})(xs, [](int x) {
    const auto inner = iota(x);
    std::vector<int> squares = loom::Parallel()(inner, [](int y) { return y * y; });
    return std::accumulate(squares.begin(), squares.end(), 0);
  });
  // And from inside a delayed task, on the default pool of one thread.
  auto d = loom::delayed([] {
    std::vector<int> v = loom::Parallel()(iota(50), [](int y) { return y; });
    return std::accumulate(v.begin(), v.end(), 0);
  })();
  EXPECT_EQ(d.compute(), 1225);
  for (int x = 0; x < 10; ++x) EXPECT_EQ(r[x], (x - 1) * x * (2 * x - 1) / 6);
}

TEST(Parallel, NestedParallelInsideThreadsStaysInTheArena) {
  const auto xs = iota(4);
  std::vector<int> r = loom::Parallel({.n_jobs = 2})(xs, [](int) {
    std::vector<int> inner =
        loom::Parallel({.n_jobs = 8})(iota(8), [](int) { return tbb_max_concurrency(); });
    return *std::max_element(inner.begin(), inner.end());
  });
  for (int v : r) EXPECT_EQ(v, 2);
}

TEST(Parallel, ParallelBackendScopesNestAndRestore) {
  const auto xs = iota(4);
  auto in_child = [](int) { return loom::detail::in_worker_process(); };
  {
    loom::parallel_backend outer("loky", {.n_jobs = 2});
    std::vector<bool> r = loom::Parallel()(xs, in_child);
    EXPECT_TRUE(r[0]);
    {
      loom::parallel_backend inner("threading");
      std::vector<bool> r2 = loom::Parallel()(xs, in_child);
      EXPECT_FALSE(r2[0]);
    }
    std::vector<bool> r3 = loom::Parallel()(xs, in_child);
    EXPECT_TRUE(r3[0]);
    std::vector<bool> r4 = loom::Parallel({.backend = "threads"})(xs, in_child);  // explicit wins
    EXPECT_FALSE(r4[0]);
  }
  std::vector<bool> r5 = loom::Parallel()(xs, in_child);
  EXPECT_FALSE(r5[0]);
}

TEST(Parallel, VerboseLinesOnANonTerminal) {
  const auto xs = iota(64);
  ::testing::internal::CaptureStderr();
  std::vector<double> r = loom::Parallel({.n_jobs = 2, .verbose = 5})(xs, work);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("[Parallel(n_jobs=2)]: Using backend threads with 2 concurrent workers."),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("[Parallel(n_jobs=2)]: Done 64 out of 64 | elapsed:"), std::string::npos)
      << err;
  EXPECT_NE(err.find("finished"), std::string::npos) << err;
}

TEST(Parallel, ProgressBarPrintsPlainLinesOnANonTerminal) {
  const auto xs = iota(100);
  ::testing::internal::CaptureStderr();
  std::vector<double> r = loom::Parallel(
      {.n_jobs = 2, .batch_size = std::int64_t{5}, .progress = loom::Progress::bar})(xs, work);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("progress: 100/100 (100%)"), std::string::npos) << err;
  EXPECT_EQ(err.find('\r'), std::string::npos) << "no redraws when stderr is not a terminal";
}

}  // namespace

namespace {

struct NoSerialize {
  int value;
};
struct NoDefault {
  explicit NoDefault(int v) : value(v) {}
  int value;
};

TEST(Parallel, NDArrayResultsComeBackFromWorkerProcesses) {
  std::vector<loom::NDArray<double>> r =
      loom::Parallel({.n_jobs = 2, .backend = "processes"})(iota(6), [](int x) {
        return loom::random::rand({x, 3}, static_cast<std::uint64_t>(x));
      });
  ASSERT_EQ(r.size(), 6U);
  for (int x = 0; x < 6; ++x) {
    const auto expected = loom::random::rand({x, 3}, static_cast<std::uint64_t>(x));
    ASSERT_EQ(r[x].shape(), expected.shape());
    for (std::int64_t i = 0; i < expected.size(); ++i)
      EXPECT_EQ(r[x].data()[i], expected.data()[i]);
  }
}

TEST(Parallel, ThreadsBackendTakesAnyResultType) {
  const auto xs = iota(20);
  std::vector<NoSerialize> a =
      loom::Parallel({.n_jobs = 2})(xs, [](int x) { return NoSerialize{x}; });
  std::vector<NoDefault> b = loom::Parallel({.n_jobs = 2})(xs, [](int x) { return NoDefault(x); });
  for (int x = 0; x < 20; ++x) {
    EXPECT_EQ(a[x].value, x);
    EXPECT_EQ(b[x].value, x);
  }
  EXPECT_ERROR_CONTAINS((void)loom::Parallel({.n_jobs = 2, .backend = "processes"})(
                            xs, [](int x) { return NoSerialize{x}; }),
                        loom::ConfigError, "NoSerialize");
}

TEST(Parallel, TwoThreadsUsingProcessesAtOnceDoNotHang) {
  // Workers forked by one thread must not keep the other thread's workers' sockets open.
  const auto xs = iota(4);
  std::vector<int> sums =
      loom::Parallel({.n_jobs = 2, .batch_size = std::int64_t{1}})(xs, [](int x) {
        std::vector<int> inner = loom::Parallel({.n_jobs = 2, .backend = "processes"})(
            iota(20), [x](int y) { return x + y; });
        return std::accumulate(inner.begin(), inner.end(), 0);
      });
  for (int x = 0; x < 4; ++x) EXPECT_EQ(sums[x], 20 * x + 190);
  EXPECT_TRUE(no_children_left());
}

TEST(Parallel, ResultsMovedOutCannotBeUsedAgain) {
  const auto xs = iota(10);
  auto named = loom::Parallel({.n_jobs = 2})(xs, [](int x) { return x; });
  std::vector<int> copy1 = named;  // a named result is copied
  std::vector<int> copy2 = named.get();
  EXPECT_EQ(copy1, copy2);
  std::vector<int> moved = std::move(named).get();
  EXPECT_EQ(moved, copy1);
  EXPECT_THROW((void)named.get(), loom::Error);  // NOLINT(bugprone-use-after-move): the point
  EXPECT_THROW((void)named.begin(), loom::Error);
}

TEST(Parallel, GeneratorsOnEmptyInputYieldNothing) {
  const std::vector<int> none;
  for (auto mode : {loom::ReturnAs::generator, loom::ReturnAs::generator_unordered}) {
    for (const char* backend : {"threads", "processes", "sequential"}) {
      int count = 0;
      for (int v : loom::Parallel({.n_jobs = 2, .backend = backend, .return_as = mode})(
               none, [](int x) { return x; })) {
        (void)v;
        ++count;
      }
      EXPECT_EQ(count, 0) << backend;
    }
  }
}

TEST(Parallel, UnorderedGeneratorYieldsInCompletionOrder) {
  const auto xs = iota(6);
  std::vector<int> order;
  for (int v : loom::Parallel({.n_jobs = 2,
               .batch_size = std::int64_t{1},
               .return_as = loom::ReturnAs::generator_unordered})(xs, [](int x) {
         if (x == 0) std::this_thread::sleep_for(300ms);
         return x;
       })) {
    order.push_back(v);
  }
  ASSERT_EQ(order.size(), 6U);
  EXPECT_NE(order.front(), 0);  // the slow first call does not come first
  EXPECT_EQ(std::multiset<int>(order.begin(), order.end()),
            std::multiset<int>(xs.begin(), xs.end()));
}

TEST(Parallel, ParallelBackendNJobsIsApplied) {
  loom::parallel_backend scope("threading", {.n_jobs = 3});
  ::testing::internal::CaptureStderr();
  std::vector<int> r = loom::Parallel({.verbose = 1})(iota(10), [](int x) { return x; });
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("Parallel(n_jobs=3)]: Using backend threads with 3 concurrent workers"),
            std::string::npos)
      << err;
}

TEST(Parallel, FailureStopsTheRestOfTheBatch) {
  for (const char* backend : {"threads", "sequential"}) {
    std::atomic<int> calls{0};
    EXPECT_THROW(
        (void)loom::Parallel({.n_jobs = 2, .backend = backend, .batch_size = std::int64_t{1000}})(
            iota(1000),
            [&calls](int x) {
              ++calls;
              if (x == 0) throw std::runtime_error("first");
              return x;
            }),
        loom::TaskError);
    EXPECT_EQ(calls.load(), 1) << backend;  // one batch of 1000: the rest were cancelled
  }
}

TEST(Parallel, TimeoutsInGeneratorsAndTheSequentialBackend) {
  for (const char* backend : {"threads", "sequential"}) {
    auto result = loom::Parallel({.n_jobs = 3,
                                  .backend = backend,
                                  .return_as = loom::ReturnAs::generator,
                                  .timeout = 100ms})(iota(6), [](int x) {
      if (x == 4) {
        const auto deadline = std::chrono::steady_clock::now() + 20s;
        while (!loom::current_task().stop_requested() &&
               std::chrono::steady_clock::now() < deadline) {
          std::this_thread::sleep_for(1ms);
        }
        throw std::runtime_error("stopped");  // reacting to the stop request by throwing
      }
      return x;
    });
    EXPECT_THROW(
        {
          for (int v : result) (void)v;
        },
        loom::Timeout)
        << backend;
  }
}

TEST(Parallel, SequentialCallsRunNestedParallelInline) {
  const auto caller = std::this_thread::get_id();
  std::vector<bool> same = loom::Parallel({.backend = "sequential"})(iota(3), [caller](int) {
    std::vector<bool> inner = loom::Parallel({.n_jobs = 2})(
        iota(4), [caller](int) { return std::this_thread::get_id() == caller; });
    return std::all_of(inner.begin(), inner.end(), [](bool b) { return b; });
  });
  for (bool b : same) EXPECT_TRUE(b);
}

}  // namespace
