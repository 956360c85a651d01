// The Python snippet "Progress Monitoring" in C++:
//
//   def task_with_progress(i):
//       time.sleep(0.1)
//       return i ** 2
//   results = Parallel(n_jobs=4)(delayed(task_with_progress)(i) for i in tqdm(range(100)))
//
// loom draws the bar itself (Progress::bar: redrawn in place on a terminal, plain lines when
// stderr is a file); verbose=N prints joblib's progress lines instead.
#include <loom/loom.hpp>

#include <chrono>
#include <iostream>
#include <thread>
#include <vector>

int task_with_progress(int i) {
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // simulate work
  return i * i;
}

int main() {
  std::vector<int> range(100);
  for (int i = 0; i < 100; ++i) range[static_cast<std::size_t>(i)] = i;

  std::vector<int> results = loom::Parallel({.n_jobs = 4, .progress = loom::Progress::bar})(
      loom::each(range, task_with_progress));

  std::vector<int> again = loom::Parallel({.n_jobs = 4, .verbose = 5})(range, task_with_progress);

  const bool ok = results[99] == 99 * 99 && again == results;
  std::cout << (ok ? "100 results, with progress shown on stderr\n" : "MISMATCH\n");
  return ok ? 0 : 1;
}
