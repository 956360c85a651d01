// LOOM_ASSERT: a broken invariant stops the program with where and what; a kept one costs nothing.
// This file forces assertions on, so the test holds in release builds too.
#define LOOM_ENABLE_ASSERTS 1
#include "loom/core/detail/assert.hpp"

#include <gtest/gtest.h>

namespace {

TEST(Assert, BrokenInvariantAbortsWithFileLineAndMessage) {
  const int nodes = 3;
  EXPECT_DEATH(LOOM_ASSERT(nodes == 4, "graph lost a node"),
               "internal assertion failed at .*assert_test.cpp:[0-9]+: graph lost a node "
               "\\(nodes == 4\\)");
}

TEST(Assert, KeptInvariantEvaluatesConditionOnce) {
  int evaluations = 0;
  LOOM_ASSERT(++evaluations == 1, "evaluated once");
  EXPECT_EQ(evaluations, 1);
}

}  // namespace
