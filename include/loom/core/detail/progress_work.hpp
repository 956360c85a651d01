#pragma once
// The hooks behind loom::ProgressBar: a top-level compute() opens a ProgressWork scope, and the
// steps inside it report what they add and finish (parallel_blocks' blocks, the scheduler's
// nodes, the refs get() waits for). Without a live ProgressBar each hook costs one relaxed load.

#include <atomic>
#include <cstdint>
#include <memory>

namespace loom::detail {

struct ProgressWorkState;
extern std::atomic<int> progress_bars_alive;

/// Whether a ProgressBar is alive (one relaxed load).
[[nodiscard]] inline bool progress_enabled() noexcept {
  return progress_bars_alive.load(std::memory_order_relaxed) > 0;
}

/// One piece of work a ProgressBar draws: the outermost scope while a bar lives (nested scopes
/// and scopes opened while another thread's work is drawn add to that work instead).
class ProgressWork {
 public:
  /// `total`: the steps known now (more may be added).
  explicit ProgressWork(std::int64_t total = 0) noexcept {
    if (progress_enabled()) open(total);
  }
  ProgressWork(const ProgressWork&) = delete;
  ProgressWork& operator=(const ProgressWork&) = delete;
  ~ProgressWork() {
    if (state_) close();
  }

 private:
  void open(std::int64_t total) noexcept;
  void close() noexcept;
  std::shared_ptr<ProgressWorkState> state_;  // set only in the scope that draws
};

/// The work being drawn now (null when none): hooks take it once and report to it.
[[nodiscard]] std::shared_ptr<ProgressWorkState> current_progress() noexcept;
/// `n` more steps to do / done, on the work `work` (null: nothing).
void progress_add_total(ProgressWorkState* work, std::int64_t n) noexcept;
void progress_add_done(ProgressWorkState* work, std::int64_t n) noexcept;

}  // namespace loom::detail
