#pragma once
// Writes a test input file into the test binary's scratch folder and returns its path.

#include <fstream>
#include <string>

#include "../scratch_folder.hpp"

namespace loom::test {

inline std::string write_file(const std::string& name, const std::string& text) {
  const auto path = scratch_folder() / name;
  std::ofstream(path, std::ios::binary) << text;
  return path.string();
}

}  // namespace loom::test
