#pragma once
// One worker process of a LocalCluster (processes = true), seen from the driver: the process,
// the reader thread that takes its replies and heartbeats, and the channel its runner threads
// call through.
//
// The process serves `threads` calls at once (one thread each, running loom inline) and sends a
// heartbeat frame every fifth of `scheduler.worker-ttl`. The reader waits for frames with a
// timeout: a worker that sends nothing for a whole ttl (SIGSTOP, a hung machine) is declared
// dead, killed and reaped; one whose pipe ends (SIGKILL, a segfault) is reaped. Either way its
// calls fail with loom::WorkerCrashed (the scheduler retries them elsewhere) and, unless the
// cluster is closing, a fresh process takes the slot.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>

#include "core/worker_process.hpp"
#include "loom/remote/detail/exchange.hpp"

namespace loom::detail {

class WorkerHost final : public WorkerChannel {
 public:
  WorkerHost(int id, int threads, std::filesystem::path folder,
             std::chrono::duration<double> ttl);
  ~WorkerHost();
  WorkerHost(const WorkerHost&) = delete;
  WorkerHost& operator=(const WorkerHost&) = delete;

  std::string call(TaskRecord& record, const std::string& args) override;
  [[nodiscard]] const std::filesystem::path& folder() const noexcept override { return folder_; }

  [[nodiscard]] pid_t pid() const;
  [[nodiscard]] std::int64_t restarts() const noexcept { return restarts_.load(); }
  /// Kills the process (the reader starts a fresh one) and waits up to `timeout` for it.
  void restart(std::chrono::milliseconds timeout);
  /// Ends the process for good: running calls fail with loom::Cancelled "cluster closed".
  /// Returns once it is reaped and the reader has stopped.
  void shutdown() noexcept;

 private:
  struct Pending {
    bool done = false;
    std::uint32_t kind = 0;
    std::string payload;
    std::string failure;  // set when the worker died
  };
  void spawn();          // write_mutex_ and mutex_ held
  void reader_loop() noexcept;
  // The worker died or stopped answering: fail its calls, reap it, start another unless closing.
  void replace(const std::string& why) noexcept;
  [[nodiscard]] std::string address() const;

  const int id_;
  const int threads_;
  const std::filesystem::path folder_;
  const std::chrono::duration<double> ttl_;

  mutable std::mutex mutex_;  // pending_, process_ (the pid), alive_
  std::mutex write_mutex_;    // writes to the process, and swapping it
  std::condition_variable done_cv_;
  std::unordered_map<std::uint64_t, Pending*> pending_;
  std::uint64_t next_index_ = 1;
  std::optional<WorkerProcess> process_;
  bool alive_ = false;
  std::atomic<bool> closing_{false};
  std::atomic<std::int64_t> restarts_{0};
  std::atomic<std::uint64_t> generation_{0};
  std::chrono::steady_clock::time_point closing_since_{};
  std::thread reader_;
};

}  // namespace loom::detail
