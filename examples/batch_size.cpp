// The Python snippet "Batch Size Tuning" in C++:
//
//   results = Parallel(n_jobs=4, batch_size=10)(delayed(task)(i) for i in range(1000))
//   results = Parallel(n_jobs=4, batch_size='auto')(delayed(task)(i) for i in range(1000))
#include <loom/loom.hpp>

#include <chrono>
#include <iostream>
#include <vector>

int task(int i) { return i * i; }

int main() {
  std::vector<int> inputs(1000);
  for (int i = 0; i < 1000; ++i) inputs[static_cast<std::size_t>(i)] = i;
  std::vector<int> expected;
  for (int i : inputs) expected.push_back(task(i));

  // Fixed: 10 calls per batch.
  std::vector<int> fixed =
      loom::Parallel({.n_jobs = 4, .batch_size = 10})(loom::each(inputs, task));
  // Auto: batches grow until one takes about 0.2 s, and the last ones are split finely.
  std::vector<int> automatic =
      loom::Parallel({.n_jobs = 4, .batch_size = loom::auto_batch})(loom::each(inputs, task));

  // Tiny calls are where batching matters: a million of them, auto-batched.
  std::vector<int> many(1'000'000, 3);
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<int> squares = loom::Parallel({.n_jobs = 4})(many, task);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "1,000,000 tiny calls, auto batching: " << ms << " ms\n";

  const bool ok = fixed == expected && automatic == expected && squares.back() == 9;
  std::cout << (ok ? "fixed and auto batches give the same results\n" : "MISMATCH\n");
  return ok ? 0 : 1;
}
