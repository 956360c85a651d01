// Named actors (get_actor), loom::kill and max_task_retries: in threads and processes modes.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "../scratch_folder.hpp"
#include "../support/expect_error.hpp"

#include "loom/remote.hpp"

using namespace std::chrono_literals;

namespace {

class Store {
 public:
  Store() = default;
  explicit Store(int start) : value_(start) {}
  int add(int n) { return value_ += n; }
  [[nodiscard]] int value() const { return value_; }
  [[nodiscard]] int pid() const { return static_cast<int>(::getpid()); }
  int nap(int ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    return ms;
  }
  // Crashes the actor's process the first `times` calls (counted in a file: a restarted
  // process has a new instance).
  int crash_first(const std::string& counter, int times) {
    const auto path = loom::test::scratch_folder() / counter;
    int n = 0;
    {
      std::ifstream in(path);
      in >> n;
    }
    std::ofstream(path) << n + 1;
    if (n < times) ::raise(SIGKILL);
    return n + 1;
  }

 private:
  int value_ = 0;
};

class Other {
 public:
  int ping() { return 1; }
};

}  // namespace

LOOM_REMOTE(Store);
LOOM_REMOTE(Other);

namespace {

// Polls `done` for up to 5 s.
template <class F>
bool eventually(F done) {
  const auto until = std::chrono::steady_clock::now() + 5s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

bool name_free(const std::string& name) {
  try {
    (void)loom::get_actor<Store>(name);
    return false;
  } catch (const loom::Error&) {
    return true;
  }
}

class NamedActors : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    (void)loom::test::scratch_folder();  // named before the workers fork
    loom::init({.num_cpus = 2, .mode = GetParam()});
  }
  void TearDown() override { loom::shutdown(); }
};

TEST_P(NamedActors, GetActorReachesTheSameActor) {
  auto ps = loom::actor<Store>().options({.name = "ps", .named = true}).remote(10);
  auto again = loom::get_actor<Store>("ps");
  EXPECT_EQ(again.id(), ps.id());
  EXPECT_EQ(loom::get(again.task(&Store::add).remote(5)), 15);
  EXPECT_EQ(loom::get(ps.task(&Store::value).remote()), 15);
  // A name without `.named` is a label only.
  auto labelled = loom::actor<Store>().options({.name = "label-only"}).remote();
  EXPECT_EQ(loom::get(labelled.task(&Store::value).remote()), 0);
  EXPECT_ERROR_CONTAINS((void)loom::get_actor<Store>("label-only"), loom::Error, "label-only");
}

TEST_P(NamedActors, BadNamesAreErrorsNamingBoth) {
  auto ps = loom::actor<Store>().options({.name = "ps", .named = true}).remote();
  EXPECT_ERROR_CONTAINS((void)loom::actor<Store>().options({.name = "ps", .named = true}).remote(),
                        loom::ConfigError, "'ps'", "taken");
  EXPECT_ERROR_CONTAINS((void)loom::actor<Other>().options({.name = "ps", .named = true}).remote(),
                        loom::ConfigError, "'ps'");
  EXPECT_ERROR_CONTAINS((void)loom::get_actor<Store>("nobody"), loom::Error, "nobody",
                        "no live actor");
  EXPECT_ERROR_CONTAINS((void)loom::get_actor<Other>("ps"), loom::Error, "\"ps\"", "Store",
                        "Other");
  // The failed creations took nothing: the first actor still answers under its name.
  EXPECT_EQ(loom::get(loom::get_actor<Store>("ps").task(&Store::add).remote(1)), 1);
}

TEST_P(NamedActors, TheNameIsReleasedWhenTheLastHandleDies) {
  {
    auto ps = loom::actor<Store>().options({.name = "short-lived", .named = true}).remote();
    auto copy = ps;
    EXPECT_EQ(loom::get(ps.task(&Store::add).remote(2)), 2);
    ps = {};
    EXPECT_FALSE(name_free("short-lived"));  // a copy lives
  }
  EXPECT_TRUE(name_free("short-lived"));  // with the last handle, at once
  auto again = loom::actor<Store>().options({.name = "short-lived", .named = true}).remote(7);
  EXPECT_EQ(loom::get(loom::get_actor<Store>("short-lived").task(&Store::value).remote()), 7);
}

TEST_P(NamedActors, KillFailsQueuedAndLaterCallsAndReleasesTheName) {
  auto a = loom::actor<Store>().options({.name = "doomed", .max_restarts = 2, .named = true})
               .remote();
  EXPECT_EQ(loom::get(a.task(&Store::add).remote(1)), 1);
  auto running = a.task(&Store::nap).remote(300);
  std::vector<loom::ObjectRef<int>> queued;
  for (int i = 0; i < 3; ++i) queued.push_back(a.task(&Store::add).remote(1));
  std::this_thread::sleep_for(50ms);  // the nap is running
  loom::kill(a);
  loom::kill(a);  // a second kill does nothing
  for (auto& q : queued) {
    EXPECT_ERROR_CONTAINS((void)loom::get(q), loom::Error, "actor killed");
  }
  EXPECT_ERROR_CONTAINS((void)loom::get(a.task(&Store::value).remote()), loom::Error,
                        "actor killed");
  if (std::string(GetParam()) == "processes") {
    // Its process is killed, the running call with it, and it is not restarted.
    EXPECT_ERROR_CONTAINS((void)loom::get(running), loom::Error, "killed");
  } else {
    EXPECT_EQ(loom::get(running), 300);  // a running C++ call cannot be interrupted
  }
  EXPECT_TRUE(name_free("doomed"));
  auto next = loom::actor<Store>().options({.name = "doomed", .named = true}).remote(3);
  EXPECT_EQ(loom::get(loom::get_actor<Store>("doomed").task(&Store::value).remote()), 3);
  EXPECT_THROW(loom::kill(loom::ActorHandle<Store>()), loom::Error);
}

