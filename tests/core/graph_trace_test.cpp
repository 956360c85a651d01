// Graph pictures (DOT) and traces (Chrome trace JSON).
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <span>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include <unistd.h>
#include "../scratch_folder.hpp"
#include "../support/expect_error.hpp"

#include "loom/core.hpp"

namespace {

// The graph node behind a handle (the tests look at node ids and states).
template <class Scalar>
loom::detail::NodeBase* node_of(const loom::Delayed<Scalar>& d) {
  return loom::detail::DelayedAccess::node(d);
}

std::filesystem::path temp_path(const std::string& name) {
  return loom::test::scratch_folder() / ("core-" + name);
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool have_program(const char* name) {
  return std::system((std::string("command -v ") + name + " >/dev/null 2>&1").c_str()) == 0;
}

TEST(Graph, DotContainsEveryNodeAndEdge) {
  auto a = loom::delayed([] { return 1; }, "load")();
  auto b = loom::delayed([](int x) { return x + 1; }, "clean")(a);
  auto c = loom::delayed([](int x) { return x * 2; }, "scale")(a);
  auto d = loom::delayed([](int x, int y) { return x + y; }, "combine")(b, c);
  const auto graph = d.graph();
  EXPECT_EQ(graph.size(), 4U);
  const std::string dot = graph.to_dot();
  for (const auto* n : {node_of(a), node_of(b), node_of(c), node_of(d)}) {
    EXPECT_NE(dot.find("n" + std::to_string(n->id()) + " [label=\"" + n->name()), std::string::npos)
        << dot;
  }
  auto edge = [&](const loom::detail::NodeBase* from, const loom::detail::NodeBase* to) {
    return "n" + std::to_string(from->id()) + " -> n" + std::to_string(to->id()) + ";";
  };
  EXPECT_NE(dot.find(edge(node_of(a), node_of(b))), std::string::npos) << dot;
  EXPECT_NE(dot.find(edge(node_of(a), node_of(c))), std::string::npos) << dot;
  EXPECT_NE(dot.find(edge(node_of(b), node_of(d))), std::string::npos) << dot;
  EXPECT_NE(dot.find(edge(node_of(c), node_of(d))), std::string::npos) << dot;

  const auto file = temp_path("graph.dot");
  d.visualize(file);
  EXPECT_EQ(read_file(file), dot);
  EXPECT_EQ(d.compute(), 4);
}

TEST(Graph, ImageFormatsGoThroughGraphviz) {
  auto d = loom::delayed([](int x) { return x; }, "only")(1);
  const auto svg = temp_path("graph.svg");
  if (have_program("dot")) {
    d.visualize(svg);
    EXPECT_NE(read_file(svg).find("<svg"), std::string::npos);
  } else {
    EXPECT_THROW(d.visualize(svg), loom::Error);
  }
  EXPECT_THROW(d.visualize(temp_path("graph.docx")), loom::Error);
  EXPECT_THROW(d.visualize("/nonexistent-dir/graph.dot"), loom::Error);
}

TEST(Graph, MissingGraphvizIsAClearError) {
  auto d = loom::delayed([](int x) { return x; }, "only")(1);
  const std::string saved = std::getenv("PATH") != nullptr ? std::getenv("PATH") : "";
  const auto empty_dir = temp_path("no-programs");
  std::filesystem::create_directories(empty_dir);
  ::setenv("PATH", empty_dir.c_str(), 1);
  EXPECT_ERROR_CONTAINS(d.visualize(temp_path("graph.png")), loom::Error, "graphviz")
      << "no error without dot";
  ::setenv("PATH", saved.c_str(), 1);
}

TEST(Trace, WritesOneChromeEventPerTask) {
  loom::trace::start();
  std::vector<loom::Delayed<int>> tasks;
  for (int i = 0; i < 50; ++i) {
    tasks.push_back(loom::delayed([](int x) { return x; }, "traced \"task\"")(i));
  }
  (void)loom::compute(tasks);
  const auto file = temp_path("trace.json");
  loom::trace::stop(file);
  EXPECT_FALSE(loom::trace::enabled());
  // Valid JSON, with one complete ("X") event per task: checked by Python's json module.
  const std::string check =
      "python3 -c \"import json,sys; d=json.load(open(sys.argv[1])); "
      "ev=[e for e in d['traceEvents'] if e['ph']=='X']; "
      "assert len(ev)==50, len(ev); "
      "assert all(e['name'].startswith('traced \\\"task\\\" #') and e['dur']>=0 for e in ev); "
      "assert len(set(e['args']['id'] for e in ev))==50\" " +
      file.string();
  ASSERT_TRUE(have_program("python3"));
  EXPECT_EQ(std::system(check.c_str()), 0) << read_file(file);
}

TEST(Trace, EnvironmentVariableTracesTheWholeRun) {
  // Runs this test binary again on one test, with LOOM_TRACE set, and checks the file it
  // wrote at exit.
  const auto file = temp_path("env-trace.json");
  std::filesystem::remove(file);
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  const std::string run = "LOOM_TRACE=" + file.string() + " " + self +
                          " --gtest_filter=Delayed.ComputeOfVectorKeepsOrder >/dev/null 2>&1";
  ASSERT_EQ(std::system(run.c_str()), 0);
  ASSERT_TRUE(std::filesystem::exists(file));
  const std::string check =
      "python3 -c \"import json,sys; d=json.load(open(sys.argv[1])); "
      "ev=[e for e in d['traceEvents'] if e['ph']=='X']; assert len(ev)==1000, len(ev)\" " +
      file.string();
  EXPECT_EQ(std::system(check.c_str()), 0);
}

TEST(Trace, NothingIsRecordedWhenOff) {
  loom::trace::start();
  const auto file = temp_path("empty-trace.json");
  loom::trace::stop(file);
  auto d = loom::delayed([] { return 1; })();
  (void)d.compute();
  loom::trace::stop(file);
  EXPECT_EQ(read_file(file), "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[]}\n");
  EXPECT_THROW(loom::trace::stop("/nonexistent-dir/trace.json"), loom::Error);
}

// Graphs and detached arenas are for loom's own code: a user can neither build a TaskGraph from
// nodes nor reach the remote runtime's fire-and-forget arenas; Delayed::graph() still works.
template <class Graph>
concept GraphFromNodes = std::is_constructible_v<Graph, std::span<loom::detail::NodeBase* const>>;
template <class E>
concept CanDetach = requires(E& e) {
  E::detached(1);
  e.enqueue(nullptr, nullptr);
};
TEST(TaskGraph, IsMadeOnlyByDelayedValues) {
  static_assert(!GraphFromNodes<loom::TaskGraph>);
  static_assert(!CanDetach<loom::Executor>);
  auto inc = [](int x) { return x + 1; };
  const loom::Delayed<int> a = loom::delayed(inc)(1);
  EXPECT_EQ(loom::delayed(inc)(a).graph().size(), 2U);
}

}  // namespace
