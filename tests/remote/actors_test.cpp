// Actors: call order, exceptions, construction, concurrency between and within actors.
#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <Eigen/Core>

#include "../support/expect_error.hpp"

#include "loom/remote.hpp"

using namespace std::chrono_literals;

namespace {

class Counter {
 public:
  Counter() = default;
  explicit Counter(int start) : value_(start) {}
  int increment() { return ++value_; }
  int add(int n) { return value_ += n; }
  [[nodiscard]] int get_value() const { return value_; }
  int fail_if_odd() {
    if (value_ % 2 != 0) throw std::invalid_argument("odd value " + std::to_string(value_));
    return value_;
  }

 private:
  int value_ = 0;
};

class Log {
 public:
  void append(int who, int seq) { entries_.emplace_back(who, seq); }
  [[nodiscard]] std::vector<std::pair<int, int>> entries() const { return entries_; }

 private:
  std::vector<std::pair<int, int>> entries_;
};

// Two calls meet inside: each waits (bounded) until the other has arrived.
class Meeting {
 public:
  explicit Meeting(std::shared_ptr<std::atomic<int>> arrived,
                   std::chrono::milliseconds patience = 5s)
      : arrived_(std::move(arrived)), patience_(patience) {}
  bool meet() {
    arrived_->fetch_add(1);
    const auto until = std::chrono::steady_clock::now() + patience_;
    while (arrived_->load() < 2 && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(1ms);
    }
    return arrived_->load() >= 2;
  }

