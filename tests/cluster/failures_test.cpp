// Worker processes that die (SIGKILL, a segfault in a task) or stop answering (SIGSTOP): the
// slot gets a fresh process, running tasks are retried elsewhere up to the allowed failures,
// then fail with a TaskError holding WorkerCrashed; nothing hangs and every process is reaped.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "../scratch_folder.hpp"
#include "../support/expect_error.hpp"
#include "../support/file_counter.hpp"
#include "cluster_support.hpp"
#include "loom/cluster.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

fs::path scratch() { return loom::test::scratch_folder() / ""; }

// Attempts are counted in files: worker processes share no memory with the test.
using loom::test::bump;
using loom::test::count_of;

int die_until(const std::string& counter, int deaths) {
  if (bump(counter) <= deaths) ::raise(SIGKILL);
  return 7;
}
int segfault(const std::string& counter) {
  bump(counter);
  ::raise(SIGSEGV);
  return 0;
}
int sleep_ms(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return ms;
}
long my_pid() { return static_cast<long>(::getpid()); }

LOOM_REMOTE(die_until);
LOOM_REMOTE(segfault);
LOOM_REMOTE(sleep_ms);
LOOM_REMOTE(my_pid);

using WorkerFailures = loom::test::ClusterTest;

TEST_F(WorkerFailures, AKilledWorkerIsRestartedAndItsTaskRetried) {
  (void)scratch();  // named before the workers fork, so that they share it
  const loom::config::Scope scope({{"scheduler.allowed-failures", "3"}});
  loom::LocalCluster cluster({.n_workers = 2, .threads_per_worker = 1});
  remember(cluster);
  loom::Client client(cluster);
  EXPECT_EQ(client.gather(client.submit(die_until, std::string("kill2"), 2)), 7);
  EXPECT_EQ(count_of("kill2"), 3);
  remember(cluster);
  std::int64_t restarts = 0;
  for (const auto& w : cluster.workers()) restarts += w.restarts;
  EXPECT_EQ(restarts, 2);
  // The cluster goes on with its fresh processes.
  EXPECT_EQ(client.gather(client.submit(sleep_ms, 1)), 1);
}

TEST_F(WorkerFailures, BeyondAllowedFailuresTheTaskFailsWithWorkerCrashed) {
  (void)scratch();  // named before the workers fork, so that they share it
  const loom::config::Scope scope({{"scheduler.allowed-failures", "1"}});
  loom::LocalCluster cluster({.n_workers = 2, .threads_per_worker = 1});
  remember(cluster);
  loom::Client client(cluster);
  auto ref = client.submit(segfault, std::string("segv"));
  EXPECT_ERROR(
      (void)loom::get(ref, {.timeout = 60s}), loom::TaskError, [](const loom::TaskError& e) {
        EXPECT_NE(std::string(e.what()).find("2 attempts"), std::string::npos) << e.what();
        // "killed by signal 11 (Segmentation fault)"; a sanitizer's handler exits instead.
        EXPECT_NE(std::string(e.what()).find("died"), std::string::npos) << e.what();
        EXPECT_THROW(std::rethrow_if_nested(e), loom::WorkerCrashed);
        return ::testing::AssertionSuccess();
      });
  EXPECT_EQ(count_of("segv"), 2);  // allowed-failures = 1: one retry
  // A task's own max_retries wins over the cluster's default.
  auto own = loom::task(segfault).options({.max_retries = 0}).remote(std::string("segv0"));
  EXPECT_THROW((void)loom::get(own, {.timeout = 60s}), loom::TaskError);
  EXPECT_EQ(count_of("segv0"), 1);
  remember(cluster);
}

