// Pictures of arrays and dataframe plans: Array::visualize and DataFrame::visualize write DOT
// text or, through Graphviz, .svg/.png/.pdf; DataFrame::explain lists the plan's steps with
// their pushed-down columns and filters and partition counts.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../scratch_folder.hpp"
#include "../support/expect_error.hpp"
#include "loom/loom.hpp"

namespace da = loom::array;
namespace dd = loom::dataframe;

namespace {

std::string read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(ArrayVisualize, PngStartsWithThePngSignature) {
  const auto x = da::random::random({100, 100}, {.chunks = {50, 50}, .seed = 1});
  const auto file = loom::test::scratch_folder() / "array.png";
  (x + 1.0).sum().visualize(file);
  const std::string bytes = read_bytes(file);
  ASSERT_GE(bytes.size(), 8U);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_FALSE(std::filesystem::exists(file.string() + ".dot")) << "the DOT file is removed";
}

TEST(ArrayVisualize, SvgAndPdfAndDot) {
  const auto y = da::ones<double>({10, 10}, {.chunks = {5, 5}}) * 2.0;
  const auto dir = loom::test::scratch_folder();
  y.visualize(dir / "array.svg");
  EXPECT_NE(read_bytes(dir / "array.svg").find("<svg"), std::string::npos);
  y.visualize(dir / "array.pdf");
  EXPECT_EQ(read_bytes(dir / "array.pdf").substr(0, 5), "%PDF-");
  y.visualize(dir / "array.dot");
  const std::string dot = read_bytes(dir / "array.dot");
  EXPECT_EQ(dot.rfind("digraph loom_array {", 0), 0U) << dot;
  EXPECT_NE(dot.find("elementwise"), std::string::npos) << dot;
}

TEST(ArrayVisualize, UnknownExtensionIsAConfigError) {
  const auto y = da::ones<double>({10}, {.chunks = {5}});
  const auto file = loom::test::scratch_folder() / "array.docx";
  EXPECT_ERROR_CONTAINS(y.visualize(file), loom::ConfigError, "array.docx", ".png");
  EXPECT_FALSE(std::filesystem::exists(file));
}

// A CSV query with a projection and a filter above the scan.
std::filesystem::path write_csv() {
  const auto dir = loom::test::scratch_folder() / "explain";
  std::filesystem::create_directories(dir);
  for (int f = 0; f < 2; ++f) {
    std::ofstream out(dir / ("part-" + std::to_string(f) + ".csv"));
    out << "id,name,price,qty\n";
    for (int i = 0; i < 5; ++i) out << f * 5 + i << ",n" << i << "," << i * 10 << "," << i << "\n";
  }
  return dir;
}

TEST(DataFrameExplain, ShowsPushedDownColumnsAndFilters) {
  const auto df = dd::read_csv((write_csv() / "part-*.csv").string());
  const auto query = df[df["price"] > 15][std::vector<std::string>{"id", "qty"}];
  const std::string plan = query.explain();
  // One line per step, the top one first: the projection, the filter, the scan.
  std::vector<std::string> lines;
  std::string line;
  std::istringstream in(plan);
  while (std::getline(in, line)) lines.push_back(line);
  ASSERT_EQ(lines.size(), 3U) << plan;
  EXPECT_EQ(lines[0], "project  columns=[id, qty]  partitions=2") << plan;
  EXPECT_EQ(lines[1], "  filter (price > 15)  columns=[id, qty]  partitions=2") << plan;
  // The scan parses only what the query uses, and the filter runs as each partition is read.
  EXPECT_EQ(lines[2].rfind("    read_csv 2 files  columns=[id, qty, price]", 0), 0U) << plan;
  EXPECT_NE(lines[2].find("filters=[(price > 15)]"), std::string::npos) << plan;
  EXPECT_NE(lines[2].find("partitions=2"), std::string::npos) << plan;
  // And the query computes what the plan says.
  const auto t = query.compute();
  EXPECT_EQ(t.column_names(), (std::vector<std::string>{"id", "qty"}));
  EXPECT_EQ(t.num_rows(), 6);
}

TEST(DataFrameExplain, WholeFrameStepsAndInMemoryFrames) {
  std::vector<dd::Table> tables;
  for (int p = 0; p < 3; ++p) {
    tables.push_back(
        dd::Table({"k", "v"}, {dd::Column::from_ints({p % 2}), dd::Column::from_ints({p})}));
  }
  const auto df = dd::DataFrame::from_tables(tables);
  const std::string plan = df.groupby("k").sum().explain();
  EXPECT_EQ(plan,
            "groupby  columns=[k, v]  partitions=1\n"
            "  from_tables  columns=[k, v]  partitions=3\n");
}

TEST(DataFrameVisualize, WritesThePlan) {
  const auto df = dd::read_csv((write_csv() / "part-*.csv").string());
  const auto query = df[df["qty"] > 1][std::vector<std::string>{"name"}];
  const auto dir = loom::test::scratch_folder();
  query.visualize(dir / "plan.dot");
  const std::string dot = read_bytes(dir / "plan.dot");
  EXPECT_EQ(dot.rfind("digraph loom_dataframe {", 0), 0U) << dot;
  EXPECT_NE(dot.find("filter\\n(qty > 1)"), std::string::npos) << dot;
  EXPECT_NE(dot.find("read_csv"), std::string::npos) << dot;
  EXPECT_NE(dot.find("n2 -> n1;"), std::string::npos) << dot;
  query.visualize(dir / "plan.png");
  EXPECT_EQ(read_bytes(dir / "plan.png").substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_ERROR_CONTAINS(query.visualize(dir / "plan.txt"), loom::ConfigError, "plan.txt");
}

}  // namespace
