// The processes backend and arrays on disk: a mapped argument stays one shared mapping in the
// workers, and large NDArray results come back through mapped files in a temporary folder that
// is removed when the run ends (also on error).
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../scratch_folder.hpp"
#include "../support/expect_error.hpp"

#include "loom/loom.hpp"

namespace {

namespace fs = std::filesystem;

fs::path test_dir(const std::string& name) {
  auto dir = loom::test::scratch_folder() / "procmap" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::size_t entries_in(const fs::path& dir) {
  return static_cast<std::size_t>(
      std::distance(fs::recursive_directory_iterator(dir), fs::recursive_directory_iterator{}));
}

// A field of /proc/self/smaps_rollup or /proc/self/status, in kB (-1 when absent).
std::int64_t proc_kb(const char* file, const std::string& field) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stoll(line.substr(field.size() + 1));
  }
  return -1;
}

std::vector<int> iota(int n) {
  std::vector<int> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), 0);
  return v;
}

// 2 MB per result: above the default max_nbytes (1 MB).
loom::NDArray<double> big_result(int x) {
  return loom::random::rand({512, 512}, static_cast<std::uint64_t>(x) + 1);
}

void expect_equal(const loom::NDArray<double>& got, const loom::NDArray<double>& want) {
  ASSERT_EQ(got.shape(), want.shape());
  EXPECT_TRUE(std::equal(got.data(), got.data() + got.size(), want.data()));
}

TEST(ProcessesArrays, LargeResultsComeBackMappedAndTheFolderIsRemoved) {
  const fs::path tmp = test_dir("large-results");
  const loom::config::Scope scope({{"temporary-directory", tmp.string()}});
  for (const char* mode : {"r", "c", "r+"}) {
    std::vector<loom::NDArray<double>> r = loom::Parallel(
        {.n_jobs = 2, .backend = "processes", .mmap_mode = mode})(iota(6), big_result);
    ASSERT_EQ(r.size(), 6U);
    for (int x = 0; x < 6; ++x) {
      expect_equal(r[x], big_result(x));
      // A mapped result: read-only under joblib's default "r", writeable under "c" and "r+".
      EXPECT_EQ(r[x].writeable(), std::string(mode) != "r") << mode;
    }
    if (std::string(mode) == "r") EXPECT_THROW((void)r[0].mutable_data(), loom::Error);
    if (std::string(mode) == "c") {
      r[0].mut(0, 0) = -1.0;  // private to this array
      EXPECT_EQ(r[0](0, 0), -1.0);
    }
    EXPECT_EQ(entries_in(tmp), 0U) << "the results folder is left behind (" << mode << ")";
  }
}

TEST(ProcessesArrays, ResultsUnderMaxNbytesStayInMemory) {
  const fs::path tmp = test_dir("threshold");
  const loom::config::Scope scope({{"temporary-directory", tmp.string()}});
  // 2 MB results under a 4 MB threshold travel through the socket: owned, writeable.
  std::vector<loom::NDArray<double>> r = loom::Parallel(
      {.n_jobs = 2, .backend = "processes", .max_nbytes = 4 << 20})(iota(3), big_result);
  for (int x = 0; x < 3; ++x) {
    expect_equal(r[x], big_result(x));
    EXPECT_TRUE(r[x].writeable());
  }
  EXPECT_EQ(entries_in(tmp), 0U);
}

TEST(ProcessesArrays, ArraysNestedInResultsTakeTheSamePath) {
  const fs::path tmp = test_dir("nested");
  const loom::config::Scope scope({{"temporary-directory", tmp.string()}});
  std::vector<std::vector<loom::NDArray<double>>> nested = loom::Parallel(
      {.n_jobs = 2, .backend = "processes"})(iota(3), [](int x) {
    return std::vector<loom::NDArray<double>>{big_result(x), loom::NDArray<double>::full({2}, x)};
  });
  for (int x = 0; x < 3; ++x) {
    expect_equal(nested[x][0], big_result(x));
    EXPECT_FALSE(nested[x][0].writeable());
    EXPECT_TRUE(nested[x][1].writeable());
    EXPECT_EQ(nested[x][1](1), x);
  }
  EXPECT_EQ(entries_in(tmp), 0U);
}

TEST(ProcessesArrays, TheFolderIsRemovedOnError) {
  const fs::path tmp = test_dir("on-error");
  const loom::config::Scope scope({{"temporary-directory", tmp.string()}});
  EXPECT_THROW((void)loom::Parallel({.n_jobs = 2, .backend = "processes", .batch_size = 1})(
                   iota(8),
                   [](int x) {
                     if (x == 5) throw std::runtime_error("five");
                     return big_result(x);
                   }),
               loom::TaskError);
  EXPECT_EQ(entries_in(tmp), 0U);
}

TEST(ProcessesArrays, TheFolderIsRemovedWhenAGeneratorStopsEarly) {
  const fs::path tmp = test_dir("generator");
  const loom::config::Scope scope({{"temporary-directory", tmp.string()}});
  {
    auto gen = loom::Parallel(
        {.n_jobs = 2, .backend = "processes", .return_as = loom::ReturnAs::generator})(iota(6),
                                                                                       big_result);
    int x = 0;
    for (auto& a : gen) {
      expect_equal(a, big_result(x++));
      if (x == 2) break;  // the consumer stops early
    }
  }
  EXPECT_EQ(entries_in(tmp), 0U);
}

