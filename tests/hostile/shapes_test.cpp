// Shapes, chunk specs and slices against hostile numbers: overflow-checked arithmetic
// (ShapeError naming the shape), bounded chunk lists, and empty arrays that cost nothing per
// block.
#include <cstdint>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "../support/expect_error.hpp"
#include "alloc_watch.hpp"

#include "loom/array.hpp"
#include "loom/core/error.hpp"

namespace da = loom::array;

namespace {

constexpr std::int64_t k2to32 = std::int64_t{1} << 32;

TEST(HostileShapes, ElementCountOverflowIsAShapeErrorNamingTheShape) {
  // Its element count wrapped to 0: the allocation was sized from that, the writes were not.
  EXPECT_ERROR_CONTAINS((void)da::zeros<std::int64_t>({k2to32, k2to32}), loom::ShapeError,
                        "(4294967296, 4294967296)", "int64");
  EXPECT_ERROR_CONTAINS((void)loom::NDArray<double>(loom::Shape{k2to32, k2to32}), loom::ShapeError,
                        "(4294967296, 4294967296)");
  // Elements that fit, bytes that do not.
  EXPECT_ERROR_CONTAINS((void)loom::NDArray<double>(loom::Shape{std::int64_t{1} << 61}),
                        loom::ShapeError, "(2305843009213693952,)", "8-byte elements");
  // An empty array of impossible extents is refused as NumPy refuses it.
  EXPECT_THROW((void)da::zeros<double>({0, k2to32, k2to32}), loom::ShapeError);
}

TEST(HostileShapes, StepsThatMakeImpossibleShapesAreShapeErrors) {
  const auto a = da::zeros<double>({k2to32, 1});
  const auto b = da::zeros<double>({1, k2to32});
  EXPECT_ERROR_CONTAINS((void)(a + b), loom::ShapeError, "(4294967296, 4294967296)");
  // 4 x (2^62 + 4) wraps to 16.
  EXPECT_THROW((void)da::arange<std::int64_t>(16).reshape({4, (std::int64_t{1} << 62) + 4}),
               loom::ShapeError);
  EXPECT_THROW((void)da::arange<double>(0.0, 1e300, 1.0), loom::ShapeError);
  const auto big =
      da::zeros<bool>({std::numeric_limits<std::int64_t>::max() / 2}, {.chunks = {-1}});
  EXPECT_THROW((void)da::concatenate(std::vector<da::Array<bool>>{big, big, big}),
               loom::ShapeError);
}

TEST(HostileShapes, ChunkListsAreBoundedBeforeTheyAreAllocated) {
  loom::test::AllocWatch watch;
  EXPECT_ERROR_CONTAINS((void)da::zeros<double>({std::int64_t{1} << 40}, {.chunks = {1}}),
                        loom::ShapeError, "(1099511627776,)", "blocks");
  EXPECT_ERROR_CONTAINS((void)da::zeros<double>({1 << 13, 1 << 13}, {.chunks = {1, 1}}),
                        loom::ShapeError, "blocks");
  EXPECT_THROW(
      (void)da::zeros<double>({std::int64_t{1} << 40}).rechunk(std::vector<std::int64_t>{1}),
      loom::ShapeError);
  EXPECT_LT(watch.largest(), std::size_t{1} << 20);
  // Explicit chunks whose lengths overflow when added.
  const std::int64_t half = std::numeric_limits<std::int64_t>::max() / 2 + 1;
  EXPECT_THROW(
      (void)da::zeros<bool>({10}).rechunk(std::vector<std::vector<std::int64_t>>{{half, half, 10}}),
      loom::ShapeError);
}

TEST(HostileShapes, EmptyArraysCostNothingPerBlock) {
  const auto r = da::zeros<double>({0}).reshape({0, 1000, 1000, 1000});
  EXPECT_EQ(r.shape(), (loom::Shape{0, 1000, 1000, 1000}));
  EXPECT_EQ(r.npartitions(), 1);
  EXPECT_EQ(r.compute().shape(), (loom::Shape{0, 1000, 1000, 1000}));
  loom::test::AllocWatch watch;
  const auto wide = da::zeros<double>({0}).reshape({0, 1'000'000'000'000});
  EXPECT_EQ(wide.compute().size(), 0);
  EXPECT_EQ(wide.sum().compute_scalar(), 0.0);
  EXPECT_LT(watch.largest(), std::size_t{1} << 20);
  // Explicit chunks of an empty array: blocks exist, compute visits none of them.
  const auto many = da::zeros<double>({0, 1 << 22}, {.chunks = {1, 1}});
  EXPECT_EQ(many.npartitions(), 1 << 22);
  EXPECT_EQ(many.compute().size(), 0);
}

TEST(HostileShapes, HugeSliceStepsTakeOneElementAsNumPy) {
  const auto x = da::arange<std::int64_t>(10);
  const std::int64_t max = std::numeric_limits<std::int64_t>::max();
  const auto a = x(da::slice(0, da::none, max - 2)).compute();  // NumPy: [0]
  ASSERT_EQ(a.shape(), loom::Shape{1});
  EXPECT_EQ(a.data()[0], 0);
  const auto b = x(da::slice(da::none, da::none, -(max - 2))).compute();  // [9]
  ASSERT_EQ(b.shape(), loom::Shape{1});
  EXPECT_EQ(b.data()[0], 9);
  const auto c =
      x(da::slice(da::none, da::none, std::numeric_limits<std::int64_t>::min())).compute();
  ASSERT_EQ(c.shape(), loom::Shape{1});
  EXPECT_EQ(c.data()[0], 9);
  const auto d = x(da::slice(3, da::none, max)).compute();  // [3]
  ASSERT_EQ(d.shape(), loom::Shape{1});
  EXPECT_EQ(d.data()[0], 3);
  EXPECT_EQ(x(da::slice(3, 1, max)).compute().size(), 0);
  // Chunked input: the same, whatever the chunks.
  const auto chunked = da::arange<std::int64_t>(10, {.chunks = {3}});
  const auto e = chunked(da::slice(1, da::none, max - 1)).compute();
  ASSERT_EQ(e.shape(), loom::Shape{1});
  EXPECT_EQ(e.data()[0], 1);
}

}  // namespace
