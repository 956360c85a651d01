// Actors in processes mode: each actor lives in a worker process of its own, which constructs
// the instance once and then runs its methods one at a time (frames: core/frame_codec.hpp).

#include <signal.h>

#include <atomic>
#include <mutex>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "core/frame_codec.hpp"
#include "core/trace_workers.hpp"
#include "loom/core/error.hpp"
#include "loom/core/trace.hpp"
#include "loom/remote/detail/exchange.hpp"
#include "processes.hpp"

namespace loom::detail {

namespace {

void actor_main(int in, int out, const std::filesystem::path& folder) {
  mark_remote_worker(folder);
  void* instance = nullptr;
  while (auto frame = read_frame(in)) {
    FrameReader reader(frame->payload, "actor frame");
    ActorConstructThunk construct = nullptr;
    ActorMethodThunk method = nullptr;
    std::string_view member;
    try {
      if (frame->kind == kConstruct) {
        construct = reader.get<ActorConstructThunk>();
      } else if (frame->kind == kCall && instance != nullptr) {
        method = reader.get<ActorMethodThunk>();
        member = reader.get_bytes();
      } else {
        return;  // not a frame of ours: leave
      }
    } catch (const Error&) {
      return;  // a malformed frame: leave
    }
    std::string reply;
    std::uint32_t kind = kResult;
    try {
      if (construct != nullptr) {
        instance = construct(reader.rest());
      } else {
        reply = method(instance, member, reader.rest());
      }
    } catch (...) {
      kind = kError;
      reply = encode_worker_error();
    }
    // What the call recorded (the work it ran inside) travels just before the reply.
    if (trace::enabled() && !trace::detail::send_worker_events(out)) return;
    if (!write_frame(out, kind, frame->index, reply)) return;
    if (kind == kError && instance == nullptr) return;  // the constructor failed
  }
}

}  // namespace

class ActorProcess {
 public:
  ActorProcess(std::string label, int max_restarts, ActorConstructThunk construct,
               std::string construct_args, std::filesystem::path folder)
      : label_(std::move(label)),
        max_restarts_(max_restarts),
        construct_(construct),
        construct_args_(std::move(construct_args)),
        folder_(std::move(folder)) {}
  ~ActorProcess() { finish_worker(process_); }
  ActorProcess(const ActorProcess&) = delete;
  ActorProcess& operator=(const ActorProcess&) = delete;

  // Spawns the process and constructs the instance; throws the constructor's failure.
  void start() {
    const std::filesystem::path& folder = folder_;
    spawn_worker(process_, [&folder](int in, int out) { actor_main(in, out, folder); });
    pid_.store(process_->pid());
    const std::string frame = FrameWriter(sizeof(construct_) + construct_args_.size())
                                  .put(construct_)
                                  .put_rest(construct_args_)
                                  .take();
    const std::optional<Frame> reply = request_reply(*process_, kConstruct, frame);
    if (reply && reply->kind == kResult) return;
    if (reply && reply->kind == kError) rethrow_worker_error(reply->payload);
    const std::optional<std::string> how = process_->wait();
    throw WorkerCrashed(fmt::format("the process of actor {} died while it was constructed: {}",
                                    label_, how.value_or("it closed its pipe")));
  }

  std::string call(ActorMethodThunk thunk, std::string_view member, const std::string& args) {
    const std::lock_guard lock(mutex_);  // a process runs one method at a time
    if (killed_.load()) throw Error(fmt::format("actor {}: actor killed (loom::kill)", label_));
    if (!dead_.empty()) throw WorkerCrashed(dead_);
    const std::string frame = FrameWriter(sizeof(thunk) + 4 + member.size() + args.size())
                                  .put(thunk)
                                  .put_bytes(member)
                                  .put_rest(args)
                                  .take();
    std::optional<Frame> reply = request_reply(*process_, kCall, frame);
    if (reply && reply->kind == kResult) return std::move(reply->payload);
    if (reply && reply->kind == kError) rethrow_worker_error(reply->payload);
    const std::string how = process_->wait().value_or("it closed its pipe");
    if (killed_.load()) {
      dead_ = fmt::format("actor {} is dead: killed (loom::kill)", label_);
      throw Error(fmt::format("actor {}: actor killed (loom::kill) while a call ran", label_));
    }
    std::string message = fmt::format("the process of actor {} died in a call: {}", label_, how);
    if (max_restarts_ < 0 || restarts_ < max_restarts_) {
      ++restarts_;
      try {
        start();
        message += fmt::format(
            " (restarted, {} of {})", restarts_,
            max_restarts_ < 0 ? std::string("unlimited") : std::to_string(max_restarts_));
      } catch (const std::exception& e) {
        dead_ = fmt::format("actor {} is dead: its restart failed: {}", label_, e.what());
      }
    } else {
      dead_ = fmt::format(
          "actor {} is dead: its process died ({}) and max_restarts = {} is used "
          "up",
          label_, how, max_restarts_);
    }
    throw WorkerCrashed(message);
  }

  // Without the lock when a call runs (it holds it): the process is then signalled, and the
  // call, seeing its pipe close, reaps it. The pid stays valid until then: only that call (or
  // this, under the lock) reaps it.
  void kill() noexcept {
    if (killed_.exchange(true)) return;
    if (mutex_.try_lock()) {
      const std::lock_guard lock(mutex_, std::adopt_lock);
      dead_ = fmt::format("actor {} is dead: killed (loom::kill)", label_);
      finish_worker(process_);
      return;
    }
    if (const pid_t pid = pid_.load(); pid > 0) ::kill(pid, SIGKILL);
  }
  [[nodiscard]] bool alive() noexcept {
    if (killed_.load()) return false;
    const std::lock_guard lock(mutex_);
    return dead_.empty();
  }

 private:
  std::string label_;
  int max_restarts_;
  int restarts_ = 0;
  ActorConstructThunk construct_;
  std::string construct_args_;
  std::filesystem::path folder_;
  std::mutex mutex_;
  std::optional<WorkerProcess> process_;
  std::string dead_;  // why no more calls can run
  std::atomic<bool> killed_{false};
  std::atomic<pid_t> pid_{0};  // of the running process, for kill() during a call
};

std::shared_ptr<ActorProcess> start_actor_process(const std::string& label, int max_restarts,
                                                  ActorConstructThunk construct,
                                                  std::string construct_args) {
  const std::filesystem::path* folder = processes_store_folder();
  if (folder == nullptr)
    throw Error(fmt::format("actor {}: the processes-mode runtime is gone", label));
  auto process = std::make_shared<ActorProcess>(label, max_restarts, construct,
                                                std::move(construct_args), *folder);
  process->start();
  return process;
}

void kill_actor_process(ActorProcess& process) noexcept { process.kill(); }

bool actor_process_alive(ActorProcess& process) noexcept { return process.alive(); }

std::string call_actor_process(ActorProcess& process, ActorMethodThunk thunk,
                               std::string_view member, const std::string& args) {
  return process.call(thunk, member, args);
}

}  // namespace loom::detail
