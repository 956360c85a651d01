// The Python snippet "Understanding 'delayed' - Lazy Evaluation" in C++:
//
//   delayed_func = delayed(expensive_computation)
//   task = delayed_func(data_chunks[0])     # nothing runs yet
//   print(type(task))
//   result = task()                         # now it executes
#include <loom/loom.hpp>

#include <iostream>
#include <numeric>
#include <random>
#include <vector>

// "Simulate heavy computation": sum(x ** 2) + mean(x).
double expensive_computation(const std::vector<double>& x) {
  double squares = 0;
  for (double v : x) squares += v * v;
  return squares + std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(x.size());
}

int main() {
  std::mt19937_64 rng(0);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<std::vector<double>> data_chunks(100, std::vector<double>(1000));
  for (auto& chunk : data_chunks) {
    for (auto& v : chunk) v = uniform(rng);
  }

  // delayed() creates a lazy evaluation wrapper.
  auto delayed_func = loom::delayed(expensive_computation, "expensive_computation");

  // This doesn't execute: it creates a task description.
  loom::Delayed<double> task = delayed_func(data_chunks[0]);
  std::cout << "task: " << task << "\n";  // a lazy summary, nothing runs

  // Execution happens when the task is called (or computed).
  const double result = task();
  std::cout << "result = " << result << "\n";
  std::cout << "task after running: " << task << "\n";

  const double reference = expensive_computation(data_chunks[0]);
  return result == reference ? 0 : 1;
}
