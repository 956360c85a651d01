// A LocalCluster's worker process (worker_host.hpp): the driver's side (calls, the reader,
// restarts) and the process's own loop (a thread per call slot, heartbeats).

#include "cluster/worker_host.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <deque>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "cluster/code_address.hpp"
#include "core/frame_codec.hpp"
#include "loom/core/current_task.hpp"
#include "loom/core/error.hpp"
#include "remote/processes.hpp"

namespace loom::detail {

namespace {

constexpr std::uint32_t kHeartbeat = 16;
using Clock = std::chrono::steady_clock;

std::chrono::milliseconds heartbeat_interval(std::chrono::duration<double> ttl) {
  const auto fifth = std::chrono::duration_cast<std::chrono::milliseconds>(ttl / 5);
  return std::clamp(fifth, std::chrono::milliseconds(20), std::chrono::milliseconds(1000));
}

// ---- in the worker process ----

// Runs one call frame; returns the reply's kind and payload.
std::pair<std::uint32_t, std::string> run_call(const ModuleTable& modules, std::string_view frame) {
  try {
    FrameReader reader(frame, "cluster call frame");
    const std::string_view thunk_module = reader.get_bytes();
    const auto thunk_offset = reader.get<std::uint64_t>();
    const std::string_view function_module = reader.get_bytes();
    const auto function_offset = reader.get<std::uint64_t>();
    const auto id = reader.get<std::uint64_t>();
    const std::string_view name = reader.get_bytes();
    auto thunk = reinterpret_cast<WorkerThunk>(  // NOLINT: the driver sent a thunk's address
        const_cast<void*>(modules.decode(thunk_module, thunk_offset)));
    worker_function() =
        function_module.empty()
            ? nullptr
            : reinterpret_cast<ErasedFunction>(  // NOLINT: typed again by pointer_thunk
                  const_cast<void*>(modules.decode(function_module, function_offset)));
    const std::vector<int> no_gpus;
    const TaskContext context(name, id, nullptr, no_gpus);
    const TaskScope scope(&context);
    return {kResult, thunk(reader.rest())};
  } catch (...) {
    return {kError, encode_worker_error()};
  }
}

[[noreturn]] void serve(int in, int out, int threads, const std::filesystem::path& folder,
                        std::chrono::milliseconds beat) {
  mark_remote_worker(folder);  // loom runs inline here: oneTBB's pool did not survive the fork
  set_cluster_backend(nullptr);  // the driver's cluster is not this process's
  const ModuleTable modules;   // this process's own table (no lock of the parent is touched)
  std::mutex write_mutex;
  std::mutex queue_mutex;
  std::condition_variable queue_cv;
  std::deque<Frame> queue;
  bool stop = false;
  const auto send = [&](std::uint32_t kind, std::uint64_t index, std::string_view payload) {
    const std::lock_guard lock(write_mutex);
    return write_frame(out, kind, index, payload);
  };
  const auto work = [&] {
    for (;;) {
      Frame frame;
      {
        std::unique_lock lock(queue_mutex);
        queue_cv.wait(lock, [&] { return stop || !queue.empty(); });
        if (queue.empty()) return;
        frame = std::move(queue.front());
        queue.pop_front();
      }
      auto [kind, reply] = run_call(modules, frame.payload);
      if (!send(kind, frame.index, reply)) return;
    }
  };
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) pool.emplace_back(work);
  std::thread heart([&] {
    while (send(kHeartbeat, 0, {})) std::this_thread::sleep_for(beat);
  });
  // The driver closing the pipe (or dying) ends the worker, running calls and all.
  while (auto frame = read_frame(in)) {
    if (frame->kind != kCall) break;
    {
      const std::lock_guard lock(queue_mutex);
      queue.push_back(std::move(*frame));
    }
    queue_cv.notify_one();
  }
  {
    const std::lock_guard lock(queue_mutex);
    stop = true;
  }
  queue_cv.notify_all();
  for (auto& t : pool) t.detach();  // they end with the process, never joined
  heart.detach();
  ::_exit(0);  // now: the threads above still use this frame's locals
}

}  // namespace

