// The processes mode: the same programs, with tasks and actors in forked worker processes.
// Functions and actor classes cross by registration (LOOM_REMOTE); large arrays cross through
// the object store's shared memory (the worker maps them); a task that crashes its worker (a
// segfault here) takes only that worker down, and max_retries runs it again.
#include <loom/loom.hpp>

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

namespace fs = std::filesystem;

double norm2(const loom::NDArray<double>& a) { return a.vector().squaredNorm(); }
LOOM_REMOTE(norm2);

// Crashes on its first attempt (the attempt count lives in a file: workers share no memory).
int crash_once(const std::string& marker) {
  if (!fs::exists(marker)) {
    std::ofstream(marker) << "attempted\n";
    ::raise(SIGSEGV);
  }
  return static_cast<int>(::getpid());
}
LOOM_REMOTE(crash_once);

class Accumulator {
 public:
  double add(double x) { return total_ += x; }

 private:
  double total_ = 0;
};
LOOM_REMOTE(Accumulator);

int main() {
  const fs::path marker =
      fs::temp_directory_path() / ("loom-example-crash-once-" + std::to_string(::getpid()));
  loom::Runtime runtime({.num_cpus = 2, .mode = "processes"});

  auto data = loom::put(loom::random::rand(loom::Shape{2'000'000}, /*seed=*/1));  // 16 MB
  const loom::NDArray<double> local = loom::get(data);
  const double expected = local.vector().squaredNorm();
  const double in_worker = loom::get(loom::task(norm2).remote(data));
  std::cout << "sum of squares of a 16 MB array, in a worker that mapped it: " << in_worker << '\n';

  const int pid =
      loom::get(loom::task(crash_once).options({.max_retries = 2}).remote(marker.string()));
  std::cout << "a task whose worker segfaulted ran again in worker " << pid << " (the driver is "
            << ::getpid() << ")\n";
  fs::remove(marker);

  auto acc = loom::actor<Accumulator>().remote();
  for (int i = 1; i <= 100; ++i) (void)acc.task(&Accumulator::add).remote(static_cast<double>(i));
  const double total = loom::get(acc.task(&Accumulator::add).remote(0.0));
  std::cout << "an actor in its own process summed 1..100: " << total << '\n';

  const bool ok =
      std::abs(in_worker - expected) <= 1e-9 * expected && pid != ::getpid() && total == 5050.0;
  return ok ? 0 : 1;
}
