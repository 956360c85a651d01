#pragma once
// What several benchmark programs share: the data folder and memory counters.

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace loom::bench {

/// -DLOOM_BENCH_SMALL=ON shrinks every size tenfold (a quick smoke run).
#ifdef LOOM_BENCH_SMALL
constexpr std::int64_t kScale = 10;
#else
constexpr std::int64_t kScale = 1;
#endif

/// LOOM_BENCH_DATA, else build/bench-data in the source tree; created on demand.
inline std::filesystem::path data_dir() {
  const char* env = std::getenv("LOOM_BENCH_DATA");
  std::filesystem::path dir = env != nullptr && *env != '\0' ? env : LOOM_BENCH_DEFAULT_DATA;
  std::filesystem::create_directories(dir);
  return dir;
}

/// A field of a /proc file in kB ("VmHWM" of /proc/self/status, "Pss" of smaps_rollup).
inline std::int64_t proc_kb(const std::string& file, const std::string& field) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stoll(line.substr(field.size() + 1));
  }
  return 0;
}

/// Resets this process's peak RSS (VmHWM) to its current RSS.
inline void reset_peak_rss() { std::ofstream("/proc/self/clear_refs") << "5"; }
inline double peak_rss_mb() {
  return static_cast<double>(proc_kb("/proc/self/status", "VmHWM")) / 1024.0;
}
inline double own_pss_mb() {
  return static_cast<double>(proc_kb("/proc/self/smaps_rollup", "Pss")) / 1024.0;
}

}  // namespace loom::bench
