#pragma once
// A backend of loom::Parallel: how the batches of one run get run (threads, processes,
// sequential), behind one small interface, and the registry that finds a backend by name.
//
// Adding a backend: a file under backends/ that defines a ParallelBackend and a function
// returning its BackendType, and that function in backends/registry.cpp (declared, and listed
// in all_backends). The engine (engine.cpp) knows no backend by name; the rules that apply to
// every backend (batching, the generator window, errors, progress) are in RunState.

#include <memory>
#include <span>
#include <string_view>

namespace loom::detail {

struct RunState;

/// The backend of one run, made when the run starts and destroyed with it. The engine calls it
/// a few times per run; it takes batches from the RunState (`take`), runs them and reports
/// them (`finish_batch`, `fail`): its own costs are per batch, never per call.
class ParallelBackend {
 public:
  virtual ~ParallelBackend() = default;
  ParallelBackend() = default;
  ParallelBackend(const ParallelBackend&) = delete;
  ParallelBackend& operator=(const ParallelBackend&) = delete;

  /// List mode: runs batches until every call ran or one failed; returns when none runs.
  virtual void run_to_end() = 0;
  /// Generator mode, before the first step: starts what runs the batches.
  virtual void start() = 0;
  /// Generator mode, while the consumer waits for a result: dispatches batches within the
  /// window, runs one or waits a little for one to finish.
  virtual void step() = 0;
  /// Generator mode, after the last result was handed out.
  virtual void finish() noexcept {}
  /// The run ends (`RunState::fail` was called, so nothing more is dispatched): waits for the
  /// running calls, which were asked to stop, or kills the workers. Never throws.
  virtual void stop() noexcept = 0;
};

/// A backend as users name it, and how to make one for a run.
struct BackendType {
  std::string_view name;                      // "threads": options, progress lines
  std::span<const std::string_view> aliases;  // joblib's names for it: "threading"
  bool results_serialized = false;  // results cross a process boundary: must be serializable
  bool one_worker = false;          // calls run on the calling thread: n_jobs is 1
  std::unique_ptr<ParallelBackend> (*make)(RunState& run) = nullptr;
};

/// Every backend, in the order errors list them (backends/registry.cpp).
std::span<const BackendType* const> all_backends();
/// The backend called `name` or one of its aliases. Unknown: ConfigError listing them all.
const BackendType& find_backend(std::string_view name);
/// The backend of n_jobs = 1 and of nested work that must stay on its thread.
const BackendType& sequential_backend();

}  // namespace loom::detail
