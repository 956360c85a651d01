// Tracing every facade: one program runs Delayed graphs, Parallel (threads and processes),
// chunked arrays, dataframes, remote tasks and actors (threads and processes mode) and the
// object store's spilling under loom::trace, and the trace it writes -- parsed back here --
// names each facade's work with the right counts, with each worker process a lane of its own.
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../scratch_folder.hpp"
#include "loom/loom.hpp"
#include "trace_events.hpp"

namespace da = loom::array;
namespace dd = loom::dataframe;

namespace {

int proc_cube(int x) { return x * x * x; }
int crash_now(int /*unused*/) {
  ::raise(SIGKILL);
  return 0;
}

}  // namespace

// Outside the anonymous namespace, so that its method is a symbol of the program (linked with
// -rdynamic): the trace names the calls TracedCounter::add.
class TracedCounter {
 public:
  int add(int x);

 private:
  int value_ = 0;
};
int TracedCounter::add(int x) { return value_ += x; }
LOOM_REMOTE(TracedCounter);

LOOM_REMOTE(proc_cube);
LOOM_REMOTE(crash_now);

namespace {

using loom::test::TraceEvent;

std::vector<TraceEvent> spans(const std::vector<TraceEvent>& events, const std::string& cat,
                              const std::string& name_part = "") {
  std::vector<TraceEvent> out;
  for (const auto& e : events) {
    if (e.ph == "X" && e.cat == cat && e.name.find(name_part) != std::string::npos) {
      out.push_back(e);
    }
  }
  return out;
}

std::set<std::string> arg_values(const std::vector<TraceEvent>& events, const std::string& key) {
  std::set<std::string> out;
  for (const auto& e : events) out.insert(e.args.at(key));
  return out;
}

// Runs every facade once, with known amounts of work, between start() and stop().
void run_every_facade(const std::filesystem::path& file) {
  loom::trace::start();

  // Delayed: five named tasks, and one that adds two of them.
  std::vector<loom::Delayed<int>> parts;
  for (int i = 0; i < 5; ++i)
    parts.push_back(loom::delayed([](int x) { return x; }, "core step")(i));
  auto plus = [](int a, int b) { return a + b; };
  EXPECT_EQ(loom::delayed(plus, "gather")(parts[3], parts[4]).compute(), 7);
  EXPECT_EQ(loom::compute(parts)[2], 2);

  // Parallel: 20 calls in batches of 5, on threads and on worker processes.
  std::vector<int> xs(20);
  for (int i = 0; i < 20; ++i) xs[static_cast<std::size_t>(i)] = i;
  auto twice = [](int x) { return 2 * x; };
  for (const char* backend : {"threads", "processes"}) {
    const std::vector<int> r =
        loom::Parallel({.n_jobs = 2, .backend = backend, .batch_size = 5})(xs, twice);
    for (int i = 0; i < 20; ++i) EXPECT_EQ(r[static_cast<std::size_t>(i)], 2 * i) << backend;
  }

  // Arrays: four chunks, one element-wise step.
  const auto a = (da::ones<double>({100, 100}, {.chunks = {50, 50}}) + 1.0).compute();
  EXPECT_EQ(a(99, 99), 2.0);

  // Dataframes: three partitions, one filter.
  std::vector<dd::Table> tables;
  for (int p = 0; p < 3; ++p) {
    tables.push_back(dd::Table({"v"}, {dd::Column::from_ints({p, p + 10})}));
  }
  const auto df = dd::DataFrame::from_tables(tables);
  EXPECT_EQ(df[df["v"] > 5].compute().num_rows(), 3);

  // Remote, threads mode: six tasks, three actor calls.
  loom::init({.num_cpus = 2});
  {
    auto square = loom::task([](int x) { return x * x; }).options({.name = "square"});
    std::vector<loom::ObjectRef<int>> refs;
    for (int i = 0; i < 6; ++i) refs.push_back(square.remote(i));
    EXPECT_EQ(loom::get(refs)[5], 25);
    auto counter = loom::actor<TracedCounter>().remote();
    std::vector<loom::ObjectRef<int>> sums;
    for (int i = 1; i <= 3; ++i) sums.push_back(counter.task(&TracedCounter::add).remote(i));
    EXPECT_EQ(loom::get(sums)[2], 6);
  }
  loom::shutdown();

  // Remote, processes mode: four tasks in worker processes; one worker dies and is replaced.
  (void)loom::test::scratch_folder();
  loom::init({.num_cpus = 2, .mode = "processes"});
  {
    std::vector<loom::ObjectRef<int>> refs;
    for (int i = 0; i < 4; ++i) refs.push_back(loom::task(proc_cube).remote(i));
    EXPECT_EQ(loom::get(refs)[3], 27);
    EXPECT_THROW((void)loom::get(loom::task(crash_now).options({.max_retries = 0}).remote(0)),
                 loom::TaskError);
    // An actor in a process of its own: two more calls.
    auto counter = loom::actor<TracedCounter>().remote();
    (void)loom::get(counter.task(&TracedCounter::add).remote(4));
    EXPECT_EQ(loom::get(counter.task(&TracedCounter::add).remote(5)), 9);
  }
  loom::shutdown();

  // The object store: 2 MiB arrays past an 8 MB limit spill, and come back when read.
  const auto spill_dir = loom::test::scratch_folder() / "trace-spill";
  loom::init({.num_cpus = 2, .object_store_memory = 8 << 20, .spill_dir = spill_dir.string()});
  {
    std::vector<loom::ObjectRef<loom::NDArray<double>>> arrays;
    for (int i = 0; i < 6; ++i) {
      arrays.push_back(loom::put(loom::NDArray<double>::full(loom::Shape{256 * 1024}, i)));
    }
    for (int i = 0; i < 6; ++i) EXPECT_EQ(loom::get(arrays[static_cast<std::size_t>(i)])(7), i);
  }
  loom::shutdown();

  loom::trace::stop(file);
}

TEST(TraceEveryFacade, EventsNameEachFacadesWork) {
  const auto file = loom::test::scratch_folder() / "every-facade.json";
  run_every_facade(file);
  const std::vector<TraceEvent> events = loom::test::read_trace(file);
  ASSERT_FALSE(events.empty()) << "the trace did not parse";
  const long long driver = ::getpid();

  EXPECT_EQ(spans(events, "task", "core step").size(), 5U);
  EXPECT_EQ(spans(events, "task", "gather").size(), 1U);

  // Parallel: four batches of five on each backend.
  std::vector<TraceEvent> threads;
  std::vector<TraceEvent> processes;
  for (const auto& e : spans(events, "parallel", "Parallel batch")) {
    EXPECT_EQ(e.args.at("size"), "5");
    (e.args.at("backend") == "threads" ? threads : processes).push_back(e);
  }
  EXPECT_EQ(threads.size(), 4U);
  EXPECT_EQ(processes.size(), 4U);
  EXPECT_EQ(arg_values(threads, "first"), (std::set<std::string>{"0", "5", "10", "15"}));
  EXPECT_EQ(arg_values(processes, "first"), (std::set<std::string>{"0", "5", "10", "15"}));
  for (const auto& e : threads) EXPECT_EQ(e.pid, driver);
  std::set<long long> parallel_workers;
  for (const auto& e : processes) {
    EXPECT_NE(e.pid, driver) << "a worker's batch is in the worker's lane";
    EXPECT_EQ(std::to_string(e.pid), e.args.at("pid"));
    parallel_workers.insert(e.pid);
  }
  EXPECT_GE(parallel_workers.size(), 1U);

  // Arrays: one event per chunk of the element-wise step.
  const auto chunks = spans(events, "array", "elementwise");
  EXPECT_EQ(chunks.size(), 4U);
  EXPECT_EQ(arg_values(chunks, "chunk"), (std::set<std::string>{"0", "1", "2", "3"}));

  // Dataframes: one event per partition of the filter.
  const auto partitions = spans(events, "dataframe", "filter");
  EXPECT_EQ(partitions.size(), 3U);
  EXPECT_EQ(arg_values(partitions, "partition"), (std::set<std::string>{"0", "1", "2"}));

  // Remote tasks: one attempt each, in this process (threads) or in a worker (processes).
  const auto squares = spans(events, "remote", "square");
  EXPECT_EQ(squares.size(), 6U);
  for (const auto& e : squares) {
    EXPECT_EQ(e.args.at("attempt"), "1");
    EXPECT_EQ(e.args.at("worker"), std::to_string(driver));
  }
  std::vector<TraceEvent> cubes_here;
  std::vector<TraceEvent> cubes_in_workers;
  for (const auto& e : spans(events, "remote", "proc_cube")) {
    (e.pid == driver ? cubes_here : cubes_in_workers).push_back(e);
  }
  EXPECT_EQ(cubes_here.size(), 4U);
  EXPECT_EQ(cubes_in_workers.size(), 4U) << "each worker ships the events of its calls";
  for (const auto& e : cubes_here) EXPECT_NE(e.args.at("worker"), std::to_string(driver));
  EXPECT_EQ(spans(events, "remote", "crash_now").size(), 1U);

  // Actor calls, named Class::method: three in threads mode, two through an actor process.
  const auto calls = spans(events, "actor", "TracedCounter::add");
  EXPECT_EQ(calls.size(), 5U);
  for (const auto& e : calls) EXPECT_EQ(e.pid, driver);

  // Spills and restores name the object and its bytes.
  const auto spilled = spans(events, "store", "spill");
  const auto restored = spans(events, "store", "restore");
  EXPECT_GE(spilled.size(), 1U);
  EXPECT_GE(restored.size(), 1U);
  for (const auto& e : spans(events, "store")) {
    // The array's 2 MiB and the store's small header for it.
    EXPECT_GE(std::stoll(e.args.at("bytes")), 256 * 1024 * 8) << e.name;
    EXPECT_LT(std::stoll(e.args.at("bytes")), 256 * 1024 * 8 + 4096) << e.name;
    EXPECT_GE(std::stoll(e.args.at("object")), 1) << e.name;
  }

  // Transfers to and from worker processes, with their bytes.
  const auto transfers = spans(events, "transfer");
  std::size_t to_workers = 0;
  std::size_t from_workers = 0;
  for (const auto& e : transfers) {
    // Every frame to a worker carries something; a reply may be empty (a constructor's).
    const bool to_worker = e.args.at("direction") == "to worker";
    if (to_worker) EXPECT_GT(std::stoll(e.args.at("bytes")), 0);
    (to_worker ? to_workers : from_workers) += 1;
  }
  EXPECT_GE(to_workers, 4U + 4U + 3U);     // batches, calls (and the crash), actor frames
  EXPECT_GE(from_workers, 20U + 4U + 3U);  // results, replies, the actor's replies

  // Workers start and stop; the one that died was restarted.
  const auto starts = spans(events, "worker", "worker start");
  const auto stops = spans(events, "worker", "worker stop");
  const std::set<std::string> started = arg_values(starts, "pid");
  const std::set<std::string> stopped = arg_values(stops, "pid");
  for (long long pid : parallel_workers) {
    EXPECT_EQ(started.count(std::to_string(pid)), 1U) << pid;
    EXPECT_EQ(stopped.count(std::to_string(pid)), 1U) << pid;
  }
  EXPECT_EQ(started, stopped) << "every worker started was stopped and reaped";
  EXPECT_EQ(spans(events, "worker", "worker restart").size(), 1U);

  // Lanes: the driver and each worker process that sent events is named.
  std::set<long long> named;
  std::set<long long> with_events;
  for (const auto& e : events) {
    if (e.ph == "M" && e.name == "process_name") named.insert(e.pid);
    if (e.ph == "X") with_events.insert(e.pid);
  }
  EXPECT_EQ(named, with_events);
  EXPECT_GE(with_events.size(), 3U) << "the driver, Parallel's workers, the remote workers";
}

TEST(TraceEveryFacade, OffRecordsNothing) {
  const auto file = loom::test::scratch_folder() / "off.json";
  loom::trace::start();
  loom::trace::stop(file);  // off from here on
  std::vector<int> xs(10, 1);
  (void)loom::Parallel({.n_jobs = 2, .backend = "processes"})(xs, [](int x) { return x; });
  (void)(da::ones<double>({10}, {.chunks = {5}}) * 2.0).compute();
  loom::trace::start();
  loom::trace::stop(file);
  std::ifstream in(file);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[]}\n");
}

}  // namespace
