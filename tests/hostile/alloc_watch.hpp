#pragma once
// The largest single allocation made while a test runs, for the hostile-input tests: this test
// binary replaces the global operator new (alloc_watch.cpp) to record it, and refuses any single
// request above a hard cap (std::bad_alloc) so that a regression that trusts a made-up length
// fails the test instead of asking the machine for gigabytes.
//
//   loom::test::AllocWatch watch;
//   (void)loom::load<std::string>(path);          // throws loom::Error
//   EXPECT_LE(watch.largest(), 64 * file_size);    // the bound the reader promises

#include <cstddef>

namespace loom::test {

/// Requests above this many bytes throw std::bad_alloc in this test binary.
inline constexpr std::size_t kAllocationCap = std::size_t{1} << 30;

class AllocWatch {
 public:
  AllocWatch();  // resets the record
  AllocWatch(const AllocWatch&) = delete;
  AllocWatch& operator=(const AllocWatch&) = delete;
  /// The largest single request since construction (refused requests included).
  [[nodiscard]] std::size_t largest() const;
};

}  // namespace loom::test
