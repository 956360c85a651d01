#pragma once
// The processes mode's workers: long-lived forked processes that run registered functions.
//
// A call crosses as one frame: the address of the function's thunk (valid in the child: it is
// a fork of this very program, and only functions registered with LOOM_REMOTE have thunks),
// its name, and the serialized arguments; large arrays cross as .npy files in the store's
// shared-memory folder, which the worker maps. The reply is the serialized result, or the
// exception's type and message. A worker that dies (a segfault, abort) is replaced; the call
// fails with loom::WorkerCrashed, which the scheduler retries (max_retries).

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "core/worker_process.hpp"
#include "loom/remote/detail/task_record.hpp"

namespace loom::detail {

class ProcessPool {
 public:
  /// `restart_above`: a worker whose resident memory passes this many bytes after a call is
  /// replaced (`worker.memory.terminate`; 0: never).
  ProcessPool(int workers, std::filesystem::path folder, std::int64_t restart_above);
  ~ProcessPool();
  ProcessPool(const ProcessPool&) = delete;
  ProcessPool& operator=(const ProcessPool&) = delete;

  /// Runs `thunk(args)` in an idle worker and returns its reply. Throws loom::WorkerCrashed
  /// when the worker died, loom::Cancelled when `stop` was requested (the worker is killed),
  /// and loom::Error with the worker's "type: message" when the function threw.
  std::string run(TaskRecord& record, const std::string& args);

  [[nodiscard]] const std::filesystem::path& folder() const noexcept { return folder_; }

 private:
  struct Slot {
    std::optional<WorkerProcess> process;
  };
  Slot* take();
  void give_back(Slot* slot);
  void respawn(Slot& slot);

  std::filesystem::path folder_;
  std::int64_t restart_above_;
  std::mutex mutex_;
  std::condition_variable idle_cv_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<Slot*> idle_;
};

/// In the driver: throws what encode_worker_error (core/frame_codec.hpp) described (standard and
/// loom exceptions as themselves, others as loom::Error naming the type).
[[noreturn]] void rethrow_worker_error(const std::string& payload);

/// A process's resident memory in bytes (VmRSS), 0 when it cannot be read.
[[nodiscard]] std::int64_t resident_bytes(pid_t pid);

/// The pid of the worker process that ran this thread's last call (0: none, or in threads
/// mode); the scheduler's trace events say where an attempt ran.
[[nodiscard]] std::int64_t& last_call_worker_pid() noexcept;

/// True in a forked remote worker (the remote API is not available there).
[[nodiscard]] bool in_remote_worker() noexcept;
/// In a new worker: marks it so (runs inline, knows the shared folder).
void mark_remote_worker(const std::filesystem::path& folder);

/// (Re)starts `slot` as a worker running `child_main`.
void spawn_worker(std::optional<WorkerProcess>& slot, FunctionRef<void(int, int)> child_main);
/// Closes the worker's pipe, gives it a second to leave, then kills and reaps it.
void finish_worker(std::optional<WorkerProcess>& slot) noexcept;

enum FrameKind : std::uint32_t { kCall = 1, kResult = 2, kError = 3, kConstruct = 4 };

}  // namespace loom::detail
