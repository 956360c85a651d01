#pragma once
// joblib's batch sizing rule for Parallel: fixed sizes, or auto batching that grows batches for
// fast calls, shrinks them for slow ones and splits the tail.

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace loom::detail {

/// joblib's auto batching: batches grow until one takes about MIN_IDEAL (0.2 s) and shrink when
/// one takes more than MAX_IDEAL (2 s); near the end they are split finely so that no worker is
/// left with a long tail.
class BatchSizer {
 public:
  BatchSizer(bool automatic, std::int64_t fixed, int n_jobs)
      : automatic_(automatic), fixed_(std::max<std::int64_t>(fixed, 1)), n_jobs_(n_jobs) {}
  /// The size of the next batch when `remaining` calls are left to dispatch (0 when none).
  [[nodiscard]] std::size_t next(std::size_t remaining) const;
  /// A batch of `count` calls took `seconds`: adjusts the size of the next ones (auto only).
  void completed(std::size_t count, double seconds);

  static constexpr double kMinIdeal = 0.2;
  static constexpr double kMaxIdeal = 2.0;

 private:
  bool automatic_;
  std::int64_t fixed_;
  int n_jobs_;
  std::int64_t effective_ = 1;
  double per_call_ = 0;  // smoothed seconds per call
};

}  // namespace loom::detail
