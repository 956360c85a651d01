// The state every backend of one Parallel run shares: dispatch, completion, failure, progress.

#include "parallel/run_state.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "loom/core/detail/assert.hpp"
#include "loom/core/detail/trace_span.hpp"
#include "loom/core/error.hpp"

namespace loom::detail {

namespace {

std::atomic<BatchObserver> batch_observer{nullptr};

}  // namespace

void set_batch_observer(BatchObserver observer) noexcept {
  batch_observer.store(observer, std::memory_order_release);
}

std::exception_ptr call_error(std::size_t index) {
  const std::string what = current_exception_message();
  return std::make_exception_ptr(
      TaskError(fmt::format("Parallel call {}", index),
                fmt::format("loom::Parallel: call {} failed: {}{}{}", index,
                            current_exception_type_name(), what.empty() ? "" : ": ", what),
                index));
}

RunState::RunState(const ResolvedOptions& options, ParallelJob& j)
    : opt(options),
      job(j),
      n(j.size()),
      sizer(options.auto_batch, options.batch_size, options.n_jobs),
      progress(j.size(), fmt::format("Parallel(n_jobs={})", options.n_jobs), options.verbose,
               options.progress == Progress::bar) {
  if (generator()) {
    done = std::make_unique<std::atomic<bool>[]>(n);
  }
}

std::size_t RunState::window_end() const {
  if (!generator() || opt.pre_dispatch < 0) return n;
  return std::min(
      n, handed_out + static_cast<std::size_t>(std::max<std::int64_t>(opt.pre_dispatch, 1)));
}

std::optional<Batch> RunState::take(std::size_t max_count) {
  std::lock_guard lock(mutex);
  if (failed.load(std::memory_order_relaxed)) return std::nullopt;
  const std::size_t end = window_end();
  if (cursor >= end) return std::nullopt;
  const std::size_t count = std::min({sizer.next(n - cursor), max_count, end - cursor});
  LOOM_ASSERT(count > 0 && count <= n - cursor, "a batch is empty or runs past the last call");
  const Batch batch{cursor, count};
  cursor += count;
  if (const BatchObserver observer = batch_observer.load(std::memory_order_relaxed)) {
    observer(batch);
  }
  return batch;
}

void RunState::finish_batch(const Batch& batch, std::size_t ran, double seconds) {
  std::size_t now_completed = 0;
  {
    std::lock_guard lock(mutex);
    LOOM_ASSERT(ran <= batch.count && batch.first + batch.count <= cursor,
                "a finished batch ran more calls than it had, or was never dispatched");
    LOOM_ASSERT(completed + ran <= n, "more calls completed than there are");
    sizer.completed(ran, seconds);
    completed += ran;
    now_completed = completed;
    if (generator()) {
      for (std::size_t i = batch.first; i < batch.first + ran; ++i) {
        done[i].store(true, std::memory_order_release);
        finished_order.push_back(i);
      }
    }
  }
  changed.notify_all();
  try {
    progress.update(now_completed);
  } catch (...) {  // a progress line that cannot be written must not stop the work
  }
}

void trace_batch(const Batch& batch, std::string_view backend,
                 std::chrono::steady_clock::time_point begin) noexcept {
  std::string args;
  try {
    args = fmt::format("\"first\":{},\"size\":{},\"backend\":\"{}\",\"pid\":{}", batch.first,
                       batch.count, backend, trace::detail::process_id());
  } catch (...) {
    return;
  }
  trace::detail::record_span("parallel", "Parallel batch", std::move(args), begin,
                             std::chrono::steady_clock::now());
}

void RunState::fail(std::exception_ptr e) {
  {
    std::lock_guard lock(mutex);
    if (!error) error = std::move(e);
    failed.store(true, std::memory_order_release);
  }
  stop.request_stop();  // and, through their stop callbacks, the calls' own stop requests
  changed.notify_all();
}

bool RunState::ready_to_hand_out(std::size_t& index) {
  if (opt.return_as == ReturnAs::generator_unordered) {
    if (finished_order.empty()) return false;
    index = finished_order.front();
    finished_order.pop_front();
  } else {
    if (handed_out >= n || !done[handed_out].load(std::memory_order_acquire)) return false;
    index = handed_out;
  }
  ++handed_out;
  return true;
}

void RunState::rethrow_failure() {
  std::exception_ptr e;
  {
    std::lock_guard lock(mutex);
    e = error;
  }
  if (e) std::rethrow_exception(e);
}

}  // namespace loom::detail
