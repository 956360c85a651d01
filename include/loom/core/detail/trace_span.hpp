#pragma once
// Spans with a category and arguments, for the facades' own trace events (Parallel batches,
// remote tasks, actor calls, array chunks, dataframe partitions, spills, transfers, workers).
// Callers check loom::trace::enabled() first: off, an event costs that one relaxed load.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace loom::trace::detail {

using TraceClock = std::chrono::steady_clock;

/// Records one finished span on this thread: `category` ("parallel", "array", ...) becomes the
/// event's "cat", `args` its arguments as JSON members without braces (`"chunk":3`). Never
/// throws: an event that cannot be stored is dropped.
void record_span(std::string_view category, std::string_view name, std::string args,
                 TraceClock::time_point begin, TraceClock::time_point end) noexcept;

/// This process's pid, read once (getpid is a system call) and again in a forked worker.
[[nodiscard]] std::int64_t process_id() noexcept;

}  // namespace loom::trace::detail
