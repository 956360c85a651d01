// The processes backend of loom::Parallel: forked workers that receive batch indices and send
// back serialized results (the calls themselves reach the workers through fork).

#include <poll.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "core/frame_codec.hpp"
#include "core/progress.hpp"
#include "core/temp_folder.hpp"
#include "core/trace_workers.hpp"
#include "core/worker_process.hpp"
#include "loom/core/current_task.hpp"
#include "loom/core/error.hpp"
#include "loom/core/trace.hpp"
#include "loom/io/serialize.hpp"
#include "parallel/backend.hpp"
#include "parallel/run_state.hpp"

namespace loom::detail {

namespace {

using Clock = std::chrono::steady_clock;

enum FrameKind : std::uint32_t { kRun = 1, kResult = 2, kError = 3 };

// The worker's loop: run the batches the parent sends, answer one frame per call.
void worker_main(ParallelJob& job, const ArrayFiles& files, int from_parent, int to_parent) {
  const std::stop_source never_stopped;
  while (auto frame = read_frame(from_parent)) {
    if (frame->kind != kRun) continue;
    const auto count = FrameReader(frame->payload, "Parallel batch frame").get<std::uint64_t>();
    const auto begin = trace::enabled() ? Clock::now() : Clock::time_point{};
    for (std::uint64_t i = frame->index; i < frame->index + count; ++i) {
      std::string bytes;
      std::uint32_t kind = kResult;
      try {
        const TaskContext here("Parallel", i, &never_stopped);
        const TaskScope scope(&here);
        bytes = job.run_and_serialize(static_cast<std::size_t>(i), &files);
      } catch (...) {
        kind = kError;
        bytes = encode_worker_error();
      }
      // The batch's event, and whatever the calls recorded, travel before its last result.
      if (trace::enabled() && (i + 1 == frame->index + count || kind == kError)) {
        trace_batch(Batch{static_cast<std::size_t>(frame->index), static_cast<std::size_t>(count)},
                    "processes", begin);
        if (!trace::detail::send_worker_events(to_parent)) return;
      }
      if (!write_frame(to_parent, kind, i, bytes)) return;  // the parent is gone
    }
  }
}

std::exception_ptr remote_error(std::size_t index, const WorkerError& failure, pid_t pid) {
  const std::string original = failure.message.empty()
                                   ? std::string(failure.type)
                                   : fmt::format("{}: {}", failure.type, failure.message);
  try {
    throw Error(original);  // stands for the worker's exception, nested in the TaskError
  } catch (...) {
    return std::make_exception_ptr(
        TaskError(fmt::format("Parallel call {}", index),
                  fmt::format("loom::Parallel: call {} failed in worker process {}: {}", index, pid,
                              original),
                  index));
  }
}

class ProcessesBackend final : public ParallelBackend {
 public:
  explicit ProcessesBackend(RunState& run) : run(run), job(run.job), opt(run.opt) {}

  void run_to_end() override {
    start_workers();
    while (!run.failed.load() && run.completed < run.n) pump();
    stop_workers();
  }
  void start() override {
    if (run.n > 0) start_workers();
  }
  void step() override { pump(); }
  void finish() noexcept override { stop_workers(); }
  void stop() noexcept override { stop_workers(); }

 private:
  struct Worker {
    WorkerProcess process;
    std::optional<Batch> batch;  // what it runs now
    std::size_t returned = 0;    // results of that batch received
    std::chrono::steady_clock::time_point started;
  };

  void start_workers();
  void pump();  // one step of the driver loop: dispatch, wait for frames, handle them
  void stop_workers() noexcept;

  // A timeout is per call: with batches of one, a batch's clock is its call's clock.
  std::optional<Batch> take() { return run.take(opt.timeout ? 1 : RunState::kAnySize); }
  void fail(std::exception_ptr e) { run.fail(std::move(e)); }
  void finish_batch(const Batch& batch, std::size_t ran, double seconds) {
    run.finish_batch(batch, ran, seconds);
  }

