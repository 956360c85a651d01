#pragma once
// Small CSV files for the dataframe examples: written once into the working folder, with a
// deterministic generator, so that each example can check its result against a plain loop.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>

namespace loom::examples {

/// category (a..e), value (some missing, some negative), date (10 days), target; `rows` rows.
inline std::string write_sales_csv(const std::filesystem::path& path, std::int64_t rows,
                                   std::uint64_t seed = 1) {
  std::filesystem::create_directories(path.parent_path().empty() ? "." : path.parent_path());
  std::ofstream out(path);
  out << "category,value,date,target\n";
  std::uint64_t s = seed;
  auto next = [&s] {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return s >> 33;
  };
  for (std::int64_t i = 0; i < rows; ++i) {
    const char category = static_cast<char>('a' + next() % 5);
    const std::uint64_t v = next() % 4000;
    const std::string value =
        next() % 20 == 0 ? "" : fmt::format("{:.2f}", (static_cast<double>(v) - 1000.0) / 10.0);
    out << category << ',' << value << ",2024-01-" << fmt::format("{:02}", 1 + next() % 10) << ','
        << fmt::format("{:.3f}", static_cast<double>(next() % 1000) / 100.0 - 1.0) << '\n';
  }
  return path.string();
}

}  // namespace loom::examples
