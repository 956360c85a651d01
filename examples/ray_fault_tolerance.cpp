// The Python snippet "Fault Tolerance Patterns" in C++:
//
//   @ray.remote(max_retries=3, retry_exceptions=True)
//   def fault_tolerant_task(data):
//       if random.random() < 0.1:  # 10% failure rate
//           raise Exception("Random failure")
//       return process_data(data)
//   futures = [fault_tolerant_task.remote(data) for data in large_dataset]
//   results = ray.get(futures)  # Will retry failures automatically
//
// Here the failures are deterministic: every fifth item fails its first two attempts.
#include <loom/loom.hpp>

#include <atomic>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <vector>

constexpr int kItems = 50;
std::vector<std::atomic<int>> attempts(kItems);

int process_data(int data) { return data * 3 + 1; }

int fault_tolerant_task(int data) {
  const int attempt = ++attempts[data];
  if (data % 5 == 0 && attempt <= 2) throw std::runtime_error("Random failure");
  return process_data(data);
}
LOOM_REMOTE(fault_tolerant_task);  // tasks are named after it in errors

int main() {
  loom::Runtime runtime;
  auto task = loom::task(fault_tolerant_task).options({.max_retries = 3, .retry_exceptions = true});
  std::vector<loom::ObjectRef<int>> futures;
  for (int data = 0; data < kItems; ++data) futures.push_back(task.remote(data));
  const std::vector<int> results = loom::get(futures);  // retried automatically

  int retried = 0;
  bool ok = true;
  for (int data = 0; data < kItems; ++data) {
    ok = ok && results[data] == process_data(data);
    retried += attempts[data] > 1 ? 1 : 0;
  }
  std::cout << kItems << " results, " << retried << " of them after retries\n";

  // Without retries the failure reaches get() as a TaskError with every attempt's message.
  attempts[0] = 0;
  try {
    (void)loom::get(loom::task(fault_tolerant_task).options({.max_retries = 1,
                                                               .retry_exceptions = true})
                        .remote(0));
    ok = false;
  } catch (const loom::TaskError& e) {
    std::cout << "as expected: " << e.what() << '\n';
  }
  return ok && retried == kItems / 5 ? 0 : 1;
}
