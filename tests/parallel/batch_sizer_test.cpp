// joblib's batch sizing rule (src/parallel/batch_sizer.hpp) with timings given, not measured:
// growth for fast calls, shrinking for slow ones, the split tail, fixed sizes.
#include <gtest/gtest.h>

#include "parallel/batch_sizer.hpp"

namespace {

using loom::detail::BatchSizer;

constexpr std::size_t kMany = 10'000'000;  // so many calls left that the tail rule stays out

TEST(BatchSizer, StartsWithOneCall) {
  const BatchSizer sizer(true, 1, 2);
  EXPECT_EQ(sizer.next(kMany), 1U);
}

TEST(BatchSizer, GrowsToTwiceTheIdealSizeForFastCalls) {
  BatchSizer sizer(true, 1, 1);
  sizer.completed(1, 0.001);  // 1 ms a call: a batch of 0.2 s holds 200 calls
  EXPECT_EQ(sizer.next(kMany), 400U);
}

TEST(BatchSizer, KeepsItsSizeWhileBatchesTakeBetweenTheBounds) {
  BatchSizer sizer(true, 1, 1);
  sizer.completed(1, 0.001);
  sizer.completed(400, 0.4);  // 0.4 s: between 0.2 s and 2 s
  EXPECT_EQ(sizer.next(kMany), 400U);
}

TEST(BatchSizer, ShrinksToTheIdealSizeForSlowCalls) {
  BatchSizer sizer(true, 1, 1);
  sizer.completed(1, 0.001);
  // 46 ms a call: the smoothed time a call is 10 ms, so 400 would take 4 s; 0.2 s holds 20.
  sizer.completed(400, 18.4);
  EXPECT_EQ(sizer.next(kMany), 20U);
}

TEST(BatchSizer, SplitsTheTailByFourTimesTheWorkers) {
  BatchSizer sizer(true, 1, 2);
  sizer.completed(1, 1e-6);  // fast: 400,000 calls a batch but for the tail
  EXPECT_EQ(sizer.next(1000), 125U);
  EXPECT_EQ(sizer.next(16), 2U);
  EXPECT_EQ(sizer.next(7), 1U);
  EXPECT_EQ(sizer.next(0), 0U);
}

TEST(BatchSizer, FixedSizesIgnoreTimings) {
  BatchSizer sizer(false, 7, 2);
  EXPECT_EQ(sizer.next(1000), 7U);
  sizer.completed(7, 100.0);
  EXPECT_EQ(sizer.next(1000), 7U);
  EXPECT_EQ(sizer.next(3), 3U);
}

}  // namespace
