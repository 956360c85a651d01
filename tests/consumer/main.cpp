// Built against an installed loom (find_package) or a source tree (add_subdirectory).
#include <loom/loom.hpp>

#include <iostream>
#include <vector>

int main() {
  auto inc = [](int x) { return x + 1; };
  auto add = [](int a, int b) { return a + b; };
  loom::Delayed<int> a = loom::delayed(inc)(1);
  loom::Delayed<int> b = loom::delayed(add)(a, 10);
  const int v = b.compute();
  std::vector<int> xs = {1, 2, 3};
  std::vector<int> squares = loom::Parallel({.n_jobs = 2})(xs, [](int x) { return x * x; });
  std::cout << "consumer: b = " << v << ", squares[2] = " << squares[2] << "\n";
  return v == 12 && squares == std::vector<int>{1, 4, 9} ? 0 : 1;
}