// ---- in the driver ----

WorkerHost::WorkerHost(int id, int threads, std::filesystem::path folder,
                       std::chrono::duration<double> ttl)
    : id_(id), threads_(threads), folder_(std::move(folder)), ttl_(ttl) {
  {
    const std::lock_guard write_lock(write_mutex_);
    const std::lock_guard lock(mutex_);
    spawn();
  }
  reader_ = std::thread([this] { reader_loop(); });
}

WorkerHost::~WorkerHost() { shutdown(); }

std::string WorkerHost::address() const { return fmt::format("local/{}", id_); }

pid_t WorkerHost::pid() const {
  const std::lock_guard lock(mutex_);
  return process_ ? process_->pid() : 0;
}

void WorkerHost::spawn() {
  const int threads = threads_;
  const std::filesystem::path& folder = folder_;
  const std::chrono::milliseconds beat = heartbeat_interval(ttl_);
  process_ = WorkerProcess::spawn(
      [threads, &folder, beat](int in, int out) { serve(in, out, threads, folder, beat); });
  alive_ = true;
}

std::string WorkerHost::call(TaskRecord& record, const std::string& args) {
  const TaskSpec& spec = record.spec();
  const WorkerThunk thunk = spec.worker_thunk != nullptr ? spec.worker_thunk : spec.captureless_thunk;
  if (thunk == nullptr) throw_not_crossable(record.label());
  const CodeAddress t = encode_code_address(reinterpret_cast<const void*>(thunk));
  CodeAddress f;
  if (spec.worker_thunk == nullptr && spec.function != nullptr) {
    f = encode_code_address(reinterpret_cast<const void*>(spec.function));
  }
  const std::string& name = spec.name;
  std::string frame = FrameWriter(96 + t.module_id.size() + f.module_id.size() + name.size() +
                                  args.size())
                          .put_bytes(t.module_id)
                          .put(t.offset)
                          .put_bytes(f.module_id)
                          .put(f.offset)
                          .put(record.id())
                          .put_bytes(name)
                          .put_rest(args)
                          .take();
  const std::string label = record.label();
  Pending pending;
  std::uint64_t index = 0;
  pid_t pid = 0;
  {
    // A worker being replaced is waited for (the reader starts the next one at once).
    std::unique_lock lock(mutex_);
    done_cv_.wait_for(lock, std::chrono::seconds(10),
                      [&] { return closing_.load() || (alive_ && process_); });
    if (closing_.load()) throw Cancelled(fmt::format("{}: cluster closed", label));
    if (!alive_ || !process_) {
      throw WorkerCrashed(
          fmt::format("{}: worker {} could not be restarted", label, address()));
    }
    index = next_index_++;
    pending_.emplace(index, &pending);
    pid = process_->pid();
  }
  const std::stop_token stop = record.stop_source().get_token();
  {
    // Cancelling a running task kills its worker process (its other calls are retried).
    const std::stop_callback kill_on_stop(stop, [pid] { ::kill(pid, SIGKILL); });
    {
      const std::lock_guard write_lock(write_mutex_);
      // A failed write means the worker is gone: the reader fails the call.
      if (process_ && process_->pid() == pid) {
        (void)write_frame(process_->to_child(), kCall, index, frame);
      }
    }
    std::unique_lock lock(mutex_);
    done_cv_.wait(lock, [&] { return pending.done; });  // the reader answers within a ttl
  }
  if (stop.stop_requested()) {
    throw Cancelled(
        fmt::format("{} was cancelled while it ran (its worker process was killed)", label));
  }
  if (!pending.failure.empty()) {
    if (closing_.load()) throw Cancelled(fmt::format("{}: cluster closed", label));
    throw WorkerCrashed(fmt::format("{}: {}", label, pending.failure));
  }
  if (pending.kind == kError) rethrow_worker_error(pending.payload);
  return std::move(pending.payload);
}

