// The Python snippet "The Parallel Class - Joblib's Heart" in C++:
//
//   def expensive_computation(x):
//       return np.sum(x ** 2) + np.mean(x)
//   data_chunks = [np.random.rand(1000) for _ in range(100)]
//   results_sequential = [expensive_computation(chunk) for chunk in data_chunks]
//   results_parallel = Parallel(n_jobs=4)(
//       delayed(expensive_computation)(chunk) for chunk in data_chunks)
#include <loom/loom.hpp>

#include <iostream>
#include <numeric>
#include <random>
#include <vector>

double expensive_computation(const std::vector<double>& x) {
  double squares = 0;
  for (double v : x) squares += v * v;
  return squares + std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(x.size());
}

int main() {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<std::vector<double>> data_chunks(100, std::vector<double>(1000));
  for (auto& chunk : data_chunks) {
    for (auto& v : chunk) v = uniform(rng);
  }

  // Sequential version.
  std::vector<double> results_sequential;
  for (const auto& chunk : data_chunks) results_sequential.push_back(expensive_computation(chunk));

  // Parallel version: wrap with Parallel and delayed.
  std::vector<double> results_parallel = loom::Parallel({.n_jobs = 4})(loom::each(
      data_chunks, [](const auto& chunk) { return loom::delayed(expensive_computation)(chunk); }));

  // The shorter form: the function itself over the inputs.
  std::vector<double> results_direct =
      loom::Parallel({.n_jobs = 4})(data_chunks, expensive_computation);

  std::cout << "first results: " << results_parallel[0] << ", " << results_parallel[1] << "\n";
  const bool same = results_parallel == results_sequential && results_direct == results_sequential;
  std::cout << (same ? "Parallel matches the sequential loop\n" : "MISMATCH\n");
  return same ? 0 : 1;
}
