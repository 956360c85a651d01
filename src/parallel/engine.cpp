// loom::Parallel's engine: batching, the threads and sequential backends, errors, timeouts and
// progress. The processes backend is in processes.cpp.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>

#include "core/suspend_latch.hpp"
#include "engine_state.hpp"
#include "loom/core/current_task.hpp"
#include "loom/core/detail/node.hpp"
#include "loom/core/error.hpp"
#include "loom/core/executor.hpp"

namespace loom::detail {

using Clock = std::chrono::steady_clock;

// ---- batching ----

std::size_t BatchSizer::next(std::size_t remaining) const {
  if (remaining == 0) return 0;
  if (!automatic_) return std::min<std::size_t>(static_cast<std::size_t>(fixed_), remaining);
  // The last batches are split finely, so that all workers finish together.
  const std::size_t tail =
      std::max<std::size_t>(1, remaining / (4 * static_cast<std::size_t>(n_jobs_)));
  return std::min({static_cast<std::size_t>(effective_), tail, remaining});
}

void BatchSizer::completed(std::size_t count, double seconds) {
  if (!automatic_ || count == 0) return;
  const double per_call = std::max(seconds / static_cast<double>(count), 1e-9);
  per_call_ = per_call_ == 0 ? per_call : 0.8 * per_call_ + 0.2 * per_call;
  const double predicted = per_call_ * static_cast<double>(effective_);
  if (predicted < kMinIdeal) {
    // Twice the ideal size, as joblib does, to limit oscillation between the bounds.
    const double ideal = kMinIdeal / per_call_;
    effective_ = static_cast<std::int64_t>(std::min(2 * ideal, 1e12));
  } else if (predicted > kMaxIdeal) {
    effective_ = std::max<std::int64_t>(1, static_cast<std::int64_t>(kMinIdeal / per_call_));
  }
  effective_ = std::max<std::int64_t>(effective_, 1);
}

// ---- options ----

namespace {

thread_local const parallel_backend* current_scope = nullptr;

Backend parse_backend(const std::string& name) {
  if (name == "threads" || name == "threading") return Backend::threads;
  if (name == "processes" || name == "loky" || name == "multiprocessing") return Backend::processes;
  if (name == "sequential") return Backend::sequential;
  throw ConfigError(fmt::format(
      "Parallel: unknown backend '{}' (use \"threads\", \"processes\" or \"sequential\"; "
      "joblib's \"threading\", \"loky\" and \"multiprocessing\" are accepted too)",
      name));
}

std::int64_t parse_pre_dispatch(const std::string& text, int n_jobs) {
  std::string s;
  for (char c : text) {
    if (c != ' ') s += c;
  }
  if (s == "all") return -1;
  if (s == "n_jobs") return n_jobs;
  std::int64_t factor = 0;
  std::string rest = s;
  if (const auto star = s.find('*'); star != std::string::npos) {
    rest = s.substr(star + 1);
    s = s.substr(0, star);
    if (rest != "n_jobs") s.clear();
  } else {
    rest.clear();
  }
  char* end = nullptr;
  factor = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || end == nullptr || *end != '\0' || factor < 1) {
    throw ConfigError(fmt::format(
        "Parallel: bad pre_dispatch '{}' (use \"2*n_jobs\", \"n_jobs\", \"all\" or a number)",
        text));
  }
  return rest.empty() ? factor : factor * n_jobs;
}

}  // namespace

const char* backend_name(Backend backend) noexcept {
  switch (backend) {
    case Backend::threads:
      return "threads";
    case Backend::processes:
      return "processes";
    case Backend::sequential:
      return "sequential";
  }
  return "?";
}

