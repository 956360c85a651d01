// The error assertions of expect_error.hpp pass when they should and, above all, fail when they
// should: a test written with them cannot pass by accident.

#include "expect_error.hpp"

#include <gtest/gtest-spi.h>

#include <exception>
#include <stdexcept>
#include <string>

namespace {

void throw_runtime(const std::string& what) { throw std::runtime_error(what); }

TEST(ExpectErrorContains, PassesWhenTheTypeMatchesAndEveryTextIsInTheMessage) {
  EXPECT_ERROR_CONTAINS(throw_runtime("bad value 37 in 'x'"), std::runtime_error, "37");
  EXPECT_ERROR_CONTAINS(throw_runtime("bad value 37 in 'x'"), std::runtime_error, "37", "'x'",
                        "bad value");
}

TEST(ExpectErrorContains, PassesForATypeDerivedFromTheExpectedOne) {
  EXPECT_ERROR_CONTAINS(throw std::out_of_range("index 9"), std::logic_error, "index 9");
  EXPECT_ERROR_CONTAINS(throw std::out_of_range("index 9"), std::exception, "index 9");
}

TEST(ExpectErrorContains, FailsWhenNothingIsThrown) {
  EXPECT_NONFATAL_FAILURE(EXPECT_ERROR_CONTAINS((void)0, std::runtime_error, "x"),
                          "Actual: it throws nothing.");
}

TEST(ExpectErrorContains, FailsWhenAnotherTypeIsThrownAndNamesIt) {
  EXPECT_NONFATAL_FAILURE(
      EXPECT_ERROR_CONTAINS(throw std::invalid_argument("bad x"), std::out_of_range, "bad x"),
      "Actual: it throws std::invalid_argument (what(): \"bad x\")");
  EXPECT_NONFATAL_FAILURE(EXPECT_ERROR_CONTAINS(throw 42, std::exception, "42"),
                          "Actual: it throws int.");
}

TEST(ExpectErrorContains, FailsWhenTheMessageLacksTheText) {
  EXPECT_NONFATAL_FAILURE(
      EXPECT_ERROR_CONTAINS(throw_runtime("bad value 37"), std::runtime_error, "38"),
      "Actual: what() is \"bad value 37\".\n  It lacks: \"38\"");
}

TEST(ExpectErrorContains, FailsWhenAnyOneOfSeveralTextsIsMissing) {
  EXPECT_NONFATAL_FAILURE(
      EXPECT_ERROR_CONTAINS(throw_runtime("a b c"), std::runtime_error, "a", "z", "c"),
      "It lacks: \"z\"");
  EXPECT_NONFATAL_FAILURE(
      EXPECT_ERROR_CONTAINS(throw_runtime("a b c"), std::runtime_error, "a", "b", "z"),
      "It lacks: \"z\"");
}

TEST(ExpectErrorContains, TheMessageQuotesTheStatementAndTakesStreamedContext) {
  EXPECT_NONFATAL_FAILURE(EXPECT_ERROR_CONTAINS(throw_runtime("x"), std::runtime_error, "y")
                              << "in mode 7",
                          "Expected: throw_runtime(\"x\") throws std::runtime_error");
  EXPECT_NONFATAL_FAILURE(EXPECT_ERROR_CONTAINS(throw_runtime("x"), std::runtime_error, "y")
                              << "in mode 7",
                          "in mode 7");
}

TEST(ExpectErrorContains, RunsTheStatementOnce) {
  int runs = 0;
  EXPECT_ERROR_CONTAINS(
      {
        ++runs;
        throw_runtime("once");
      },
      std::runtime_error, "once");
  EXPECT_EQ(runs, 1);
}

TEST(ExpectErrorContains, IsOneStatementUnderAnIfWithoutBraces) {
  bool reached_else = false;
  if (reached_else)
    EXPECT_ERROR_CONTAINS(throw_runtime("x"), std::runtime_error, "x");
  else
    reached_else = true;
  EXPECT_TRUE(reached_else);
}

TEST(ExpectError, RunsTheCheckOnTheThrownObjectItself) {
  std::string seen;
  bool nested = false;
  EXPECT_ERROR(
      {
        try {
          throw std::out_of_range("inner");
        } catch (...) {
          std::throw_with_nested(std::runtime_error("outer"));
        }
      },
      std::runtime_error,
      [&](const std::runtime_error& e) {
        seen = e.what();
        // Not a sliced copy: the nested exception is still there.
        EXPECT_ERROR_CONTAINS(std::rethrow_if_nested(e), std::out_of_range, "inner");
        nested = true;
      });
  EXPECT_EQ(seen, "outer");
  EXPECT_TRUE(nested);
}

TEST(ExpectError, TakesTypesThatAreNotExceptions) {
  EXPECT_ERROR(throw 42, int, [](int v) { EXPECT_EQ(v, 42); });
}

TEST(ExpectError, FailsWhenNothingOrAnotherTypeIsThrown) {
  bool checked = false;
  EXPECT_NONFATAL_FAILURE(
      EXPECT_ERROR((void)0, std::runtime_error, [&](const std::runtime_error&) { checked = true; }),
      "Actual: it throws nothing.");
  EXPECT_NONFATAL_FAILURE(EXPECT_ERROR(throw std::logic_error("l"), std::runtime_error,
                                       [&](const std::runtime_error&) { checked = true; }),
                          "Actual: it throws std::logic_error (what(): \"l\")");
  EXPECT_FALSE(checked);
}

TEST(ExpectError, ReportsTheChecksOwnFailures) {
  EXPECT_NONFATAL_FAILURE(
      EXPECT_ERROR(throw_runtime("x"), std::runtime_error,
                   [](const std::runtime_error& e) { EXPECT_STREQ(e.what(), "y"); }),
      "\"y\"");
}

}  // namespace
