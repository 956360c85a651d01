// The Python snippet "Understanding Ray's Object Store" in C++:
//
//   large_array = np.random.rand(1000, 1000)
//   obj_ref = ray.put(large_array)
//   @ray.remote
//   def process_array(array_ref):
//       array = ray.get(array_ref)  # Get actual array
//       return np.mean(array)
//   futures = [process_array.remote(obj_ref) for _ in range(10)]
//   results = ray.get(futures)
//
// A ref argument is resolved to the stored array itself: the ten tasks share one buffer.
#include <loom/loom.hpp>

#include <cmath>
#include <iostream>
#include <vector>

double process_array(const loom::NDArray<double>& array) { return array.mean(); }

int main() {
  loom::Runtime runtime;
  loom::NDArray<double> large_array = loom::random::rand(loom::Shape{1000, 1000}, /*seed=*/0);
  const double expected = large_array.mean();

  loom::ObjectRef<loom::NDArray<double>> obj_ref = loom::put(std::move(large_array));
  auto process = loom::task(process_array);
  std::vector<loom::ObjectRef<double>> futures;
  for (int i = 0; i < 10; ++i) futures.push_back(process.remote(obj_ref));
  const std::vector<double> results = loom::get(futures);

  const auto stats = loom::object_store_stats();
  std::cout << "10 means of one stored 1000x1000 array: " << results.front() << '\n'
            << "object store: " << stats.objects_alive << " objects, " << stats.bytes_in_memory
            << " bytes in memory\n";
  bool ok = true;
  for (double r : results) ok = ok && std::abs(r - expected) < 1e-12;
  return ok ? 0 : 1;
}
