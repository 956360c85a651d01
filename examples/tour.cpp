// A tour of loom: each facade at work, printing what it did. `./scripts/demo` runs it.
//
// Sections: 1. the core (delayed task graphs), 2. Parallel map (joblib), 3. arrays on disk
// (.npy memory maps shared by worker processes, the Memory cache), 4. remote tasks, actors and
// the object store (Ray), 5. chunked lazy arrays (dask.array), 6. partitioned lazy dataframes
// (dask.dataframe), 7. a cluster on this machine (Dask's LocalCluster and Client).
#include <loom/loom.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// Some honest CPU work: a slowly converging series.
double work(int seed) {
  double s = 0;
  for (int k = 1; k < 4'000'000; ++k) s += std::sin(seed + k) / k;
  return s;
}

int tour_core() {
  std::cout << "== 1. Core: lazy task graphs (loom::delayed) ==\n";
  std::cout << "threads in the pool: " << loom::Executor::global().num_threads()
            << " (cpu_count() = " << loom::cpu_count() << ")\n";

  // Build: nothing runs yet.
  auto load = loom::delayed(work, "work");
  std::vector<loom::Delayed<double>> parts;
  for (int i = 0; i < 8; ++i) parts.push_back(load(i));
  auto total = loom::delayed([](double a, double b, double c, double d, double e, double f,
                                double g, double h) { return a + b + c + d + e + f + g + h; },
                             "sum")(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5],
                                    parts[6], parts[7]);
  std::cout << "built (lazy): " << total << "\n";
  total.visualize("tour_graph.dot");
  std::cout << "wrote the graph picture to tour_graph.dot (" << total.graph().size() << " tasks)\n";

  // Sequential reference.
  auto t0 = Clock::now();
  double expected = 0;
  for (int i = 0; i < 8; ++i) expected += work(i);
  const double seq_ms = ms_since(t0);

  // Parallel, traced.
  loom::trace::start();
  t0 = Clock::now();
  const double value = total.compute();
  const double par_ms = ms_since(t0);
  loom::trace::stop("tour_trace.json");
  std::cout << "computed: " << value << " in " << par_ms << " ms (sequential: " << seq_ms
            << " ms, speedup " << seq_ms / par_ms << "x)\n";
  std::cout << "wrote a Chrome trace of the run to tour_trace.json (open it in Perfetto)\n";
  std::cout << "after compute: " << total << "\n";

  // Errors carry the task's name, and the original exception.
  auto failing =
      loom::delayed([](int) -> int { throw std::runtime_error("bad input"); }, "parse")(1);
  try {
    (void)loom::delayed([](int v) { return v; })(failing).compute();
  } catch (const loom::TaskError& e) {
    std::cout << "a failing task reports: " << e.what() << "\n";
  }
  if (value != expected) {
    std::cout << "MISMATCH with the sequential result " << expected << "\n";
    return 1;
  }
  std::cout << "matches the sequential result\n\n";
  return 0;
}

int tour_parallel() {
  std::cout << "== 2. Parallel map (loom::Parallel, joblib) ==\n";
  std::vector<int> items(16);
  for (int i = 0; i < 16; ++i) items[static_cast<std::size_t>(i)] = i;
  auto t0 = Clock::now();
  std::vector<double> expected;
  for (int i : items) expected.push_back(work(i));
  const double seq_ms = ms_since(t0);

  int failures = 0;
  for (const char* backend : {"threads", "processes"}) {
    t0 = Clock::now();
    std::vector<double> r = loom::Parallel({.n_jobs = -1, .backend = backend})(items, work);
    const double ms = ms_since(t0);
    std::cout << "Parallel(" << backend << ") over 16 calls: " << ms << " ms (sequential " << seq_ms
              << " ms, speedup " << seq_ms / ms << "x)"
              << (r == expected ? ", same results\n" : ", MISMATCH\n");
    failures += r == expected ? 0 : 1;
  }
  // joblib's shape, a lazy generator in completion order, and a crash that is only an error.
  std::size_t yielded = 0;
  for (double v : loom::Parallel({.return_as = loom::ReturnAs::generator_unordered})(
           loom::each(items, [](int i) { return loom::delayed(work)(i); }))) {
    (void)v;
    ++yielded;
  }
  std::cout << "generator_unordered yielded " << yielded << " results as they finished\n";
  try {
    (void)loom::Parallel({.backend = "processes"})(items, [](int i) {
      if (i == 5) std::abort();
      return i;
    });
  } catch (const loom::WorkerCrashed& e) {
    std::cout << "a crashing call is an error, not the end: " << e.what() << "\n";
  }
  std::cout << (failures == 0 ? "matches the sequential result\n\n" : "MISMATCH\n\n");
  return failures + (yielded == items.size() ? 0 : 1);
}

