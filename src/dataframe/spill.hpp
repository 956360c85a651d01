#pragma once
// Objects written to the files of a shuffle through disk (dataframe.shuffle.method = "disk":
// group-by partials, merge pieces) and read back; a file that is gone or damaged is a
// loom::Error naming it. Private to src/dataframe.

#include <exception>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <cereal/archives/binary.hpp>

#include "loom/core/error.hpp"

namespace loom::dataframe::detail {

template <class T>
void write_object(const T& value, const std::filesystem::path& path, const char* what) {
  std::ofstream out(path, std::ios::binary);
  {
    cereal::BinaryOutputArchive ar(out);
    ar(value);
  }
  out.flush();
  if (!out) throw Error(fmt::format("{}: cannot write to '{}'", what, path.string()));
}

template <class T>
T read_object(const std::filesystem::path& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("{}: the file '{}' is gone", what, path.string()));
  T value;
  try {
    cereal::BinaryInputArchive ar(in);
    ar(value);
  } catch (const std::exception& e) {
    throw Error(fmt::format("{}: '{}' is damaged ({})", what, path.string(), e.what()));
  }
  return value;
}

}  // namespace loom::dataframe::detail
