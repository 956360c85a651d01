// The object store: zero-copy gets, immutability, reference counting, spilling and restoring.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "../scratch_folder.hpp"
#include "../support/expect_error.hpp"

#include "loom/remote.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

loom::NDArray<double> ramp(std::int64_t n, double offset) {
  auto a = loom::NDArray<double>::uninitialized(loom::Shape{n});
  double* d = a.mutable_data();
  for (std::int64_t i = 0; i < n; ++i) d[i] = offset + static_cast<double>(i);
  return a;
}

fs::path spill_base(const std::string& name) {
  return loom::test::scratch_folder() / "store" / name;
}

std::size_t files_in(const fs::path& folder) {
  std::size_t n = 0;
  if (!fs::exists(folder)) return 0;
  for (const auto& e : fs::recursive_directory_iterator(folder)) n += e.is_regular_file() ? 1 : 0;
  return n;
}

class Store : public ::testing::Test {
 protected:
  void SetUp() override { loom::init({.num_cpus = 2}); }
  void TearDown() override { loom::shutdown(); }
};

TEST_F(Store, GetSharesTheStoredArrayReadOnly) {
  auto ref = loom::put(ramp(1000, 0));
  auto a = loom::get(ref);
  auto b = loom::get(ref);
  EXPECT_EQ(a.data(), b.data());
  EXPECT_FALSE(a.writeable());
  EXPECT_THROW((void)a.mutable_data(), loom::Error);
  auto mine = a.copy();
  EXPECT_TRUE(mine.writeable());
  mine.mut(0) = 42;
  EXPECT_EQ(loom::get(ref)(0), 0.0);
  auto p = loom::get_ptr(ref);
  EXPECT_EQ(p->data(), a.data());
}

TEST_F(Store, PutMovesASoleOwnerAndCopiesOtherwise) {
  auto sole = ramp(100, 1);
  const double* sole_data = sole.data();
  auto moved = loom::put(std::move(sole));
  const auto stored = loom::get(moved);
  EXPECT_EQ(stored.data(), sole_data);

  auto shared = ramp(100, 1);
  auto ref = loom::put(shared);  // an lvalue: the caller keeps writing it
  shared.mut(0) = -1;
  EXPECT_EQ(loom::get(ref)(0), 1.0);
  auto view = shared;  // another owner of the buffer
  auto ref2 = loom::put(std::move(shared));
  view.mut(1) = -1;
  EXPECT_EQ(loom::get(ref2)(1), 2.0);
}

TEST_F(Store, TasksReadTheStoredObjectWithoutCopies) {
  auto big = loom::put(ramp(1'000'000, 0));
  const auto stored_array = loom::get(big);
  const double* stored = stored_array.data();
  auto mean =
      loom::task([](const loom::NDArray<double>& a) { return std::pair(a.mean(), a.data()); });
  std::vector<loom::ObjectRef<std::pair<double, const double*>>> fs;
  for (int i = 0; i < 10; ++i) fs.push_back(mean.remote(big));
  for (const auto& [m, data] : loom::get(fs)) {
    EXPECT_DOUBLE_EQ(m, 499999.5);
    EXPECT_EQ(data, stored);
  }
}

TEST_F(Store, ObjectsAreFreedWithTheirLastRef) {
  const auto before = loom::object_store_stats();
  {
    auto a = loom::put(ramp(1000, 0));
    auto b = a;
    EXPECT_EQ(loom::object_store_stats().objects_alive, before.objects_alive + 1);
    EXPECT_GE(loom::object_store_stats().bytes_in_memory, before.bytes_in_memory + 8000);
  }
  EXPECT_EQ(loom::object_store_stats().objects_alive, before.objects_alive);
  EXPECT_EQ(loom::object_store_stats().bytes_in_memory, before.bytes_in_memory);

  // A pending task keeps its argument alive after the caller dropped every ref.
  std::atomic<bool> release{false};
  auto sum = loom::task([&release](const loom::NDArray<double>& a) {
    while (!release.load()) std::this_thread::sleep_for(1ms);
    return a.sum();
  });
  loom::ObjectRef<double> total;
  {
    auto arg = loom::put(ramp(1000, 0));
    total = sum.remote(arg);
  }
  EXPECT_EQ(loom::object_store_stats().objects_alive, before.objects_alive + 2);
  release = true;
  EXPECT_DOUBLE_EQ(loom::get(total), 499500.0);
  total = {};
  EXPECT_EQ(loom::object_store_stats().objects_alive, before.objects_alive);
}

