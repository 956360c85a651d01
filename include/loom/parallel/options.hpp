#pragma once
// Options of loom::Parallel (docs/parallel.md), and the parallel_backend scope.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

namespace loom {

/// `batch_size = loom::auto_batch`: batches grow until one takes about 0.2 s and shrink when
/// calls get slow, as joblib's "auto".
struct AutoBatch {
  friend bool operator==(AutoBatch, AutoBatch) = default;
};
inline constexpr AutoBatch auto_batch{};

/// How Parallel returns its results.
enum class ReturnAs {
  list,                 // all results, in input order, when the call returns
  generator,            // a lazy range in input order, dispatching ahead by pre_dispatch
  generator_unordered,  // a lazy range in completion order
};

/// A progress display on stderr.
enum class Progress {
  none,
  bar,  // a tqdm-like bar with rate and ETA, redrawn in place on a terminal; lines otherwise
};

/// Options; members in this order (designated initializers follow declaration order).
struct ParallelOptions {
  /// joblib semantics: -1 all cores, -2 all but one, 1 sequential; more than the cores is
  /// honoured (I/O-bound work). Unset: the enclosing parallel_backend scope's, else all cores.
  std::optional<int> n_jobs = std::nullopt;
  /// "threads" | "processes" | "sequential"; joblib's "threading", "loky", "multiprocessing"
  /// are aliases. Unset: the enclosing parallel_backend scope's, else "threads".
  std::optional<std::string> backend = std::nullopt;
  /// A positive number of calls per batch, or loom::auto_batch.
  std::variant<AutoBatch, std::int64_t> batch_size = auto_batch;
  /// How many calls may be dispatched ahead of those consumed: "2*n_jobs", "n_jobs", "all", or
  /// a number as text.
  std::string pre_dispatch = "2*n_jobs";
  ReturnAs return_as = ReturnAs::list;
  /// > 0: joblib-style progress lines on stderr (more often for larger values).
  int verbose = 0;
  Progress progress = Progress::none;
  /// Per call. Threads: an overrunning call is asked to stop (current_task().stop_requested())
  /// and loom::Timeout is thrown once it returned. Processes: its worker is killed at once.
  std::optional<std::chrono::duration<double>> timeout = std::nullopt;
  /// Processes backend: NDArray results larger than this come back through a .npy file in a
  /// temporary folder (LOOM_TEMP_FOLDER, config "temporary-directory", else /dev/shm or /tmp)
  /// that the caller maps, not through a pipe. The folder is removed when the run ends.
  std::int64_t max_nbytes = std::int64_t{1} << 20;
  /// How those results are mapped: "r" read-only (joblib's default), "r+" read-write, "c"
  /// copy-on-write.
  std::string mmap_mode = "r";
};

/// Options of parallel_backend.
struct ParallelBackendOptions {
  std::optional<int> n_jobs = std::nullopt;
};

/// Sets the default backend and n_jobs of Parallel() on this thread while it lives, like
/// joblib's `with parallel_backend(...)`; scopes nest and restore on exit.
class parallel_backend {  // NOLINT(readability-identifier-naming): joblib's name
 public:
  using Options = ParallelBackendOptions;
  explicit parallel_backend(std::string backend, Options options = {});
  ~parallel_backend();
  parallel_backend(const parallel_backend&) = delete;
  parallel_backend& operator=(const parallel_backend&) = delete;

  [[nodiscard]] const std::string& backend() const noexcept { return backend_; }
  [[nodiscard]] std::optional<int> n_jobs() const noexcept { return n_jobs_; }

 private:
  const parallel_backend* previous_;
  std::string backend_;
  std::optional<int> n_jobs_;
};

}  // namespace loom
