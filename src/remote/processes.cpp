// The processes mode's worker pool (see processes.hpp).

#include "processes.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "loom/core/detail/node.hpp"
#include "loom/core/error.hpp"
#include "loom/io/serialize.hpp"

namespace loom::detail {

namespace {

std::atomic<bool> remote_worker{false};
void worker_main(int in, int out, const std::filesystem::path& folder);
std::filesystem::path exchange_folder;  // in a worker: the store's shared folder

// A call frame: the thunk's address, then the label's length and bytes, then the arguments.
std::string encode_call(WorkerThunk thunk, const std::string& label, const std::string& args) {
  std::string out;
  out.reserve(sizeof(thunk) + 4 + label.size() + args.size());
  out.append(reinterpret_cast<const char*>(&thunk), sizeof(thunk));
  const auto n = static_cast<std::uint32_t>(label.size());
  out.append(reinterpret_cast<const char*>(&n), sizeof(n));
  out += label;
  out += args;
  return out;
}

void worker_main(int in, int out, const std::filesystem::path& folder) {
  mark_remote_worker(folder);
  while (auto frame = read_frame(in)) {
    if (frame->kind != kCall || frame->payload.size() < sizeof(WorkerThunk) + 4) return;
    WorkerThunk thunk = nullptr;
    std::memcpy(&thunk, frame->payload.data(), sizeof(thunk));
    std::uint32_t n = 0;
    std::memcpy(&n, frame->payload.data() + sizeof(thunk), sizeof(n));
    const std::size_t args_at = sizeof(thunk) + 4 + n;
    if (args_at > frame->payload.size()) return;
    const std::string_view args(frame->payload.data() + args_at, frame->payload.size() - args_at);
    std::string reply;
    std::uint32_t kind = kResult;
    try {
      reply = thunk(args);
    } catch (...) {
      kind = kError;
      reply = current_exception_type_name() + ": " + current_exception_message();
    }
    if (!write_frame(out, kind, frame->index, reply)) return;
  }
}

}  // namespace

// ---- every worker's sockets, so that a new child closes its copies of them ----

namespace {
std::mutex sockets_mutex;
std::vector<int> parent_sockets;

void forget_sockets(const WorkerProcess& process) {
  std::lock_guard lock(sockets_mutex);
  for (int fd : process.sockets()) {
    parent_sockets.erase(std::remove(parent_sockets.begin(), parent_sockets.end(), fd),
                         parent_sockets.end());
  }
}
}  // namespace

void spawn_worker(std::optional<WorkerProcess>& slot, FunctionRef<void(int, int)> child_main) {
  if (slot) {
    forget_sockets(*slot);
    slot.reset();  // kills and reaps a child that still runs
  }
  std::vector<int> others;
  {
    std::lock_guard lock(sockets_mutex);
    others = parent_sockets;
  }
  slot = WorkerProcess::spawn(child_main, others);
  std::lock_guard lock(sockets_mutex);
  for (int fd : slot->sockets()) parent_sockets.push_back(fd);
}

void finish_worker(std::optional<WorkerProcess>& slot) noexcept {
  if (!slot) return;
  forget_sockets(*slot);
  (void)slot->finish(std::chrono::milliseconds(1000));
  slot.reset();
}

void mark_remote_worker(const std::filesystem::path& folder) {
  remote_worker.store(true);
  exchange_folder = folder;
  set_process_inline();
}

bool in_remote_worker() noexcept { return remote_worker.load(std::memory_order_relaxed); }

const std::filesystem::path& worker_exchange_folder() noexcept { return exchange_folder; }

std::int64_t resident_bytes(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
  }
  return 0;
}

ProcessPool::ProcessPool(int workers, std::filesystem::path folder, std::int64_t restart_above)
    : folder_(std::move(folder)), restart_above_(restart_above) {
  for (int i = 0; i < workers; ++i) {
    auto slot = std::make_unique<Slot>();
    respawn(*slot);
    idle_.push_back(slot.get());
    slots_.push_back(std::move(slot));
  }
}

ProcessPool::~ProcessPool() {
  for (auto& slot : slots_) finish_worker(slot->process);
}

void ProcessPool::respawn(Slot& slot) {
  const std::filesystem::path& folder = folder_;
  spawn_worker(slot.process, [&folder](int in, int out) { worker_main(in, out, folder); });
}

ProcessPool::Slot* ProcessPool::take() {
  std::unique_lock lock(mutex_);
  idle_cv_.wait(lock, [this] { return !idle_.empty(); });
  Slot* slot = idle_.back();
  idle_.pop_back();
  return slot;
}

void ProcessPool::give_back(Slot* slot) {
  {
    std::lock_guard lock(mutex_);
    idle_.push_back(slot);
  }
  idle_cv_.notify_one();
}

std::string ProcessPool::run(WorkerThunk thunk, const std::string& label, const std::string& args,
                             std::stop_token stop) {
  Slot* slot = take();
  struct GiveBack {
    ProcessPool* pool;
    Slot* slot;
    ~GiveBack() { pool->give_back(slot); }
  } give_back_on_exit{this, slot};

  std::optional<Frame> reply;
  {
    // Cancelling kills the worker: its pipe then ends and the call is reported cancelled.
    const pid_t pid = slot->process->pid();
    const std::stop_callback kill_on_stop(stop, [pid] { ::kill(pid, SIGKILL); });
    if (write_frame(slot->process->to_child(), kCall, 0, encode_call(thunk, label, args))) {
      reply = read_frame(slot->process->from_child());
    }
  }
  if (stop.stop_requested()) {
    // The worker may have been killed after it replied: replace it either way.
    slot->process->kill();
    respawn(*slot);
    throw Cancelled(
        fmt::format("{} was cancelled while it ran (its worker process was killed)", label));
  }
  if (reply && (reply->kind == kResult || reply->kind == kError)) {
    // Dask's worker.memory.terminate: a worker grown past it is replaced between calls.
    if (restart_above_ > 0 && resident_bytes(slot->process->pid()) > restart_above_) {
      respawn(*slot);
    }
    if (reply->kind == kError) throw Error(reply->payload);
    return std::move(reply->payload);
  }
  // The worker died: reap it, start a fresh one, say what happened.
  const std::optional<std::string> how = slot->process->wait();
  respawn(*slot);
  throw WorkerCrashed(fmt::format("the worker process running {} died: {}", label,
                                  how.value_or(std::string("it closed its pipe"))));
}

}  // namespace loom::detail
