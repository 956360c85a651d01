// loom::Memory: hits and misses, versions, corrupt entries, concurrent writers, size limits.
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "../scratch_folder.hpp"
#include "../support/expect_error.hpp"

#include "loom/loom.hpp"

namespace {

namespace fs = std::filesystem;

fs::path cache_dir(const std::string& name) {
  auto dir = loom::test::scratch_folder() / "memory" / name;
  fs::remove_all(dir);
  return dir;
}

std::vector<fs::path> entries(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.path().extension() == ".loom") out.push_back(e.path());
  }
  return out;
}

TEST(Memory, SecondCallIsServedFromDisk) {
  std::atomic<int> calls{0};
  const auto dir = cache_dir("hits");
  loom::Memory memory(dir);
  auto cached = memory.cache("square", [&](double x) {
    ++calls;
    return x * x;
  });
  EXPECT_FALSE(cached.check_call_in_cache(10.0));
  EXPECT_EQ(cached(10.0), 100.0);
  EXPECT_TRUE(cached.check_call_in_cache(10.0));
  EXPECT_EQ(cached(10.0), 100.0);
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(cached(3.0), 9.0);
  EXPECT_EQ(calls.load(), 2);
  // A new Memory on the same folder sees the entries (they are on disk).
  loom::Memory again(dir);
  auto cached2 = again.cache("square", [&](double x) {
    ++calls;
    return x * x;
  });
  EXPECT_EQ(cached2(10.0), 100.0);
  EXPECT_EQ(calls.load(), 2);
}

TEST(Memory, EveryArgumentAndEveryByteOfALargeArrayIsInTheKey) {
  std::atomic<int> calls{0};
  loom::Memory memory(cache_dir("large-args"));
  auto cached = memory.cache("total", [&](const loom::NDArray<double>& a, int scale) {
    ++calls;
    return a.sum() * scale;
  });
  auto a = loom::random::rand({1000, 1250}, 7);  // 10 MB
  const double expected = a.sum();
  EXPECT_EQ(cached(a, 1), expected);
  EXPECT_EQ(cached(a, 1), expected);
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(cached(a, 2), 2 * expected);  // the second argument counts
  EXPECT_EQ(calls.load(), 2);
  auto b = a.copy();
  b.mutable_data()[b.size() - 1] += 1.0;  // the last byte counts
  EXPECT_EQ(cached(b, 1), b.sum());
  EXPECT_EQ(calls.load(), 3);
  EXPECT_EQ(cached(a.copy(), 1), expected);  // equal contents, another buffer: a hit
  EXPECT_EQ(calls.load(), 3);
  // The shape is part of the key, not only the bytes.
  auto same_bytes =
      loom::NDArray<double>(loom::Shape{1250, 1000}, std::span<const double>(a.data(), a.size()));
  EXPECT_EQ(cached(same_bytes, 1), expected);
  EXPECT_EQ(calls.load(), 4);
}

TEST(Memory, ACachedFunctionKeepsWorkingAfterClear) {
  std::atomic<int> calls{0};
  loom::Memory memory(cache_dir("after-clear"));
  auto cached = memory.cache("inc", [&](int x) {
    ++calls;
    return x + 1;
  });
  EXPECT_EQ(cached(1), 2);
  memory.clear();
  EXPECT_EQ(cached(1), 2);  // recomputed and stored again, no CacheError
  EXPECT_EQ(cached(1), 2);
  EXPECT_EQ(calls.load(), 2);
  cached.clear();
  EXPECT_EQ(cached(1), 2);
  EXPECT_EQ(calls.load(), 3);
}

TEST(Memory, InsideProcessWorkersLargeArraysAreCachedByValue) {
  // Worker processes serialize their results with large arrays as files; a Memory call inside
  // the worker must still key and store the array itself.
  const auto dir = cache_dir("in-workers");
  std::vector<double> sums =
      loom::Parallel({.n_jobs = 2, .backend = "processes"})(std::vector<int>{0, 1}, [&dir](int x) {
        loom::Memory memory(dir);
        auto cached = memory.cache("twice", [](const loom::NDArray<double>& a) {
          auto b = a.copy();
          for (std::int64_t i = 0; i < b.size(); ++i) b.mutable_data()[i] *= 2;
          return b;
        });
        return cached(loom::random::rand({512, 512}, static_cast<std::uint64_t>(x))).sum();
      });
  // Later, in this process: the stored results are the arrays, not links to files of a run
  // that has ended.
  loom::Memory memory(dir);
  auto cached = memory.cache("twice", [](const loom::NDArray<double>&) -> loom::NDArray<double> {
    throw std::runtime_error("should have been a hit");
  });
  for (int x = 0; x < 2; ++x) {
    const auto a = loom::random::rand({512, 512}, static_cast<std::uint64_t>(x));
    EXPECT_DOUBLE_EQ(cached(a).sum(), 2 * a.sum());
    EXPECT_DOUBLE_EQ(sums[static_cast<std::size_t>(x)], 2 * a.sum());
  }
}

