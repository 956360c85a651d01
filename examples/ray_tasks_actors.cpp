// The Python snippet "Tasks vs Actors" in C++:
//
//   ray.init()
//   @ray.remote
//   def compute_heavy(x):
//       time.sleep(1)  # Simulate heavy computation
//       return x ** 2
//   @ray.remote
//   class Counter:
//       def __init__(self): self.value = 0
//       def increment(self): self.value += 1; return self.value
//       def get_value(self): return self.value
#include <loom/loom.hpp>

#include <chrono>
#include <iostream>
#include <thread>
#include <vector>

// TASKS: stateless functions that return values.
int compute_heavy(int x) {
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // simulate heavy computation
  return x * x;
}
LOOM_REMOTE(compute_heavy);

// ACTORS: stateful classes that keep their state between calls.
class Counter {
 public:
  int increment() { return ++value_; }
  [[nodiscard]] int get_value() const { return value_; }

 private:
  int value_ = 0;
};
LOOM_REMOTE(Counter);

int main() {
  loom::Runtime runtime({.num_cpus = 4});  // ray.init(); shutdown at the end of the scope

  const auto t0 = std::chrono::steady_clock::now();
  std::vector<loom::ObjectRef<int>> futures;
  for (int x = 0; x < 4; ++x) futures.push_back(loom::task(compute_heavy).remote(x));
  const std::vector<int> squares = loom::get(futures);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "4 tasks of 0.2 s each in " << seconds << " s:";
  for (int s : squares) std::cout << ' ' << s;
  std::cout << '\n';

  loom::ActorHandle<Counter> counter = loom::actor<Counter>().remote();
  for (int i = 0; i < 10; ++i) (void)counter.task(&Counter::increment).remote();
  const int value = loom::get(counter.task(&Counter::get_value).remote());
  std::cout << "counter after 10 increments: " << value << '\n';
  return squares == std::vector<int>{0, 1, 4, 9} && value == 10 ? 0 : 1;
}
