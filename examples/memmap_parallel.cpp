// The Python snippet "Memory Mapping for Large Arrays" in C++:
//
//   large_array = np.random.rand(10000, 1000)  # ~80MB
//   dump(large_array, 'large_array.joblib')
//   large_array_mmap = load('large_array.joblib', mmap_mode='r')
//   def process_chunk(array, start, end):
//       chunk = array[start:end]  # Only this chunk loads into RAM
//       return np.mean(chunk ** 2)
//   results = Parallel(n_jobs=4)(
//       delayed(process_chunk)(large_array_mmap, i*chunk_size, (i+1)*chunk_size)
//       for i in range(n_chunks))
//
// loom::dump stores the array page-aligned in loom's general format (joblib's .joblib) and
// load with mmap_mode maps it; worker processes see the mapping through fork, so the 80 MB are
// shared, never copied. (A ".npy" path writes NumPy's format instead, for NumPy interop.)
#include <loom/loom.hpp>

#include <cmath>
#include <iostream>
#include <vector>

double process_chunk(const loom::NDArray<double>& array, std::int64_t start, std::int64_t end) {
  const auto chunk = array.slice(start, end);  // a view: only these pages are read
  return chunk.vector().array().square().mean();
}

int main() {
  const loom::NDArray<double> large_array = loom::random::rand({10000, 1000}, /*seed=*/0);
  // The snippet's two calls, as written.
  loom::dump(large_array, "large_array.joblib");
  const auto large_array_mmap =
      loom::load<loom::NDArray<double>>("large_array.joblib", {.mmap_mode = "r"});
  // mmap_mode "r": a read-only view of the file's pages (a plain load gives a writeable copy).
  std::cout << "large_array.joblib mapped"
            << (large_array_mmap.writeable() ? " (writeable)\n" : " (read-only)\n");

  const std::int64_t n_chunks = 4;
  const std::int64_t chunk_size = large_array_mmap.shape()[0] / n_chunks;
  std::vector<std::int64_t> chunks;
  for (std::int64_t i = 0; i < n_chunks; ++i) chunks.push_back(i);

  std::vector<double> results =
      loom::Parallel({.n_jobs = 4, .backend = "processes"})(loom::each(chunks, [&](std::int64_t i) {
        return loom::delayed(process_chunk)(large_array_mmap, i * chunk_size, (i + 1) * chunk_size);
      }));

  bool ok = !large_array_mmap.writeable();
  for (std::int64_t i = 0; i < n_chunks; ++i) {
    const double expected = process_chunk(large_array, i * chunk_size, (i + 1) * chunk_size);
    std::cout << "chunk " << i << ": mean of squares " << results[i] << "\n";
    ok = ok && std::abs(results[i] - expected) < 1e-12;
  }
  std::cout << (ok ? "matches the in-memory array\n" : "MISMATCH\n");
  return ok ? 0 : 1;
}
