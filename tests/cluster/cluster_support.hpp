#pragma once
// Helpers of the cluster tests: the processes this test process has started (none may be left
// after a test: no zombie, no orphan) and a fixture that checks it.

#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "loom/cluster.hpp"

namespace loom::test {

/// The children of this process (zombies included), from /proc.
inline std::vector<pid_t> child_processes() {
  std::vector<pid_t> out;
  const pid_t self = ::getpid();
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "stat");
    std::string stat;
    std::getline(in, stat);
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 1));
    char state = 0;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == self) out.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return out;
}

/// Waits (up to 10 s) until the workers have finished `n` tasks in all: a task's result is
/// published before its worker counts it done.
inline void wait_tasks_done(const Cluster& cluster, std::int64_t n) {
  for (int i = 0; i < 5000; ++i) {
    std::int64_t done = 0;
    for (const WorkerInfo& w : cluster.workers()) done += w.tasks_done;
    if (done >= n) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

/// Whether a process with this pid still exists (a zombie counts).
inline bool process_exists(pid_t pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }

/// Each test starts and ends without child processes; the worker pids a test saw are gone at
/// its end (an orphan would live on under another parent).
class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(child_processes().empty()); }
  void TearDown() override {
    // Reaped when close() returned: no waiting here.
    EXPECT_EQ(child_processes(), std::vector<pid_t>{}) << "a worker process was not reaped";
    for (pid_t pid : seen_) EXPECT_FALSE(process_exists(pid)) << "worker " << pid << " lives on";
  }
  /// Remembers the cluster's worker pids for the end-of-test check.
  void remember(const Cluster& cluster) {
    for (const WorkerInfo& w : cluster.workers()) {
      if (w.pid > 0) seen_.insert(static_cast<pid_t>(w.pid));
    }
  }
  std::set<pid_t> seen_;
};

}  // namespace loom::test
