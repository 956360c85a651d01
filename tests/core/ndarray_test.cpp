// NDArray: construction, reading, explicit writes, views, and the counter-based generator.
#include <memory>
#include <numeric>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "loom/core/error.hpp"
#include "loom/core/ndarray.hpp"
#include "loom/core/random.hpp"

namespace {

TEST(NDArray, ConstructionFromAShapeGivesAlignedZeros) {
  std::size_t n = 3;
  loom::NDArray<double> z({n, 5});
  EXPECT_EQ(z.shape(), (loom::Shape{3, 5}));
  EXPECT_EQ(z.ndim(), 2U);
  EXPECT_EQ(z.size(), 15);
  EXPECT_EQ(z.nbytes(), 120U);
  EXPECT_EQ(z.sum(), 0.0);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(z.data()) % 64, 0U);
}

TEST(NDArray, FullFillsEveryElement) {
  auto f = loom::NDArray<int>::full({2, 2}, 7);
  EXPECT_EQ(f.sum(), 28);
}

TEST(NDArray, ConstructionFromValuesFillsInRowMajorOrder) {
  std::vector<float> v = {1, 2, 3, 4, 5, 6};
  loom::NDArray<float> a({2, 3}, v);
  EXPECT_EQ(a(1, 2), 6.0F);
  EXPECT_EQ(a.at(0, 1), 2.0F);
  EXPECT_DOUBLE_EQ(a.mean(), 3.5);
}

TEST(NDArray, ValuesOfAnotherSizeOrANegativeExtentAreShapeErrors) {
  std::vector<float> v = {1, 2, 3, 4, 5, 6};
  EXPECT_THROW(loom::NDArray<float>({4, 4}, v), loom::ShapeError);
  EXPECT_THROW(loom::NDArray<float>({-1, 4}), loom::ShapeError);
}

TEST(NDArray, ItemNeedsAZeroDimensionalArray) {
  loom::NDArray<double> scalar(loom::Shape{});
  EXPECT_EQ(scalar.ndim(), 0U);
  EXPECT_EQ(scalar.item(), 0.0);
  std::vector<float> v = {1, 2, 3, 4, 5, 6};
  loom::NDArray<float> a({2, 3}, v);
  EXPECT_THROW((void)a.item(), loom::ShapeError);
}

TEST(NDArray, AtChecksBoundsLikeVector) {
  loom::NDArray<int> a({2, 3});
  EXPECT_THROW((void)a.at(2, 0), std::out_of_range);
  EXPECT_THROW((void)a.at(0, -1), std::out_of_range);
  EXPECT_THROW((void)a.at(0), std::out_of_range);  // wrong number of indices
}

TEST(NDArray, CopiesShareStorage) {
  loom::NDArray<int> a(loom::Shape{4});
  auto b = a;
  b.mut(2) = 9;
  EXPECT_EQ(a(2), 9);
}

TEST(NDArray, CopyIsADeepWriteableArray) {
  loom::NDArray<int> a(loom::Shape{4});
  auto b = a;
  b.mut(2) = 9;
  auto c = a.copy();
  c.mut(2) = 1;
  EXPECT_EQ(a(2), 9);
  EXPECT_TRUE(c.writeable());
}

TEST(NDArray, ReadOnlyArraysRefuseWritesWithAnError) {
  loom::NDArray<double> a({3, 3});
  auto r = a.read_only();
  EXPECT_FALSE(r.writeable());
  EXPECT_EQ(r(1, 1), 0.0);
  EXPECT_THROW((void)r.mutable_data(), loom::Error);
  EXPECT_THROW((void)r.mut(0, 0), loom::Error);
  EXPECT_THROW((void)r.mutable_matrix(), loom::Error);
  EXPECT_EQ(r.matrix().rows(), 3);
}

TEST(NDArray, SliceSharesRowsAlongAxisZero) {
  std::vector<int> v(12);
  std::iota(v.begin(), v.end(), 0);
  loom::NDArray<int> a({4, 3}, v);
  auto s = a.slice(1, 3);
  EXPECT_EQ(s.shape(), (loom::Shape{2, 3}));
  EXPECT_EQ(s(0, 0), 3);
  EXPECT_EQ(s(1, 2), 8);
  s.mut(0, 0) = 100;
  EXPECT_EQ(a(1, 0), 100);
  EXPECT_EQ(a.slice(4, 4).size(), 0);
  EXPECT_THROW((void)a.slice(2, 5), loom::ShapeError);
  EXPECT_THROW((void)a.slice(3, 2), loom::ShapeError);
}

TEST(NDArray, EigenViews) {
  std::vector<double> v = {1, 2, 3, 4, 5, 6};
  loom::NDArray<double> a({2, 3}, v);
  EXPECT_EQ(a.matrix()(1, 0), 4.0);
  EXPECT_DOUBLE_EQ(a.vector().sum(), 21.0);
  a.mutable_matrix()(0, 0) = 10;
  EXPECT_EQ(a(0, 0), 10.0);
  const loom::NDArray<double> cube({2, 2, 2});
  EXPECT_THROW((void)cube.matrix(), loom::ShapeError);
}

TEST(Random, ValuesDependOnlyOnSeedAndPosition) {
  auto a = loom::random::rand({100, 10}, 7);
  auto b = loom::random::rand({1000}, 7);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(a.data()[i], b.data()[i]);
  auto c = loom::random::rand({1000}, 8);
  EXPECT_NE(c(0), b(0));
}

TEST(Random, RandIsUniformOnTheUnitInterval) {
  auto b = loom::random::rand({1000}, 7);
  double lo = 1;
  double hi = 0;
  for (int i = 0; i < 1000; ++i) {
    lo = std::min(lo, b(i));
    hi = std::max(hi, b(i));
  }
  EXPECT_GE(lo, 0.0);
  EXPECT_LT(hi, 1.0);
  EXPECT_NEAR(loom::random::rand({100000}, 1).mean(), 0.5, 0.01);
}

TEST(Random, RandnIsStandardNormal) {
  auto n = loom::random::randn({100000}, 3);
  EXPECT_NEAR(n.mean(), 0.0, 0.02);
  double var = 0;
  for (int i = 0; i < 100000; ++i) var += n(i) * n(i);
  EXPECT_NEAR(var / 100000, 1.0, 0.03);
}

// Views of storage loom manages are made by loom only (detail::NDArrayAccess): a user can
// neither wrap a buffer nor see the one under an array; copies share it all the same.
template <class A>
concept ViewsBuffers =
    std::is_constructible_v<A, std::shared_ptr<loom::detail::Buffer>, double*, loom::Shape, bool> ||
    requires(const A& a) { a.buffer(); };
TEST(NDArray, StorageIsReachedOnlyThroughTheAccessDoor) {
  static_assert(!ViewsBuffers<loom::NDArray<double>>);
  const auto a = loom::NDArray<double>::full({4}, 2.0);
  const loom::NDArray<double> b = a;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_EQ(loom::detail::NDArrayAccess::buffer(a), loom::detail::NDArrayAccess::buffer(b));
  const auto view = loom::detail::NDArrayAccess::view(loom::detail::NDArrayAccess::buffer(a),
                                                      const_cast<double*>(a.data()) + 1,  // NOLINT
                                                      loom::Shape{2}, false);
  EXPECT_EQ(view(0), 2.0);
  EXPECT_FALSE(view.writeable());
}

}  // namespace