TEST(StoreSpill, SpillsBeyondTheLimitAndRestoresIdenticalData) {
  const fs::path base = spill_base("spill");
  // 8 MB limit; spilling starts at the default target, 60% of it.
  loom::init({.num_cpus = 2, .object_store_memory = 8 << 20, .spill_dir = base.string()});
  constexpr std::int64_t kElements = 256 * 1024;  // 2 MiB each
  std::vector<loom::ObjectRef<loom::NDArray<double>>> arrays;
  std::vector<loom::ObjectRef<std::vector<double>>> vectors;
  for (int i = 0; i < 6; ++i) arrays.push_back(loom::put(ramp(kElements, i)));
  for (int i = 0; i < 3; ++i) {
    std::vector<double> v(kElements);
    std::iota(v.begin(), v.end(), 1000.0 * i);
    vectors.push_back(loom::put(std::move(v)));
  }
  auto stats = loom::object_store_stats();
  EXPECT_GT(stats.spill_count, 0);
  EXPECT_GT(stats.bytes_spilled, 0);
  EXPECT_LE(stats.bytes_in_memory, (8 << 20) * 6 / 10 + 64 * 1024);
  EXPECT_GT(files_in(base), 0U);

  for (int i = 0; i < 6; ++i) {
    auto a = loom::get(arrays[i]);
    ASSERT_EQ(a.size(), kElements);
    for (std::int64_t k = 0; k < kElements; k += 4099) ASSERT_EQ(a(k), i + static_cast<double>(k));
    EXPECT_EQ(a(kElements - 1), i + static_cast<double>(kElements - 1));
  }
  for (int i = 0; i < 3; ++i) {
    auto v = loom::get(vectors[i]);
    ASSERT_EQ(v.size(), static_cast<std::size_t>(kElements));
    EXPECT_EQ(v[12345], 1000.0 * i + 12345);
  }
  stats = loom::object_store_stats();
  EXPECT_GT(stats.restore_count, 0);

  // A task reads a spilled argument too.
  auto sum = loom::task([](const loom::NDArray<double>& a) { return a.sum(); });
  EXPECT_DOUBLE_EQ(loom::get(sum.remote(arrays[0])), ramp(kElements, 0).sum());

  arrays.clear();
  vectors.clear();
  EXPECT_EQ(loom::object_store_stats().bytes_spilled, 0);
  EXPECT_EQ(files_in(base), 0U);
  loom::shutdown();
  EXPECT_TRUE(!fs::exists(base) || fs::is_empty(base));
  fs::remove_all(base.parent_path());
}

TEST(StoreSpill, ObjectsInUseDoNotSpill) {
  const fs::path base = spill_base("in-use");
  loom::init({.num_cpus = 2, .object_store_memory = 4 << 20, .spill_dir = base.string()});
  auto held = loom::put(ramp(256 * 1024, 0));
  auto view = loom::get(held);  // a zero-copy view holds it in memory
  auto ptr_ref = loom::put(std::vector<double>(256 * 1024, 1.0));
  auto ptr = loom::get_ptr(ptr_ref);
  std::vector<loom::ObjectRef<loom::NDArray<double>>> more;
  for (int i = 0; i < 4; ++i) more.push_back(loom::put(ramp(256 * 1024, i)));
  EXPECT_GT(loom::object_store_stats().spill_count, 0);
  EXPECT_EQ(view(5), 5.0);
  EXPECT_EQ((*ptr)[5], 1.0);
  const auto again = loom::get(held);
  EXPECT_EQ(again.data(), view.data());  // never left memory
  EXPECT_EQ(loom::get_ptr(ptr_ref).get(), ptr.get());
  loom::shutdown();
  fs::remove_all(base.parent_path());
}

TEST(StoreSpill, UnwritableSpillDirIsAConfigError) {
  const fs::path file = spill_base("a-file");
  fs::create_directories(file.parent_path());
  std::ofstream(file) << "not a folder";
  EXPECT_THROW(loom::init({.spill_dir = (file / "spill").string()}), loom::ConfigError);
  EXPECT_FALSE(loom::is_initialized());
  fs::remove(file);
}

TEST(StoreSpill, ThresholdOffMeansNoSpilling) {
  loom::config::Scope off({{"worker.memory.target", "false"}, {"worker.memory.spill", "false"}});
  loom::init({.num_cpus = 1, .object_store_memory = 1 << 20});
  std::vector<loom::ObjectRef<loom::NDArray<double>>> refs;
  for (int i = 0; i < 4; ++i) refs.push_back(loom::put(ramp(256 * 1024, i)));
  EXPECT_EQ(loom::object_store_stats().spill_count, 0);
  loom::shutdown();
}

TEST(StoreSpill, UnreadableSpillFileIsObjectLost) {
  const fs::path base = spill_base("corrupt");
  loom::init({.num_cpus = 1, .object_store_memory = 5 << 20, .spill_dir = base.string()});
  auto first = loom::put(ramp(256 * 1024, 0));
  auto second = loom::put(ramp(256 * 1024, 1));  // pushes `first` out
  ASSERT_EQ(loom::object_store_stats().spill_count, 1);
  for (const auto& e : fs::recursive_directory_iterator(base)) {
    if (e.is_regular_file()) fs::resize_file(e.path(), 100);
  }
  EXPECT_ERROR_CONTAINS((void)loom::get(first), loom::ObjectLost, "spilled to");
  EXPECT_EQ(loom::get(second)(3), 4.0);
  loom::shutdown();
  fs::remove_all(base.parent_path());
}

TEST(StoreSpill, SpilledObjectsOutliveShutdown) {
  const fs::path base = spill_base("after");
  loom::init({.num_cpus = 1, .object_store_memory = 5 << 20, .spill_dir = base.string()});
  auto first = loom::put(ramp(256 * 1024, 0));
  auto second = loom::put(ramp(256 * 1024, 1));
  ASSERT_EQ(loom::object_store_stats().spill_count, 1);
  loom::shutdown();
  EXPECT_EQ(loom::get(first)(7), 7.0);  // still readable: no data lost
  first = {};
  second = {};
  EXPECT_EQ(files_in(base), 0U);
  fs::remove_all(base.parent_path());
}

}  // namespace
