// The Python snippet "Resource Management" in C++:
//
//   @ray.remote(num_cpus=2, num_gpus=1, memory=1000*1024*1024)  # 1GB RAM
//   def gpu_intensive_task(data):
//       gpu_data = cp.asarray(data)
//       return cp.sum(gpu_data ** 2).get()
//   futures = [gpu_intensive_task.remote(data) for data in datasets]
//
// GPUs are bookkeeping: a task sees the ids it was given (here the work itself runs on the CPU,
// with Eigen). The runtime has 2 GPUs, so at most two such tasks run at once.
#include <loom/loom.hpp>

#include <iostream>
#include <mutex>
#include <set>
#include <vector>

double gpu_intensive_task(const loom::NDArray<double>& data) {
  const auto ids = loom::current_task().gpu_ids();  // e.g. CUDA_VISIBLE_DEVICES for the task
  if (ids.size() != 1) throw std::runtime_error("expected one GPU id");
  return data.vector().squaredNorm();
}

int main() {
  loom::Runtime runtime({.num_cpus = 4, .num_gpus = 2});
  auto task = loom::task(gpu_intensive_task)
                  .options({.num_cpus = 2, .num_gpus = 1, .memory = 1000LL * 1024 * 1024});
  std::vector<loom::ObjectRef<loom::NDArray<double>>> datasets;
  for (int i = 0; i < 6; ++i) {
    datasets.push_back(loom::put(loom::random::rand(loom::Shape{100'000}, /*seed=*/i)));
  }
  std::vector<loom::ObjectRef<double>> futures;
  for (const auto& data : datasets) futures.push_back(task.remote(data));
  const std::vector<double> sums = loom::get(futures);

  bool ok = true;
  for (std::size_t i = 0; i < sums.size(); ++i) {
    const loom::NDArray<double> data = loom::get(datasets[i]);  // shares the stored buffer
    const double expected = data.vector().squaredNorm();
    ok = ok && std::abs(sums[i] - expected) < 1e-6 * expected;
    std::cout << "dataset " << i << ": sum of squares " << sums[i] << '\n';
  }
  // A request the runtime can never meet fails at once instead of waiting forever.
  try {
    (void)task.options({.num_gpus = 4}).remote(datasets[0]);
    ok = false;
  } catch (const loom::ResourceError& e) {
    std::cout << "as expected: " << e.what() << '\n';
  }
  return ok ? 0 : 1;
}
