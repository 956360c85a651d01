#pragma once
// Progress display on stderr for long work: joblib-style verbose lines and a tqdm-like bar
// (Parallel's progress options and loom::ProgressBar).

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <mutex>
#include <string>

namespace loom::detail {

class ProgressReporter {
 public:
  /// `label` prefixes verbose lines ("Parallel(n_jobs=2)"). `verbose` > 0 prints joblib-style
  /// lines; `bar` draws a bar (redrawn in place on a terminal, plain lines otherwise).
  ProgressReporter(std::size_t total, std::string label, int verbose, bool bar,
                   std::FILE* out = stderr);
  /// "Using backend threads with 2 concurrent workers." (verbose only).
  void started(const std::string& backend, int workers);
  /// `done` calls have completed; prints when it is time to (thread-safe, throttled).
  void update(std::size_t done);
  /// The last line ("... finished"), once.
  void finish(std::size_t done);
  [[nodiscard]] bool active() const noexcept { return verbose_ > 0 || bar_; }
  /// Work whose size grows while it runs (ProgressBar): the total from now on.
  void set_total(std::size_t total);
  /// The bar's width in characters on a terminal (30 unless set).
  void set_width(int width);

 private:
  void print_line(std::size_t done, bool final);
  void draw_bar(std::size_t done, bool final);

  using Clock = std::chrono::steady_clock;
  std::mutex mutex_;
  std::size_t total_;
  std::string label_;
  int verbose_;
  bool bar_;
  std::FILE* out_;
  bool tty_;
  int width_ = 30;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_draw_{};
  std::size_t next_line_at_ = 1;
  std::size_t last_bar_decile_ = 0;
  std::size_t last_done_ = 0;
  bool finished_ = false;
};

/// "1.2s", "2min 3.4s" as joblib prints durations.
std::string format_seconds(double seconds);

}  // namespace loom::detail