 private:
  std::shared_ptr<std::atomic<int>> arrived_;
  std::chrono::milliseconds patience_;
};

class Throws {
 public:
  Throws() { throw std::runtime_error("no database"); }
  int ping() { return 1; }
};

class Actors : public ::testing::Test {
 protected:
  void SetUp() override { loom::init({.num_cpus = 2}); }
  void TearDown() override { loom::shutdown(); }
};

TEST_F(Actors, CounterRunsCallsInOrder) {
  loom::ActorHandle<Counter> counter = loom::actor<Counter>().remote();
  std::vector<loom::ObjectRef<int>> refs;
  for (int i = 0; i < 2000; ++i) refs.push_back(counter.task(&Counter::increment).remote());
  const std::vector<int> got = loom::get(refs);
  for (int i = 0; i < 2000; ++i) ASSERT_EQ(got[i], i + 1);
  EXPECT_EQ(loom::get(counter.task(&Counter::get_value).remote()), 2000);
}

TEST_F(Actors, ConstructorArgumentsAtRemote) {
  auto start = loom::put(100);
  auto a = loom::actor<Counter>().remote(10);
  auto b = loom::actor<Counter>().remote(start);  // a ref: resolved to the stored value
  EXPECT_EQ(loom::get(a.task(&Counter::add).remote(5)), 15);
  EXPECT_EQ(loom::get(b.task(&Counter::add).remote(5)), 105);
}

TEST_F(Actors, ManyCallersKeepTheirOrder) {
  auto log = loom::actor<Log>().remote();
  constexpr int kThreads = 4;
  constexpr int kCalls = 2000;
  std::vector<std::thread> callers;
  for (int t = 0; t < kThreads; ++t) {
    callers.emplace_back([log, t] {
      for (int i = 0; i < kCalls; ++i) (void)log.task(&Log::append).remote(t, i);
    });
  }
  for (auto& c : callers) c.join();
  const auto entries = loom::get(log.task(&Log::entries).remote());
  ASSERT_EQ(entries.size(), static_cast<std::size_t>(kThreads * kCalls));
  std::vector<int> next(kThreads, 0);
  for (auto [who, seq] : entries) ASSERT_EQ(seq, next[who]++);
}

TEST_F(Actors, ExceptionFailsThatCallOnly) {
  auto counter = loom::actor<Counter>().remote();
  auto first = counter.task(&Counter::increment).remote();   // 1
  auto bad = counter.task(&Counter::fail_if_odd).remote();   // throws
  auto after = counter.task(&Counter::increment).remote();   // 2
  auto good = counter.task(&Counter::fail_if_odd).remote();  // 2
  EXPECT_EQ(loom::get(first), 1);
  EXPECT_ERROR_CONTAINS((void)loom::get(bad), loom::TaskError, "odd value 1");
  EXPECT_EQ(loom::get(after), 2);
  EXPECT_EQ(loom::get(good), 2);
}

TEST_F(Actors, FailedConstructionFailsEveryCall) {
  auto broken = loom::actor<Throws>().options({.name = "db"}).remote();
  EXPECT_ERROR_CONTAINS((void)loom::get(broken.task(&Throws::ping).remote()), loom::TaskError,
                        "could not be created", "no database");
}

TEST_F(Actors, DifferentActorsRunInParallel) {
  auto arrived = std::make_shared<std::atomic<int>>(0);
  auto a = loom::actor<Meeting>().remote(arrived);
  auto b = loom::actor<Meeting>().remote(arrived);
  auto ra = a.task(&Meeting::meet).remote();
  auto rb = b.task(&Meeting::meet).remote();
  EXPECT_TRUE(loom::get(ra));
  EXPECT_TRUE(loom::get(rb));
}

TEST_F(Actors, OneActorRunsOneCallAtATime) {
  auto arrived = std::make_shared<std::atomic<int>>(0);
  auto a = loom::actor<Meeting>().remote(arrived, std::chrono::milliseconds(300));
  auto r1 = a.task(&Meeting::meet).remote();
  // The second call cannot start before the first returns, so the first meets nobody.
  EXPECT_THROW((void)loom::get(r1, {.timeout = 100ms}), loom::Timeout);
  auto r2 = a.task(&Meeting::meet).remote();
  EXPECT_FALSE(loom::get(r1));
  EXPECT_TRUE(loom::get(r2));
}

TEST_F(Actors, MaxConcurrencyLetsCallsOverlap) {
  auto arrived = std::make_shared<std::atomic<int>>(0);
  auto a = loom::actor<Meeting>().options({.max_concurrency = 2}).remote(arrived);
  auto r1 = a.task(&Meeting::meet).remote();
  auto r2 = a.task(&Meeting::meet).remote();
  EXPECT_TRUE(loom::get(r1));
  EXPECT_TRUE(loom::get(r2));
}

TEST_F(Actors, CallsWaitForTheirArgumentsInOrder) {
  std::atomic<bool> release{false};
  auto slow = loom::task([&release](int x) {
    while (!release.load()) std::this_thread::sleep_for(1ms);
    return x;
  });
  auto log = loom::actor<Log>().remote();
  auto first = log.task(&Log::append).remote(slow.remote(0), 0);  // waits for `slow`
  auto second = log.task(&Log::append).remote(1, 1);              // must not overtake it
  EXPECT_THROW(loom::get(second, {.timeout = 50ms}), loom::Timeout);
  release = true;
  loom::get(second);
  const auto entries = loom::get(log.task(&Log::entries).remote());
  ASSERT_EQ(entries.size(), 2U);
  EXPECT_EQ(entries[0].first, 0);
  EXPECT_EQ(entries[1].first, 1);
}

TEST_F(Actors, HandlesPassIntoTasks) {
  auto counter = loom::actor<Counter>().remote();
  auto bump = loom::task([](loom::ActorHandle<Counter> c, int times) {
    for (int i = 0; i < times; ++i) (void)c.task(&Counter::increment).remote();
    return loom::get(c.task(&Counter::get_value).remote());
  });
  const int seen = loom::get(bump.remote(counter, 50));
  EXPECT_GE(seen, 50);
  EXPECT_EQ(loom::get(counter.task(&Counter::get_value).remote()), 50);
}

TEST_F(Actors, ActorHoldsItsCpusUntilItDies) {
  auto holder = loom::actor<Counter>().options({.num_cpus = 2}).remote();
  EXPECT_EQ(loom::get(holder.task(&Counter::increment).remote()), 1);
  auto task = loom::task([] { return 7; }).remote();
  auto [ready, pending] = loom::wait(std::vector{task}, {.num_returns = 1, .timeout = 50ms});
  EXPECT_TRUE(ready.empty());
  holder = {};  // the actor dies: its CPUs come back
  EXPECT_EQ(loom::get(task), 7);
  EXPECT_THROW((void)loom::actor<Counter>().options({.num_cpus = 3}).remote(), loom::ResourceError);
  EXPECT_THROW((void)loom::actor<Counter>().options({.max_concurrency = 0}).remote(),
               loom::ConfigError);
}

// A parameter server: workers compute gradients from the current parameters.
class ParameterServer {
 public:
  explicit ParameterServer(int dim) : params_(Eigen::VectorXd::Zero(dim)) {}
  [[nodiscard]] Eigen::VectorXd get_params() const { return params_; }
  Eigen::VectorXd update_params(const Eigen::VectorXd& gradients) {
    params_ += gradients;
    return params_;
  }

