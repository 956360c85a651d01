// The Python snippet "Backend Selection Strategy" in C++:
//
//   with parallel_backend('threading', n_jobs=4):
//       results = Parallel()(delayed(io_bound_task)(i) for i in range(100))
//   with parallel_backend('multiprocessing', n_jobs=4):
//       results = Parallel()(delayed(cpu_bound_task)(i) for i in range(100))
//   with parallel_backend('loky', n_jobs=4):
//       results = Parallel()(delayed(any_task)(i) for i in range(100))
#include <loom/loom.hpp>

#include <chrono>
#include <cmath>
#include <iostream>
#include <numeric>
#include <thread>
#include <vector>

int io_bound_task(int i) {
  std::this_thread::sleep_for(std::chrono::milliseconds(10));  // waiting on a disk or network
  return i;
}

double cpu_bound_task(int i) {
  double s = 0;
  for (int k = 1; k < 200'000; ++k) s += std::sqrt(static_cast<double>(i + k));
  return s;
}

double any_task(int i) { return i * 0.5; }

int main() {
  std::vector<int> items(100);
  std::iota(items.begin(), items.end(), 0);
  bool ok = true;

  {  // Threads: good for I/O-bound work (n_jobs above the cores is fine here).
    loom::parallel_backend scope("threading", {.n_jobs = 4});
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<int> results = loom::Parallel()(loom::each(items, io_bound_task));
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::cout << "threading: 100 x 10 ms of waiting in " << s << " s\n";
    ok = ok && results == items;
  }
  {  // Processes: isolated workers (a crash is an error, not the end of the program).
    loom::parallel_backend scope("multiprocessing", {.n_jobs = 4});
    std::vector<double> results = loom::Parallel()(loom::each(items, cpu_bound_task));
    std::cout << "multiprocessing: " << results.size() << " results, last " << results.back()
              << "\n";
    ok = ok && results.back() == cpu_bound_task(99);
  }
  {  // "loky", joblib's default, is the processes backend too.
    loom::parallel_backend scope("loky", {.n_jobs = 4});
    std::vector<double> results = loom::Parallel()(loom::each(items, any_task));
    std::cout << "loky: sum " << std::accumulate(results.begin(), results.end(), 0.0) << "\n";
    ok = ok && results[10] == 5.0;
  }
  std::cout << (ok ? "all backends agree with the sequential results\n" : "MISMATCH\n");
  return ok ? 0 : 1;
}
