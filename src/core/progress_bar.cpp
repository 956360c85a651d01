// loom::ProgressBar and the ProgressWork hooks (progress_work.hpp): the work drawn now, its
// counts, and one drawing thread per live bar that redraws it every `dt`.

#include "loom/core/progress_bar.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "core/progress.hpp"
#include "loom/core/detail/progress_work.hpp"
#include "loom/core/error.hpp"

namespace loom {

namespace detail {

std::atomic<int> progress_bars_alive{0};

struct ProgressWorkState {
  using Clock = std::chrono::steady_clock;
  ProgressWorkState(std::int64_t total, const ProgressBarOptions& options)
      : total(total),
        minimum(options.minimum),
        reporter(static_cast<std::size_t>(std::max<std::int64_t>(total, 0)), "loom", 0, true) {
    reporter.set_width(options.width);
  }
  std::atomic<std::int64_t> total;
  std::atomic<std::int64_t> done{0};
  Clock::time_point start = Clock::now();
  std::chrono::duration<double> minimum;
  ProgressReporter reporter;

  [[nodiscard]] bool long_enough() const { return Clock::now() - start >= minimum; }
  void draw() {
    const std::int64_t t = total.load(std::memory_order_relaxed);
    const std::int64_t d = std::min(done.load(std::memory_order_relaxed), t);
    reporter.set_total(static_cast<std::size_t>(std::max<std::int64_t>(t, 0)));
    reporter.update(static_cast<std::size_t>(std::max<std::int64_t>(d, 0)));
  }
};

namespace {

// The live bars' options (the newest applies) and the work drawn now.
struct Progress {
  std::mutex mutex;
  std::vector<const ProgressBarOptions*> bars;
  std::shared_ptr<ProgressWorkState> work;
};

Progress& progress() {
  static Progress p;
  return p;
}

}  // namespace

void ProgressWork::open(std::int64_t total) noexcept {
  auto& p = progress();
  try {
    std::lock_guard lock(p.mutex);
    if (p.work || p.bars.empty()) {
      if (p.work) progress_add_total(p.work.get(), total);  // nested: part of that work
      return;
    }
    p.work = std::make_shared<ProgressWorkState>(total, *p.bars.back());
    state_ = p.work;
  } catch (...) {  // no bar for this work: it runs all the same
    state_.reset();
  }
}

void ProgressWork::close() noexcept {
  auto& p = progress();
  std::shared_ptr<ProgressWorkState> work;
  {
    std::lock_guard lock(p.mutex);
    if (p.work == state_) p.work.reset();
    work = std::move(state_);
  }
  try {
    if (work->long_enough()) {
      work->draw();
      work->reporter.finish(
          static_cast<std::size_t>(std::min(work->done.load(), work->total.load())));
    }
  } catch (...) {  // a line that cannot be written must not fail the work
  }
}

std::shared_ptr<ProgressWorkState> current_progress() noexcept {
  if (!progress_enabled()) return nullptr;
  auto& p = progress();
  std::lock_guard lock(p.mutex);
  return p.work;
}

void progress_add_total(ProgressWorkState* work, std::int64_t n) noexcept {
  if (work != nullptr) work->total.fetch_add(n, std::memory_order_relaxed);
}

void progress_add_done(ProgressWorkState* work, std::int64_t n) noexcept {
  if (work != nullptr) work->done.fetch_add(n, std::memory_order_relaxed);
}

struct ProgressBarState {
  explicit ProgressBarState(const ProgressBarOptions& o) : options(o) {}
  ProgressBarOptions options;
  std::mutex mutex;
  std::condition_variable_any wake;
  std::jthread drawer;
};

}  // namespace detail

ProgressBar::ProgressBar(ProgressBarOptions options) {
  if (options.width < 1) {
    throw ConfigError(fmt::format("ProgressBar: width = {} (use 1 or more)", options.width));
  }
  if (options.minimum.count() < 0 || options.dt.count() <= 0) {
    throw ConfigError(fmt::format("ProgressBar: minimum = {}s, dt = {}s (use minimum >= 0, dt > 0)",
                                  options.minimum.count(), options.dt.count()));
  }
  state_ = std::make_unique<detail::ProgressBarState>(options);
  auto& p = detail::progress();
  {
    std::lock_guard lock(p.mutex);
    p.bars.push_back(&state_->options);
  }
  detail::progress_bars_alive.fetch_add(1, std::memory_order_relaxed);
  detail::ProgressBarState* s = state_.get();
  s->drawer = std::jthread([s](const std::stop_token& stop) {
    const auto dt = std::chrono::duration_cast<std::chrono::steady_clock::duration>(s->options.dt);
    while (!stop.stop_requested()) {
      {
        std::unique_lock lock(s->mutex);
        s->wake.wait_for(lock, stop, dt, [] { return false; });
      }
      if (stop.stop_requested()) return;
      std::shared_ptr<detail::ProgressWorkState> work = detail::current_progress();
      if (!work || !work->long_enough()) continue;
      try {
        work->draw();
      } catch (...) {  // a line that cannot be written: the next tick tries again
      }
    }
  });
}

ProgressBar::~ProgressBar() {
  state_->drawer.request_stop();
  state_->drawer.join();
  auto& p = detail::progress();
  {
    std::lock_guard lock(p.mutex);
    std::erase(p.bars, &state_->options);
  }
  detail::progress_bars_alive.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace loom
