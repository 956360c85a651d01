#pragma once
// Options of the remote runtime (docs/remote.md): init, tasks, actors, get and wait.
// Members keep the order docs/remote.md lists: designated initializers must follow it.

#include <chrono>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>

namespace loom {

/// `loom::init({...})`: the runtime's resources and object store.
struct InitOptions {
  /// Logical CPUs: how many `num_cpus = 1` tasks run at once (default: loom::cpu_count()).
  std::optional<double> num_cpus{};
  /// GPUs to hand out (bookkeeping: tasks see their ids through current_task().gpu_ids()).
  double num_gpus = 0;
  /// Custom resources, as Ray's `resources={"disk": 4}`.
  std::map<std::string, double> resources{};
  /// The object store's memory limit in bytes (default: 30% of the machine's memory, as Ray).
  std::int64_t object_store_memory = 0;
  /// Where objects spill beyond the limit (default: loom's temporary directory).
  std::string spill_dir{};
  /// "threads" (the default) or "processes".
  std::string mode = "threads";
};

/// Which exceptions `retry_exceptions` retries: `loom::retry_on<E1, E2>()`.
class RetryOn {
 public:
  using Predicate = bool (*)(const std::exception_ptr&);
  explicit RetryOn(Predicate matches) noexcept : matches_(matches) {}
  [[nodiscard]] bool matches(const std::exception_ptr& error) const { return matches_(error); }

 private:
  Predicate matches_;
};

/// Retries after exceptions of these types (or types derived from them) only.
template <class... Exceptions>
[[nodiscard]] RetryOn retry_on() {
  static_assert(sizeof...(Exceptions) > 0, "retry_on<E...>() needs at least one exception type");
  return RetryOn([](const std::exception_ptr& error) {
    const auto is = [&error]<class E>() {
      try {
        std::rethrow_exception(error);
      } catch (const E&) {
        return true;
      } catch (...) {
        return false;
      }
    };
    return (is.template operator()<Exceptions>() || ...);
  });
}

/// `task(f).options({...})`.
struct TaskOptions {
  std::string name{};
  double num_cpus = 1;
  double num_gpus = 0;
  /// Bytes of the `memory` resource the task holds while it runs.
  std::int64_t memory = 0;
  std::map<std::string, double> resources{};
  /// Re-runs after a worker crash (processes mode); with retry_exceptions also after exceptions.
  int max_retries = 3;
  std::variant<bool, RetryOn> retry_exceptions = false;
};

/// `actor<C>().options({...})`.
struct ActorOptions {
  std::string name{};
  /// CPUs the actor holds for its whole life (Ray's default for running methods is 0).
  double num_cpus = 0;
  /// Re-creations after the actor's worker process crashed (processes mode).
  int max_restarts = 0;
  /// 1: methods run one at a time, in call order; more: up to that many at once, unordered.
  int max_concurrency = 1;
  /// Registers `name` (the type name when empty) for loom::get_actor, as Ray's
  /// `Actor.options(name="ps")`; a second live actor of that name is a ConfigError.
  bool named = false;
  /// Re-runs of a call interrupted by the actor's restart (processes mode; -1: no limit).
  int max_task_retries = 0;
};

struct WaitOptions {
  std::size_t num_returns = 1;
  std::optional<std::chrono::milliseconds> timeout{};
};

struct GetOptions {
  std::optional<std::chrono::milliseconds> timeout{};
};

/// `loom::object_store_stats()`: the first three are current totals, the counts cumulative
/// since `init`.
struct ObjectStoreStats {
  std::int64_t objects_alive = 0;
  std::int64_t bytes_in_memory = 0;
  std::int64_t bytes_spilled = 0;
  std::int64_t spill_count = 0;
  std::int64_t restore_count = 0;
};

}  // namespace loom
