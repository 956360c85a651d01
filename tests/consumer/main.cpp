// Built against an installed loom (find_package) or a source tree (add_subdirectory).
#include <loom/loom.hpp>

#include <iostream>

int main() {
  auto inc = [](int x) { return x + 1; };
  auto add = [](int a, int b) { return a + b; };
  loom::Delayed<int> a = loom::delayed(inc)(1);
  loom::Delayed<int> b = loom::delayed(add)(a, 10);
  const int v = b.compute();
  std::cout << "consumer: b = " << v << "\n";
  return v == 12 ? 0 : 1;
}
