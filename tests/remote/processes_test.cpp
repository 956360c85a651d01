// The processes mode: registered functions run in forked worker processes; large arrays cross
// through the store's shared memory; crashes are retried; cancel kills the worker.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "../scratch_folder.hpp"
#include "../support/expect_error.hpp"
#include "../support/file_counter.hpp"

#include "loom/remote.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// Named before the workers fork, so that they share it.
fs::path scratch() { return loom::test::scratch_folder() / ""; }

// Attempts are counted in files: worker processes share no memory with the test.
using loom::test::bump;
using loom::test::count_of;

int proc_square(int x) { return x * x; }
int worker_pid(int /*unused*/) { return static_cast<int>(::getpid()); }
double array_mean(const loom::NDArray<double>& a) { return a.mean(); }
std::string array_file(const loom::NDArray<double>& a) {
  return loom::detail::NDArrayAccess::buffer(a)->path();
}
loom::NDArray<double> make_ramp(std::int64_t n) {
  auto a = loom::NDArray<double>::uninitialized(loom::Shape{n});
  for (std::int64_t i = 0; i < n; ++i) a.mutable_data()[i] = static_cast<double>(i);
  return a;
}
int crash_twice(const std::string& counter) {
  if (bump(counter) <= 2) ::raise(SIGSEGV);
  std::ofstream(scratch() / (counter + ".done"), std::ios::app) << "done\n";
  return 7;
}
int always_crash(int /*unused*/) { std::abort(); }
int throws(int x) { throw std::invalid_argument("bad x = " + std::to_string(x)); }
int invalid_twice(const std::string& counter) {
  if (bump(counter) <= 2) throw std::invalid_argument("not yet");
  return 3;
}
std::string context_of(int /*unused*/) {
  const auto& task = loom::current_task();
  return std::string(task.name()) + " " + std::to_string(task.gpu_ids().size());
}
double half(double x) { return x / 2; }
int add_two(int a, int b) { return a + b; }
int sleep_long(int seconds) {
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  return seconds;
}
double dot_self(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x * x;
  return s;
}

class ProcCounter {
 public:
  explicit ProcCounter(int start = 0) : value_(start) {}
  int increment() { return ++value_; }
  [[nodiscard]] int value() const { return value_; }
  [[nodiscard]] int pid() const { return static_cast<int>(::getpid()); }
  int crash() {
    ::raise(SIGSEGV);
    return value_;
  }
  [[nodiscard]] double scaled_sum(const loom::NDArray<double>& a) const { return a.sum() * value_; }
  [[nodiscard]] loom::NDArray<double> ramp(std::int64_t n) const { return make_ramp(n); }

 private:
  int value_;
};

class NotRegistered {
 public:
  int f() { return 1; }
};

}  // namespace

LOOM_REMOTE(ProcCounter);
LOOM_REMOTE(proc_square);
LOOM_REMOTE(worker_pid);
LOOM_REMOTE(array_mean);
LOOM_REMOTE(array_file);
LOOM_REMOTE(make_ramp);
LOOM_REMOTE(crash_twice);
LOOM_REMOTE(always_crash);
LOOM_REMOTE(throws);
LOOM_REMOTE(invalid_twice);
LOOM_REMOTE(context_of);
LOOM_REMOTE(half);
LOOM_REMOTE(add_two);
LOOM_REMOTE(sleep_long);
LOOM_REMOTE(dot_self);

