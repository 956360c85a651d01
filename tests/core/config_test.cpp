// Configuration keys, validation and byte sizes.
#include <string>

#include <gtest/gtest.h>

#include "../support/expect_error.hpp"

#include "loom/core.hpp"

namespace {

class Config : public ::testing::Test {
 protected:
  void TearDown() override { loom::config::reset(); }
};

TEST_F(Config, DefaultsFollowDask) {
  EXPECT_EQ(loom::config::get("worker.memory.target"), "0.6");
  EXPECT_EQ(loom::config::get("worker.memory.spill"), "0.7");
  EXPECT_EQ(loom::config::get("worker.memory.pause"), "0.8");
  EXPECT_EQ(loom::config::get("worker.memory.terminate"), "0.95");
  EXPECT_EQ(loom::config::get("dataframe.shuffle.method"), "tasks");
  EXPECT_EQ(loom::config::get_bytes("array.chunk-size"), 128LL << 20);
  EXPECT_EQ(loom::config::get("scheduler.num_threads"), "");
  EXPECT_FALSE(loom::config::get_int("scheduler.num_threads").has_value());
}

TEST_F(Config, SetAndGetWithTheApiExample) {
  loom::config::set({{"scheduler.num_threads", "2"},
                     {"worker.memory.target", "0.8"},
                     {"worker.memory.spill", "0.9"}});
  EXPECT_EQ(loom::config::get_int("scheduler.num_threads"), 2);
  EXPECT_DOUBLE_EQ(loom::config::get_double("worker.memory.target"), 0.8);
  EXPECT_DOUBLE_EQ(loom::config::get_double("worker.memory.spill"), 0.9);
}

TEST_F(Config, DistributedPrefixIsAccepted) {
  loom::config::set({{"distributed.worker.memory.pause", "0.5"}});
  EXPECT_EQ(loom::config::get("worker.memory.pause"), "0.5");
  EXPECT_EQ(loom::config::get("distributed.worker.memory.pause"), "0.5");
}

TEST_F(Config, UnknownKeyIsAConfigErrorNamingIt) {
  EXPECT_ERROR_CONTAINS(loom::config::set({{"scheduler.num_thread", "2"}}), loom::ConfigError,
                        "scheduler.num_thread");
  EXPECT_THROW((void)loom::config::get("nope"), loom::ConfigError);
}

TEST_F(Config, BadValuesAreConfigErrorsAndChangeNothing) {
  EXPECT_THROW(loom::config::set({{"scheduler.num_threads", "0"}}), loom::ConfigError);
  EXPECT_THROW(loom::config::set({{"scheduler.num_threads", "two"}}), loom::ConfigError);
  EXPECT_THROW(loom::config::set({{"worker.memory.target", "1.5"}}), loom::ConfigError);
  EXPECT_THROW(loom::config::set({{"array.chunk-size", "lots"}}), loom::ConfigError);
  EXPECT_THROW(loom::config::set({{"array.slicing.split_large_chunks", "maybe"}}),
               loom::ConfigError);
  EXPECT_THROW(loom::config::set({{"dataframe.shuffle.method", "shuffle"}}), loom::ConfigError);
  // All-or-nothing: a bad second value leaves the first unapplied.
  EXPECT_THROW(loom::config::set({{"worker.memory.target", "0.5"}, {"worker.memory.spill", "x"}}),
               loom::ConfigError);
  EXPECT_EQ(loom::config::get("worker.memory.target"), "0.6");
  EXPECT_ERROR_CONTAINS(loom::config::set({{"worker.memory.spill", "x"}}), loom::ConfigError,
                        "'x'");
}

TEST_F(Config, FalseDisablesAMemoryThreshold) {
  loom::config::set({{"worker.memory.terminate", "false"}});
  EXPECT_DOUBLE_EQ(loom::config::get_double("worker.memory.terminate"), 0.0);
}

TEST_F(Config, ScopeRestoresPreviousValues) {
  {
    loom::config::Scope scope({{"dataframe.shuffle.method", "disk"}});
    EXPECT_EQ(loom::config::get("dataframe.shuffle.method"), "disk");
  }
  EXPECT_EQ(loom::config::get("dataframe.shuffle.method"), "tasks");
}

TEST(ParseBytes, DaskSpellings) {
  EXPECT_EQ(loom::parse_bytes("128MiB"), 128LL << 20);
  EXPECT_EQ(loom::parse_bytes("100MB"), 100'000'000);
  EXPECT_EQ(loom::parse_bytes("64MB"), 64'000'000);
  EXPECT_EQ(loom::parse_bytes("1.5 GB"), 1'500'000'000);
  EXPECT_EQ(loom::parse_bytes("4096"), 4096);
  EXPECT_EQ(loom::parse_bytes("2kB"), 2000);
  EXPECT_EQ(loom::parse_bytes("1 GiB"), 1LL << 30);
  EXPECT_THROW((void)loom::parse_bytes("MB"), loom::ConfigError);
  EXPECT_THROW((void)loom::parse_bytes("-1MB"), loom::ConfigError);
  EXPECT_THROW((void)loom::parse_bytes("12 parsecs"), loom::ConfigError);
}

}  // namespace
