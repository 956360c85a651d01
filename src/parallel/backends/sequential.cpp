// Parallel's sequential backend: every batch runs on the calling thread, in order (n_jobs = 1,
// and nested work that must stay on its thread).

#include <memory>

#include "loom/core/detail/node.hpp"
#include "parallel/backend.hpp"
#include "parallel/backends/in_process.hpp"

namespace loom::detail {

namespace {

class SequentialBackend final : public ParallelBackend {
 public:
  explicit SequentialBackend(RunState& run) : run_(run), runner_(run, 1) {}

  void run_to_end() override {
    runner_.start_watchdog();
    const InlineScope inline_scope;  // nested loom work of a sequential call stays on this thread
    while (auto batch = run_.take()) runner_.run_batch(*batch, 0);
  }
  void start() override { runner_.start_watchdog(); }
  void step() override {
    const InlineScope inline_scope;
    if (auto batch = run_.take()) runner_.run_batch(*batch, 0);
  }
  void stop() noexcept override { runner_.stop_watchdog(); }

 private:
  RunState& run_;
  InProcessRunner runner_;
};

}  // namespace

const BackendType& sequential_backend() {
  static const BackendType type{
      .name = "sequential",
      .aliases = {},
      .results_serialized = false,
      .one_worker = true,
      .make = [](RunState& run) -> std::unique_ptr<ParallelBackend> {
        return std::make_unique<SequentialBackend>(run);
      },
  };
  return type;
}

}  // namespace loom::detail
