#include "core/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace loom::detail {

std::string format_seconds(double seconds) {
  if (seconds < 60) return fmt::format("{:.1f}s", seconds);
  const int minutes = static_cast<int>(seconds / 60);
  return fmt::format("{}min {:.1f}s", minutes, seconds - 60.0 * minutes);
}

ProgressReporter::ProgressReporter(std::size_t total, std::string label, int verbose, bool bar,
                                   std::FILE* out)
    : total_(total),
      label_(std::move(label)),
      verbose_(verbose),
      bar_(bar),
      out_(out),
      tty_(out != nullptr && ::isatty(::fileno(out)) != 0) {}

void ProgressReporter::started(const std::string& backend, int workers) {
  if (verbose_ <= 0) return;
  std::lock_guard lock(mutex_);
  fmt::print(out_, "[{}]: Using backend {} with {} concurrent worker{}.\n", label_, backend,
             workers, workers == 1 ? "" : "s");
  std::fflush(out_);
}

void ProgressReporter::update(std::size_t done) {
  if (!active()) return;
  std::lock_guard lock(mutex_);
  if (finished_ || done < last_done_) return;  // reports from several threads arrive out of order
  last_done_ = done;
  if (verbose_ > 0) {
    // joblib prints often at high verbosity and at growing intervals otherwise.
    if (verbose_ >= 10 || done >= next_line_at_) {
      print_line(done, false);
      while (next_line_at_ <= done) next_line_at_ = std::max<std::size_t>(next_line_at_ * 2, 1);
    }
  }
  if (bar_) draw_bar(done, false);
}

void ProgressReporter::finish(std::size_t done) {
  if (!active()) return;
  std::lock_guard lock(mutex_);
  if (finished_) return;
  finished_ = true;
  if (verbose_ > 0) print_line(done, true);
  if (bar_) draw_bar(done, true);
}

void ProgressReporter::set_total(std::size_t total) {
  std::lock_guard lock(mutex_);
  total_ = total;
}

void ProgressReporter::set_width(int width) {
  std::lock_guard lock(mutex_);
  width_ = std::max(width, 1);
}

void ProgressReporter::print_line(std::size_t done, bool final) {
  const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
  const int width = static_cast<int>(std::to_string(total_).size());
  std::string line = fmt::format("[{}]: Done {:>{}} out of {:>{}} | elapsed: {:>8}", label_, done,
                                 width, total_, width, format_seconds(elapsed));
  if (final) {
    line += " finished";
  } else if (done > 0 && done < total_) {
    const double remaining =
        elapsed / static_cast<double>(done) * static_cast<double>(total_ - done);
    line += fmt::format(" remaining: {:>8}", format_seconds(remaining));
  }
  fmt::print(out_, "{}\n", line);
  std::fflush(out_);
}

void ProgressReporter::draw_bar(std::size_t done, bool final) {
  const auto now = Clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
  const double eta = rate > 0 ? static_cast<double>(total_ - std::min(done, total_)) / rate : 0.0;
  const double fraction =
      total_ > 0 ? static_cast<double>(done) / static_cast<double>(total_) : 1.0;
  if (tty_) {
    if (!final && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    const int kWidth = width_;
    const int filled = std::clamp(static_cast<int>(std::lround(fraction * kWidth)), 0, kWidth);
    fmt::print(out_, "\r{:3.0f}%|{}{}| {}/{} [{}<{}, {:.1f}it/s]{}", fraction * 100,
               std::string(static_cast<std::size_t>(filled), '#'),
               std::string(static_cast<std::size_t>(kWidth - filled), ' '), done, total_,
               format_seconds(elapsed), format_seconds(eta), rate, final ? "\n" : "");
  } else {
    // Not a terminal: a plain line at every tenth, and at the end.
    const auto decile = static_cast<std::size_t>(fraction * 10);
    if (!final && decile <= last_bar_decile_) return;
    last_bar_decile_ = decile;
    fmt::print(out_, "progress: {}/{} ({:.0f}%) elapsed {}, {:.1f} it/s, ETA {}\n", done, total_,
               fraction * 100, format_seconds(elapsed), rate, format_seconds(eta));
  }
  std::fflush(out_);
}

}  // namespace loom::detail
