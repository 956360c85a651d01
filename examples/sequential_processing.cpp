// The Python snippet "Sequential Computing Model" in C++, and the same work with loom:
//
//   def process_sequential(data_list):
//       results = []
//       for item in data_list:
//           result = expensive_operation(item)  # This takes time!
//           results.append(result)
//       return results
#include <loom/loom.hpp>

#include <chrono>
#include <cmath>
#include <iostream>
#include <vector>

double expensive_operation(int item) {
  double s = 0;
  for (int k = 1; k < 2'000'000; ++k) s += std::sin(item + k) / k;
  return s;
}

std::vector<double> process_sequential(const std::vector<int>& data_list) {
  std::vector<double> results;
  for (int item : data_list) results.push_back(expensive_operation(item));  // one at a time
  return results;
}

int main() {
  std::vector<int> data_list(16);
  for (int i = 0; i < 16; ++i) data_list[static_cast<std::size_t>(i)] = i;

  auto t0 = std::chrono::steady_clock::now();
  const auto sequential = process_sequential(data_list);
  const double seq_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // Independent items run simultaneously on every core.
  t0 = std::chrono::steady_clock::now();
  const std::vector<double> parallel =
      loom::Parallel({.n_jobs = -1})(data_list, expensive_operation);
  const double par_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::cout << "sequential: " << seq_s << " s, Parallel on " << loom::cpu_count()
            << " cores: " << par_s << " s\n";
  std::cout << (parallel == sequential ? "same results\n" : "DIFFERENT results\n");
  return parallel == sequential ? 0 : 1;
}