void WorkerHost::reader_loop() noexcept {
  auto last = Clock::now();
  const auto ttl = std::chrono::duration_cast<Clock::duration>(ttl_);
  const int poll_ms = static_cast<int>(std::clamp<std::int64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(ttl_ / 4).count(), 10, 250));
  for (;;) {
    int fd = -1;
    pid_t pid = 0;
    Clock::time_point closing_since;
    {
      const std::lock_guard lock(mutex_);
      if (!process_) return;
      fd = process_->from_child();
      pid = process_->pid();
      closing_since = closing_since_;
    }
    if (closing_.load() && Clock::now() - closing_since > std::chrono::seconds(1)) {
      replace(fmt::format("worker {} (pid {}) did not leave when the cluster closed", address(),
                          pid));
      return;
    }
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, poll_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      replace(fmt::format("worker {} (pid {}): poll failed", address(), pid));
      if (closing_.load()) return;
      last = Clock::now();
      continue;
    }
    if (ready == 0) {
      if (!closing_.load() && Clock::now() - last > ttl) {
        replace(fmt::format(
            "worker {} (pid {}) sent no heartbeat for {:.3g}s (scheduler.worker-ttl): declared "
            "dead and killed",
            address(), pid, ttl_.count()));
        last = Clock::now();
      }
      continue;
    }
    std::optional<Frame> frame = read_frame(fd);
    if (!frame) {
      replace(fmt::format("worker {} (pid {}) died", address(), pid));
      if (closing_.load()) return;
      last = Clock::now();
      continue;
    }
    last = Clock::now();
    if (frame->kind == kHeartbeat) continue;
    {
      const std::lock_guard lock(mutex_);
      const auto it = pending_.find(frame->index);
      if (it == pending_.end()) continue;  // a reply nobody waits for: a protocol slip, dropped
      it->second->kind = frame->kind;
      it->second->payload = std::move(frame->payload);
      // Once close began, a late result is not delivered: pending gets say "cluster closed".
      if (closing_.load()) it->second->failure = "cluster closed";
      it->second->done = true;
      pending_.erase(it);
    }
    done_cv_.notify_all();
  }
}

void WorkerHost::replace(const std::string& why) noexcept {
  std::optional<std::string> how;
  {
    const std::lock_guard write_lock(write_mutex_);
    {
      const std::lock_guard lock(mutex_);
      alive_ = false;
    }
    // Reaped here: a stopped or hung process is killed after a short grace.
    if (process_) how = process_->finish(std::chrono::milliseconds(200));
  }
  const std::string message = how ? fmt::format("{}: {}", why, *how) : why;
  {
    const std::lock_guard lock(mutex_);
    for (auto& [index, pending] : pending_) {
      pending->failure = message;
      pending->done = true;
    }
    pending_.clear();
  }
  done_cv_.notify_all();
  const std::lock_guard write_lock(write_mutex_);
  const std::lock_guard lock(mutex_);
  if (closing_.load()) {
    process_.reset();
    return;
  }
  try {
    spawn();
    restarts_.fetch_add(1);
    generation_.fetch_add(1);
  } catch (const Error&) {
    process_.reset();  // cannot fork: the slot stays empty, its calls fail
  }
  done_cv_.notify_all();  // calls waiting for the new process
}

void WorkerHost::restart(std::chrono::milliseconds timeout) {
  const std::uint64_t before = generation_.load();
  const pid_t victim = pid();
  if (victim <= 0) return;
  ::kill(victim, SIGKILL);
  const auto until = Clock::now() + timeout;
  while (generation_.load() == before && Clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

void WorkerHost::shutdown() noexcept {
  bool first = false;
  {
    const std::lock_guard lock(mutex_);  // under the lock: calls waiting for a restart see it
    first = !closing_.exchange(true);
    if (first) closing_since_ = Clock::now();
  }
  done_cv_.notify_all();
  if (first) {
    const std::lock_guard write_lock(write_mutex_);
    if (process_) process_->close_input();  // the process leaves when it reads the end
  }
  if (reader_.joinable() && reader_.get_id() != std::this_thread::get_id()) reader_.join();
}

}  // namespace loom::detail