TEST_P(NamedActors, KillReleasesTheActorsCpus) {
  auto holder = loom::actor<Store>().options({.num_cpus = 2}).remote();
  EXPECT_EQ(loom::get(holder.task(&Store::add).remote(1)), 1);
  auto task = loom::task([] { return 7; });
  if (std::string(GetParam()) == "threads") {
    auto ref = task.remote();
    auto [ready, pending] = loom::wait(std::vector{ref}, {.num_returns = 1, .timeout = 50ms});
    EXPECT_TRUE(ready.empty());  // the actor holds both CPUs
    loom::kill(holder);          // the handle stays alive: kill itself gives them back
    EXPECT_EQ(loom::get(ref, {.timeout = 5s}), 7);
  } else {
    loom::kill(holder);
  }
  // Another actor that needs both CPUs starts while the killed one's handle lives.
  auto second = loom::actor<Store>().options({.num_cpus = 2}).remote(4);
  EXPECT_EQ(loom::get(second.task(&Store::value).remote(), {.timeout = 5s}), 4);
}

INSTANTIATE_TEST_SUITE_P(Modes, NamedActors, ::testing::Values("threads", "processes"));

// Counts the instances alive (threads mode).
class Tracked {
 public:
  explicit Tracked(std::shared_ptr<std::atomic<int>> alive) : alive_(std::move(alive)) {
    alive_->fetch_add(1);
  }
  ~Tracked() { alive_->fetch_sub(1); }
  Tracked(const Tracked&) = delete;
  Tracked& operator=(const Tracked&) = delete;
  int nap(int ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    return ms;
  }

 private:
  std::shared_ptr<std::atomic<int>> alive_;
};

TEST(Kill, TheInstanceIsDestroyedOnceTheRunningCallReturns) {
  loom::Runtime rt({.num_cpus = 2});
  for (int concurrency : {1, 2}) {
    auto alive = std::make_shared<std::atomic<int>>(0);
    auto a = loom::actor<Tracked>().options({.max_concurrency = concurrency}).remote(alive);
    auto running = a.task(&Tracked::nap).remote(200);
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(alive->load(), 1);
    loom::kill(a);
    EXPECT_EQ(alive->load(), 1) << "destroyed under a running call";
    EXPECT_EQ(loom::get(running), 200);
    EXPECT_TRUE(eventually([&] { return alive->load() == 0; })) << concurrency;
    EXPECT_TRUE(a.valid());  // the handle lives on; its calls fail
    EXPECT_ERROR_CONTAINS((void)loom::get(a.task(&Tracked::nap).remote(1)), loom::Error,
                          "actor killed");
  }
  // Killed before it was created: it never is.
  auto alive = std::make_shared<std::atomic<int>>(0);
  auto blocker = loom::actor<Tracked>().options({.num_cpus = 2}).remote(alive);
  auto late = loom::actor<Tracked>().options({.num_cpus = 1}).remote(alive);  // waits for CPUs
  loom::kill(late);
  blocker = {};
  EXPECT_ERROR_CONTAINS((void)loom::get(late.task(&Tracked::nap).remote(1)), loom::Error,
                        "actor killed");
  EXPECT_TRUE(eventually([&] { return alive->load() == 0; }));
}

class TaskRetries : public ::testing::Test {
 protected:
  void SetUp() override {
    // Counters start at 0 (also when the tests are repeated).
    for (const char* counter : {"retried", "not-retried", "used-up"}) {
      std::filesystem::remove(loom::test::scratch_folder() / counter);
    }
    loom::init({.num_cpus = 2, .mode = "processes"});
  }
  void TearDown() override { loom::shutdown(); }
};

TEST_F(TaskRetries, ACallInterruptedByARestartRunsAgain) {
  auto a = loom::actor<Store>().options({.max_restarts = 2, .max_task_retries = 2}).remote();
  // Two crashes, two restarts, the third attempt returns.
  EXPECT_EQ(loom::get(a.task(&Store::crash_first).remote(std::string("retried"), 2)), 3);
  EXPECT_EQ(loom::get(a.task(&Store::add).remote(1)), 1);
}

TEST_F(TaskRetries, WithoutRetriesTheCallFailsAndTheActorRestarts) {
  auto a = loom::actor<Store>().options({.max_restarts = 1}).remote();
  EXPECT_ERROR_CONTAINS(
      (void)loom::get(a.task(&Store::crash_first).remote(std::string("not-retried"), 1)),
      loom::Error, "restarted");
  EXPECT_EQ(loom::get(a.task(&Store::crash_first).remote(std::string("not-retried"), 1)), 2);
}

TEST_F(TaskRetries, RetriesStopWhenTheRestartsAreUsedUp) {
  auto a = loom::actor<Store>().options({.max_restarts = 1, .max_task_retries = 5}).remote();
  EXPECT_ERROR_CONTAINS(
      (void)loom::get(a.task(&Store::crash_first).remote(std::string("used-up"), 5)),
      loom::Error, "died in a call");
  EXPECT_ERROR_CONTAINS((void)loom::get(a.task(&Store::value).remote()), loom::Error,
                        "max_restarts");
}

}  // namespace
