// ByteSize, LocalClusterOptions' validation and defaults, the scheduler.* config keys.
#include <gtest/gtest.h>

#include "../support/expect_error.hpp"
#include "cluster_support.hpp"
#include "loom/cluster.hpp"

#if defined(__SANITIZE_THREAD__)
// A LocalCluster's worker process starts threads after a fork of this multi-threaded program
// (its call threads and heartbeat), which ThreadSanitizer refuses by default; it instruments
// them like any others when allowed.
extern "C" const char* __tsan_default_options() { return "die_after_fork=0"; }
#endif

namespace {

using loom::test::ClusterTest;

TEST(ByteSize, ParsesNumbersDaskSpellingsAndAuto) {
  EXPECT_EQ(loom::ByteSize(4096).bytes(), 4096);
  EXPECT_EQ(loom::ByteSize("2GB").bytes(), 2'000'000'000);
  EXPECT_EQ(loom::ByteSize("512MiB").bytes(), 512LL << 20);
  EXPECT_EQ(loom::ByteSize(std::string("1.5 kB")).bytes(), 1500);
  EXPECT_FALSE(loom::ByteSize("2GB").is_auto());
  const loom::ByteSize a = "auto";
  EXPECT_TRUE(a.is_auto());
  EXPECT_TRUE(loom::ByteSize(" AUTO ").is_auto());
  EXPECT_ERROR_CONTAINS((void)a.bytes(), loom::ConfigError, "auto");
}

TEST(ByteSize, BadTextIsAConfigErrorNamingIt) {
  EXPECT_ERROR_CONTAINS(loom::ByteSize("lots"), loom::ConfigError, "'lots'");
  EXPECT_ERROR_CONTAINS(loom::ByteSize("-5MB"), loom::ConfigError, "'-5MB'");
  EXPECT_ERROR_CONTAINS(loom::ByteSize("12 parsecs"), loom::ConfigError, "'12 parsecs'");
  EXPECT_ERROR_CONTAINS(loom::ByteSize(""), loom::ConfigError, "not a byte size");
}

TEST(ClusterConfig, SchedulerKeysValidateAndAcceptDasksPrefix) {
  const loom::config::Scope scope({{"distributed.scheduler.worker-ttl", "2s"},
                                   {"scheduler.allowed-failures", "1"},
                                   {"scheduler.work-stealing", "false"}});
  EXPECT_EQ(loom::config::get("scheduler.worker-ttl"), "2s");
  EXPECT_DOUBLE_EQ(loom::config::get_duration("scheduler.worker-ttl").count(), 2.0);
  EXPECT_EQ(loom::config::get_int("distributed.scheduler.allowed-failures"), 1);
  EXPECT_FALSE(loom::config::get_bool("scheduler.work-stealing"));
  EXPECT_ERROR_CONTAINS(loom::config::set({{"scheduler.worker-ttl", "soon"}}), loom::ConfigError,
                        "soon", "scheduler.worker-ttl");
  EXPECT_ERROR_CONTAINS(loom::config::set({{"scheduler.worker-ttl", "0s"}}), loom::ConfigError,
                        "0s");
  EXPECT_ERROR_CONTAINS(loom::config::set({{"scheduler.allowed-failures", "-1"}}),
                        loom::ConfigError, "-1", "scheduler.allowed-failures");
  EXPECT_ERROR_CONTAINS(loom::config::set({{"scheduler.work-stealing", "maybe"}}),
                        loom::ConfigError, "maybe");
  EXPECT_DOUBLE_EQ(loom::parse_duration("500ms").count(), 0.5);
  EXPECT_DOUBLE_EQ(loom::parse_duration("2 minutes").count(), 120.0);
  EXPECT_DOUBLE_EQ(loom::parse_duration("10").count(), 10.0);
}

TEST(ClusterConfig, DefaultsAreDasks) {
  loom::config::reset();
  EXPECT_EQ(loom::config::get("scheduler.worker-ttl"), "30s");
  EXPECT_EQ(loom::config::get_int("scheduler.allowed-failures"), 3);
  EXPECT_TRUE(loom::config::get_bool("scheduler.work-stealing"));
}

using LocalClusterOptionsTest = ClusterTest;

TEST_F(LocalClusterOptionsTest, BadOptionsAreConfigErrorsNamingTheValue) {
  EXPECT_ERROR_CONTAINS(loom::LocalCluster({.n_workers = 0}), loom::ConfigError, "n_workers = 0");
  EXPECT_ERROR_CONTAINS(loom::LocalCluster({.n_workers = -3}), loom::ConfigError,
                        "n_workers = -3");
  EXPECT_ERROR_CONTAINS(loom::LocalCluster({.n_workers = 1, .threads_per_worker = 0}),
                        loom::ConfigError, "threads_per_worker = 0");
  EXPECT_ERROR_CONTAINS(loom::LocalCluster({.n_workers = 1, .threads_per_worker = -1}),
                        loom::ConfigError, "threads_per_worker = -1");
  EXPECT_ERROR_CONTAINS(loom::LocalCluster({.n_workers = 1, .memory_limit = -1}),
                        loom::ConfigError, "memory_limit = -1");
  EXPECT_ERROR_CONTAINS(loom::LocalCluster({.n_workers = 1, .memory_limit = "two gigs"}),
                        loom::ConfigError, "'two gigs'");
  EXPECT_ERROR_CONTAINS(loom::LocalCluster({.n_workers = 1, .memory_limit = "-2GB"}),
                        loom::ConfigError, "'-2GB'");
}

TEST_F(LocalClusterOptionsTest, DefaultsFollowDasksRule) {
  const int cores = loom::cpu_count();
  {
    loom::LocalCluster threads({.processes = false});
    EXPECT_EQ(threads.options().n_workers, 1);
    EXPECT_EQ(threads.options().threads_per_worker, cores);
    const auto ws = threads.workers();
    ASSERT_EQ(ws.size(), 1U);
    EXPECT_EQ(ws[0].pid, 0);
    EXPECT_EQ(ws[0].address, "local/0");
    EXPECT_EQ(ws[0].threads, cores);
    EXPECT_GT(ws[0].memory_limit, 0);  // "auto": the machine's share
  }
  {
    loom::LocalCluster procs({.threads_per_worker = 1, .memory_limit = "512MiB"});
    remember(procs);
    EXPECT_EQ(procs.options().n_workers, cores);
    const auto ws = procs.workers();
    ASSERT_EQ(static_cast<int>(ws.size()), cores);
    for (std::size_t i = 0; i < ws.size(); ++i) {
      EXPECT_EQ(ws[i].id, static_cast<int>(i));
      EXPECT_GT(ws[i].pid, 0);
      EXPECT_NE(ws[i].pid, ::getpid());
      EXPECT_EQ(ws[i].memory_limit, 512LL << 20);
      EXPECT_EQ(ws[i].threads, 1);
    }
  }
  {
    loom::LocalCluster none({.n_workers = 2, .threads_per_worker = 1, .memory_limit = 0,
                             .processes = false});
    EXPECT_EQ(none.workers()[1].memory_limit, 0);  // 0: no limit
  }
}

}  // namespace
