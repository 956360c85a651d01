// loom::ActorPool (Ray's ActorPool): map in order and unordered against a sequential reference,
// submit/get_next/get_next_unordered/has_next, queued calls, failures, bad input; threads and
// processes modes.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "../support/expect_error.hpp"

#include "loom/remote.hpp"

using namespace std::chrono_literals;

namespace {

class Worker {
 public:
  // The value and who computed it (this actor's pid and call count, to see the work spread).
  std::vector<long> work(int v) {
    ++calls_;
    if (v < 0) throw std::invalid_argument("negative input " + std::to_string(v));
    // Later inputs finish first: unordered results come back in another order.
    std::this_thread::sleep_for(std::chrono::microseconds(200 * (v % 5)));
    return {static_cast<long>(v) * v, static_cast<long>(::getpid()), calls_};
  }
  long square(int v) {
    ++calls_;
    return static_cast<long>(v) * v;
  }
  [[nodiscard]] long calls() const { return calls_; }

 private:
  long calls_ = 0;
};

}  // namespace

LOOM_REMOTE(Worker);

namespace {

auto square_call = [](const loom::ActorHandle<Worker>& a, int v) {
  return a.task(&Worker::square).remote(v);
};

std::vector<loom::ActorHandle<Worker>> make_workers(int n) {
  std::vector<loom::ActorHandle<Worker>> out;
  for (int i = 0; i < n; ++i) out.push_back(loom::actor<Worker>().remote());
  return out;
}

class Pool : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override { loom::init({.num_cpus = 2, .mode = GetParam()}); }
  void TearDown() override { loom::shutdown(); }
};

TEST_P(Pool, MapKeepsInputOrderAndSpreadsTheWork) {
  const auto actors = make_workers(3);
  loom::ActorPool pool(actors);
  std::vector<int> inputs(60);
  for (int i = 0; i < 60; ++i) inputs[i] = i;
  const std::vector<long> got = pool.map(square_call, inputs);
  ASSERT_EQ(got.size(), inputs.size());
  for (int i = 0; i < 60; ++i) EXPECT_EQ(got[i], static_cast<long>(i) * i);
  long total = 0;
  for (const auto& a : actors) {
    const long calls = loom::get(a.task(&Worker::calls).remote());
    EXPECT_GT(calls, 0) << "an actor of the pool got no work";
    total += calls;
  }
  EXPECT_EQ(total, 60);
  EXPECT_FALSE(pool.has_next());
}

TEST_P(Pool, MapUnorderedReturnsEveryResult) {
  loom::ActorPool pool(make_workers(2));
  std::vector<int> inputs(30);
  for (int i = 0; i < 30; ++i) inputs[i] = i;
  auto got = pool.map_unordered(
      [](const loom::ActorHandle<Worker>& a, int v) { return a.task(&Worker::work).remote(v); },
      inputs);
  ASSERT_EQ(got.size(), 30U);
  std::vector<long> values;
  for (const auto& r : got) values.push_back(r[0]);
  std::sort(values.begin(), values.end());
  for (int i = 0; i < 30; ++i) EXPECT_EQ(values[i], static_cast<long>(i) * i);
}

TEST_P(Pool, SubmitQueuesBeyondTheActorsAndGetNextFollowsSubmitOrder) {
  loom::ActorPool pool(make_workers(2));
  EXPECT_TRUE(pool.has_free());
  EXPECT_FALSE(pool.has_next());
  for (int v = 0; v < 7; ++v) pool.submit(square_call, v);  // 2 run, 5 wait in the pool
  EXPECT_FALSE(pool.has_free());
  EXPECT_TRUE(pool.has_next());
  for (int v = 0; v < 7; ++v) EXPECT_EQ(pool.get_next<long>(), static_cast<long>(v) * v);
  EXPECT_FALSE(pool.has_next());
  EXPECT_TRUE(pool.has_free());
  // Unordered: every result once.
  for (int v = 0; v < 5; ++v) pool.submit(square_call, v);
  std::multiset<long> seen;
  while (pool.has_next()) seen.insert(pool.get_next_unordered<long>());
  EXPECT_EQ(seen, (std::multiset<long>{0, 1, 4, 9, 16}));
}

