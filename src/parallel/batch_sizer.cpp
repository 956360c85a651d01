// joblib's batch sizing rule for Parallel (see batch_sizer.hpp).

#include "parallel/batch_sizer.hpp"

#include <algorithm>

namespace loom::detail {

std::size_t BatchSizer::next(std::size_t remaining) const {
  if (remaining == 0) return 0;
  if (!automatic_) return std::min<std::size_t>(static_cast<std::size_t>(fixed_), remaining);
  // The last batches are split finely, so that all workers finish together.
  const std::size_t tail =
      std::max<std::size_t>(1, remaining / (4 * static_cast<std::size_t>(n_jobs_)));
  return std::min({static_cast<std::size_t>(effective_), tail, remaining});
}

void BatchSizer::completed(std::size_t count, double seconds) {
  if (!automatic_ || count == 0) return;
  const double per_call = std::max(seconds / static_cast<double>(count), 1e-9);
  per_call_ = per_call_ == 0 ? per_call : 0.8 * per_call_ + 0.2 * per_call;
  const double predicted = per_call_ * static_cast<double>(effective_);
  if (predicted < kMinIdeal) {
    // Twice the ideal size, as joblib does, to limit oscillation between the bounds.
    const double ideal = kMinIdeal / per_call_;
    effective_ = static_cast<std::int64_t>(std::min(2 * ideal, 1e12));
  } else if (predicted > kMaxIdeal) {
    effective_ = std::max<std::int64_t>(1, static_cast<std::int64_t>(kMinIdeal / per_call_));
  }
  effective_ = std::max<std::int64_t>(effective_, 1);
}

}  // namespace loom::detail
