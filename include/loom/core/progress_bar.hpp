#pragma once
// loom::ProgressBar (dask.diagnostics.ProgressBar): while one lives, compute() of arrays,
// dataframes and Delayed graphs, and get() of several refs, draw a bar on stderr — done/total,
// rate and ETA, redrawn in place on a terminal, plain lines otherwise — for work that runs
// longer than `minimum`. The renderer is the one Parallel's Progress::bar uses.
//
//   {
//     loom::ProgressBar bar({.minimum = std::chrono::seconds(1)});
//     auto m = x.mean().compute();
//   }

#include <chrono>
#include <memory>

namespace loom {

struct ProgressBarOptions {                    // dask.diagnostics.ProgressBar(minimum, width, dt)
  std::chrono::duration<double> minimum{0.5};  // draw only for work longer than this
  int width = 40;                              // the bar's width in characters (a terminal)
  std::chrono::duration<double> dt{0.1};       // redraw interval
};

namespace detail {
struct ProgressBarState;
}  // namespace detail

class ProgressBar {
 public:
  /// Starts drawing the work that follows. A width below 1 or a negative minimum or dt:
  /// loom::ConfigError naming it.
  explicit ProgressBar(ProgressBarOptions options = {});
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  /// Stops drawing (work still running finishes its bar first).
  ~ProgressBar();

 private:
  std::unique_ptr<detail::ProgressBarState> state_;
};

}  // namespace loom
