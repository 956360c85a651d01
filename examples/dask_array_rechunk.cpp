// The Python snippet "Memory Management Strategies" in C++:
//
//   x = da.random.random((10000, 10000), chunks=(100, 100))
//   print(f"Original chunks: {x.chunks}")
//   x_rechunked = x.rechunk((1000, 1000))
//   print(f"Rechunked: {x_rechunked.chunks}")
//   result = x_rechunked.T.dot(x_rechunked).compute()
//
// The snippet's size is 10000x10000 (2e12 flops: minutes on two cores); by default this runs the
// same steps on 2000x2000 so that it stays quick under ctest. `--full` runs the full size.
#include <loom/loom.hpp>

#include <chrono>
#include <cstring>
#include <iostream>

namespace da = loom::array;

int main(int argc, char** argv) {
  const std::int64_t n = argc > 1 && std::strcmp(argv[1], "--full") == 0 ? 10000 : 2000;
  auto x = da::random::random({n, n}, {.chunks = {100, 100}});
  std::cout << "Original chunks: " << x.chunks().axis(0).size() << " x "
            << x.chunks().axis(1).size() << " chunks of " << x.chunksize() << '\n';
  auto x_rechunked = x.rechunk({1000, 1000});
  std::cout << "Rechunked: " << x_rechunked.chunks().str() << '\n';

  const auto t0 = std::chrono::steady_clock::now();
  loom::NDArray<double> result = x_rechunked.T().dot(x_rechunked).compute();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "x.T.dot(x): " << result.shape() << " in " << s << " s\n";

  // Check one entry against a plain loop over the same values.
  const auto plain = loom::random::rand(loom::Shape{n, n}, 0);
  double g = 0;
  for (std::int64_t r = 0; r < n; ++r) g += plain(r, 3) * plain(r, 7);
  return std::abs(result(3, 7) - g) <= 1e-9 * g ? 0 : 1;
}
