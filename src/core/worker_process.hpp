#pragma once
// Forked worker processes and the frames they exchange with the parent over pipes: the plumbing
// below Parallel's processes backend (and the remote runtime's processes mode).
//
// A worker is forked from the calling thread. In the child only that thread exists: it runs
// every loom computation inline (no oneTBB), talks to the parent only through its two sockets
// (it closes every other worker socket of the process), and leaves with _exit (no atexit
// handlers, no static destructors of the parent's objects).

#include <sys/types.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "loom/core/detail/function_ref.hpp"

namespace loom::detail {

/// One message on a pipe: a kind, an index and a payload.
struct Frame {
  std::uint32_t kind = 0;
  std::uint64_t index = 0;
  std::string payload;
};

/// Writes a whole frame (retrying on EINTR); false when the other end is gone.
bool write_frame(int fd, std::uint32_t kind, std::uint64_t index, std::string_view payload);
/// Reads a whole frame; nullopt at end of file (the other end closed or died).
/// A truncated frame (the writer died mid-way) is also nullopt.
std::optional<Frame> read_frame(int fd);

class WorkerProcess {
 public:
  /// Forks a child that runs `child_main(from_parent_fd, to_parent_fd)` and then exits 0
  /// (70 when child_main throws). Throws loom::Error when fork or socketpair fail.
  /// `close_in_child`: the parent's sockets to workers forked earlier; the child closes its
  /// copies, or such a sibling would never see the parent close its input.
  static WorkerProcess spawn(FunctionRef<void(int, int)> child_main,
                             std::span<const int> close_in_child = {});
  /// The parent's two sockets to this worker (for `close_in_child` of later spawns).
  [[nodiscard]] std::array<int, 2> sockets() const noexcept { return {to_child_, from_child_}; }

  WorkerProcess(WorkerProcess&& other) noexcept;
  WorkerProcess& operator=(WorkerProcess&& other) noexcept;
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;
  /// Kills (SIGKILL) a child that still runs, and reaps it: no zombie is left behind.
  ~WorkerProcess();

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  [[nodiscard]] int to_child() const noexcept { return to_child_; }
  [[nodiscard]] int from_child() const noexcept { return from_child_; }
  [[nodiscard]] bool running() const noexcept { return pid_ > 0; }

  /// Closes the pipe to the child (it sees end of file and may exit on its own).
  void close_input() noexcept;
  /// Sends SIGKILL (when still running) and reaps.
  void kill() noexcept;
  /// Closes the input, waits up to `grace` for the child to exit on its own, then kills it;
  /// reaps it either way. Returns how it ended, as wait() does.
  std::optional<std::string> finish(std::chrono::milliseconds grace) noexcept;
  /// Waits for the child to exit and reaps it. Returns nullopt for a clean exit (status 0), else
  /// how it ended: "killed by signal 11 (Segmentation fault)", "exited with status 3".
  std::optional<std::string> wait() noexcept;

 private:
  WorkerProcess() = default;
  void close_fds() noexcept;
  pid_t pid_ = -1;
  int to_child_ = -1;
  int from_child_ = -1;
};

/// One request to a worker that answers each frame with one: sends `payload` as a frame of
/// `kind` (index 0) and reads the reply; nullopt when the worker is gone (it died or closed its
/// pipe) before it answered. Trace events the worker ships before its reply are merged into
/// this process's trace; with tracing on, the frames are traced as transfers.
std::optional<Frame> request_reply(const WorkerProcess& worker, std::uint32_t kind,
                                   std::string_view payload);

/// A trace event for `bytes` sent to or received from worker `pid` (`direction`: "to worker",
/// "from worker"), from `begin` to now; nothing when tracing is off.
void trace_transfer(const char* direction, pid_t pid, std::size_t bytes,
                    std::chrono::steady_clock::time_point begin) noexcept;

/// True in a forked worker process.
[[nodiscard]] bool in_worker_process() noexcept;

}  // namespace loom::detail
