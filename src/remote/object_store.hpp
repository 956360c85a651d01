#pragma once
// The object store's process-wide bookkeeping: totals for object_store_stats(), the memory limit,
// and the list of large objects that may spill (least recently used first).
//
// Small objects (under kSpillMinBytes, Ray's inline objects) are counted but never spill.
// Objects spill when the bytes in memory pass `worker.memory.target` of the limit, down to it;
// an object that a running task, a `get_ptr` or an array from `get` still uses stays.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>

#include "loom/remote/detail/object_entry.hpp"
#include "loom/remote/options.hpp"

namespace loom::detail {

inline constexpr std::size_t kSpillMinBytes = 100 * 1024;

struct StoreLimits {
  std::int64_t memory_limit = 0;  // object_store_memory
  std::int64_t spill_above = 0;   // spill when bytes in memory pass this (0: never)
  std::int64_t pause_above = 0;   // new tasks wait while bytes in memory pass this (0: never)
  /// Where the store makes its spill folder, on the first spill (empty: no spilling). The folder
  /// goes away with the last spilled object that uses it.
  std::filesystem::path spill_base;
};

/// Sets the limits and the spill folder (init) or clears them (shutdown); resets the counts.
void configure_store(const StoreLimits& limits);
[[nodiscard]] ObjectStoreStats store_stats() noexcept;
/// Whether the store is above its pause threshold (new tasks should wait).
[[nodiscard]] bool store_over_pause() noexcept;

}  // namespace loom::detail
