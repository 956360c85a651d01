#pragma once
// What every backend of one Parallel run shares: the dispatch of batches (the cursor, the batch
// sizer, the generator window), completion, the first failure, the stop request and progress.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string_view>

#include "core/progress.hpp"
#include "loom/parallel/detail/engine.hpp"
#include "parallel/batch.hpp"
#include "parallel/batch_sizer.hpp"
#include "parallel/resolved_options.hpp"

namespace loom::detail {

struct RunState {
  RunState(const ResolvedOptions& options, ParallelJob& job);

  const ResolvedOptions opt;
  ParallelJob& job;
  const std::size_t n;

  std::mutex mutex;  // guards everything below that is not atomic
  std::condition_variable changed;
  BatchSizer sizer;
  std::size_t cursor = 0;                     // calls dispatched
  std::size_t completed = 0;                  // calls finished
  std::size_t handed_out = 0;                 // results given to the consumer (generators)
  std::unique_ptr<std::atomic<bool>[]> done;  // per call (generators)
  std::deque<std::size_t> finished_order;     // completion order (unordered generator)
  std::exception_ptr error;
  std::atomic<bool> failed{false};
  std::stop_source stop;  // asks running calls to stop (failure, destruction)
  ProgressReporter progress;

  static constexpr std::size_t kAnySize = std::numeric_limits<std::size_t>::max();
  /// The next batch to run, within the pre-dispatch window and at most `max_count` calls;
  /// nullopt when there is none now.
  std::optional<Batch> take(std::size_t max_count = kAnySize);
  /// Records a finished batch whose first `ran` calls' results are stored.
  void finish_batch(const Batch& batch, std::size_t ran, double seconds);
  /// Records the first failure (later ones are dropped), stops dispatching and requests `stop`.
  void fail(std::exception_ptr e);
  /// With the mutex held: whether a result is ready to hand out; sets `index` to it.
  bool ready_to_hand_out(std::size_t& index);
  [[nodiscard]] bool all_handed_out() const { return handed_out >= n; }
  [[nodiscard]] std::size_t window_end() const;
  [[nodiscard]] bool generator() const { return opt.return_as != ReturnAs::list; }
  /// Throws the recorded failure, if any.
  void rethrow_failure();
};

/// The trace event of one batch ("Parallel batch": its first call, size, backend and this
/// process's pid), from `begin` to now. The caller checks trace::enabled().
void trace_batch(const Batch& batch, std::string_view backend,
                 std::chrono::steady_clock::time_point begin) noexcept;

/// A TaskError for call `index` made inside a catch block (the current exception is nested).
std::exception_ptr call_error(std::size_t index);

}  // namespace loom::detail
