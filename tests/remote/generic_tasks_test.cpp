// Generic lambdas as remote tasks: `auto` parameters get the value of an ObjectRef argument (or
// the ref, when only the ref fits), in threads mode and, registered, in processes mode; actor
// methods follow the same argument rule.
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <numeric>
#include <string>
#include <type_traits>
#include <vector>

#include <unistd.h>

#include <gtest/gtest.h>

#include "../support/expect_error.hpp"

#include "loom/remote.hpp"

namespace {

constexpr auto twice = [](auto x) { return x * 2; };
constexpr auto sum_all = [](const auto& v) {
  return std::accumulate(v.begin(), v.end(), 0.0);
};
constexpr auto unregistered = [](auto x) { return x + 1; };
constexpr auto pid_plus = [](auto x) { return static_cast<int>(::getpid()) + x; };

}  // namespace

LOOM_REMOTE(twice, int(int), double(double));
LOOM_REMOTE(sum_all);
LOOM_REMOTE(pid_plus);

namespace {

class GenericTasks : public ::testing::Test {
 protected:
  void SetUp() override { loom::init({.num_cpus = 2}); }
  void TearDown() override { loom::shutdown(); }
};

TEST_F(GenericTasks, AutoParametersGetTheValueOfARef) {
  auto square = loom::task([](const auto& v) { return v * v; });
  std::vector<loom::ObjectRef<int>> refs;
  for (int i = 0; i < 100; ++i) refs.push_back(square.remote(loom::put(i)));
  const std::vector<int> got = loom::get(refs);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(got[i], i * i);
  // Plain values too, and the result type follows the argument's.
  EXPECT_DOUBLE_EQ(loom::get(square.remote(1.5)), 2.25);
}

TEST_F(GenericTasks, ADependencyChainOfGenericTasksMatchesSequential) {
  auto scale = loom::task([](const std::vector<double>& v, auto factor) {
    std::vector<double> out(v);
    for (auto& x : out) x *= factor;
    return out;
  });
  auto total = loom::task(sum_all);
  std::vector<double> data(1000);
  std::iota(data.begin(), data.end(), 1.0);
  const loom::ObjectRef<double> r = total.remote(scale.remote(loom::put(data), 3));
  EXPECT_DOUBLE_EQ(loom::get(r), 3.0 * 1000 * 1001 / 2);
}

TEST_F(GenericTasks, TheStoredObjectItselfReachesAConstAutoReference) {
  auto ref = loom::put(std::vector<int>(10, 7));
  const std::vector<int>* stored = loom::get_ptr(ref).get();
  auto address = loom::task([](const auto& v) { return reinterpret_cast<std::uintptr_t>(&v); });
  EXPECT_EQ(loom::get(address.remote(ref)), reinterpret_cast<std::uintptr_t>(stored));
}

TEST_F(GenericTasks, AParameterThatTakesOnlyTheRefGetsTheRef) {
  // The first parameter is ObjectRef<int> (not int): it receives the ref; the `auto` one the
  // value.
  auto f = loom::task([](loom::ObjectRef<int> r, const auto& v) { return loom::get(r) + v; });
  EXPECT_EQ(loom::get(f.remote(loom::put(40), loom::put(2))), 42);
  // A generic parameter that only fits a ref (it calls .valid()) gets the ref.
  auto g = loom::task([](const auto& r) -> decltype(r.valid()) { return r.valid(); });
  EXPECT_TRUE(loom::get(g.remote(loom::put(std::string("a")))));
}

TEST_F(GenericTasks, ErrorsOfGenericTasksAreTaskErrors) {
  auto f = loom::task([](auto x) {
    if (x > 2) throw std::runtime_error("too big");
    return x;
  });
  EXPECT_EQ(loom::get(f.remote(1)), 1);
  EXPECT_ERROR_CONTAINS((void)loom::get(f.remote(3)), loom::TaskError, "too big");
}

class Scaler {
 public:
  explicit Scaler(double factor) : factor_(factor) {}
  [[nodiscard]] double scale(const double& x) const { return x * factor_; }
  [[nodiscard]] bool has(loom::ObjectRef<double> r) const { return r.valid(); }

 private:
  double factor_;
};

TEST_F(GenericTasks, ActorMethodArgumentsFollowTheSameRule) {
  auto a = loom::actor<Scaler>().remote(loom::put(2.0));  // a ref for `double`: its value
  const auto x = loom::put(21.0);
  EXPECT_DOUBLE_EQ(loom::get(a.task(&Scaler::scale).remote(x)), 42.0);
  EXPECT_TRUE(loom::get(a.task(&Scaler::has).remote(x)));  // takes the ref: gets the ref
}

class GenericProcesses : public ::testing::Test {
 protected:
  void SetUp() override { loom::init({.num_cpus = 2, .mode = "processes"}); }
  void TearDown() override { loom::shutdown(); }
};

TEST_F(GenericProcesses, ARegisteredGenericLambdaRunsInWorkers) {
  auto t = loom::task(twice);
  std::vector<loom::ObjectRef<int>> refs;
  for (int i = 0; i < 50; ++i) refs.push_back(t.remote(i));
  const std::vector<int> got = loom::get(refs);
  for (int i = 0; i < 50; ++i) ASSERT_EQ(got[i], 2 * i);
  EXPECT_DOUBLE_EQ(loom::get(t.remote(loom::put(1.25))), 2.5);
  std::vector<double> data(100, 0.5);
  EXPECT_DOUBLE_EQ(loom::get(loom::task(sum_all).remote(loom::put(data))), 50.0);
  const int worker = loom::get(loom::task(pid_plus).remote(0));
  EXPECT_NE(worker, static_cast<int>(::getpid()));  // it ran in a worker process
}

TEST_F(GenericProcesses, TaskNamedFindsARegisteredInstantiation) {
  EXPECT_EQ(loom::get(loom::task_named<int(int)>("twice").remote(21)), 42);
  EXPECT_DOUBLE_EQ(loom::get(loom::task_named<double(double)>("twice").remote(0.5)), 1.0);
  EXPECT_ERROR_CONTAINS((void)loom::task_named<float(float)>("twice"), loom::ConfigError, "twice",
                        "signature");
}

TEST_F(GenericProcesses, AnUnregisteredGenericLambdaIsAConfigError) {
  EXPECT_THROW((void)loom::task(unregistered).remote(1), loom::ConfigError);
  EXPECT_THROW((void)loom::task([](auto x) { return x; }).remote(1), loom::ConfigError);
}

}  // namespace
