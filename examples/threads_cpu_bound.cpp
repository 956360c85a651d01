// The Python GIL snippet in C++: CPU-bound work on several threads.
//
//   def cpu_bound_task():
//       total = sum(i * i for i in range(1000000))
//       return total
//   threads = [threading.Thread(target=cpu_bound_task) for _ in range(4)]
//
// Python's threads take turns (the GIL); C++ threads run at once. loom's "threads" backend runs
// the four tasks on its pool, with no thread management in user code.
#include <loom/loom.hpp>

#include <cstdint>
#include <iostream>
#include <thread>
#include <vector>

std::int64_t cpu_bound_task() {
  std::int64_t total = 0;
  for (std::int64_t i = 0; i < 1'000'000; ++i) total += i * i;
  return total;
}

int main() {
  // The tutorial's form: four raw threads.
  std::vector<std::int64_t> by_threads(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back(
        [&by_threads, t] { by_threads[static_cast<std::size_t>(t)] = cpu_bound_task(); });
  }
  for (auto& t : threads) t.join();

  // The same with loom: four lazy tasks computed on the pool.
  std::vector<loom::Delayed<std::int64_t>> tasks;
  for (int t = 0; t < 4; ++t) tasks.push_back(loom::delayed(cpu_bound_task, "cpu_bound_task")());
  const std::vector<std::int64_t> by_loom = loom::compute(tasks);

  std::cout << "each task: sum of squares below 1e6 = " << by_loom[0] << "\n";
  std::cout << (by_loom == by_threads ? "loom and raw threads agree\n" : "MISMATCH\n");
  return by_loom == by_threads ? 0 : 1;
}
