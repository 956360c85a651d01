// Ray's actor pool, named actors and ray.kill in C++:
//
//   from ray.util import ActorPool
//   @ray.remote
//   class Actor:
//       def double(self, n): return n * 2
//   a1, a2 = Actor.remote(), Actor.remote()
//   pool = ActorPool([a1, a2])
//   print(list(pool.map(lambda a, v: a.double.remote(v), [1, 2, 3, 4])))   # [2, 4, 6, 8]
//   pool.submit(lambda a, v: a.double.remote(v), 10)
//   print(pool.get_next())                                                 # 20
//
//   counter = Counter.options(name="counter").remote()
//   ray.get(ray.get_actor("counter").increment.remote())
//   ray.kill(counter)
#include <loom/loom.hpp>

#include <iostream>
#include <vector>

class Actor {
 public:
  int double_it(int n) const { return n * 2; }
};

class Counter {
 public:
  int increment() { return ++value_; }

 private:
  int value_ = 0;
};

int main() {
  loom::Runtime runtime({.num_cpus = 2});

  auto a1 = loom::actor<Actor>().remote();
  auto a2 = loom::actor<Actor>().remote();
  loom::ActorPool pool(std::vector{a1, a2});
  // A generic lambda works as the call: `a` is the pool's ActorHandle<Actor>.
  auto call = [](const auto& a, int v) { return a.task(&Actor::double_it).remote(v); };
  const std::vector<int> doubled = pool.map(call, std::vector{1, 2, 3, 4});
  for (int v : doubled) std::cout << v << ' ';
  std::cout << '\n';
  pool.submit(call, 10);
  const int next = pool.get_next<int>();
  std::cout << "get_next: " << next << '\n';

  auto counter = loom::actor<Counter>().options({.name = "counter", .named = true}).remote();
  const int n = loom::get(loom::get_actor<Counter>("counter").task(&Counter::increment).remote());
  std::cout << "counter: " << n << '\n';
  loom::kill(counter);
  bool killed = false;
  try {
    (void)loom::get(counter.task(&Counter::increment).remote());
  } catch (const loom::Error& e) {
    killed = true;
    std::cout << "after kill: " << e.what() << '\n';
  }

  const bool ok = doubled == std::vector{2, 4, 6, 8} && next == 20 && n == 1 && killed;
  std::cout << (ok ? "as Ray\n" : "MISMATCH\n");
  return ok ? 0 : 1;
}