TEST(ProcessesArrays, LoomTempFolderIsUsedWhenTheConfigIsUnset) {
  const fs::path tmp = test_dir("env");
  ::setenv("LOOM_TEMP_FOLDER", tmp.c_str(), 1);
  // The folder exists while the workers run: a call sees it beside its own results.
  std::vector<int> seen = loom::Parallel({.n_jobs = 2, .backend = "processes"})(
      iota(2), [&tmp](int) { return static_cast<int>(entries_in(tmp)); });
  ::unsetenv("LOOM_TEMP_FOLDER");
  for (int s : seen) EXPECT_GE(s, 1);
  EXPECT_EQ(entries_in(tmp), 0U);
}

TEST(ProcessesArrays, AnUnwritableTempFolderIsAnErrorNamingIt) {
  const loom::config::Scope scope({{"temporary-directory", "/proc/loom-no-such-folder"}});
  EXPECT_ERROR_CONTAINS(
      (void)loom::Parallel({.n_jobs = 2, .backend = "processes"})(iota(2), big_result), loom::Error,
      "/proc/loom-no-such-folder");
}

TEST(ProcessesArrays, FileReferencesAreRefusedOutsideAWorkerExchange) {
  // Bytes that name a result file do not make deserialize open files elsewhere.
  std::string bytes = loom::serialize(std::vector<std::int64_t>{-1});
  bytes += loom::serialize(std::string("passwd"));
  EXPECT_THROW((void)loom::deserialize<loom::NDArray<double>>(bytes), loom::Error);
}

struct Report {
  double sum = 0;
  std::int64_t pid = 0, pss_kb = 0, anon_kb = 0;
  template <class A>
  void serialize(A& a) {
    a(sum, pid, pss_kb, anon_kb);
  }
};

// joblib's memmap pattern at 200 MB: workers read slices of one shared mapping, so each
// worker's proportional set size stays near the slices it read, and nothing is copied.
TEST(ProcessesArrays, WorkersShareOneMappingOfA200MBArray) {
#if defined(__SANITIZE_THREAD__)
  // ThreadSanitizer gives every page a program touches anonymous shadow memory (several times
  // its size), so the worker's private memory says nothing about copies under it.
  GTEST_SKIP() << "memory accounting is meaningless under ThreadSanitizer's shadow memory";
#endif
  const fs::path dir = test_dir("shared-200mb");
  constexpr std::int64_t kRows = 800;
  constexpr std::int64_t kCols = 32768;  // 800 x 32768 doubles = 200 MiB
  constexpr int kSlices = 8;
  constexpr std::int64_t kSliceRows = kRows / kSlices;
  {
    auto w = loom::open_memmap<double>(dir / "big.npy", {kRows, kCols});
    double* p = w.mutable_data();
    for (std::int64_t i = 0; i < w.size(); ++i) p[i] = static_cast<double>(i % 1000) * 0.5;
  }
  const auto big = loom::load_npy<double>(dir / "big.npy", {.mmap_mode = "r"});
  const std::int64_t slice_kb = kSliceRows * kCols * 8 / 1024;

  // A worker starts with the parent's anonymous pages (shared through fork, but counted in its
  // RssAnon too: under ASan, tens of MB of the allocator's quarantine).
  const std::int64_t parent_anon_kb = proc_kb("/proc/self/status", "RssAnon");
  std::vector<Report> reports =
      loom::Parallel({.n_jobs = 2, .backend = "processes"})(iota(kSlices), [&big](int s) {
        const auto part = big.slice(s * kSliceRows, (s + 1) * kSliceRows);
        Report r;
        r.sum = part.sum();
        r.pid = ::getpid();
        r.pss_kb = proc_kb("/proc/self/smaps_rollup", "Pss");
        r.anon_kb = proc_kb("/proc/self/status", "RssAnon");
        return r;
      });

  std::map<std::int64_t, std::int64_t> calls_per_worker;
  for (int s = 0; s < kSlices; ++s) {
    const auto part = big.slice(s * kSliceRows, (s + 1) * kSliceRows);
    EXPECT_DOUBLE_EQ(reports[s].sum, part.sum()) << "slice " << s;
    EXPECT_NE(reports[s].pid, ::getpid());
    ++calls_per_worker[reports[s].pid];
  }
  for (const auto& r : reports) {
    // Nothing of the array was copied into the worker's private memory.
    EXPECT_LT(r.anon_kb, parent_anon_kb + slice_kb)
        << "worker " << r.pid << " holds " << r.anon_kb << " kB anon (the parent " << parent_anon_kb
        << ")";
    // Its share of resident pages is at most the slices it read (plus the program itself).
    EXPECT_LE(r.pss_kb, calls_per_worker[r.pid] * slice_kb + 40 * 1024)
        << "worker " << r.pid << " read " << calls_per_worker[r.pid] << " slices";
  }
  fs::remove_all(dir);
}

}  // namespace
