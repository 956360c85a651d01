// Delayed values: building, computing, argument rules, results against sequential references.
#include <atomic>
#include <functional>
#include <memory>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "loom/core.hpp"

namespace {

int inc(int x) { return x + 1; }
int add(int a, int b) { return a + b; }

TEST(Delayed, ApiExampleComputesTheDocumentedValues) {
  loom::Delayed<int> a = loom::delayed(inc)(1);
  loom::Delayed<int> b = loom::delayed(add)(a, 10);
  EXPECT_EQ(b.compute(), 12);
  EXPECT_EQ(b(), 12);
  auto [x, y] = loom::compute(a, b);
  EXPECT_EQ(x, 2);
  EXPECT_EQ(y, 12);
  EXPECT_EQ(b.graph().size(), 1U);  // computed: b dropped its inputs
  loom::Delayed<int> c = loom::delayed(inc, "inc")(5);
  EXPECT_EQ(c.name(), "inc");
  EXPECT_EQ(c.compute(), 6);
}

TEST(Delayed, NothingRunsUntilComputed) {
  std::atomic<int> calls{0};
  auto f = loom::delayed([&](int x) {
    ++calls;
    return x * 2;
  });
  auto d = f(f(3));
  std::ostringstream summary;
  summary << d;
  EXPECT_EQ(calls.load(), 0);
  EXPECT_NE(summary.str().find("Delayed<int>"), std::string::npos) << summary.str();
  EXPECT_NE(summary.str().find("tasks=2"), std::string::npos) << summary.str();
  EXPECT_EQ(d.graph().size(), 2U);
  EXPECT_EQ(d.compute(), 12);
  EXPECT_EQ(calls.load(), 2);
  EXPECT_EQ(d.compute(), 12);  // a computed value is kept
  EXPECT_EQ(calls.load(), 2);
}

TEST(Delayed, DiamondRunsSharedNodeOnce) {
  std::atomic<int> top_calls{0};
  auto top = loom::delayed([&] {
    ++top_calls;
    return 5;
  })();
  auto left = loom::delayed([](int v) { return v + 1; })(top);
  auto right = loom::delayed([](int v) { return v * 3; })(top);
  auto bottom = loom::delayed(add)(left, right);
  EXPECT_EQ(bottom.graph().size(), 4U);
  EXPECT_EQ(bottom.compute(), 21);
  EXPECT_EQ(top_calls.load(), 1);
}

TEST(Delayed, ComputeOfSeveralValuesSharesTheGraph) {
  std::atomic<int> calls{0};
  auto shared = loom::delayed([&] {
    ++calls;
    return 10;
  })();
  auto a = loom::delayed(inc)(shared);
  auto b = loom::delayed([](int v) { return std::to_string(v); })(shared);
  auto [va, vb] = loom::compute(a, b);
  EXPECT_EQ(va, 11);
  EXPECT_EQ(vb, "10");
  EXPECT_EQ(calls.load(), 1);
}

TEST(Delayed, RandomGraphMatchesSequentialReference) {
  // 3,000 nodes, each the sum (mod a prime) of up to 3 earlier nodes plus its index.
  constexpr int kNodes = 3000;
  constexpr std::int64_t kMod = 1000003;
  std::mt19937 rng(42);
  std::vector<std::vector<int>> parents(kNodes);
  for (int i = 1; i < kNodes; ++i) {
    const int n = static_cast<int>(rng() % 4);
    for (int k = 0; k < n; ++k) parents[i].push_back(static_cast<int>(rng() % i));
  }
  std::vector<std::int64_t> expected(kNodes);
  for (int i = 0; i < kNodes; ++i) {
    std::int64_t v = i;
    for (int p : parents[i]) v = (v + expected[p] * 7) % kMod;
    expected[i] = v;
  }
  auto leaf = loom::delayed([](std::int64_t i) { return i; });
  auto one = loom::delayed([](std::int64_t i, std::int64_t a) { return (i + a * 7) % kMod; });
  auto two = loom::delayed([](std::int64_t i, std::int64_t a, std::int64_t b) {
    return ((i + a * 7) % kMod + b * 7) % kMod;
  });
  auto three = loom::delayed([](std::int64_t i, std::int64_t a, std::int64_t b, std::int64_t c) {
    return (((i + a * 7) % kMod + b * 7) % kMod + c * 7) % kMod;
  });
  std::vector<loom::Delayed<std::int64_t>> nodes;
  for (int i = 0; i < kNodes; ++i) {
    const auto& p = parents[i];
    switch (p.size()) {
      case 0:
        nodes.push_back(leaf(std::int64_t{i}));
        break;
      case 1:
        nodes.push_back(one(std::int64_t{i}, nodes[p[0]]));
        break;
      case 2:
        nodes.push_back(two(std::int64_t{i}, nodes[p[0]], nodes[p[1]]));
        break;
      default:
        nodes.push_back(three(std::int64_t{i}, nodes[p[0]], nodes[p[1]], nodes[p[2]]));
    }
  }
  EXPECT_EQ(loom::compute(nodes), expected);
}

TEST(Delayed, ComputeOfVectorKeepsOrder) {
  std::vector<loom::Delayed<int>> values;
  for (int i = 0; i < 1000; ++i) values.push_back(loom::delayed([](int x) { return x * x; })(i));
  std::vector<int> expected(1000);
  for (int i = 0; i < 1000; ++i) expected[i] = i * i;
  EXPECT_EQ(loom::compute(values), expected);
}

TEST(Delayed, GenericLambdaReceivesTheValue) {
  auto d = loom::delayed([](auto x) { return x * 2; })(loom::delayed(inc)(20));
  static_assert(std::is_same_v<decltype(d), loom::Delayed<int>>);
  EXPECT_EQ(d.compute(), 42);
}

TEST(Delayed, FunctionTakingTheHandleReceivesTheHandle) {
  auto inner = loom::delayed(inc)(1);
  auto outer = loom::delayed([](const loom::Delayed<int>& h) { return h.done(); })(inner);
  EXPECT_FALSE(outer.compute());  // not a dependency: inner was not computed first
  auto both =
      // NOLINTNEXTLINE(performance-unnecessary-value-param): the handle by value is the point
      loom::delayed([](loom::Delayed<int> h, int v) { return h.compute() + v; })(inner, inner);
  EXPECT_EQ(both.compute(), 4);
}

TEST(Delayed, StdRefPassesAReference) {
  int target = 0;
  auto d = loom::delayed([](int& t, int v) { t = v; })(std::ref(target), 7);
  d.compute();
  EXPECT_EQ(target, 7);
}

TEST(Delayed, ArgumentsAreCapturedByValue) {
  std::vector<int> v = {1, 2, 3};
  auto d = loom::delayed(
      [](const std::vector<int>& x) { return std::accumulate(x.begin(), x.end(), 0); })(v);
  v.push_back(100);
  EXPECT_EQ(d.compute(), 6);
}

TEST(Delayed, MoveOnlyArgumentsAreMovedIntoTheTask) {
  auto d = loom::delayed([](std::unique_ptr<int> p) { return *p + 1; })(std::make_unique<int>(41));
  EXPECT_EQ(d.compute(), 42);
}

TEST(Delayed, LvalueReferenceParametersGetTheStoredArgument) {
  auto e = loom::delayed([](std::string& s) {
    s += "!";
    return s;
  })(std::string("hi"));
  EXPECT_EQ(e.compute(), "hi!");
}

TEST(Delayed, RvalueComputeMovesTheLastValueOut) {
  auto make = loom::delayed([] { return std::vector<int>(1000, 1); });
  auto only = make();
  const int* stored = only.compute().data();
  std::vector<int> v = std::move(only).compute();  // the last handle: moved out
  EXPECT_EQ(v.data(), stored);
  auto shared = make();
  const int* kept = shared.compute().data();
  auto copy = shared;
  std::vector<int> w = std::move(copy).compute();  // another handle exists: copied
  EXPECT_NE(w.data(), kept);
  EXPECT_EQ(shared.compute().data(), kept);
  EXPECT_EQ(w, shared.compute());
}

TEST(Delayed, ValueIsCopiedForFunctionsTakingRvalues) {
  auto source = loom::delayed([] { return std::string("abc"); })();
  auto sink = loom::delayed([](std::string&& s) { return s + "!"; })(source);
  EXPECT_EQ(sink.compute(), "abc!");
  EXPECT_EQ(source.compute(), "abc");  // the stored value is untouched
}

TEST(Delayed, HandleArgumentCanBeComputedInsideTheTask) {
  auto inner = loom::delayed([](int x) { return x * 10; })(4);
  // NOLINTNEXTLINE(performance-unnecessary-value-param): the handle by value is the point
  auto outer = loom::delayed([](loom::Delayed<int> h) { return h.compute() + 1; })(inner);
  EXPECT_EQ(outer.compute(), 41);
}

TEST(Delayed, ComputeReturnsAStableReference) {
  auto d = loom::delayed([] { return std::string("value"); })();
  const std::string& r1 = d.compute();
  const std::string& r2 = d.compute();
  EXPECT_EQ(&r1, &r2);
  EXPECT_EQ(r1, "value");
}

TEST(Delayed, VoidTasksOrderTheirDependents) {
  std::atomic<int> step{0};
  auto first = loom::delayed([&] { step = 1; })();
  static_assert(std::is_same_v<decltype(first), loom::Delayed<void>>);
  auto second = loom::delayed([&](std::monostate) { return step.load(); })(first);
  EXPECT_EQ(second.compute(), 1);
}

TEST(Delayed, ComputeOfManyVoidTasksRunsEachOnce) {
  std::vector<loom::Delayed<void>> many;
  std::atomic<int> count{0};
  for (int i = 0; i < 100; ++i) many.push_back(loom::delayed([&] { ++count; })());
  loom::compute(many);
  EXPECT_EQ(count.load(), 100);
}

TEST(Delayed, AVoidTaskInATupleComputeGivesMonostate) {
  std::atomic<int> step{0};
  auto first = loom::delayed([&] { step = 1; })();
  auto second = loom::delayed([&](std::monostate) { return step.load(); })(first);
  (void)second.compute();  // runs `first` too
  first.compute();         // already done: returns at once
  auto [v, w] = loom::compute(first, second);
  static_assert(std::is_same_v<decltype(v), std::monostate>);
  EXPECT_EQ(w, 1);
}

TEST(Delayed, EmptyHandleIsAnError) {
  loom::Delayed<int> empty;
  EXPECT_THROW((void)empty.compute(), loom::Error);
  EXPECT_THROW((void)loom::delayed(inc)(empty), loom::Error);
  std::ostringstream os;
  os << empty;
  EXPECT_EQ(os.str(), "Delayed<int>(empty)");
}

TEST(Delayed, ConcurrentComputesOfSharedNodesRunEachOnce) {
  std::atomic<int> calls{0};
  auto shared = loom::delayed([&] {
    ++calls;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return 3;
  })();
  std::vector<loom::Delayed<int>> tops;
  for (int i = 0; i < 8; ++i) tops.push_back(loom::delayed(add)(shared, i));
  std::vector<std::thread> threads;
  std::vector<int> results(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] { results[i] = tops[i].compute(); });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 8; ++i) EXPECT_EQ(results[i], 3 + i);
  EXPECT_EQ(calls.load(), 1);
}

TEST(Delayed, PersistComputesOnce) {
  std::atomic<int> calls{0};
  auto d = loom::delayed([&] { return ++calls; })();
  const auto& kept = d.persist();
  EXPECT_TRUE(kept.done());
  EXPECT_EQ(d.compute(), 1);
  EXPECT_EQ(calls.load(), 1);
}

}  // namespace
