// Parallel's batching, seen through the batches the engine dispatches (its test hook): fixed
// sizes are kept, and joblib's auto batching grows batches for fast calls, shrinks them for slow
// ones and splits the tail, on every backend.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "loom/loom.hpp"
#include "parallel/batch.hpp"

namespace {

std::vector<int> iota(int n) {
  std::vector<int> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), 0);
  return v;
}

double work(int x) { return std::sqrt(static_cast<double>(x)) * x; }

std::vector<double> sequential_squares(const std::vector<int>& xs) {
  std::vector<double> out;
  for (int x : xs) out.push_back(work(x));
  return out;
}

// Records the batches every Parallel engine dispatches while it lives (the engine's test hook).
class BatchRecorder {
 public:
  BatchRecorder() {
    const std::lock_guard lock(mutex());
    seen().clear();
    loom::detail::set_batch_observer(&record);
  }
  ~BatchRecorder() { loom::detail::set_batch_observer(nullptr); }
  BatchRecorder(const BatchRecorder&) = delete;
  BatchRecorder& operator=(const BatchRecorder&) = delete;

  [[nodiscard]] std::vector<loom::detail::Batch> batches() const {
    const std::lock_guard lock(mutex());
    return seen();
  }

 private:
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  static std::vector<loom::detail::Batch>& seen() {
    static std::vector<loom::detail::Batch> v;
    return v;
  }
  static void record(const loom::detail::Batch& batch) {
    const std::lock_guard lock(mutex());
    seen().push_back(batch);
  }
};

// Whether `batches`, in dispatch order, are [0, n) in consecutive non-empty pieces.
::testing::AssertionResult cover_in_order(const std::vector<loom::detail::Batch>& batches,
                                          std::size_t n) {
  std::size_t next = 0;
  for (const auto& b : batches) {
    if (b.first != next || b.count == 0) {
      return ::testing::AssertionFailure()
             << "batch [" << b.first << ", +" << b.count << ") where " << next << " was next";
    }
    next += b.count;
  }
  if (next != n) return ::testing::AssertionFailure() << next << " calls of " << n;
  return ::testing::AssertionSuccess();
}

class Batching : public ::testing::TestWithParam<const char*> {};

TEST_P(Batching, FixedBatchesHaveTheirSize) {
  const auto xs = iota(500);
  for (std::size_t fixed : {1, 7, 100, 1000}) {
    BatchRecorder recorder;
    (void)loom::Parallel(
        {.n_jobs = 2, .backend = GetParam(), .batch_size = static_cast<std::int64_t>(fixed)})(xs,
                                                                                              work);
    const auto batches = recorder.batches();
    ASSERT_TRUE(cover_in_order(batches, xs.size())) << "batch_size = " << fixed;
    for (const auto& b : batches) {
      // The last one has what is left.
      EXPECT_EQ(b.count, std::min(fixed, xs.size() - b.first)) << "batch_size = " << fixed;
    }
  }
}

// joblib's auto batching, seen through the batches the engine dispatched: the first has one call
// (nothing is measured yet); fast calls make them grow.
TEST_P(Batching, AutoBatchesGrowForFastCalls) {
  const auto xs = iota(2000);
  BatchRecorder recorder;
  std::vector<double> r = loom::Parallel({.n_jobs = 2, .backend = GetParam()})(xs, work);
  EXPECT_EQ(r, sequential_squares(xs));
  const auto batches = recorder.batches();
  ASSERT_TRUE(cover_in_order(batches, xs.size()));
  EXPECT_EQ(batches.front().count, 1U);
  std::size_t largest = 0;
  for (const auto& b : batches) largest = std::max(largest, b.count);
  EXPECT_GT(largest, 1U);
  EXPECT_LT(batches.size(), xs.size() / 10) << "fast calls should not go one by one";
}

// Near the end, batches are split finely so that no worker is left with a long tail: at most
// a quarter of each worker's share of what is left, down to single calls.
TEST_P(Batching, AutoBatchesSplitTheTail) {
  const auto xs = iota(2000);
  BatchRecorder recorder;
  std::vector<double> r = loom::Parallel({.n_jobs = 2, .backend = GetParam()})(xs, work);
  EXPECT_EQ(r, sequential_squares(xs));
  const auto batches = recorder.batches();
  ASSERT_TRUE(cover_in_order(batches, xs.size()));
  const std::size_t workers = std::string(GetParam()) == "sequential" ? 1 : 2;
  for (const auto& b : batches) {
    const std::size_t left = xs.size() - b.first;
    EXPECT_LE(b.count, std::max<std::size_t>(1, left / (4 * workers)))
        << "batch at " << b.first << " with " << left << " calls left";
  }
  EXPECT_EQ(batches.back().count, 1U);
}


INSTANTIATE_TEST_SUITE_P(Parallel, Batching, ::testing::Values("threads", "processes", "sequential"));

// A batch predicted to take more than 2 s makes the next ones shrink to about 0.2 s of calls.
// Sequential, so batches run one by one in the order they were dispatched: each call knows its
// batch. Batches 1 and 2 are as large as the tail rule allows (fast calls); the calls of batch 2
// sleep 1.6 s in all, and batch 3 comes out smaller than the tail rule would allow.
TEST(Parallel, AutoBatchesShrinkForSlowCalls) {
  constexpr std::size_t kCalls = 400;
  BatchRecorder recorder;
  std::vector<int> r = loom::Parallel({.backend = "sequential"})(iota(kCalls), [&](int x) {
    const auto batches = recorder.batches();
    if (batches.size() == 3) {
      std::this_thread::sleep_for(std::chrono::duration<double>(1.6) / batches.back().count);
    }
    return x;
  });
  EXPECT_EQ(r, iota(kCalls));
  const auto batches = recorder.batches();
  ASSERT_TRUE(cover_in_order(batches, kCalls));
  ASSERT_GE(batches.size(), 4U);
  const auto tail_limit = [&](const loom::detail::Batch& b) { return (kCalls - b.first) / 4; };
  EXPECT_EQ(batches[2].count, tail_limit(batches[2])) << "fast calls: as large as allowed";
  EXPECT_LT(batches[3].count, tail_limit(batches[3])) << "after slow calls: smaller";
}


}  // namespace
