#pragma once
// The engine under loom::Parallel: batching, the backends, errors, timeouts and progress.
// It is compiled once (src/parallel/); the typed front (parallel.hpp) reaches it through
// ParallelJob, one virtual call per batch of calls.

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "loom/io/serialize.hpp"
#include "loom/parallel/options.hpp"

namespace loom::detail {

/// What the engine needs from one typed Parallel call.
class ParallelJob {
 public:
  virtual ~ParallelJob() = default;
  [[nodiscard]] virtual std::size_t size() const = 0;
  /// Runs call `i` and stores its result (threads and sequential backends). May throw.
  virtual void run_and_store(std::size_t i) = 0;
  /// Runs calls [first, first + count) and stores their results, counting them in `done`
  /// (so that when one throws, call first + done is the one); stops early once `stop` is set.
  /// One virtual call per batch.
  virtual void run_range(std::size_t first, std::size_t count, std::size_t& done,
                         const std::atomic<bool>& stop) = 0;
  /// Runs call `i` in a forked worker and returns its result in serialized form, large arrays
  /// as files (`files`: only the serialization of the result, never the call, sees it). May
  /// throw.
  virtual std::string run_and_serialize(std::size_t i, const ArrayFiles* files) = 0;
  /// Stores a result that came back from a worker (in the parent).
  virtual void store_serialized(std::size_t i, std::string_view bytes) = 0;
  /// Called in the parent before workers are forked: materialize lazy inputs now.
  virtual void prepare_for_fork() {}
  /// Whether results can be serialized (backends that run calls in other processes need it).
  [[nodiscard]] virtual bool results_serializable() const = 0;
  /// The result type's name, for errors.
  [[nodiscard]] virtual std::string result_type() const = 0;
};

class ParallelEngine {
 public:
  /// Resolves `options` (its return_as is replaced by `return_as`) and makes the backend.
  /// Throws ConfigError for a bad option, or a result type the backend cannot send back.
  ParallelEngine(const ParallelOptions& options, ParallelJob& job, ReturnAs return_as);
  /// Stops the work: running calls of the threads backend are asked to stop and waited for;
  /// worker processes are killed and reaped.
  ~ParallelEngine();
  ParallelEngine(const ParallelEngine&) = delete;
  ParallelEngine& operator=(const ParallelEngine&) = delete;

  /// Runs every call (list mode). Throws the first failure: loom::TaskError naming the input
  /// index, loom::WorkerCrashed, or loom::Timeout.
  void run_all();
  /// Generator modes: the index of the next result to hand out (input order for `generator`,
  /// completion order for `generator_unordered`), nullopt after the last. Throws failures.
  std::optional<std::size_t> next();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace loom::detail
