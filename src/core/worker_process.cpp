// Forked worker processes and the frames they exchange over sockets (worker_process.hpp).

#include "core/worker_process.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "core/trace_workers.hpp"
#include "loom/core/detail/node.hpp"
#include "loom/core/detail/progress_work.hpp"
#include "loom/core/detail/trace_span.hpp"
#include "loom/core/error.hpp"
#include "loom/core/trace.hpp"

namespace loom::detail {

namespace {

bool worker = false;

// Every parent-side worker socket open in this process, in a fixed table of atomics that a
// forked child can read without a lock (another thread may have held any lock at fork time).
// A child closes all of them but its own: a sibling's socket kept open in a child -- of this
// Parallel or of another thread's -- would keep that sibling from ever seeing end of file.
constexpr std::size_t kMaxSockets = 4096;
struct SocketTable {
  std::array<std::atomic<int>, kMaxSockets> slots;
  SocketTable() {
    for (auto& slot : slots) slot.store(-1, std::memory_order_relaxed);
  }
};
SocketTable open_sockets;

void register_socket(int fd) {
  for (auto& slot : open_sockets.slots) {
    int expected = -1;
    if (slot.compare_exchange_strong(expected, fd, std::memory_order_acq_rel)) return;
  }
  // Table full: the fd is still closed by its owner; children may just keep a copy.
}

void unregister_socket(int fd) {
  for (auto& slot : open_sockets.slots) {
    int expected = fd;
    if (slot.compare_exchange_strong(expected, -1, std::memory_order_acq_rel)) return;
  }
}

void close_registered_sockets_in_child(int keep_a, int keep_b) {
  for (auto& slot : open_sockets.slots) {
    const int fd = slot.load(std::memory_order_relaxed);
    if (fd >= 0 && fd != keep_a && fd != keep_b) ::close(fd);
  }
}

// The trace events of a worker's start and end (trace_span.hpp).
void trace_worker(const char* what, pid_t pid,
                  trace::detail::TraceClock::time_point begin) noexcept {
  if (!trace::enabled()) return;
  std::string args;
  try {
    args = fmt::format("\"pid\":{}", pid);
  } catch (...) {
    return;
  }
  trace::detail::record_span("worker", what, std::move(args), begin, trace::detail::TraceClock::now());
}

bool write_all(int fd, const void* data, std::size_t size) {
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    // Sockets, not pipes: MSG_NOSIGNAL turns a dead peer into an error instead of SIGPIPE.
    const ssize_t n = ::send(fd, p, size, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// Reads exactly `size` bytes; false at end of file or on error.
bool read_all(int fd, void* data, std::size_t size) {
  auto* p = static_cast<char*>(data);
  while (size > 0) {
    const ssize_t n = ::read(fd, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (n == 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

struct FrameHeader {
  std::uint32_t kind;
  std::uint32_t pad;
  std::uint64_t index;
  std::uint64_t size;
};

}  // namespace

bool write_frame(int fd, std::uint32_t kind, std::uint64_t index, std::string_view payload) {
  const FrameHeader header{kind, 0, index, payload.size()};
  return write_all(fd, &header, sizeof header) && write_all(fd, payload.data(), payload.size());
}

std::optional<Frame> read_frame(int fd) {
  FrameHeader header{};
  if (!read_all(fd, &header, sizeof header)) return std::nullopt;
  Frame frame{header.kind, header.index, {}};
  frame.payload.resize(header.size);
  if (!read_all(fd, frame.payload.data(), header.size)) return std::nullopt;
  return frame;
}

std::optional<Frame> request_reply(const WorkerProcess& worker, std::uint32_t kind,
                                   std::string_view payload) {
  const bool tracing = trace::enabled();
  const auto sent =
      tracing ? trace::detail::TraceClock::now() : trace::detail::TraceClock::time_point{};
  if (!write_frame(worker.to_child(), kind, 0, payload)) return std::nullopt;
  if (tracing) trace_transfer("to worker", worker.pid(), payload.size(), sent);
  for (;;) {
    std::optional<Frame> reply = read_frame(worker.from_child());
    // A worker ships its own trace events just before its reply.
    if (reply && reply->kind == trace::detail::kTraceFrame) {
      trace::detail::merge_worker_events(worker.pid(), reply->payload);
      continue;
    }
    if (reply && tracing) {
      const auto now = trace::detail::TraceClock::now();
      trace_transfer("from worker", worker.pid(), reply->payload.size(), now);
    }
    return reply;
  }
}

void trace_transfer(const char* direction, pid_t pid, std::size_t bytes,
                    std::chrono::steady_clock::time_point begin) noexcept {
  if (!trace::enabled()) return;
  std::string args;
  try {
    args = fmt::format("\"direction\":\"{}\",\"pid\":{},\"bytes\":{}", direction, pid, bytes);
  } catch (...) {
    return;
  }
  trace::detail::record_span("transfer", "transfer", std::move(args), begin, trace::detail::TraceClock::now());
}

bool in_worker_process() noexcept { return worker; }

WorkerProcess WorkerProcess::spawn(FunctionRef<void(int, int)> child_main,
                                   std::span<const int> close_in_child) {
  std::array<int, 2> down{-1, -1};  // parent -> child
  std::array<int, 2> up{-1, -1};    // child -> parent
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, down.data()) != 0) {
    throw Error(fmt::format("cannot start a worker process: socketpair: {}", std::strerror(errno)));
  }
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, up.data()) != 0) {
    const int err = errno;
    ::close(down[0]);
    ::close(down[1]);
    throw Error(fmt::format("cannot start a worker process: socketpair: {}", std::strerror(err)));
  }
  // All four ends are known before the fork: a child that another thread forks meanwhile closes
  // them too (or it would keep this worker's pipe open, and its end of file would never come).
  for (int fd : {down[0], down[1], up[0], up[1]}) register_socket(fd);
  std::fflush(nullptr);  // nothing buffered is written twice
  const auto fork_begin = trace::detail::TraceClock::now();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    for (int fd : {down[0], down[1], up[0], up[1]}) {
      unregister_socket(fd);
      ::close(fd);
    }
    throw Error(fmt::format("cannot start a worker process: fork: {}", std::strerror(err)));
  }
  if (pid == 0) {
    worker = true;
    trace::detail::enter_worker_process();
    // No bar is drawn from a worker (and the parent's progress lock may be held by a thread
    // that does not exist here).
    progress_bars_alive.store(0, std::memory_order_relaxed);
    set_process_inline();                               // oneTBB's threads do not exist here
    close_registered_sockets_in_child(down[0], up[1]);  // also down[1] and up[0]
    for (int fd : close_in_child) {
      if (fd >= 0) ::close(fd);
    }
    // A worker whose parent dies sees end of file on its socket (or fails to answer) and exits.
    int status = 0;
    try {
      child_main(down[0], up[1]);
    } catch (...) {
      status = 70;
    }
    ::_exit(status);
  }
  unregister_socket(down[0]);
  unregister_socket(up[1]);
  ::close(down[0]);
  ::close(up[1]);
  trace_worker("worker start", pid, fork_begin);
  WorkerProcess w;
  w.pid_ = pid;
  w.to_child_ = down[1];
  w.from_child_ = up[0];
  return w;
}

WorkerProcess::WorkerProcess(WorkerProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      to_child_(std::exchange(other.to_child_, -1)),
      from_child_(std::exchange(other.from_child_, -1)) {}

WorkerProcess& WorkerProcess::operator=(WorkerProcess&& other) noexcept {
  if (this != &other) {
    kill();
    close_fds();
    pid_ = std::exchange(other.pid_, -1);
    to_child_ = std::exchange(other.to_child_, -1);
    from_child_ = std::exchange(other.from_child_, -1);
  }
  return *this;
}

WorkerProcess::~WorkerProcess() {
  kill();
  close_fds();
}

void WorkerProcess::close_input() noexcept {
  if (to_child_ >= 0) {
    unregister_socket(to_child_);
    ::close(to_child_);
  }
  to_child_ = -1;
}

void WorkerProcess::close_fds() noexcept {
  close_input();
  if (from_child_ >= 0) {
    unregister_socket(from_child_);
    ::close(from_child_);
  }
  from_child_ = -1;
}

std::optional<std::string> WorkerProcess::finish(std::chrono::milliseconds grace) noexcept {
  close_input();
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (pid_ > 0) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      trace_worker("worker stop", pid_, trace::detail::TraceClock::now());
      pid_ = -1;
      if (WIFSIGNALED(status)) {
        return fmt::format("was killed by signal {} ({})", WTERMSIG(status),
                           ::strsignal(WTERMSIG(status)));
      }
      if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        return fmt::format("exited with status {}", WEXITSTATUS(status));
      }
      return std::nullopt;
    }
    if (r < 0 && errno != EINTR) {
      pid_ = -1;
      return std::string("was lost (waitpid failed)");
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      kill();
      return std::string("did not exit in time and was killed");
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return std::nullopt;
}

void WorkerProcess::kill() noexcept {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  (void)wait();
}

std::optional<std::string> WorkerProcess::wait() noexcept {
  if (pid_ <= 0) return std::nullopt;
  int status = 0;
  pid_t r = 0;
  const auto begin = trace::detail::TraceClock::now();
  do {
    r = ::waitpid(pid_, &status, 0);
  } while (r < 0 && errno == EINTR);
  trace_worker("worker stop", pid_, begin);
  pid_ = -1;
  if (r < 0) return std::string("was lost (waitpid failed)");
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    return fmt::format("was killed by signal {} ({})", sig, ::strsignal(sig));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
    return fmt::format("exited with status {}", WEXITSTATUS(status));
  }
  return std::nullopt;
}

}  // namespace loom::detail
