// The Python snippet "Lazy Evaluation and Task Graphs" in C++:
//
//   x = da.random.random((10000, 10000), chunks=(1000, 1000))
//   y = x + 1
//   z = y ** 2
//   result = z.mean()
//   print(result)                     # shows the task graph, not the value
//   actual_result = result.compute()  # now it executes
//
// The element-wise steps are fused into the mean: x is never materialized.
#include <loom/loom.hpp>

#include <chrono>
#include <iostream>

namespace da = loom::array;

int main() {
  da::Array<double> x = da::random::random({10000, 10000}, {.chunks = {1000, 1000}});
  std::cout << "x: " << x << '\n';
  auto y = x + 1;
  auto z = da::pow(y, 2);
  auto result = z.mean();
  std::cout << "result (lazy): " << result << '\n';

  const auto t0 = std::chrono::steady_clock::now();
  const double actual_result = result.compute().item();  // now it executes
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "result: " << actual_result << " (in " << ms << " ms, E[(U+1)^2] = 7/3)\n";
  return std::abs(actual_result - 7.0 / 3.0) < 1e-3 ? 0 : 1;
}
