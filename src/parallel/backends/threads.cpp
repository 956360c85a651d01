// Parallel's threads backend: runners on the oneTBB pool (the calling thread is one of them)
// take batches from the run's shared cursor until none are left.

#include <chrono>
#include <memory>
#include <string_view>

#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>

#include "core/suspend_latch.hpp"
#include "loom/core/current_task.hpp"
#include "loom/core/executor.hpp"
#include "parallel/backend.hpp"
#include "parallel/backends/in_process.hpp"

namespace loom::detail {

namespace {

class ThreadsBackend final : public ParallelBackend {
 public:
  explicit ThreadsBackend(RunState& run)
      : run_(run), runner_(run, static_cast<std::size_t>(run.opt.n_jobs)) {}

  // List mode: n_jobs runners (this thread is one of them) take batches until none are left.
  // Inside a task, the runners join the arena the task runs in (no new threads), and the task
  // waits for them suspended, never by running unrelated tasks on its own stack.
  void run_to_end() override {
    runner_.start_watchdog();
    const int n_jobs = run_.opt.n_jobs;
    const bool nested = in_task();
    const auto body = [this, n_jobs, nested] {
      tbb::task_group group;
      SuspendLatch runners(n_jobs - 1);
      for (int k = 1; k < n_jobs; ++k) {
        group.run([this, &runners, k] {
          while (auto batch = run_.take()) runner_.run_batch(*batch, static_cast<std::size_t>(k));
          runners.arrive();
        });
      }
      while (auto batch = run_.take()) runner_.run_batch(*batch, 0);
      if (nested) {
        runners.wait();
        tbb::this_task_arena::isolate([&group] { group.wait(); });  // tasks that are returning
      } else {
        group.wait();
      }
    };
    if (nested) {
      body();
    } else {
      Executor::with_threads(n_jobs).run(body);
    }
  }

  void start() override {
    runner_.start_watchdog();
    group_ = std::make_unique<tbb::task_group>();
  }

  // Keeps runners busy within the window, helps with a batch, else waits for one.
  void step() override {
    if (active_runners_.load() < run_.opt.n_jobs - 1) {
      auto launch = [this] {
        while (active_runners_.load() < run_.opt.n_jobs - 1) {
          active_runners_.fetch_add(1);
          group_->run([this] {
            // Each running runner has a timer slot of its own (slot 0 is the consumer's).
            const std::size_t slot = runner_.acquire_slot();
            while (auto batch = run_.take()) runner_.run_batch(*batch, slot);
            runner_.release_slot(slot);
            active_runners_.fetch_sub(1);
            run_.changed.notify_all();
          });
        }
      };
      if (in_task()) {
        launch();
      } else {
        Executor::with_threads(run_.opt.n_jobs).run(launch);
      }
    }
    if (auto batch = run_.take()) {
      runner_.run_batch(*batch, 0);
    } else {
      std::unique_lock lock(run_.mutex);
      run_.changed.wait_for(lock, std::chrono::milliseconds(20));
    }
  }

  void stop() noexcept override {
    if (group_) {
      tbb::task_group* group = group_.get();
      if (in_task()) {
        group->wait();
      } else {
        Executor::with_threads(run_.opt.n_jobs).run([group] { group->wait(); });
      }
    }
    runner_.stop_watchdog();
  }

 private:
  RunState& run_;
  InProcessRunner runner_;
  std::unique_ptr<tbb::task_group> group_;  // generator mode: the runners
  std::atomic<int> active_runners_{0};      // generator mode
};

}  // namespace

const BackendType& threads_backend() {
  static constexpr std::string_view kAliases[] = {"threading"};
  static const BackendType type{
      .name = "threads",
      .aliases = kAliases,
      .results_serialized = false,
      .one_worker = false,
      .make = [](RunState& run) -> std::unique_ptr<ParallelBackend> {
        return std::make_unique<ThreadsBackend>(run);
      },
  };
  return type;
}

}  // namespace loom::detail