TEST(Memory, ANewVersionInvalidatesTheEntries) {
  std::atomic<int> calls{0};
  loom::Memory memory(cache_dir("versions"));
  auto f = [&](int x) {
    ++calls;
    return std::vector<int>(static_cast<std::size_t>(x), x);
  };
  auto cached = memory.cache("vec", f, {.version = "1"});
  (void)cached(3);
  (void)cached(3);
  EXPECT_EQ(calls.load(), 1);
  cached.version("2");
  EXPECT_FALSE(cached.check_call_in_cache(3));
  EXPECT_EQ(cached(3), std::vector<int>(3, 3));
  EXPECT_EQ(calls.load(), 2);
}

TEST(Memory, ClearOfAFunctionInvalidatesItsEntries) {
  std::atomic<int> calls{0};
  loom::Memory memory(cache_dir("clear-function"));
  auto f = [&](int x) {
    ++calls;
    return std::vector<int>(static_cast<std::size_t>(x), x);
  };
  auto cached = memory.cache("vec", f, {.version = "1"});
  (void)cached(3);
  cached.version("2");
  (void)cached(3);  // computed again for the new version: two calls so far
  cached.clear();
  (void)cached(3);
  EXPECT_EQ(calls.load(), 3);
}

TEST(Memory, ClearOfTheMemoryEmptiesItsFolder) {
  loom::Memory memory(cache_dir("clear-memory"));
  auto f = [](int x) { return std::vector<int>(static_cast<std::size_t>(x), x); };
  auto cached = memory.cache("vec", f, {.version = "1"});
  (void)cached(3);
  memory.clear();
  EXPECT_TRUE(entries(memory.location()).empty());
}

TEST(Memory, CorruptEntriesAreRecomputedAndReported) {
  std::atomic<int> calls{0};
  loom::Memory memory(cache_dir("corrupt"), {.verbose = 1});
  auto cached = memory.cache("twice", [&](int x) {
    ++calls;
    return 2 * x;
  });
  EXPECT_EQ(cached(21), 42);
  for (const auto& e : entries(memory.location())) {
    const auto size = fs::file_size(e);
    fs::resize_file(e, size - 2);  // truncated, as by a crash of another writer's disk
  }
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(cached(21), 42);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(calls.load(), 2);
  EXPECT_NE(err.find("corrupt"), std::string::npos) << err;
  EXPECT_EQ(cached(21), 42);
  EXPECT_EQ(calls.load(), 2);  // the recomputed entry is good
}

TEST(Memory, ConcurrentWritersNeverLeaveAHalfEntry) {
  // verbose: a half entry read by another writer would be reported as corrupt (and silently
  // recomputed otherwise), so the report is what this test checks.
  loom::Memory memory(cache_dir("concurrent"), {.verbose = 1});
  testing::internal::CaptureStderr();
  auto cached = memory.cache("big", [](int x) { return std::vector<double>(200000, x); });
  // Threads and forked processes write the same entries at once.
  std::vector<double> sums = loom::Parallel({.n_jobs = 4, .batch_size = std::int64_t{1}})(
      std::vector<int>(16, 7), [&](int x) {
        auto mine = cached;
        auto v = mine(x % 2);
        double s = 0;
        for (double d : v) s += d;
        return s;
      });
  std::vector<double> sums2 =
      loom::Parallel({.n_jobs = 4, .backend = "processes", .batch_size = std::int64_t{1}})(
          std::vector<int>(16, 7), [&](int x) {
            auto mine = cached;
            auto v = mine(x % 3);
            double s = 0;
            for (double d : v) s += d;
            return s;
          });
  const std::string reports = testing::internal::GetCapturedStderr();
  EXPECT_EQ(reports.find("corrupt"), std::string::npos) << reports;
  EXPECT_NE(reports.find("hit"), std::string::npos) << reports;
  for (double s : sums) EXPECT_EQ(s, 200000.0);
  for (double s : sums2) EXPECT_EQ(s, 200000.0);
  for (const auto& e : entries(memory.location())) {
    EXPECT_EQ(e.filename().string().find(".tmp"), std::string::npos) << e;
  }
  EXPECT_EQ(cached(1), std::vector<double>(200000, 1));
}

TEST(Memory, ReduceSizeRemovesTheLeastRecentlyUsed) {
  loom::Memory memory(cache_dir("reduce"));
  auto cached =
      memory.cache("blob", [](int x) { return std::string(10000, static_cast<char>('a' + x)); });
  for (int x = 0; x < 5; ++x) {
    (void)cached(x);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  (void)cached(0);  // used again: now the most recent
  memory.reduce_size({.bytes_limit = 25000});
  EXPECT_TRUE(cached.check_call_in_cache(0));
  EXPECT_TRUE(cached.check_call_in_cache(4));
  EXPECT_FALSE(cached.check_call_in_cache(1));
  EXPECT_FALSE(cached.check_call_in_cache(2));
  memory.reduce_size({.bytes_limit = 0});
  EXPECT_TRUE(entries(memory.location()).empty());
}

TEST(Memory, UnwritableFolderIsACacheErrorNamingIt) {
  const auto file = cache_dir("not-a-folder");
  fs::create_directories(file.parent_path());
  std::ofstream(file) << "x";
  EXPECT_ERROR_CONTAINS(loom::Memory memory(file / "cache"), loom::CacheError, "not-a-folder");
}

}  // namespace
