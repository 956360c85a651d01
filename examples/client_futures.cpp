// Dask's futures interface (dask.distributed.Client): submit, map, as_completed, gather,
// scatter and run.
//
//   client = Client(LocalCluster(n_workers=2, threads_per_worker=1))
//   future = client.submit(inc, 10)
//   futures = client.map(square, range(10))
//   for future, result in as_completed(futures, with_results=True): ...
//   total = client.submit(sum, futures); client.gather(total)
//   [data] = client.scatter([big_array]); client.submit(mean, data)
//   client.run(os.getpid)
#include <loom/loom.hpp>

#include <unistd.h>

#include <iostream>
#include <numeric>
#include <vector>

int inc(int x) { return x + 1; }
int square(int x) { return x * x; }
int add(int a, int b) { return a + b; }
double mean(const loom::NDArray<double>& a) { return a.mean(); }
LOOM_REMOTE(inc);
LOOM_REMOTE(square);
LOOM_REMOTE(add);
LOOM_REMOTE(mean);

int main() {
  loom::LocalCluster cluster({.n_workers = 2, .threads_per_worker = 1});
  loom::Client client(cluster);
  int failures = 0;

  const loom::ObjectRef<int> future = client.submit(inc, 10);
  std::cout << "submit(inc, 10) -> " << client.gather(future) << '\n';
  failures += client.gather(future) == 11 ? 0 : 1;

  std::vector<int> xs(10);
  std::iota(xs.begin(), xs.end(), 0);
  std::vector<loom::ObjectRef<int>> squares = client.map(square, xs);

  // In completion order; results are fetched before each is yielded.
  int seen = 0;
  int sum_seen = 0;
  for (const auto& done : loom::as_completed(squares, {.with_results = true})) {
    ++seen;
    sum_seen += done.value();
  }
  std::cout << "as_completed saw " << seen << " results, sum " << sum_seen << '\n';

  // A tree of adds on the cluster: refs as arguments are dependencies.
  std::vector<loom::ObjectRef<int>> level = squares;
  while (level.size() > 1) {
    std::vector<loom::ObjectRef<int>> next;
    for (std::size_t i = 0; i + 1 < level.size(); i += 2) {
      next.push_back(client.submit(add, level[i], level[i + 1]));
    }
    if (level.size() % 2 == 1) next.push_back(level.back());
    level = std::move(next);
  }
  const int total = client.gather(level[0]);
  int expected = 0;
  for (int x : xs) expected += x * x;
  std::cout << "sum of squares on the cluster: " << total << " (sequential: " << expected << ")\n";
  failures += total == expected && sum_seen == expected ? 0 : 1;

  // Scatter once, use many times (large arrays cross through shared memory).
  const auto data = client.scatter(loom::random::rand(loom::Shape{1000, 1000}, /*seed=*/1));
  const double m = client.gather(client.submit(mean, data));
  std::cout << "mean of the scattered array: " << m << '\n';
  failures += m == loom::get(data).mean() ? 0 : 1;

  // One result per worker.
  for (const auto& [id, pid] : client.run([] { return static_cast<long>(::getpid()); })) {
    std::cout << "worker " << id << " runs in process " << pid << '\n';
  }
  std::cout << (failures == 0 ? "every result matches\n" : "MISMATCH\n");
  return failures == 0 ? 0 : 1;
}
