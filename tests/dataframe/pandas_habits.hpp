#pragma once
// For the pandas-habit tests: a generated CSV (strings with repeats and blanks, ints and
// floats with missing values, a column that turns float midway) and a runner for a pandas 1.5
// script (/usr/bin/python3) whose printed results the tests read back.
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "../scratch_folder.hpp"

namespace loom::test {

/// habits.csv: k (string, 37 values, some blank), qty (int, ~1/12 missing), value (float,
/// ~1/10 missing), sign (1 or -1), late (int, but a float in its last rows: widened at compute),
/// n (row number). `rows` rows.
inline std::string habits_csv(const std::string& name, int rows = 20000) {
  const auto path = scratch_folder() / name;
  std::ofstream out(path);
  out << "k,qty,value,sign,late,n\n";
  std::uint64_t s = 11;
  auto next = [&s] {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return s >> 33;
  };
  for (int i = 0; i < rows; ++i) {
    const auto k = next() % 40;
    if (k < 37) out << "key" << k;
    out << ',';
    if (next() % 12 != 0) out << static_cast<std::int64_t>(next() % 1000) - 300;
    out << ',';
    if (next() % 10 != 0) out << (static_cast<double>(next() % 200000) - 50000.0) / 7.0;
    out << ',' << (next() % 2 == 0 ? 1 : -1) << ',';
    if (i == rows - 3) {
      out << "2.5";
    } else {
      out << next() % 100;
    }
    out << ',' << i << '\n';
  }
  return path.string();
}

/// Runs `script` (python, given the CSV path as sys.argv[1]) and returns what it printed as
/// "key<TAB>value" lines.
inline std::map<std::string, std::string> run_pandas(const std::string& name,
                                                      const std::string& script,
                                                      const std::string& csv) {
  const auto py = scratch_folder() / (name + ".py");
  const auto result = scratch_folder() / (name + ".out");
  std::ofstream(py) << "import sys, math\nimport pandas as pd\n" << script;
  const std::string command =
      "/usr/bin/python3 " + py.string() + " " + csv + " > " + result.string();
  EXPECT_EQ(std::system(command.c_str()), 0) << "pandas failed: " << command;
  std::map<std::string, std::string> out;
  std::ifstream in(result);
  std::string line;
  while (std::getline(in, line)) {
    const auto tab = line.find('\t');
    if (tab != std::string::npos) out[line.substr(0, tab)] = line.substr(tab + 1);
  }
  return out;
}

}  // namespace loom::test
