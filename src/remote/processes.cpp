// The processes mode's worker pool (see processes.hpp).

#include "processes.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <fstream>
#include <optional>
#include <span>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "core/frame_codec.hpp"
#include "core/trace_workers.hpp"
#include "loom/core/current_task.hpp"
#include "loom/core/detail/assert.hpp"
#include "loom/core/detail/node.hpp"
#include "loom/core/detail/trace_span.hpp"
#include "loom/core/error.hpp"
#include "loom/core/trace.hpp"
#include "loom/io/serialize.hpp"

namespace loom::detail {

namespace {

std::atomic<bool> remote_worker{false};
void worker_main(int in, int out, const std::filesystem::path& folder);
std::filesystem::path exchange_folder;  // in a worker: the store's shared folder

// A call frame: the thunk's address, the task's id, its name, its GPU ids, the arguments.
std::string encode_call(TaskRecord& record, const std::string& args) {
  const std::string& name = record.spec().name;
  const std::vector<int>& gpus = record.gpu_ids();
  return FrameWriter(64 + name.size() + gpus.size() * 4 + args.size())
      .put(record.spec().worker_thunk)
      .put(record.id())
      .put_bytes(name)
      .put_array(std::span<const int>(gpus))
      .put_rest(args)
      .take();
}

void worker_main(int in, int out, const std::filesystem::path& folder) {
  mark_remote_worker(folder);
  while (auto frame = read_frame(in)) {
    if (frame->kind != kCall) return;
    FrameReader reader(frame->payload, "remote call frame");
    WorkerThunk thunk = nullptr;
    std::uint64_t id = 0;
    std::string_view name;
    std::vector<int> gpus;
    try {
      thunk = reader.get<WorkerThunk>();
      id = reader.get<std::uint64_t>();
      name = reader.get_bytes();
      gpus = reader.get_array<int>();
    } catch (const Error&) {
      return;  // not a frame of ours: leave
    }
    std::string reply;
    std::uint32_t kind = kResult;
    const auto begin = std::chrono::steady_clock::now();
    try {
      // current_task() works in the worker too (a cancelled task's worker is killed instead).
      const TaskContext context(name, id, nullptr, gpus);
      const TaskScope scope(&context);
      reply = thunk(reader.rest());
    } catch (...) {
      kind = kError;
      reply = encode_worker_error();
    }
    // This worker's events (the call, and what it ran inside) travel just before the reply.
    if (trace::enabled()) {
      try {
        trace::detail::record_span("remote", name, fmt::format("\"id\":{}", id), begin,
                                   std::chrono::steady_clock::now());
      } catch (...) {  // a diagnostic: the reply goes out without it
      }
      if (!trace::detail::send_worker_events(out)) return;
    }
    if (!write_frame(out, kind, frame->index, reply)) return;
  }
}

}  // namespace

void spawn_worker(std::optional<WorkerProcess>& slot, FunctionRef<void(int, int)> child_main) {
  const std::int64_t old_pid = slot ? static_cast<std::int64_t>(slot->pid()) : 0;
  const bool restart = slot.has_value();
  const auto begin = std::chrono::steady_clock::now();
  slot.reset();  // kills and reaps a child that still runs
  // WorkerProcess::spawn has the child close every other worker's sockets.
  slot = WorkerProcess::spawn(child_main);
  if (restart && trace::enabled()) {
    trace::detail::record_span("worker", "worker restart",
                               fmt::format("\"old_pid\":{},\"pid\":{}", old_pid, slot->pid()),
                               begin, std::chrono::steady_clock::now());
  }
}

std::int64_t& last_call_worker_pid() noexcept {
  thread_local std::int64_t pid = 0;
  return pid;
}

void finish_worker(std::optional<WorkerProcess>& slot) noexcept {
  if (!slot) return;
  (void)slot->finish(std::chrono::milliseconds(1000));
  slot.reset();
}

void mark_remote_worker(const std::filesystem::path& folder) {
  remote_worker.store(true);
  exchange_folder = folder;
  set_process_inline();
}

void rethrow_worker_error(const std::string& payload) {
  WorkerError error;
  try {
    error = decode_worker_error(payload);
  } catch (const Error&) {
    throw Error("a worker sent a malformed error");
  }
  const std::string_view type = error.type;
  const std::string message(error.message);
  // The standard exceptions (and loom's own) come back as themselves, so that retry_on<E> and
  // catch clauses see the type; others as loom::Error saying which type it was.
  if (type == "std::runtime_error") throw std::runtime_error(message);
  if (type == "std::range_error") throw std::range_error(message);
  if (type == "std::overflow_error") throw std::overflow_error(message);
  if (type == "std::underflow_error") throw std::underflow_error(message);
  if (type == "std::logic_error") throw std::logic_error(message);
  if (type == "std::invalid_argument") throw std::invalid_argument(message);
  if (type == "std::domain_error") throw std::domain_error(message);
  if (type == "std::length_error") throw std::length_error(message);
  if (type == "std::out_of_range") throw std::out_of_range(message);
  if (type == "std::bad_alloc") throw std::bad_alloc();
  if (type == "loom::Error") throw Error(message);
  if (type == "loom::ConfigError") throw ConfigError(message);
  if (type == "loom::ShapeError") throw ShapeError(message);
  if (type == "loom::SchemaError") throw SchemaError(message);
  if (type == "loom::CacheError") throw CacheError(message);
  if (type == "loom::ObjectLost") throw ObjectLost(message);
  if (type == "loom::ResourceError") throw ResourceError(message);
  throw Error(fmt::format("{}: {}", type, message));
}

bool in_remote_worker() noexcept { return remote_worker.load(std::memory_order_relaxed); }

const std::filesystem::path& worker_exchange_folder() noexcept { return exchange_folder; }

ErasedFunction& worker_function() noexcept {
  thread_local ErasedFunction function = nullptr;
  return function;
}

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
  LOOM_ASSERT(slot->process.has_value(), "an idle worker slot has no process");
  return slot;
}

void ProcessPool::give_back(Slot* slot) {
  {
    std::lock_guard lock(mutex_);
    idle_.push_back(slot);
  }
  idle_cv_.notify_one();
}

std::string ProcessPool::run(TaskRecord& record, const std::string& args) {
  const std::stop_token stop = record.stop_source().get_token();
  const std::string label = record.label();
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
    last_call_worker_pid() = pid;
    const std::stop_callback kill_on_stop(stop, [pid] { ::kill(pid, SIGKILL); });
    reply = request_reply(*slot->process, kCall, encode_call(record, args));
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
    if (reply->kind == kError) rethrow_worker_error(reply->payload);
    return std::move(reply->payload);
  }
  // The worker died: reap it, start a fresh one, say what happened.
  const std::optional<std::string> how = slot->process->wait();
  respawn(*slot);
  throw WorkerCrashed(fmt::format("the worker process running {} died: {}", label,
                                  how.value_or(std::string("it closed its pipe"))));
}

}  // namespace loom::detail