ResolvedOptions resolve(const ParallelOptions& options) {
  ResolvedOptions r;
  std::string backend = "threads";
  std::optional<int> n_jobs;
  if (current_scope != nullptr) {
    backend = current_scope->backend();
    n_jobs = current_scope->n_jobs();
  }
  if (options.backend) backend = *options.backend;
  if (options.n_jobs) n_jobs = *options.n_jobs;
  r.backend = parse_backend(backend);
  if (n_jobs && *n_jobs == 0) {
    throw ConfigError(
        "Parallel: n_jobs == 0 has no meaning (use a positive count, or -1 for "
        "all cores)");
  }
  r.n_jobs = n_jobs ? effective_n_jobs(*n_jobs) : cpu_count();
  if (r.backend == Backend::sequential) r.n_jobs = 1;
  if (r.n_jobs == 1) r.backend = Backend::sequential;  // joblib: n_jobs=1 runs in-process
  if (const auto* fixed = std::get_if<std::int64_t>(&options.batch_size)) {
    if (*fixed < 1) {
      throw ConfigError(fmt::format("Parallel: batch_size must be positive, not {}", *fixed));
    }
    r.auto_batch = false;
    r.batch_size = *fixed;
  }
  r.pre_dispatch = parse_pre_dispatch(options.pre_dispatch, r.n_jobs);
  r.return_as = options.return_as;
  if (options.verbose < 0) {
    throw ConfigError(fmt::format("Parallel: verbose must be >= 0, not {}", options.verbose));
  }
  r.verbose = options.verbose;
  r.progress = options.progress;
  if (options.timeout && options.timeout->count() <= 0) {
    throw ConfigError(
        fmt::format("Parallel: timeout must be positive, not {}s", options.timeout->count()));
  }
  r.timeout = options.timeout;
  if (options.max_nbytes < 0) {
    throw ConfigError(fmt::format("Parallel: max_nbytes must be >= 0, not {}", options.max_nbytes));
  }
  r.max_nbytes = options.max_nbytes;
  if (options.mmap_mode != "r" && options.mmap_mode != "r+" && options.mmap_mode != "c") {
    throw ConfigError(fmt::format("Parallel: mmap_mode must be \"r\", \"r+\" or \"c\", not '{}'",
                                  options.mmap_mode));
  }
  r.mmap_mode = options.mmap_mode;
  // In a forked worker (no oneTBB threads there) and under a sequential call, nested Parallel
  // work runs inline, as joblib limits inner workers.
  if (in_worker_process() || computes_inline()) r.backend = Backend::sequential;
  return r;
}

}  // namespace loom::detail

namespace loom {

parallel_backend::parallel_backend(std::string backend, Options options)
    : previous_(detail::current_scope), backend_(std::move(backend)), n_jobs_(options.n_jobs) {
  (void)detail::parse_backend(backend_);  // a bad name fails here, not at the first Parallel
  if (n_jobs_ && *n_jobs_ == 0) throw ConfigError("parallel_backend: n_jobs == 0 has no meaning");
  detail::current_scope = this;
}

parallel_backend::~parallel_backend() { detail::current_scope = previous_; }

}  // namespace loom

