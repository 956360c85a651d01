// Resources are counted: tasks start only when what they ask for is free; impossible requests
// fail at .remote(); GPU ids are handed out.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <gtest/gtest.h>

#include "../support/expect_error.hpp"

#include "loom/remote.hpp"

using namespace std::chrono_literals;

namespace {

// Counts how many tagged tasks run at once and remembers the largest overlap seen.
struct Overlap {
  std::atomic<int> now{0};
  std::atomic<int> wide_now{0};
  std::atomic<bool> wide_overlapped{false};
  std::atomic<int> max{0};
  void enter(bool wide) {
    const int n = ++now;
    int m = max.load();
    while (n > m && !max.compare_exchange_weak(m, n)) {
    }
    if (wide) ++wide_now;
    if (wide_now.load() > 0 && n > 1) wide_overlapped = true;
  }
  void leave(bool wide) {
    if (wide) --wide_now;
    --now;
  }
};

TEST(Resources, TwoCpuTaskNeverOverlapsAnother) {
  loom::Runtime rt({.num_cpus = 2});
  Overlap overlap;
  auto work = [&overlap](bool wide) {
    overlap.enter(wide);
    std::this_thread::sleep_for(2ms);
    overlap.leave(wide);
    return wide;
  };
  auto narrow = loom::task([work](int) { return work(false); });
  auto wide = loom::task([work](int) { return work(true); }).options({.num_cpus = 2});
  std::vector<loom::ObjectRef<bool>> refs;
  for (int i = 0; i < 60; ++i) refs.push_back(i % 5 == 0 ? wide.remote(i) : narrow.remote(i));
  (void)loom::get(refs);
  EXPECT_FALSE(overlap.wide_overlapped.load());
  EXPECT_EQ(overlap.max.load(), 2);  // the narrow ones do run two at a time
}

TEST(Resources, CustomResourcesAreCounted) {
  loom::Runtime rt({.num_cpus = 4, .resources = {{"disk", 1}}});
  Overlap overlap;
  auto io = loom::task([&overlap] {
              overlap.enter(false);
              std::this_thread::sleep_for(2ms);
              overlap.leave(false);
              return 0;
            }).options({.resources = {{"disk", 1}}});
  std::vector<loom::ObjectRef<int>> refs;
  for (int i = 0; i < 20; ++i) refs.push_back(io.remote());
  (void)loom::get(refs);
  EXPECT_EQ(overlap.max.load(), 1);
}

TEST(Resources, ImpossibleRequestsFailAtRemote) {
  loom::Runtime rt({.num_cpus = 2, .num_gpus = 1, .resources = {{"disk", 2}}});
  auto f = loom::task([] { return 1; });
  EXPECT_THROW((void)f.options({.num_cpus = 3}).remote(), loom::ResourceError);
  EXPECT_THROW((void)f.options({.num_gpus = 2}).remote(), loom::ResourceError);
  EXPECT_THROW((void)f.options({.resources = {{"disk", 3}}}).remote(), loom::ResourceError);
  EXPECT_ERROR_CONTAINS((void)f.options({.name = "io", .resources = {{"tape", 1}}}).remote(),
                        loom::ResourceError, "'tape'", "task 'io'");
  EXPECT_THROW((void)f.options({.num_cpus = -1}), loom::ResourceError);
  EXPECT_THROW((void)f.options({.num_gpus = 1.5}), loom::ResourceError);
  EXPECT_THROW((void)f.options({.memory = -5}), loom::ResourceError);
  EXPECT_THROW((void)f.options({.max_retries = -2}), loom::ConfigError);
  // What fits runs.
  EXPECT_EQ(
      loom::get(f.options({.num_cpus = 2, .num_gpus = 1, .resources = {{"disk", 2}}}).remote()), 1);
}

TEST(Resources, GpuIdsAreAssignedAndExclusive) {
  loom::Runtime rt({.num_cpus = 4, .num_gpus = 2});
  std::mutex mutex;
  std::vector<std::vector<int>> seen;
  std::atomic<int> inside{0};
  auto gpu = loom::task([&] {
               auto ids = loom::current_task().gpu_ids();
               ++inside;
               const auto until = std::chrono::steady_clock::now() + 2s;
               while (inside.load() < 2 && std::chrono::steady_clock::now() < until) {
                 std::this_thread::sleep_for(1ms);
               }
               std::lock_guard lock(mutex);
               seen.emplace_back(ids.begin(), ids.end());
               return static_cast<int>(ids.size());
             }).options({.num_gpus = 1});
  auto a = gpu.remote();
  auto b = gpu.remote();
  EXPECT_EQ(loom::get(a), 1);
  EXPECT_EQ(loom::get(b), 1);
  ASSERT_EQ(seen.size(), 2U);
  EXPECT_NE(seen[0][0], seen[1][0]);  // two tasks at once: two different GPUs
  auto both = loom::task([] {
                auto ids = loom::current_task().gpu_ids();
                return std::vector<int>(ids.begin(), ids.end());
              }).options({.num_gpus = 2});
  EXPECT_EQ(loom::get(both.remote()), (std::vector<int>{0, 1}));
  auto none = loom::task([] { return loom::current_task().gpu_ids().size(); });
  EXPECT_EQ(loom::get(none.remote()), 0U);
}

TEST(Resources, MemoryResourceIsCounted) {
  loom::Runtime rt({.num_cpus = 4});
  Overlap overlap;
  // Each asks for more than half the machine's memory: they run one at a time.
  const std::int64_t half =
      static_cast<std::int64_t>(::sysconf(_SC_PHYS_PAGES)) * ::sysconf(_SC_PAGE_SIZE) / 2 + 1;
  auto big = loom::task([&overlap] {
               overlap.enter(false);
               std::this_thread::sleep_for(2ms);
               overlap.leave(false);
               return 0;
             }).options({.memory = half});
  std::vector<loom::ObjectRef<int>> refs;
  for (int i = 0; i < 6; ++i) refs.push_back(big.remote());
  (void)loom::get(refs);
  EXPECT_EQ(overlap.max.load(), 1);
  EXPECT_THROW((void)big.options({.memory = half * 3}).remote(), loom::ResourceError);
}

TEST(Resources, FractionalCpusLetMoreTasksRun) {
  loom::Runtime rt({.num_cpus = 1});
  std::atomic<int> inside{0};
  auto half = loom::task([&inside] {
                ++inside;
                const auto until = std::chrono::steady_clock::now() + 2s;
                while (inside.load() < 2 && std::chrono::steady_clock::now() < until) {
                  std::this_thread::sleep_for(1ms);
                }
                return inside.load() >= 2;
              }).options({.num_cpus = 0.5});
  auto a = half.remote();
  auto b = half.remote();
  EXPECT_TRUE(loom::get(a));
  EXPECT_TRUE(loom::get(b));
}

TEST(Resources, AbovePauseTasksRunOneAtATime) {
  // 10 MB store, pause at 10% (1 MB), target at 60%: one 2 MB object pauses without spilling.
  const loom::config::Scope pause({{"worker.memory.pause", "0.1"}});
  loom::Runtime rt({.num_cpus = 2, .object_store_memory = 10 << 20});
  Overlap overlap;
  auto work = loom::task([&overlap](int) {
    overlap.enter(false);
    std::this_thread::sleep_for(5ms);
    overlap.leave(false);
    return 0;
  });
  auto run = [&] {
    std::vector<loom::ObjectRef<int>> refs;
    for (int i = 0; i < 10; ++i) refs.push_back(work.remote(i));
    (void)loom::get(refs);
  };
  {
    auto big = loom::put(std::vector<double>(256 * 1024, 1.0));
    ASSERT_EQ(loom::object_store_stats().spill_count, 0);
    run();
    EXPECT_EQ(overlap.max.load(), 1);
  }
  overlap.max = 0;
  run();  // below the threshold again
  EXPECT_EQ(overlap.max.load(), 2);
}

}  // namespace