TEST_F(WorkerFailures, SigkillFromOutsideRetriesTheRunningTaskOnAnotherWorker) {
  loom::LocalCluster cluster({.n_workers = 2, .threads_per_worker = 1});
  remember(cluster);
  loom::Client client(cluster);
  auto ref = client.submit(sleep_ms, 1500);
  std::int64_t victim = 0;
  int victim_id = -1;
  for (int i = 0; i < 500 && victim == 0; ++i) {
    for (const auto& w : cluster.workers()) {
      if (w.tasks_running == 1) {
        victim = w.pid;
        victim_id = w.id;
      }
    }
    std::this_thread::sleep_for(2ms);
  }
  ASSERT_GT(victim, 0);
  std::this_thread::sleep_for(100ms);  // the call is in the worker by now
  ASSERT_EQ(::kill(static_cast<pid_t>(victim), SIGKILL), 0);
  EXPECT_EQ(loom::get(ref, {.timeout = 60s}), 1500);
  loom::test::wait_tasks_done(cluster, 1);
  const auto after = cluster.workers();
  EXPECT_EQ(after[victim_id].restarts, 1);
  EXPECT_NE(after[victim_id].pid, victim);
  EXPECT_GT(after[1 - victim_id].tasks_done, 0);  // the retry ran on the other worker
  remember(cluster);
}

TEST_F(WorkerFailures, AStoppedWorkerIsDeclaredDeadAfterTheTtlNamingItsPid) {
  const loom::config::Scope scope(
      {{"scheduler.worker-ttl", "2s"}, {"scheduler.allowed-failures", "0"}});
  loom::LocalCluster cluster({.n_workers = 1, .threads_per_worker = 1});
  remember(cluster);
  loom::Client client(cluster);
  const long pid = client.gather(client.submit(my_pid));
  auto ref = client.submit(sleep_ms, 10'000);
  std::this_thread::sleep_for(200ms);
  ASSERT_EQ(::kill(static_cast<pid_t>(pid), SIGSTOP), 0);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_ERROR_CONTAINS((void)loom::get(ref, {.timeout = 30s}), loom::TaskError,
                        "pid " + std::to_string(pid), "scheduler.worker-ttl", "declared dead");
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, 1500ms);
  EXPECT_LT(waited, 20s);
  remember(cluster);
  const auto after = cluster.workers();
  EXPECT_EQ(after[0].restarts, 1);
  EXPECT_NE(after[0].pid, pid);
  EXPECT_FALSE(loom::test::process_exists(static_cast<pid_t>(pid)));  // killed and reaped
  EXPECT_EQ(client.gather(client.submit(sleep_ms, 1)), 1);
}

TEST_F(WorkerFailures, AStoppedWorkersTaskIsRetriedElsewhere) {
  const loom::config::Scope scope({{"scheduler.worker-ttl", "2s"}});
  loom::LocalCluster cluster({.n_workers = 2, .threads_per_worker = 1});
  remember(cluster);
  loom::Client client(cluster);
  auto ref = client.submit(sleep_ms, 600);
  std::int64_t victim = 0;
  for (int i = 0; i < 500 && victim == 0; ++i) {
    for (const auto& w : cluster.workers()) {
      if (w.tasks_running == 1) victim = w.pid;
    }
    std::this_thread::sleep_for(2ms);
  }
  ASSERT_GT(victim, 0);
  std::this_thread::sleep_for(50ms);
  ASSERT_EQ(::kill(static_cast<pid_t>(victim), SIGSTOP), 0);
  EXPECT_EQ(loom::get(ref, {.timeout = 30s}), 600);
  remember(cluster);
}

TEST_F(WorkerFailures, CloseWithAStoppedWorkerDoesNotHang) {
  loom::LocalCluster cluster({.n_workers = 1, .threads_per_worker = 1});
  remember(cluster);
  const long pid = [&] {
    loom::Client client(cluster);
    return client.gather(client.submit(my_pid));
  }();
  ASSERT_EQ(::kill(static_cast<pid_t>(pid), SIGSTOP), 0);
  const auto start = std::chrono::steady_clock::now();
  cluster.close();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

}  // namespace