int tour_arrays_on_disk() {
  std::cout << "== 3. Arrays on disk (.npy, memory maps, Memory cache) ==\n";
  namespace fs = std::filesystem;
  const fs::path dir = "tour_data";
  fs::create_directories(dir);
  int failures = 0;

  // An 80 MB array, dumped as NumPy's .npy, mapped read-only, and read by worker processes:
  // each maps the same pages, nothing is copied.
  const auto big = loom::random::rand({1000, 10000}, 42);
  auto t0 = Clock::now();
  loom::dump(big, dir / "large_array.npy");
  std::cout << "dumped " << big.nbytes() / 1000000 << " MB to large_array.npy in " << ms_since(t0)
            << " ms\n";
  const auto mapped = loom::load_npy<double>(dir / "large_array.npy", {.mmap_mode = "r"});
  std::vector<int> slices(10);
  for (int i = 0; i < 10; ++i) slices[static_cast<std::size_t>(i)] = i;
  auto slice_mean = [&mapped](int i) { return mapped.slice(i * 100, (i + 1) * 100).mean(); };
  std::vector<double> expected;
  for (int i : slices) expected.push_back(big.slice(i * 100, (i + 1) * 100).mean());
  t0 = Clock::now();
  std::vector<double> means =
      loom::Parallel({.n_jobs = -1, .backend = "processes"})(slices, slice_mean);
  std::cout << "10 slice means of the mapped array in worker processes: " << ms_since(t0) << " ms"
            << (means == expected ? ", same as in memory\n" : ", MISMATCH\n");
  failures += means == expected ? 0 : 1;

  // Large results come back through a mapped file in /dev/shm, not through a pipe.
  std::vector<loom::NDArray<double>> blocks =
      loom::Parallel({.n_jobs = -1, .backend = "processes"})(std::vector<int>{0, 1}, [](int i) {
        return loom::random::randn({500, 1000}, i);
      });
  const bool same_blocks = blocks[1].sum() == loom::random::randn({500, 1000}, 1).sum();
  std::cout << "two 4 MB results from workers arrived as read-only maps (writeable: "
            << (blocks[0].writeable() ? "yes" : "no") << ")"
            << (same_blocks ? "\n" : ", MISMATCH\n");
  failures += same_blocks ? 0 : 1;

  // Memory: the second call with the same argument is read from disk.
  loom::Memory memory(dir / "cache");
  memory.clear();
  auto costly = memory.cache("costly", [](const loom::NDArray<double>& a) {
    double s = 0;
    for (std::int64_t i = 0; i < a.size(); ++i) s += std::sqrt(std::abs(a.data()[i]));
    return s + work(1);
  });
  t0 = Clock::now();
  const double first = costly(big);
  const double first_ms = ms_since(t0);
  t0 = Clock::now();
  const double second = costly(big);
  const double second_ms = ms_since(t0);
  std::cout << "Memory.cache: first call " << first_ms << " ms, second call (from disk) "
            << second_ms << " ms" << (first == second ? "\n" : ", MISMATCH\n");
  failures += first == second ? 0 : 1;
  fs::remove_all(dir);
  std::cout << (failures == 0 ? "matches the in-memory results\n\n" : "MISMATCH\n\n");
  return failures;
}

class Counter {
 public:
  int increment() { return ++value_; }

 private:
  int value_ = 0;
};

