// The Python snippet "Caching for Repeated Computations" in C++:
//
//   memory = Memory('./cache_dir', verbose=0)
//   @memory.cache
//   def expensive_function(param):
//       time.sleep(2)  # Simulate expensive computation
//       return param ** 2
//   result1 = expensive_function(10)   # First call: takes 2 seconds
//   result2 = expensive_function(10)   # Second call with same parameter: instant (cached)
#include <loom/loom.hpp>

#include <chrono>
#include <iostream>
#include <thread>

double expensive_function(double param) {
  std::this_thread::sleep_for(std::chrono::seconds(2));  // simulate expensive computation
  return param * param;
}

int main() {
  loom::Memory memory("./cache_dir", {.verbose = 0});
  memory.clear();  // start cold, so that the first call really computes
  auto cached = memory.cache("expensive_function", expensive_function);

  auto t0 = std::chrono::steady_clock::now();
  const double result1 = cached(10.0);
  const double first_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  t0 = std::chrono::steady_clock::now();
  const double result2 = cached(10.0);
  const double second_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();

  std::cout << "first call: " << result1 << " in " << first_s << " s\n";
  std::cout << "second call: " << result2 << " in " << second_ms << " ms (from ./cache_dir)\n";
  return result1 == 100.0 && result2 == 100.0 && cached.check_call_in_cache(10.0) ? 0 : 1;
}