namespace {

class Processes : public ::testing::Test {
 protected:
  void SetUp() override {
    (void)scratch();  // named before the workers fork, so that they share it
    loom::init({.num_cpus = 2, .mode = "processes"});
  }
  void TearDown() override { loom::shutdown(); }
};

TEST_F(Processes, RegisteredFunctionsRunInWorkers) {
  std::vector<loom::ObjectRef<int>> refs;
  for (int i = 0; i < 200; ++i) refs.push_back(loom::task(proc_square).remote(i));
  const auto got = loom::get(refs);
  for (int i = 0; i < 200; ++i) ASSERT_EQ(got[i], i * i);
  const int pid = loom::get(loom::task(worker_pid).remote(0));
  EXPECT_NE(pid, static_cast<int>(::getpid()));
  EXPECT_EQ(loom::get(loom::task_named<int(int)>("proc_square").remote(9)), 81);
  std::vector<double> v{1, 2, 3};
  EXPECT_DOUBLE_EQ(loom::get(loom::task(dot_self).remote(loom::put(v))), 14.0);
}

TEST_F(Processes, LargeArraysCrossThroughSharedMemory) {
  auto big = loom::put(make_ramp(1 << 20));  // 8 MB: stored in the shared folder
  const std::string stored_file = array_file(loom::get(big));
  EXPECT_FALSE(stored_file.empty());
  // The worker maps the very file the store holds: no copy.
  EXPECT_EQ(loom::get(loom::task(array_file).remote(big)), stored_file);
  std::vector<loom::ObjectRef<double>> means;
  for (int i = 0; i < 6; ++i) means.push_back(loom::task(array_mean).remote(big));
  for (double m : loom::get(means)) EXPECT_DOUBLE_EQ(m, (std::pow(2.0, 20) - 1) / 2);
  // A large result comes back as a file of the shared folder, mapped.
  auto result = loom::get(loom::task(make_ramp).remote(std::int64_t{1} << 20));
  EXPECT_FALSE(array_file(result).empty());
  EXPECT_EQ(result(12345), 12345.0);
  EXPECT_FALSE(result.writeable());
  // Small arrays are copied through the pipe.
  EXPECT_DOUBLE_EQ(loom::get(loom::task(array_mean).remote(make_ramp(11))), 5.0);
}

TEST_F(Processes, CrashedWorkersAreRetriedAndNeverRunTwice) {
  auto flaky = loom::task(crash_twice).options({.max_retries = 3});
  EXPECT_EQ(loom::get(flaky.remote(std::string("crash-a"))), 7);
  EXPECT_EQ(count_of("crash-a"), 3);
  std::ifstream done(scratch() / "crash-a.done");
  int completions = 0;
  for (std::string line; std::getline(done, line);) ++completions;
  EXPECT_EQ(completions, 1);
}

TEST_F(Processes, CrashAfterTheLastRetryIsATaskErrorNestingWorkerCrashed) {
  EXPECT_ERROR((void)loom::get(loom::task(always_crash).options({.max_retries = 1}).remote(0)),
               loom::TaskError, [](const loom::TaskError& e) {
                 const std::string what = e.what();
                 EXPECT_NE(what.find("always_crash"), std::string::npos) << what;
                 EXPECT_NE(what.find("after 2 attempts"), std::string::npos) << what;
                 EXPECT_NE(what.find("signal"), std::string::npos) << what;
                 EXPECT_THROW(std::rethrow_if_nested(e), loom::WorkerCrashed);
               });
  // The driver lives on, and the pool has fresh workers.
  EXPECT_EQ(loom::get(loom::task(proc_square).remote(5)), 25);
}

TEST_F(Processes, ExceptionsInWorkersBecomeTaskErrors) {
  EXPECT_ERROR_CONTAINS((void)loom::get(loom::task(throws).remote(3)), loom::TaskError, "bad x = 3",
                        "std::invalid_argument");
}

TEST_F(Processes, RetryOnSeesTheWorkersExceptionType) {
  auto retried =
      loom::task(invalid_twice)
          .options({.max_retries = 3, .retry_exceptions = loom::retry_on<std::invalid_argument>()});
  EXPECT_EQ(loom::get(retried.remote(std::string("invalid-a"))), 3);
  EXPECT_EQ(count_of("invalid-a"), 3);
  auto not_retried =
      loom::task(invalid_twice)
          .options({.max_retries = 3, .retry_exceptions = loom::retry_on<std::out_of_range>()});
  EXPECT_ERROR((void)loom::get(not_retried.remote(std::string("invalid-b"))), loom::TaskError,
               [](const loom::TaskError& e) {
                 EXPECT_THROW(std::rethrow_if_nested(e), std::invalid_argument);
               });
  EXPECT_EQ(count_of("invalid-b"), 1);
}

TEST_F(Processes, WorkersSeeTheirCurrentTask) {
  loom::shutdown();
  loom::init({.num_cpus = 2, .num_gpus = 1, .mode = "processes"});
  EXPECT_EQ(loom::get(loom::task(context_of).options({.num_gpus = 1}).remote(0)), "context_of 1");
}

TEST_F(Processes, AnIntRefConvertsToADoubleParameter) {
  EXPECT_DOUBLE_EQ(loom::get(loom::task(half).remote(loom::put(3))), 1.5);
}

TEST_F(Processes, RefsFromTwoTasksFanIntoOne) {
  auto a = loom::task(proc_square).remote(3);
  auto b = loom::task(proc_square).remote(4);
  EXPECT_EQ(loom::get(loom::task(add_two).remote(a, b)), 25);
}

TEST_F(Processes, QueuedTasksAreCancelledWithoutRunning) {
  auto busy1 = loom::task(sleep_long).remote(1);
  auto busy2 = loom::task(sleep_long).remote(1);
  auto queued = loom::task(crash_twice).remote(std::string("never-run"));
  loom::cancel(queued);
  EXPECT_THROW((void)loom::get(queued), loom::Cancelled);
  EXPECT_EQ(loom::get(busy1) + loom::get(busy2), 2);
  EXPECT_EQ(count_of("never-run"), 0);
}

TEST(ProcessesSpill, SharedArraysSpillAndComeBack) {
  (void)scratch();
  const fs::path spill = scratch() / "spill";
  loom::init({.num_cpus = 1,
              .object_store_memory = 8 << 20,
              .spill_dir = spill.string(),
              .mode = "processes"});
  std::vector<loom::ObjectRef<loom::NDArray<double>>> refs;
  for (int i = 0; i < 4; ++i) refs.push_back(loom::put(make_ramp(256 * 1024 + i)));  // 2 MiB
  EXPECT_GT(loom::object_store_stats().spill_count, 0);
  for (int i = 0; i < 4; ++i) {
    EXPECT_DOUBLE_EQ(loom::get(loom::task(array_mean).remote(refs[i])), (256.0 * 1024 + i - 1) / 2);
  }
  EXPECT_GT(loom::object_store_stats().restore_count, 0);
  loom::shutdown();
}

TEST_F(Processes, CancelKillsTheWorker) {
  auto ref = loom::task(sleep_long).remote(30);
  std::this_thread::sleep_for(100ms);  // let it start
  const auto t0 = std::chrono::steady_clock::now();
  loom::cancel(ref);
  EXPECT_THROW((void)loom::get(ref), loom::Cancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_EQ(loom::get(loom::task(proc_square).remote(4)), 16);
}

TEST_F(Processes, GetTimeoutLeavesTheTaskRunning) {
  auto ref = loom::task(sleep_long).remote(1);
  EXPECT_THROW((void)loom::get(ref, {.timeout = 50ms}), loom::Timeout);
  EXPECT_EQ(loom::get(ref), 1);
}

TEST_F(Processes, UnregisteredFunctionsCannotCross) {
  auto lambda = loom::task([](int x) { return x; });
  EXPECT_THROW((void)lambda.remote(1), loom::ConfigError);
}

TEST_F(Processes, ActorsLiveInTheirOwnProcess) {
  auto counter = loom::actor<ProcCounter>().remote(10);
  std::vector<loom::ObjectRef<int>> refs;
  for (int i = 0; i < 100; ++i) refs.push_back(counter.task(&ProcCounter::increment).remote());
  const auto got = loom::get(refs);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(got[i], 11 + i);
  EXPECT_EQ(loom::get(counter.task(&ProcCounter::value).remote()), 110);
  const int pid = loom::get(counter.task(&ProcCounter::pid).remote());
  EXPECT_NE(pid, static_cast<int>(::getpid()));
  // Arrays cross both ways: a stored one by reference, a large result as a mapped file.
  auto big = loom::put(make_ramp(1 << 18));
  EXPECT_DOUBLE_EQ(loom::get(counter.task(&ProcCounter::scaled_sum).remote(big)),
                   make_ramp(1 << 18).sum() * 110);
  auto ramp = loom::get(counter.task(&ProcCounter::ramp).remote(std::int64_t{1} << 18));
  EXPECT_EQ(ramp(777), 777.0);
}

TEST_F(Processes, CrashedActorsRestartUpToMaxRestarts) {
  auto counter = loom::actor<ProcCounter>().options({.max_restarts = 1}).remote(5);
  EXPECT_EQ(loom::get(counter.task(&ProcCounter::increment).remote()), 6);
  EXPECT_THROW((void)loom::get(counter.task(&ProcCounter::crash).remote()), loom::TaskError);
  // Restarted: constructed again from its arguments.
  EXPECT_EQ(loom::get(counter.task(&ProcCounter::value).remote()), 5);
  EXPECT_THROW((void)loom::get(counter.task(&ProcCounter::crash).remote()), loom::TaskError);
  EXPECT_ERROR((void)loom::get(counter.task(&ProcCounter::value).remote()), loom::TaskError,
               [](const loom::TaskError& e) {
                 EXPECT_NE(std::string(e.what()).find("max_restarts"), std::string::npos)
                     << e.what();
                 EXPECT_THROW(std::rethrow_if_nested(e), loom::WorkerCrashed);
               });
  // The driver and other actors go on.
  auto other = loom::actor<ProcCounter>().remote();
  EXPECT_EQ(loom::get(other.task(&ProcCounter::increment).remote()), 1);
}

TEST_F(Processes, ActorClassesMustBeRegistered) {
  EXPECT_THROW((void)loom::actor<NotRegistered>().remote(), loom::ConfigError);
}

TEST(ProcessesMemory, WorkersPastTheTerminateThresholdAreReplaced) {
  (void)scratch();
  {
    // A threshold far below any process's memory: every call ends with a fresh worker.
    const loom::config::Scope tiny({{"worker.memory.terminate", "0.00001"}});
    loom::init({.num_cpus = 1, .mode = "processes"});
    const int first = loom::get(loom::task(worker_pid).remote(0));
    const int second = loom::get(loom::task(worker_pid).remote(0));
    EXPECT_NE(first, second);
    EXPECT_EQ(loom::get(loom::task(proc_square).remote(3)), 9);
    loom::shutdown();
  }
  loom::init({.num_cpus = 1, .mode = "processes"});  // the default (0.95): the worker stays
  const int a = loom::get(loom::task(worker_pid).remote(0));
  const int b = loom::get(loom::task(worker_pid).remote(0));
  EXPECT_EQ(a, b);
  loom::shutdown();
}

}  // namespace
