// loom::ProgressBar: the plain lines it prints (stderr is not a terminal here) for an array
// compute, a dataframe compute, a Delayed graph and get() of several refs, and that short work
// under `minimum` prints nothing.
#include <chrono>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "../support/expect_error.hpp"
#include "loom/loom.hpp"

namespace da = loom::array;
namespace dd = loom::dataframe;
using namespace std::chrono_literals;

namespace {

// The "progress: done/total (pct%) elapsed .., rate it/s, ETA .." lines in `text`.
struct Line {
  long done;
  long total;
};
std::vector<Line> progress_lines(const std::string& text) {
  static const std::regex line(
      R"(progress: (\d+)/(\d+) \(\d+%\) elapsed [0-9.]+s, [0-9.]+ it/s, ETA [0-9.]+s)");
  std::vector<Line> out;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), line); it != std::sregex_iterator();
       ++it) {
    out.push_back({std::stol((*it)[1]), std::stol((*it)[2])});
  }
  return out;
}

// The last line says all the work is done; the counts never go back.
void expect_finished(const std::vector<Line>& lines, long at_least) {
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back().done, lines.back().total);
  EXPECT_GE(lines.back().total, at_least);
  for (std::size_t i = 1; i < lines.size(); ++i) EXPECT_GE(lines[i].done, lines[i - 1].done);
}

TEST(ProgressBar, ArrayComputeDrawsPlainLines) {
  testing::internal::CaptureStderr();
  {
    const loom::ProgressBar bar({.minimum = 0s, .dt = 0.01s});
    // 16 chunks, each slow enough to be seen.
    const auto x = da::ones<double>({400, 400}, {.chunks = {100, 100}})
                       .map_blocks([](const loom::NDArray<double>& b) {
                         std::this_thread::sleep_for(5ms);
                         return b;
                       });
    EXPECT_EQ((x + 1.0).compute()(399, 399), 2.0);
  }
  const std::string text = testing::internal::GetCapturedStderr();
  const auto lines = progress_lines(text);
  expect_finished(lines, 16);
  EXPECT_EQ(text.find('\r'), std::string::npos) << "no redraws in place off a terminal";
}

TEST(ProgressBar, DataFrameComputeDrawsPlainLines) {
  std::vector<dd::Table> tables;
  for (int p = 0; p < 8; ++p) tables.push_back(dd::Table({"v"}, {dd::Column::from_ints({p, -p})}));
  const auto df = dd::DataFrame::from_tables(tables);
  testing::internal::CaptureStderr();
  {
    const loom::ProgressBar bar({.minimum = 0s, .dt = 0.01s});
    EXPECT_EQ(df[df["v"] > 0].compute().num_rows(), 7);
  }
  const auto lines = progress_lines(testing::internal::GetCapturedStderr());
  expect_finished(lines, 8);
  EXPECT_EQ(lines.back().total, 8) << "one step per partition";
}

TEST(ProgressBar, DelayedGraphCountsItsTasks) {
  testing::internal::CaptureStderr();
  {
    const loom::ProgressBar bar({.minimum = 0s, .dt = 0.01s});
    std::vector<loom::Delayed<int>> parts;
    for (int i = 0; i < 10; ++i) parts.push_back(loom::delayed([](int x) { return x; })(i));
    auto plus = [](int a, int b) { return a + b; };
    loom::Delayed<int> total = parts[0];
    for (int i = 1; i < 10; ++i)
      total = loom::delayed(plus)(total, parts[static_cast<std::size_t>(i)]);
    EXPECT_EQ(total.compute(), 45);
  }
  const auto lines = progress_lines(testing::internal::GetCapturedStderr());
  expect_finished(lines, 19);
  EXPECT_EQ(lines.back().total, 19) << "ten values and nine additions";
}

TEST(ProgressBar, GetOfManyRefsCountsThem) {
  loom::init({.num_cpus = 2});
  std::vector<loom::ObjectRef<int>> refs;
  auto slow = loom::task([](int x) {
    std::this_thread::sleep_for(2ms);
    return x;
  });
  testing::internal::CaptureStderr();
  {
    const loom::ProgressBar bar({.minimum = 0s, .dt = 0.01s});
    for (int i = 0; i < 12; ++i) refs.push_back(slow.remote(i));
    EXPECT_EQ(loom::get(refs)[11], 11);
  }
  const auto lines = progress_lines(testing::internal::GetCapturedStderr());
  loom::shutdown();
  expect_finished(lines, 12);
  EXPECT_EQ(lines.back().total, 12);
}

TEST(ProgressBar, ShortWorkUnderMinimumPrintsNothing) {
  testing::internal::CaptureStderr();
  {
    const loom::ProgressBar bar({.minimum = 60s});
    EXPECT_EQ((da::ones<double>({10}, {.chunks = {5}}) * 3.0).compute()(0), 3.0);
  }
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

TEST(ProgressBar, NoBarNoLines) {
  testing::internal::CaptureStderr();
  EXPECT_EQ((da::ones<double>({10}, {.chunks = {5}}) * 3.0).compute()(0), 3.0);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

TEST(ProgressBar, BadOptionsAreConfigErrors) {
  EXPECT_ERROR_CONTAINS(loom::ProgressBar({.width = 0}), loom::ConfigError, "width = 0");
  EXPECT_ERROR_CONTAINS(loom::ProgressBar({.minimum = -1s}), loom::ConfigError, "minimum");
  EXPECT_ERROR_CONTAINS(loom::ProgressBar({.dt = 0s}), loom::ConfigError, "dt");
}

}  // namespace
