#pragma once
// Task tracing in the Chrome trace event format (open the file in Perfetto or chrome://tracing).
//
//   loom::trace::start();  ...  loom::trace::stop("trace.json");
//
// Or set LOOM_TRACE=path: tracing starts with the first task and the file is written at exit.
// Each task records (name, thread, start, end) into its thread's buffer; when tracing is off
// the cost per task is one relaxed atomic load.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string_view>

namespace loom::trace {

/// Starts recording (clears what an earlier run recorded).
void start();
/// Stops recording and writes the events to `path` as Chrome trace JSON. Throws loom::Error when
/// the file cannot be written.
void stop(const std::filesystem::path& path);
namespace detail {
extern std::atomic<bool> recording;
}  // namespace detail

/// Whether recording is on.
[[nodiscard]] inline bool enabled() noexcept {
  return detail::recording.load(std::memory_order_relaxed);
}

/// Records one finished span on this thread (the scheduler calls it; facades may too).
void record(std::string_view name, std::uint64_t id, std::chrono::steady_clock::time_point begin,
            std::chrono::steady_clock::time_point end);

}  // namespace loom::trace
