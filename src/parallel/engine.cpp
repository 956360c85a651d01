// loom::Parallel's engine: one run's options resolved, its backend made from the registry and
// driven in list or generator mode. What every backend shares (batching, the generator window,
// errors, progress) is in run_state.cpp; the backends are in backends/.

#include <memory>
#include <string>

#include <fmt/format.h>

#include "loom/core/error.hpp"
#include "loom/parallel/detail/engine.hpp"
#include "loom/parallel/detail/parallel_run.hpp"
#include "loom/parallel/detail/typed_job.hpp"
#include "parallel/backend.hpp"
#include "parallel/resolved_options.hpp"
#include "parallel/run_state.hpp"

namespace loom::detail {

void throw_not_serializable(const std::string& type) {
  throw ConfigError(fmt::format(
      "Parallel: the processes backend sends results back serialized, and {} cannot be (give it "
      "a cereal `serialize` member and a default constructor, or use the threads backend)",
      type));
}

void throw_results_taken() {
  throw Error(
      "ParallelResult: the results were already moved out (by get() or a conversion "
      "of a temporary result)");
}

struct ParallelEngine::State {
  State(const ResolvedOptions& options, ParallelJob& job)
      : run(options, job), backend(options.backend->make(run)) {}

  RunState run;
  std::unique_ptr<ParallelBackend> backend;  // after `run`: it refers to it
  bool started = false;

  void start_progress() {
    started = true;
    run.progress.started(std::string(run.opt.backend->name), run.opt.n_jobs);
  }
};

namespace {

ResolvedOptions checked_options(const ParallelOptions& options, ParallelJob& job,
                                ReturnAs return_as) {
  ResolvedOptions resolved = resolve(options, return_as);
  if (resolved.backend->results_serialized && !job.results_serializable()) {
    throw_not_serializable(job.result_type());
  }
  return resolved;
}

}  // namespace

ParallelEngine::ParallelEngine(const ParallelOptions& options, ParallelJob& job, ReturnAs return_as)
    : state_(std::make_unique<State>(checked_options(options, job, return_as), job)) {}

ParallelEngine::~ParallelEngine() {
  State& s = *state_;
  s.run.fail(nullptr);  // stop dispatching; ask running calls to stop
  s.backend->stop();
}

void ParallelEngine::run_all() {
  State& s = *state_;
  s.start_progress();
  if (s.run.n > 0) s.backend->run_to_end();
  s.run.rethrow_failure();
  s.run.progress.finish(s.run.completed);
}

std::optional<std::size_t> ParallelEngine::next() {
  State& s = *state_;
  if (!s.started) {
    s.start_progress();
    s.backend->start();
  }
  for (;;) {
    {
      std::unique_lock lock(s.run.mutex);
      if (s.run.error) std::rethrow_exception(s.run.error);
      std::size_t index = 0;
      if (s.run.ready_to_hand_out(index)) return index;
      if (s.run.all_handed_out()) {
        lock.unlock();
        s.run.progress.finish(s.run.completed);
        s.backend->finish();
        return std::nullopt;
      }
    }
    s.backend->step();
  }
}

}  // namespace loom::detail
