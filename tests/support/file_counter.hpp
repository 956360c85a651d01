#pragma once
// Counters kept in files of the test's scratch folder: worker processes share no memory with the
// test, so attempts made in them are counted on disk. Test-only.

#include <fstream>
#include <string>

#include "../scratch_folder.hpp"

namespace loom::test {

/// Adds one to the counter `name` and returns the new count.
inline int bump(const std::string& name) {
  const auto path = scratch_folder() / name;
  int n = 0;
  {
    std::ifstream in(path);
    in >> n;
  }
  std::ofstream(path) << n + 1;
  return n + 1;
}

/// The counter `name` (0 before its first bump).
inline int count_of(const std::string& name) {
  std::ifstream in(scratch_folder() / name);
  int n = 0;
  in >> n;
  return n;
}

}  // namespace loom::test