int tour_remote() {
  std::cout << "== 4. Remote tasks, actors and the object store (loom::task, Ray) ==\n";
  int failures = 0;
  loom::Runtime runtime;  // loom::init(); loom::shutdown() when the scope ends

  auto heavy = loom::task(work);
  auto t0 = Clock::now();
  std::vector<loom::ObjectRef<double>> refs;
  for (int seed = 0; seed < 8; ++seed) refs.push_back(heavy.remote(seed));
  const std::vector<double> got = loom::get(refs);
  const double remote_ms = ms_since(t0);
  for (int seed = 0; seed < 8; ++seed) failures += got[seed] == work(seed) ? 0 : 1;
  std::cout << "8 remote tasks on " << loom::cpu_count() << " cores: " << remote_ms << " ms\n";

  auto big = loom::put(loom::random::rand(loom::Shape{2000, 1000}, /*seed=*/3));
  auto mean = loom::task([](const loom::NDArray<double>& a) { return a.mean(); });
  std::vector<loom::ObjectRef<double>> means;
  for (int i = 0; i < 10; ++i) means.push_back(mean.remote(big));  // no copies of `big`
  const double expected = loom::get(big).mean();
  for (double m : loom::get(means)) failures += m == expected ? 0 : 1;
  const auto stats = loom::object_store_stats();
  std::cout << "put a 16 MB array once, read by 10 tasks: " << stats.objects_alive << " objects, "
            << stats.bytes_in_memory / 1'000'000 << " MB in the store\n";

  auto counter = loom::actor<Counter>().remote();
  t0 = Clock::now();
  loom::ObjectRef<int> last;
  for (int i = 0; i < 100'000; ++i) last = counter.task(&Counter::increment).remote();
  const int count = loom::get(last);
  std::cout << "100000 actor calls, one at a time in call order: " << ms_since(t0)
            << " ms, counter = " << count << '\n';
  failures += count == 100'000 ? 0 : 1;

  std::atomic<int> attempts{0};
  auto flaky = loom::task([&attempts](int x) {
                 if (++attempts <= 2) throw std::runtime_error("transient failure");
                 return x * 2;
               }).options({.max_retries = 3, .retry_exceptions = true});
  const int doubled = loom::get(flaky.remote(21));
  std::cout << "a task that failed twice succeeded on attempt " << attempts.load() << ": "
            << doubled << '\n';
  failures += doubled == 42 ? 0 : 1;
  std::cout << (failures == 0 ? "matches the sequential results\n\n" : "MISMATCH\n\n");
  return failures;
}

int tour_arrays() {
  std::cout << "== 5. Chunked lazy arrays (loom::array, dask.array) ==\n";
  namespace da = loom::array;
  int failures = 0;
  const auto x = da::random::random({4000, 4000}, {.chunks = {1000, 1000}, .seed = 42});
  const auto result = da::pow(x + 1.0, 2.0).mean();
  std::cout << "lazy: " << result << '\n';
  auto t0 = Clock::now();
  const double value = result.compute_scalar();
  std::cout << "((x + 1) ** 2).mean() = " << value << " in " << ms_since(t0)
            << " ms, fused: x never materialized\n";
  const auto plain = loom::random::rand(loom::Shape{4000, 4000}, 42);
  double reference = 0;
  for (std::int64_t i = 0; i < plain.size(); ++i) {
    reference += (plain.data()[i] + 1) * (plain.data()[i] + 1);
  }
  reference /= static_cast<double>(plain.size());
  failures += std::abs(value - reference) <= 1e-9 * reference ? 0 : 1;

  t0 = Clock::now();
  const auto col = x.sum(0).compute();
  std::cout << "x.sum(axis=0): " << col.size() << " sums in " << ms_since(t0) << " ms\n";
  double first = 0;
  for (std::int64_t r = 0; r < 4000; ++r) first += plain(r, 0);
  failures += std::abs(col(0) - first) <= 1e-9 * first ? 0 : 1;

  // Broadcasting and slicing: center the columns of every other row, then the argmax per row.
  const auto half = x(da::slice(da::none, da::none, 2), da::all);
  const auto centered = half - half.mean(0);
  t0 = Clock::now();
  const auto where_max = centered.argmax(1).compute();
  std::cout << "(x[::2] - x[::2].mean(axis=0)).argmax(axis=1): " << where_max.size()
            << " positions in " << ms_since(t0) << " ms\n";
  std::int64_t best = 0;  // row 2 of x is row 1 of half; the column mean shifts every column
  std::vector<double> means(4000, 0.0);
  for (std::int64_t r = 0; r < 4000; r += 2) {
    for (std::int64_t c = 0; c < 4000; ++c) means[static_cast<std::size_t>(c)] += plain(r, c);
  }
  for (std::int64_t c = 1; c < 4000; ++c) {
    const auto cu = static_cast<std::size_t>(c);
    const auto bu = static_cast<std::size_t>(best);
    if (plain(2, c) - means[cu] / 2000 > plain(2, best) - means[bu] / 2000) best = c;
  }
  failures += where_max(1) == best ? 0 : 1;

  const auto small = da::random::random({1000, 1000}, {.chunks = {100, 100}, .seed = 1}).persist();
  const auto xr = small.rechunk({500, 500});
  t0 = Clock::now();
  const auto gram = xr.T().dot(xr).compute();
  std::cout << "rechunk + x.T().dot(x) on 1000x1000: " << ms_since(t0) << " ms (blocked GEMMs)\n";
  const auto m = small.compute();
  const double g01 = (m.matrix().col(0).transpose() * m.matrix().col(1))(0, 0);
  failures += std::abs(gram(0, 1) - g01) <= 1e-9 * g01 ? 0 : 1;
  std::cout << (failures == 0 ? "matches the sequential results\n\n" : "MISMATCH\n\n");
  return failures;
}

int tour_dataframes() {
  std::cout << "== 6. Partitioned lazy dataframes (loom::dataframe, dask.dataframe) ==\n";
  namespace dd = loom::dataframe;
  int failures = 0;
  {  // a CSV of 400000 rows: category, value (some missing), qty
    std::ofstream out("tour_sales.csv");
    out << "category,value,qty\n";
    std::uint64_t s = 3;
    for (int i = 0; i < 400000; ++i) {
      s = s * 6364136223846793005ULL + 1442695040888963407ULL;
      const auto r = s >> 33;
      out << "cat" << r % 7 << ',';
      if (r % 11 != 0) out << static_cast<double>(r % 10000) / 50.0 - 20.0;
      out << ',' << r % 13 << '\n';
    }
  }
  auto t0 = Clock::now();
  const dd::DataFrame df = dd::read_csv("tour_sales.csv", {.blocksize = "2MB"});
  std::cout << "read_csv: " << df.npartitions() << " partitions, columns";
  for (const auto& [name, type] : df.dtypes())
    std::cout << ' ' << name << ':' << dd::dtype_name(type);
  std::cout << " (from a sample)\n";
  const dd::Table result = df.query("value > 0")
                               .dropna()
                               .groupby("category")
                               .agg({{"value", {"mean", "std", "count"}}})
                               .compute();
  std::cout << "query -> dropna -> groupby.agg in " << ms_since(t0) << " ms:\n" << result;
  // The same with a plain loop over the parsed table.
  const dd::Table all = df.compute();
  std::vector<double> sum(7, 0.0);
  std::vector<std::int64_t> count(7, 0);
  const auto cat = all.column<std::string_view>("category");
  const auto val = all.column<double>("value");
  for (std::size_t i = 0; i < cat.size(); ++i) {
    if (!val.is_valid(i) || !(val[i] > 0)) continue;
    const auto k = static_cast<std::size_t>(cat[i][3] - '0');
    sum[k] += val[i];
    ++count[k];
  }
  for (std::int64_t k = 0; k < 7; ++k) {
    const auto ku = static_cast<std::size_t>(k);
    failures += result.value<std::int64_t>(k, "value_count") == count[ku] ? 0 : 1;
    failures += std::abs(*result.value<double>(k, "value_mean") -
                         sum[ku] / static_cast<double>(count[ku])) < 1e-9
                    ? 0
                    : 1;
  }
  const auto kept = df.dropna().persist();
  const std::int64_t reads = df.partitions_read();
  const auto by_qty = kept.groupby("qty")["value"].sum().compute();
  std::cout << "persisted, then grouped by qty: " << by_qty.num_rows() << " groups, "
            << df.partitions_read() - reads << " more partitions read\n";
  failures += df.partitions_read() == reads && by_qty.num_rows() == 13 ? 0 : 1;
  std::cout << (failures == 0 ? "matches the sequential results\n\n" : "MISMATCH\n\n");
  return failures;
}

// Section 7 runs it in worker processes: registered by name (the callable rule).
double cluster_work(int seed) { return work(seed); }
LOOM_REMOTE(cluster_work);

int tour_cluster() {
  std::cout << "== 7. A cluster on this machine (loom::LocalCluster + loom::Client, Dask) ==\n";
  int failures = 0;
  loom::LocalCluster cluster({.n_workers = 2, .threads_per_worker = 1, .processes = true});
  loom::Client client(cluster);
  auto t0 = Clock::now();
  std::vector<int> seeds{0, 1, 2, 3, 4, 5, 6, 7};
  const std::vector<double> got = client.gather(client.map(cluster_work, seeds));
  std::cout << "8 tasks on 2 worker processes: " << ms_since(t0) << " ms\n";
  for (int seed : seeds) failures += got[static_cast<std::size_t>(seed)] == work(seed) ? 0 : 1;
  // In completion order, and a task while the client is current goes to the cluster too.
  std::size_t seen = 0;
  for (const auto& c : loom::as_completed(client.map(cluster_work, std::vector{8, 9, 10}))) {
    failures += c.value() == work(8 + static_cast<int>(c.index)) ? 0 : 1;
    ++seen;
  }
  failures += seen == 3 ? 0 : 1;
  for (const loom::WorkerInfo& w : cluster.workers()) {
    std::cout << "  " << w.address << " (pid " << w.pid << "): " << w.tasks_done
              << " tasks done\n";
  }
  std::cout << (failures == 0 ? "matches the sequential results\n\n" : "MISMATCH\n\n");
  return failures;
}

}  // namespace

int main() {
  int failures = 0;
  failures += tour_core();
  failures += tour_parallel();
  failures += tour_arrays_on_disk();
  failures += tour_remote();
  failures += tour_arrays();
  failures += tour_dataframes();
  failures += tour_cluster();
  std::cout << (failures == 0 ? "tour finished: every section matched its sequential reference\n"
                              : "tour finished with mismatches\n");
  return failures == 0 ? 0 : 1;
}
