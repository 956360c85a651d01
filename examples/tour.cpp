// A tour of loom: each facade at work, printing what it did. `./scripts/demo` runs it.
//
// Sections: 1. the core (delayed task graphs). Later facades add their own sections.
#include <loom/loom.hpp>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
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
  auto total = loom::delayed(
      [](double a, double b, double c, double d, double e, double f, double g, double h) {
        return a + b + c + d + e + f + g + h;
      },
      "sum")(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], parts[6], parts[7]);
  std::cout << "built (lazy): " << total << "\n";
  total.visualize("tour_graph.dot");
  std::cout << "wrote the graph picture to tour_graph.dot (" << total.graph().size()
            << " tasks)\n";

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
  auto failing = loom::delayed([](int) -> int { throw std::runtime_error("bad input"); },
                               "parse")(1);
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

}  // namespace

int main() {
  int failures = 0;
  failures += tour_core();
  std::cout << (failures == 0 ? "tour finished: every section matched its sequential reference\n"
                              : "tour finished with mismatches\n");
  return failures == 0 ? 0 : 1;
}