 private:
  Eigen::VectorXd params_;
};

class Worker {
 public:
  explicit Worker(int id) : id_(id) {}
  [[nodiscard]] Eigen::VectorXd compute_gradients(const Eigen::VectorXd& params, int batch) const {
    return Eigen::VectorXd::Constant(params.size(), 0.01 * (id_ + batch));
  }

 private:
  int id_;
};

TEST_F(Actors, ParameterServerTrainingMatchesSequential) {
  constexpr int kDim = 100;
  constexpr int kWorkers = 4;
  auto ps = loom::actor<ParameterServer>().remote(kDim);
  std::vector<loom::ActorHandle<Worker>> workers;
  for (int i = 0; i < kWorkers; ++i) workers.push_back(loom::actor<Worker>().remote(i));
  Eigen::VectorXd expected = Eigen::VectorXd::Zero(kDim);
  for (int epoch = 0; epoch < 10; ++epoch) {
    auto params = loom::get(ps.task(&ParameterServer::get_params).remote());
    std::vector<loom::ObjectRef<Eigen::VectorXd>> grads;
    for (int w = 0; w < kWorkers; ++w) {
      grads.push_back(workers[w].task(&Worker::compute_gradients).remote(params, epoch));
    }
    Eigen::VectorXd avg = Eigen::VectorXd::Zero(kDim);
    for (const auto& g : loom::get(grads)) avg += g;
    avg /= kWorkers;
    (void)ps.task(&ParameterServer::update_params).remote(avg);
    Eigen::VectorXd ref_avg = Eigen::VectorXd::Zero(kDim);
    for (int w = 0; w < kWorkers; ++w)
      ref_avg += Eigen::VectorXd::Constant(kDim, 0.01 * (w + epoch));
    expected += ref_avg / kWorkers;
  }
  const auto final_params = loom::get(ps.task(&ParameterServer::get_params).remote());
  EXPECT_TRUE(final_params.isApprox(expected)) << final_params.head(3).transpose();
}

class Named {
 public:
  explicit Named(std::string name) : name_(std::move(name)) {}
  [[nodiscard]] std::string name() const { return name_; }

 private:
  std::string name_;
};

TEST_F(Actors, StringLiteralConstructorArguments) {
  auto named = loom::actor<Named>().options().remote("alpha");
  EXPECT_EQ(loom::get(named.task(&Named::name).remote()), "alpha");
}

TEST_F(Actors, QueuedCallsCanBeCancelled) {
  auto arrived = std::make_shared<std::atomic<int>>(0);
  auto a = loom::actor<Meeting>().remote(arrived, std::chrono::milliseconds(200));
  auto busy = a.task(&Meeting::meet).remote();    // waits 200 ms for nobody
  auto queued = a.task(&Meeting::meet).remote();  // behind it
  loom::cancel(queued);
  EXPECT_THROW((void)loom::get(queued), loom::Cancelled);
  EXPECT_FALSE(loom::get(busy));
  EXPECT_EQ(arrived->load(), 1);  // the cancelled call never ran
}

TEST_F(Actors, EmptyHandleIsAnError) {
  loom::ActorHandle<Counter> empty;
  EXPECT_THROW((void)empty.task(&Counter::increment), loom::Error);
}

}  // namespace