  RunState& run;
  ParallelJob& job;
  const ResolvedOptions& opt;
  std::vector<Worker> workers;
  TempFolder results_folder;  // large NDArray results; removed with the workers
  ArrayFiles array_files;     // how the parent reads them
};

void ProcessesBackend::start_workers() {
  job.prepare_for_fork();
  results_folder = TempFolder("parallel", TempPurpose::shared_memory);
  array_files = ArrayFiles{results_folder.path(), opt.max_nbytes, false, opt.mmap_mode};
  const ArrayFiles worker_files{results_folder.path(), opt.max_nbytes, true, opt.mmap_mode};
  const std::size_t count = std::min<std::size_t>(static_cast<std::size_t>(opt.n_jobs), run.n);
  workers.reserve(count);
  for (std::size_t k = 0; k < count; ++k) {
    std::vector<int> siblings;
    for (const auto& w : workers) {
      for (int fd : w.process.sockets()) siblings.push_back(fd);
    }
    workers.push_back(Worker{WorkerProcess::spawn(
                                 [this, &worker_files](int from_parent, int to_parent) {
                                   worker_main(job, worker_files, from_parent, to_parent);
                                 },
                                 siblings),
                             std::nullopt,
                             0,
                             {}});
  }
}

void ProcessesBackend::stop_workers() noexcept {
  const bool abort = run.failed.load();
  for (auto& w : workers) {
    if (abort || w.batch) {
      w.process.kill();
    } else {
      (void)w.process.finish(std::chrono::seconds(5));  // it sees the end and exits
    }
  }
  workers.clear();
  results_folder.remove();  // mapped results stay valid: their pages live while mapped
}

void ProcessesBackend::pump() {
  // Hand a batch to every idle worker.
  for (auto& w : workers) {
    if (w.batch || !w.process.running()) continue;
    auto batch = take();
    if (!batch) break;
    w.batch = batch;
    w.returned = 0;
    w.started = Clock::now();
    // A worker found dead here is reported below, when its socket reads as closed.
    const std::string run_frame = FrameWriter().put(std::uint64_t{batch->count}).take();
    (void)write_frame(w.process.to_child(), kRun, batch->first, run_frame);
    trace_transfer("to worker", w.process.pid(), run_frame.size(), w.started);
  }
  std::vector<pollfd> fds;
  std::vector<Worker*> busy;
  for (auto& w : workers) {
    if (!w.batch) continue;
    fds.push_back({w.process.from_child(), POLLIN, 0});
    busy.push_back(&w);
  }
  if (busy.empty()) {
    // Nothing in flight: the window is closed until the consumer takes results.
    std::unique_lock lock(run.mutex);
    run.changed.wait_for(lock, std::chrono::milliseconds(1));
    return;
  }
  int wait_ms = 100;
  if (opt.timeout) {
    const auto limit = std::chrono::duration_cast<Clock::duration>(*opt.timeout);
    const auto now = Clock::now();
    for (Worker* w : busy) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(w->started + limit - now);
      wait_ms = std::clamp<int>(static_cast<int>(left.count()) + 1, 0, wait_ms);
    }
  }
  int ready = 0;
  do {
    ready = ::poll(fds.data(), fds.size(), wait_ms);
  } while (ready < 0 && errno == EINTR);

  if (opt.timeout) {
    const auto limit = std::chrono::duration_cast<Clock::duration>(*opt.timeout);
    const auto now = Clock::now();
    for (std::size_t k = 0; k < busy.size(); ++k) {
      Worker* w = busy[k];
      if ((fds[k].revents & POLLIN) != 0 || now - w->started <= limit) continue;
      const std::size_t index = w->batch->first + w->returned;
      w->process.kill();
      fail(std::make_exception_ptr(Timeout(fmt::format(
          "loom::Parallel: call {} ran longer than its timeout of {}; its worker process was "
          "killed",
          index, format_seconds(opt.timeout->count())))));
      return;
    }
  }

  for (std::size_t k = 0; k < busy.size(); ++k) {
    if (fds[k].revents == 0) continue;
    Worker& w = *busy[k];
    auto frame = read_frame(w.process.from_child());
    if (!frame) {
      const std::size_t index = w.batch->first + w.returned;
      const pid_t pid = w.process.pid();
      const auto how = w.process.wait();
      fail(std::make_exception_ptr(
          WorkerCrashed(fmt::format("loom::Parallel: the worker process {} running call {} {}", pid,
                                    index, how.value_or("exited before answering")))));
      return;
    }
    if (frame->kind == trace::detail::kTraceFrame) {
      trace::detail::merge_worker_events(w.process.pid(), frame->payload);
      continue;
    }
    trace_transfer("from worker", w.process.pid(), frame->payload.size(), Clock::now());
    const auto index = static_cast<std::size_t>(frame->index);
    if (frame->kind == kError) {
      fail(remote_error(index, decode_worker_error(frame->payload), w.process.pid()));
      return;
    }
    try {
      const ArrayFilesScope large_results(&array_files);
      job.store_serialized(index, frame->payload);
    } catch (...) {
      fail(call_error(index));
      return;
    }
    if (++w.returned == w.batch->count) {
      const Batch done_batch = *w.batch;
      w.batch.reset();
      finish_batch(done_batch, done_batch.count,
                   std::chrono::duration<double>(Clock::now() - w.started).count());
    }
  }
}

}  // namespace

const BackendType& processes_backend() {
  static constexpr std::string_view kAliases[] = {"loky", "multiprocessing"};
  static const BackendType type{
      .name = "processes",
      .aliases = kAliases,
      .results_serialized = true,
      .one_worker = false,
      .make = [](RunState& run) -> std::unique_ptr<ParallelBackend> {
        return std::make_unique<ProcessesBackend>(run);
      },
  };
  return type;
}

}  // namespace loom::detail
