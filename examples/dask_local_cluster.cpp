// Dask's "Scheduler Configuration" snippet on one machine:
//
//   from dask.distributed import Client, LocalCluster
//   cluster = LocalCluster(n_workers=4, threads_per_worker=2, memory_limit='2GB', processes=True)
//   client = Client(cluster)
//
// After `Client client(cluster)`, remote tasks, put and get run on the cluster's long-lived
// worker processes. (Arrays and dataframes join the cluster in a later part.)
#include <loom/loom.hpp>

#include <unistd.h>

#include <cmath>
#include <iostream>
#include <set>
#include <vector>

double simulate(int seed) {  // a registered function: it crosses to the worker processes
  double x = 0;
  for (int i = 1; i <= 200'000; ++i) x += std::sin(seed + i * 1e-3) / i;
  return x;
}
LOOM_REMOTE(simulate);

int main() {
  loom::LocalCluster cluster({.n_workers = 4, .threads_per_worker = 2, .memory_limit = "2GB",
                              .processes = true});
  loom::Client client(cluster);

  std::cout << "workers:\n";
  for (const loom::WorkerInfo& w : cluster.workers()) {
    std::cout << "  " << w.address << " pid " << w.pid << ", " << w.threads << " threads, limit "
              << w.memory_limit / 1'000'000 << " MB\n";
  }

  std::vector<int> seeds(32);
  for (int i = 0; i < 32; ++i) seeds[i] = i;
  const std::vector<double> results = client.gather(client.map(simulate, seeds));
  int mismatches = 0;
  for (int i = 0; i < 32; ++i) mismatches += results[i] == simulate(i) ? 0 : 1;

  // loom::task(...).remote also goes to the cluster while the client is current.
  const double one = loom::get(loom::task(simulate).remote(7));
  mismatches += one == simulate(7) ? 0 : 1;

  std::int64_t done = 0;
  for (const auto& w : cluster.workers()) done += w.tasks_done;
  std::cout << "32 simulations on the cluster match the sequential loop: "
            << (mismatches == 0 ? "yes" : "NO") << " (" << done << " tasks done so far)\n";
  return mismatches == 0 ? 0 : 1;
}
