#pragma once
// The processes mode, seen from the typed code: running a call in a worker process, and the
// store's shared-memory folder through which large arrays cross without copies
// (src/remote/processes.cpp, src/remote/runtime.cpp).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include "loom/io/npy.hpp"
#include "loom/remote/detail/task_record.hpp"

namespace loom::detail {

/// Arrays at least this large live in the shared folder in processes mode and cross as files.
inline constexpr std::int64_t kShareMinBytes = std::int64_t{1} << 20;

/// The store's shared folder while a processes-mode runtime runs (nullptr otherwise).
const std::filesystem::path* processes_store_folder() noexcept;
/// Runs the record's function (its spec's thunk) on `args` in a worker process of the running
/// runtime.
std::string run_in_worker(TaskRecord& record, const std::string& args);
/// In a worker process: the plain function a pointer_thunk calls (set for each call).
ErasedFunction& worker_function() noexcept;
/// In a worker process: the shared folder the parent's runtime uses.
const std::filesystem::path& worker_exchange_folder() noexcept;
/// A loom::Error when called inside a worker process (the remote API lives in the driver).
void check_not_in_worker();
/// A new .npy file in the shared folder, mapped read-write; it is removed when its memory is no
/// longer used.
NpyData create_shared_array(const std::filesystem::path& folder, DType dtype, const Shape& shape);
/// Removes the files one exchange wrote.
void remove_exchange_files(const std::filesystem::path& folder,
                           const std::vector<std::string>& names) noexcept;
/// In a runner thread of a cluster with worker processes: how this thread's calls reach its
/// worker process (src/cluster/). Null elsewhere.
class WorkerChannel {
 public:
  /// Runs the record's function in the worker process; throws as ProcessPool::run does.
  virtual std::string call(TaskRecord& record, const std::string& args) = 0;
  /// The shared folder large arrays cross through.
  [[nodiscard]] virtual const std::filesystem::path& folder() const noexcept = 0;

 protected:
  ~WorkerChannel() = default;
};
WorkerChannel*& this_thread_channel() noexcept;

/// The cluster of the current loom::Client (src/cluster/): remote tasks go to it while it is
/// current.
class ClusterBackend : public TaskRecord::Dispatcher {
 public:
  /// Called by `.remote()` before the record exists: loom::Cancelled "cluster closed" after
  /// close(), ResourceError for a request no worker can meet, ConfigError for a callable that
  /// cannot cross to a worker process (the callable rule).
  virtual void check_submit(const TaskSpec& spec) = 0;

 protected:
  ~ClusterBackend() = default;
};
/// The current client's cluster (null when there is none).
ClusterBackend* cluster_backend() noexcept;
void set_cluster_backend(ClusterBackend* backend) noexcept;
/// How many loom::Client objects live (init() refuses to start while one does).
int live_clients() noexcept;
void add_live_client(int delta) noexcept;

/// ConfigError: a call that cannot cross to a worker process.
[[noreturn]] void throw_not_crossable(const std::string& what);

// ---- actors in processes mode: one worker process per actor ----

/// In the actor's process: makes the instance from the serialized constructor arguments.
using ActorConstructThunk = void* (*)(std::string_view args);
/// In the actor's process: runs a method (its member pointer's bytes in `member`).
using ActorMethodThunk = std::string (*)(void* instance, std::string_view member,
                                         std::string_view args);

class ActorProcess;
/// Starts the actor's process and constructs the instance there; throws what the constructor
/// threw (as "type: message").
std::shared_ptr<ActorProcess> start_actor_process(const std::string& label, int max_restarts,
                                                  ActorConstructThunk construct,
                                                  std::string construct_args);
/// Runs a method in the actor's process. A crash fails this call with loom::WorkerCrashed and
/// restarts the actor (constructor again) while max_restarts allows.
std::string call_actor_process(ActorProcess& process, ActorMethodThunk thunk,
                               std::string_view member, const std::string& args);
/// loom::kill: kills the actor's process (no restart); the call it runs fails, and so does
/// every later one.
void kill_actor_process(ActorProcess& process) noexcept;
/// Whether the actor's process can still run calls (false once dead or killed).
bool actor_process_alive(ActorProcess& process) noexcept;
/// Whether LOOM_REMOTE(ClassName) registered the class.
bool class_registered(const std::type_info& type);

}  // namespace loom::detail