TEST_P(Pool, AFailedCallIsATaskErrorAndThePoolGoesOn) {
  loom::ActorPool pool(make_workers(2));
  auto call = [](const loom::ActorHandle<Worker>& a, int v) {
    return a.task(&Worker::work).remote(v);
  };
  pool.submit(call, 1);
  pool.submit(call, -1);
  pool.submit(call, 3);
  EXPECT_EQ(pool.get_next<std::vector<long>>()[0], 1);
  EXPECT_ERROR_CONTAINS((void)pool.get_next<std::vector<long>>(), loom::TaskError,
                        "negative input");
  EXPECT_EQ(pool.get_next<std::vector<long>>()[0], 9);
  EXPECT_FALSE(pool.has_next());
  // map: the failure is thrown after the others finished; the pool is empty again.
  EXPECT_THROW((void)pool.map(call, std::vector<int>{2, -5, 4}), loom::TaskError);
  EXPECT_FALSE(pool.has_next());
  EXPECT_EQ(pool.map(square_call, std::vector<int>{6}), std::vector<long>{36});
}

INSTANTIATE_TEST_SUITE_P(Modes, Pool, ::testing::Values("threads", "processes"));

class PoolErrors : public ::testing::Test {
 protected:
  void SetUp() override { loom::init({.num_cpus = 2}); }
  void TearDown() override { loom::shutdown(); }
};

TEST_F(PoolErrors, BadInputIsAClearError) {
  EXPECT_ERROR_CONTAINS(loom::ActorPool<Worker>({}), loom::ConfigError, "ActorPool",
                        "at least one actor");
  EXPECT_ERROR_CONTAINS(loom::ActorPool<Worker>({loom::ActorHandle<Worker>()}), loom::ConfigError,
                        "empty handle");
  loom::ActorPool pool(make_workers(1));
  EXPECT_ERROR_CONTAINS((void)pool.get_next<long>(), loom::Error, "get_next", "no results");
  EXPECT_ERROR_CONTAINS((void)pool.get_next_unordered<long>(), loom::Error, "no results");
  pool.submit(square_call, 3);
  // Asking for another type than the call returns names both.
  EXPECT_ERROR_CONTAINS((void)pool.get_next<double>(), loom::Error, "double", "long");
  EXPECT_EQ(pool.get_next<long>(), 9);
  // map while submits are pending.
  pool.submit(square_call, 2);
  EXPECT_ERROR_CONTAINS((void)pool.map(square_call, std::vector<int>{1}), loom::Error,
                        "pending");
  EXPECT_EQ(pool.get_next<long>(), 4);
}

TEST_F(PoolErrors, GetNextWithATimeoutLeavesTheResultPending) {
  class Slow {
   public:
    int nap(int ms) {
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      return ms;
    }
  };
  loom::ActorPool pool(std::vector{loom::actor<Slow>().remote()});
  pool.submit([](const auto& a, int ms) { return a.task(&Slow::nap).remote(ms); }, 300);
  EXPECT_THROW((void)pool.get_next<int>({.timeout = 10ms}), loom::Timeout);
  EXPECT_TRUE(pool.has_next());
  EXPECT_EQ(pool.get_next<int>(), 300);
}

TEST_F(PoolErrors, PopIdleAndPush) {
  loom::ActorPool pool(make_workers(1));
  auto taken = pool.pop_idle();
  ASSERT_TRUE(taken.has_value());
  EXPECT_FALSE(pool.pop_idle().has_value());
  pool.submit(square_call, 5);  // queued: no actor
  EXPECT_TRUE(pool.has_next());
  pool.push(*taken);  // takes the queued call
  EXPECT_EQ(pool.get_next<long>(), 25);
  EXPECT_THROW(pool.push(loom::ActorHandle<Worker>()), loom::ConfigError);
}

}  // namespace