namespace loom::detail {

// ---- state ----

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

std::exception_ptr call_error(std::size_t index) {
  const std::string what = current_exception_message();
  return std::make_exception_ptr(
      TaskError(fmt::format("Parallel call {}", index),
                fmt::format("loom::Parallel: call {} failed: {}{}{}", index,
                            current_exception_type_name(), what.empty() ? "" : ": ", what),
                index));
}

ParallelEngine::State::State(const ResolvedOptions& options, ParallelJob& j)
    : opt(options),
      job(j),
      n(j.size()),
      sizer(options.auto_batch, options.batch_size, options.n_jobs),
      progress(j.size(), fmt::format("Parallel(n_jobs={})", options.n_jobs), options.verbose,
               options.progress == Progress::bar) {
  if (generator()) {
    done = std::make_unique<std::atomic<bool>[]>(n);
  }
  slot_in_use.assign(static_cast<std::size_t>(std::max(options.n_jobs, 1)), false);
}

std::size_t ParallelEngine::State::window_end() const {
  if (!generator() || opt.pre_dispatch < 0) return n;
  return std::min(
      n, handed_out + static_cast<std::size_t>(std::max<std::int64_t>(opt.pre_dispatch, 1)));
}

std::optional<Batch> ParallelEngine::State::take() {
  std::lock_guard lock(mutex);
  if (failed.load(std::memory_order_relaxed)) return std::nullopt;
  const std::size_t end = window_end();
  if (cursor >= end) return std::nullopt;
  std::size_t count = sizer.next(n - cursor);
  // A timeout is per call: with batches of one, a batch's clock is its call's clock.
  if (opt.timeout && opt.backend == Backend::processes) count = 1;
  count = std::min(count, end - cursor);
  const Batch batch{cursor, count};
  cursor += count;
  return batch;
}

void ParallelEngine::State::finish_batch(const Batch& batch, std::size_t ran, double seconds) {
  std::size_t now_completed = 0;
  {
    std::lock_guard lock(mutex);
    sizer.completed(ran, seconds);
    completed += ran;
    now_completed = completed;
    if (generator()) {
      for (std::size_t i = batch.first; i < batch.first + ran; ++i) {
        done[i].store(true, std::memory_order_release);
        finished_order.push_back(i);
      }
    }
  }
  changed.notify_all();
  try {
    progress.update(now_completed);
  } catch (...) {  // a progress line that cannot be written must not stop the work
  }
}

void ParallelEngine::State::fail(std::exception_ptr e) {
  {
    std::lock_guard lock(mutex);
    if (!error) error = std::move(e);
    failed.store(true, std::memory_order_release);
  }
  stop.request_stop();
  for (auto& clock : clocks) {
    std::lock_guard lock(clock->mutex);
    clock->stop.request_stop();
  }
  changed.notify_all();
}

bool ParallelEngine::State::ready_to_hand_out(std::size_t& index) {
  if (opt.return_as == ReturnAs::generator_unordered) {
    if (finished_order.empty()) return false;
    index = finished_order.front();
    finished_order.pop_front();
  } else {
    if (handed_out >= n || !done[handed_out].load(std::memory_order_acquire)) return false;
    index = handed_out;
  }
  ++handed_out;
  return true;
}

// ---- threads and sequential ----

std::size_t ParallelEngine::State::acquire_slot() {
  std::lock_guard lock(mutex);
  for (std::size_t k = 1; k < slot_in_use.size(); ++k) {
    if (!slot_in_use[k]) {
      slot_in_use[k] = true;
      return k;
    }
  }
  return 0;  // unreachable: at most n_jobs - 1 runners
}

void ParallelEngine::State::release_slot(std::size_t slot) {
  std::lock_guard lock(mutex);
  slot_in_use[slot] = false;
}

void ParallelEngine::State::start_watchdog(std::size_t slots) {
  if (!opt.timeout || watchdog.joinable()) return;
  for (std::size_t i = 0; i < slots; ++i) clocks.push_back(std::make_unique<CallClock>());
  const auto limit = std::chrono::duration_cast<Clock::duration>(*opt.timeout);
  watchdog = std::jthread([this, limit](const std::stop_token& quit) {
    while (!quit.stop_requested()) {
      const auto now = Clock::now();
      for (auto& clock : clocks) {
        std::lock_guard lock(clock->mutex);
        if (clock->running && now - clock->start > limit) clock->stop.request_stop();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
}

void ParallelEngine::State::run_call(std::size_t i, std::size_t slot) {
  const std::stop_source* stop_for_call = &stop;
  Clock::time_point begin{};
  CallClock* clock = nullptr;
  if (opt.timeout) {
    clock = clocks[slot].get();
    std::lock_guard lock(clock->mutex);
    clock->stop = std::stop_source();
    if (failed.load(std::memory_order_relaxed)) clock->stop.request_stop();
    begin = clock->start = Clock::now();
    clock->running = true;
    stop_for_call = &clock->stop;
  }
  try {
    const TaskContext here("Parallel", i, stop_for_call);
    const TaskScope scope(&here);
    job.run_and_store(i);
  } catch (...) {
    // A call that throws after overrunning (say, when asked to stop) timed out.
    const bool overran = clock != nullptr && Clock::now() - begin > *opt.timeout;
    if (!overran) fail(call_error(i));
  }
  if (clock != nullptr) {
    {
      std::lock_guard lock(clock->mutex);
      clock->running = false;
    }
    const std::chrono::duration<double> took = Clock::now() - begin;
    if (took > *opt.timeout) {
      fail(std::make_exception_ptr(Timeout(
          fmt::format("loom::Parallel: call {} ran {}, longer than its timeout of {}", i,
                      format_seconds(took.count()), format_seconds(opt.timeout->count())))));
    }
  }
}

void ParallelEngine::State::run_batch(const Batch& batch, std::size_t slot) {
  const auto begin = Clock::now();
  std::size_t ran = 0;
  if (opt.timeout) {
    // Each call has its own clock and stop request.
    for (; ran < batch.count; ++ran) {
      if (failed.load(std::memory_order_acquire)) break;
      run_call(batch.first + ran, slot);
    }
    // A call that failed does not count as done (generators never hand out its slot).
    if (failed.load(std::memory_order_acquire) && ran > 0) --ran;
  } else {
    // The whole batch in one virtual call: fine-grained calls cost no more than a loop.
    try {
      const TaskContext here("Parallel", batch.first, &stop);
      const TaskScope scope(&here);
      job.run_range(batch.first, batch.count, ran, failed);
    } catch (...) {
      fail(call_error(batch.first + ran));
    }
  }
  finish_batch(batch, ran, std::chrono::duration<double>(Clock::now() - begin).count());
}

namespace {

void run_inline(ParallelEngine::State& s) {
  const InlineScope inline_scope;  // nested loom work of a sequential call stays on this thread
  while (auto batch = s.take()) s.run_batch(*batch, 0);
}

// List mode on the pool: n_jobs runners (this thread is one of them) take batches until none
// are left. Inside a task, the runners join the arena the task runs in (no new threads), and
// the task waits for them suspended, never by running unrelated tasks on its own stack.
void run_threads_to_end(ParallelEngine::State& s) {
  const bool nested = in_task();
  const auto body = [&s, nested] {
    tbb::task_group group;
    SuspendLatch runners(s.opt.n_jobs - 1);
    for (int k = 1; k < s.opt.n_jobs; ++k) {
      group.run([&s, &runners, k] {
        while (auto batch = s.take()) s.run_batch(*batch, static_cast<std::size_t>(k));
        runners.arrive();
      });
    }
    while (auto batch = s.take()) s.run_batch(*batch, 0);
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
    Executor::with_threads(s.opt.n_jobs).run(body);
  }
}

void rethrow_failure(ParallelEngine::State& s) {
  std::exception_ptr e;
  {
    std::lock_guard lock(s.mutex);
    e = s.error;
  }
  if (e) std::rethrow_exception(e);
}

}  // namespace

ParallelEngine::ParallelEngine(const ResolvedOptions& options, ParallelJob& job)
    : state_(std::make_unique<State>(options, job)) {}

ParallelEngine::~ParallelEngine() {
  State& s = *state_;
  s.fail(nullptr);  // stop dispatching; ask running calls to stop
  if (s.group) {
    auto* group = static_cast<tbb::task_group*>(s.group.get());
    if (in_task()) {
      group->wait();
    } else {
      Executor::with_threads(s.opt.n_jobs).run([group] { group->wait(); });
    }
  }
  s.stop_workers();
  if (s.watchdog.joinable()) {
    s.watchdog.request_stop();
    s.watchdog.join();
  }
}

void ParallelEngine::run_all() {
  State& s = *state_;
  s.started = true;
  s.progress.started(backend_name(s.opt.backend), s.opt.n_jobs);
  if (s.n > 0) {
    switch (s.opt.backend) {
      case Backend::sequential:
        s.start_watchdog(1);
        run_inline(s);
        break;
      case Backend::threads:
        s.start_watchdog(static_cast<std::size_t>(s.opt.n_jobs));
        run_threads_to_end(s);
        break;
      case Backend::processes:
        s.start_workers();
        while (!s.failed.load() && s.completed < s.n) s.pump();
        s.stop_workers();
        break;
    }
  }
  rethrow_failure(s);
  s.progress.finish(s.completed);
}

std::optional<std::size_t> ParallelEngine::next() {
  State& s = *state_;
  if (!s.started) {
    s.started = true;
    s.progress.started(backend_name(s.opt.backend), s.opt.n_jobs);
    if (s.opt.backend == Backend::processes && s.n > 0) s.start_workers();
    if (s.opt.backend == Backend::threads) {
      s.start_watchdog(static_cast<std::size_t>(s.opt.n_jobs));
      s.group = std::make_shared<tbb::task_group>();
    }
    if (s.opt.backend == Backend::sequential) s.start_watchdog(1);
  }
  for (;;) {
    {
      std::unique_lock lock(s.mutex);
      if (s.error) std::rethrow_exception(s.error);
      std::size_t index = 0;
      if (s.ready_to_hand_out(index)) return index;
      if (s.all_handed_out()) {
        lock.unlock();
        s.progress.finish(s.completed);
        if (s.opt.backend == Backend::processes) s.stop_workers();
        return std::nullopt;
      }
    }
    switch (s.opt.backend) {
      case Backend::sequential: {
        const InlineScope inline_scope;
        if (auto batch = s.take()) s.run_batch(*batch, 0);
        break;
      }
      case Backend::processes:
        s.pump();
        break;
      case Backend::threads: {
        // Keep runners busy within the window, help with a batch, else wait for one.
        if (s.active_runners.load() < s.opt.n_jobs - 1) {
          auto* group = static_cast<tbb::task_group*>(s.group.get());
          auto launch = [&s, group] {
            while (s.active_runners.load() < s.opt.n_jobs - 1) {
              s.active_runners.fetch_add(1);
              group->run([&s] {
                // Each running runner has a timer slot of its own (slot 0 is the consumer's).
                const std::size_t slot = s.acquire_slot();
                while (auto batch = s.take()) s.run_batch(*batch, slot);
                s.release_slot(slot);
                s.active_runners.fetch_sub(1);
                s.changed.notify_all();
              });
            }
          };
          if (in_task()) {
            launch();
          } else {
            Executor::with_threads(s.opt.n_jobs).run(launch);
          }
        }
        if (auto batch = s.take()) {
          s.run_batch(*batch, 0);
        } else {
          std::unique_lock lock(s.mutex);
          s.changed.wait_for(lock, std::chrono::milliseconds(20));
        }
        break;
      }
    }
  }
}

}  // namespace loom::detail
