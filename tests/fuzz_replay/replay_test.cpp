// Replays every file of fuzz/corpus/<target>/ and fuzz/regressions/<target>/ through the fuzz
// target's entry point (fuzz/entry_points.hpp) in the normal build: each input must end in a
// result or a loom::Error (which the entry point swallows), never anything else.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "entry_points.hpp"

namespace {

std::vector<std::filesystem::path> files_in(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  if (!std::filesystem::is_directory(dir)) return out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file()) out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

class Replay : public ::testing::TestWithParam<loom::fuzz::Target> {};

TEST_P(Replay, EveryCorpusAndRegressionInput) {
  const loom::fuzz::Target target = GetParam();
  const std::filesystem::path root(LOOM_FUZZ_DIR);
  const auto corpus = files_in(root / "corpus" / target.name);
  EXPECT_FALSE(corpus.empty()) << "no seed corpus for " << target.name;
  std::vector<std::filesystem::path> inputs = corpus;
  const auto regressions = files_in(root / "regressions" / target.name);
  inputs.insert(inputs.end(), regressions.begin(), regressions.end());
  for (const auto& path : inputs) {
    std::ifstream in(path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    try {
      target.run(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    } catch (const std::exception& e) {
      ADD_FAILURE() << path << ": escaped " << typeid(e).name() << ": " << e.what();
    } catch (...) {
      ADD_FAILURE() << path << ": escaped a non-standard exception";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Fuzz, Replay, ::testing::ValuesIn(loom::fuzz::targets()),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
