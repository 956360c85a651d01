#pragma once
// Trace events of forked worker processes: a worker records its own events and ships them to
// its parent in a frame of their own, just before a reply; the parent merges them into its
// trace under the worker's pid, so that each worker is a process lane of its own.

#include <cstdint>
#include <string_view>

namespace loom::trace::detail {

/// The kind of the frame that carries a worker's events (never a kind of a worker protocol).
inline constexpr std::uint32_t kTraceFrame = 0x4C54524Bu;

/// In a freshly forked child: forget the parent's buffers (another thread may hold their
/// locks) and record into the child's own list from now on.
void enter_worker_process() noexcept;
/// In a worker: sends what it recorded since the last call as a kTraceFrame on `fd`. Sends
/// nothing when there is nothing; false when the parent is gone.
bool send_worker_events(int fd);
/// In the parent: adds the events of a kTraceFrame from worker `pid` to this process's trace.
/// A malformed payload is dropped (the trace is a diagnostic: the work goes on).
void merge_worker_events(std::int64_t pid, std::string_view payload) noexcept;

}  // namespace loom::trace::detail
