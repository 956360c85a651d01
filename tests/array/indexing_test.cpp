// Slicing and integer indexing, reshape, concatenate/stack, map_blocks, tensordot, argmin and
// argmax, tree reductions: chunked results against loops on NDArray, on shapes the chunks do
// not divide.
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../support/expect_error.hpp"

#include "loom/array.hpp"
#include "loom/core/executor.hpp"
#include "sample.hpp"

namespace da = loom::array;
using loom::test::sample;

namespace {

std::int64_t flat_of(const loom::Shape& shape, const std::vector<std::int64_t>& pos) {
  std::int64_t flat = 0;
  for (std::size_t a = 0; a < shape.size(); ++a) flat = flat * shape[a] + pos[a];
  return flat;
}

TEST(Slicing, RangesWithStepsAcrossChunks) {
  const loom::Shape shape{1003, 997};
  const auto source = sample<double>(shape);
  const auto x = da::from_array(source, {.chunks = {200, 300}});
  struct Range {
    std::int64_t start, step, length;
  };
  auto check = [&](const da::Array<double>& got_lazy, Range r, Range c) {
    const auto got = got_lazy.compute();
    ASSERT_EQ(got.shape(), (loom::Shape{r.length, c.length}));
    for (std::int64_t i = 0; i < r.length; ++i) {
      for (std::int64_t j = 0; j < c.length; ++j) {
        ASSERT_EQ(got(i, j), source(r.start + r.step * i, c.start + c.step * j)) << i << "," << j;
      }
    }
  };
  const auto lazy_x = x + 0.0;  // the same through a lazy (not in-memory) input
  for (const auto* in : {&x, &lazy_x}) {
    check((*in)(da::slice(5, 900, 3), da::slice(da::none, da::none, -2)), {5, 3, 299},
          {996, -2, 499});
    check((*in)(da::slice(-10, da::none), da::all), {993, 1, 10}, {0, 1, 997});
    check((*in)(da::all, da::slice(1, 2000, 1500)), {0, 1, 1003}, {1, 1500, 1});
    check((*in)(da::slice(da::none, da::none, -1), da::slice(100, 250)), {1002, -1, 1003},
          {100, 1, 150});
    check((*in)(da::slice(5, 5), da::all), {5, 1, 0}, {0, 1, 997});
  }
  // Chunks keep what the slice selects of each input chunk.
  EXPECT_EQ(x(da::slice(0, 250)).chunks().str(), "((200, 50), (300, 300, 300, 97))");
  EXPECT_EQ(x(da::slice(150, 450, 2), da::slice(da::none, da::none, -1)).chunks().str(),
            "((25, 100, 25), (97, 300, 300, 300))");
}

TEST(Slicing, IntegersDropTheirAxes) {
  const loom::Shape shape{7, 8, 9};
  const auto source = sample<std::int32_t>(shape);
  const auto x = da::from_array(source, {.chunks = {3, 3, 4}});
  const auto row = x(2, da::all, -1).compute();  // the last axis fixed: one element per run
  ASSERT_EQ(row.shape(), (loom::Shape{8}));
  for (int j = 0; j < 8; ++j) EXPECT_EQ(row(j), source(2, j, 8));
  EXPECT_EQ(x(6, 7, 8).item(), source(6, 7, 8));
  EXPECT_EQ(x(-1, -1, -1).shape(), loom::Shape{});
}

TEST(Slicing, ListsGatherTheirPositions) {
  const loom::Shape shape{7, 8, 9};
  const auto source = sample<std::int32_t>(shape);
  const auto x = da::from_array(source, {.chunks = {3, 3, 4}});
  const std::vector<std::int64_t> picks{4, 0, 4, -1, 1};
  const auto gathered = x(da::all, picks, da::slice(1, 9, 4)).compute();
  ASSERT_EQ(gathered.shape(), (loom::Shape{7, 5, 2}));
  for (int i = 0; i < 7; ++i) {
    for (int j = 0; j < 5; ++j) {
      const std::int64_t p = picks[static_cast<std::size_t>(j)] < 0 ? 7 : picks[j];
      for (int k = 0; k < 2; ++k) ASSERT_EQ(gathered(i, j, k), source(i, p, 1 + 4 * k));
    }
  }
  // A new chunk each time the positions move to another input chunk: 4 | 0 | 4 | 7 | 1.
  EXPECT_EQ(x(da::all, picks).chunks().axis(1), (std::vector<std::int64_t>{1, 1, 1, 1, 1}));
  EXPECT_EQ(x(std::vector<std::int64_t>{0, 1, 2, 5}).chunks().axis(0),
            (std::vector<std::int64_t>{3, 1}));
}

TEST(Slicing, IndicesOutOfRangeAreIndexErrorsNamingTheAxis) {
  const loom::Shape shape{7, 8, 9};
  const auto source = sample<std::int32_t>(shape);
  const auto x = da::from_array(source, {.chunks = {3, 3, 4}});
  // Errors name the index and the axis.
  EXPECT_THROW((void)x(7), loom::IndexError);
  EXPECT_THROW((void)x(0, 0, 0, 0), loom::IndexError);
  EXPECT_THROW((void)x(da::slice(0, 5, 0)), loom::IndexError);
  EXPECT_THROW((void)x(std::vector<std::int64_t>{0, 9}), loom::IndexError);
  EXPECT_ERROR_CONTAINS((void)x(da::all, -9), loom::IndexError, "axis 1 with size 8");
}

TEST(Slicing, SplitLargeChunksFollowsTheConfig) {
  const auto x = da::from_array(sample<double>(loom::Shape{100, 10}), {.chunks = {10, 10}});
  const std::vector<std::int64_t> zeros(100, 0);  // 100 rows gathered from one chunk
  {
    loom::config::Scope scope{{"array.chunk-size", "1KiB"}};
    const auto split = x(zeros);
    EXPECT_EQ(split.chunks().axis(0).front(), 12);  // 1 KiB / (10 columns * 8 bytes)
    EXPECT_EQ(split.chunks().shape(), (loom::Shape{100, 10}));
    const auto values = split.compute();
    for (int r = 0; r < 100; ++r) ASSERT_EQ(values(r, 3), x.compute()(0, 3));
  }
  loom::config::Scope scope{{"array.chunk-size", "1KiB"},
                            {"array.slicing.split_large_chunks", "false"}};
  EXPECT_EQ(x(zeros).chunks().axis(0), (std::vector<std::int64_t>{100}));
}

TEST(Reshape, RowMajorOrderAnyChunks) {
  const auto source = sample<double>(loom::Shape{1003, 997});
  const auto x = da::from_array(source, {.chunks = {200, 300}});
  for (const std::vector<std::int64_t>& to :
       {std::vector<std::int64_t>{997, 1003}, {-1}, {1003, 1, 997}, {17, 59, -1}}) {
    const auto y = x.reshape(to);
    const auto got = y.compute();
    ASSERT_EQ(got.size(), source.size());
    for (std::int64_t k = 0; k < source.size(); ++k) ASSERT_EQ(got.data()[k], source.data()[k]);
    const auto lazy = (x * 1.0).reshape(to).compute();  // runs spanning input rows, evaluated
    for (std::int64_t k = 0; k < source.size(); ++k) ASSERT_EQ(lazy.data()[k], source.data()[k]);
  }
  // Axes of length 1 coming or going keep the chunks.
  EXPECT_EQ(x.reshape({1003, 1, 997}).chunks().str(),
            "((200, 200, 200, 200, 200, 3), (1,), (300, 300, 300, 97))");
  EXPECT_EQ(x.reshape({1003, 1, 997}).reshape({1003, 997}).chunks(), x.chunks());
  EXPECT_EQ(da::arange<std::int64_t>(6).reshape({2, 3}).compute()(1, 2), 5);
  EXPECT_EQ(da::full<double>({1, 1}, 4.0).reshape({}).item(), 4.0);
  EXPECT_THROW((void)x.reshape({1000, -1}), loom::ShapeError);
  EXPECT_THROW((void)x.reshape({5, 5}), loom::ShapeError);
  EXPECT_THROW((void)x.reshape({-1, -1}), loom::ShapeError);
}

TEST(Join, ConcatenateAlongEveryAxis) {
  const auto a = sample<std::int64_t>(loom::Shape{4, 5, 6}, 1);
  const auto b = sample<std::int64_t>(loom::Shape{4, 5, 6}, 2);
  const auto x = da::from_array(a, {.chunks = {3, 2, 4}});
  const auto y = da::from_array(b, {.chunks = {2, 5, 5}}) + std::int64_t{0};
  for (int axis = 0; axis < 3; ++axis) {
    const auto cat = da::concatenate<std::int64_t>({x, y, x}, axis);
    const auto got = cat.compute();
    std::vector<std::int64_t> extents{4, 5, 6};
    extents[static_cast<std::size_t>(axis)] *= 3;
    ASSERT_EQ(got.shape(), loom::Shape(extents));
    std::vector<std::int64_t> pos(3);
    for (pos[0] = 0; pos[0] < extents[0]; ++pos[0]) {
      for (pos[1] = 0; pos[1] < extents[1]; ++pos[1]) {
        for (pos[2] = 0; pos[2] < extents[2]; ++pos[2]) {
          std::vector<std::int64_t> src = pos;
          const auto which =
              src[static_cast<std::size_t>(axis)] / (extents[static_cast<std::size_t>(axis)] / 3);
          src[static_cast<std::size_t>(axis)] %= extents[static_cast<std::size_t>(axis)] / 3;
          const auto& from = which == 1 ? b : a;
          ASSERT_EQ(got.data()[flat_of(got.shape(), pos)], from.data()[flat_of(a.shape(), src)]);
        }
      }
    }
  }
  EXPECT_EQ(da::concatenate<std::int64_t>({x, y}, 2).chunks().axis(2),
            (std::vector<std::int64_t>{4, 2, 5, 1}));
  EXPECT_THROW((void)da::concatenate<std::int64_t>({x, da::zeros<std::int64_t>({4, 4, 4})}, 1),
               loom::ShapeError);
  EXPECT_THROW((void)da::concatenate<std::int64_t>({}), loom::ShapeError);
  EXPECT_THROW((void)da::concatenate<std::int64_t>({x}, 3), loom::ShapeError);
}

TEST(Join, StackAlongEveryAxis) {
  const auto a = sample<std::int64_t>(loom::Shape{4, 5, 6}, 1);
  const auto b = sample<std::int64_t>(loom::Shape{4, 5, 6}, 2);
  const auto x = da::from_array(a, {.chunks = {3, 2, 4}});
  const auto y = da::from_array(b, {.chunks = {2, 5, 5}}) + std::int64_t{0};
  for (int axis = -4; axis < 4; ++axis) {
    const auto st = da::stack<std::int64_t>({x, y}, axis).compute();
    const std::size_t at = static_cast<std::size_t>(axis < 0 ? axis + 4 : axis);
    ASSERT_EQ(st.shape()[at], 2);
    std::vector<std::int64_t> pos(4, 0);
    for (std::int64_t flat = 0; flat < st.size(); ++flat) {
      std::int64_t rest = flat;
      for (std::size_t d = 4; d-- > 0;) {
        pos[d] = rest % st.shape()[d];
        rest /= st.shape()[d];
      }
      std::vector<std::int64_t> src = pos;
      src.erase(src.begin() + static_cast<std::ptrdiff_t>(at));
      const auto& from = pos[at] == 0 ? a : b;
      ASSERT_EQ(st.data()[flat], from.data()[flat_of(a.shape(), src)]);
    }
  }
  EXPECT_THROW((void)da::stack<std::int64_t>({x, x(da::slice(0, 2))}), loom::ShapeError);
}

TEST(MapBlocks, EachBlockOnceWithItsShape) {
  const auto source = sample<double>(loom::Shape{103, 97});
  const auto x = da::from_array(source, {.chunks = {20, 30}});
  // Each block minus its own mean, as float: depends on the block boundaries.
  const auto y = x.map_blocks([](const loom::NDArray<double>& b) {
    auto out = loom::NDArray<float>::uninitialized(b.shape());
    const double m = b.mean();
    for (std::int64_t k = 0; k < b.size(); ++k) {
      out.mutable_data()[k] = static_cast<float>(b.data()[k] - m);
    }
    return out;
  });
  static_assert(std::is_same_v<decltype(y), const da::Array<float>>);
  const auto got = (y * 2.0F).compute();
  for (std::int64_t r0 = 0; r0 < 103; r0 += 20) {
    for (std::int64_t c0 = 0; c0 < 97; c0 += 30) {
      double m = 0;
      const std::int64_t nr = std::min<std::int64_t>(20, 103 - r0);
      const std::int64_t nc = std::min<std::int64_t>(30, 97 - c0);
      for (std::int64_t r = r0; r < r0 + nr; ++r) {
        for (std::int64_t c = c0; c < c0 + nc; ++c) m += source(r, c);
      }
      m /= static_cast<double>(nr * nc);
      for (std::int64_t r = r0; r < r0 + nr; ++r) {
        for (std::int64_t c = c0; c < c0 + nc; ++c) {
          ASSERT_FLOAT_EQ(got(r, c), static_cast<float>(2 * static_cast<float>(source(r, c) - m)));
        }
      }
    }
  }
  const auto wrong = x.map_blocks(
      [](const loom::NDArray<double>&) { return loom::NDArray<double>(loom::Shape{2}); });
  EXPECT_THROW((void)wrong.compute(), loom::ShapeError);
  const auto throwing = x.map_blocks([](const loom::NDArray<double>& b) {
    if (b.shape()[1] == 7) throw std::runtime_error("bad block");
    return b;
  });
  EXPECT_ERROR((void)throwing.sum().compute(), loom::TaskError, [](const loom::TaskError& e) {
    EXPECT_NE(std::string(e.what()).find("bad block"), std::string::npos) << e.what();
    // Every block of the last column (7 wide) throws; whichever is first names itself.
    EXPECT_NE(e.task_name().find(", 3)"), std::string::npos) << e.task_name();
  });
}

TEST(Linalg, ContractingOneAxisMatchesTheReferenceWithMismatchedChunks) {
  const auto as = sample<double>(loom::Shape{30, 40}, 1);
  const auto bs = sample<double>(loom::Shape{40, 20}, 2);
  const auto a = da::from_array(as, {.chunks = {7, 9}});
  const auto b = da::from_array(bs, {.chunks = {11, 6}});  // shared axis cut differently
  const auto ref = [&](std::int64_t i, std::int64_t j) {
    double s = 0;
    for (std::int64_t k = 0; k < 40; ++k) s += as(i, k) * bs(k, j);
    return s;
  };
  const auto d = a.dot(b).compute();
  const auto t1 = da::tensordot(a, b, 1).compute();
  const auto at = da::tensordot(a.T(), b, {0}, {0}).compute();  // (40,30)^T with (40,20)
  for (std::int64_t i = 0; i < 30; ++i) {
    for (std::int64_t j = 0; j < 20; ++j) {
      ASSERT_NEAR(d(i, j), ref(i, j), 1e-9);
      ASSERT_NEAR(t1(i, j), ref(i, j), 1e-9);
      ASSERT_NEAR(at(i, j), ref(i, j), 1e-9);
    }
  }
}

TEST(Linalg, TensordotOverBothAxesSumsTheElementwiseProduct) {
  const auto as = sample<double>(loom::Shape{30, 40}, 1);
  const auto a = da::from_array(as, {.chunks = {7, 9}});
  const auto full = da::tensordot(a, a, 2);
  EXPECT_EQ(full.shape(), loom::Shape{});
  EXPECT_NEAR(full.item(), (a * a).sum().item(), 1e-6);
  const auto pairs = da::tensordot(a, a.T(), {0, 1}, {1, 0}).item();
  EXPECT_NEAR(pairs, (a * a).sum().item(), 1e-6);
}

TEST(Linalg, TensordotOverNoAxesIsTheOuterProduct) {
  const auto as = sample<double>(loom::Shape{30, 40}, 1);
  const auto bs = sample<double>(loom::Shape{40, 20}, 2);
  const auto a = da::from_array(as, {.chunks = {7, 9}});
  const auto b = da::from_array(bs, {.chunks = {11, 6}});  // shared axis cut differently
  const auto outer = da::tensordot(a(da::slice(0, 3), da::slice(0, 2)), b(0, da::slice(0, 4)), 0);
  ASSERT_EQ(outer.shape(), (loom::Shape{3, 2, 4}));
  EXPECT_DOUBLE_EQ(outer.compute()(2, 1, 3), as(2, 1) * bs(0, 3));
}

TEST(Linalg, TensordotOverMismatchedAxesIsAShapeError) {
  const auto as = sample<double>(loom::Shape{30, 40}, 1);
  const auto bs = sample<double>(loom::Shape{40, 20}, 2);
  const auto a = da::from_array(as, {.chunks = {7, 9}});
  const auto b = da::from_array(bs, {.chunks = {11, 6}});  // shared axis cut differently
  EXPECT_THROW((void)da::tensordot(a, b, {0}, {0}), loom::ShapeError);
  EXPECT_THROW((void)da::tensordot(a, b, {1}, {0, 1}), loom::ShapeError);
  EXPECT_THROW((void)da::tensordot(a, b, 3), loom::ShapeError);
}

template <class T>
void check_arg_reductions(const loom::Shape& shape, std::vector<std::int64_t> chunks) {
  const auto source = sample<T>(shape, 5);
  const auto x = da::from_array(source, {.chunks = chunks});
  // Flattened: the first position of the extreme.
  std::int64_t lo = 0;
  std::int64_t hi = 0;
  for (std::int64_t k = 1; k < source.size(); ++k) {
    if (source.data()[k] < source.data()[lo]) lo = k;
    if (source.data()[k] > source.data()[hi]) hi = k;
  }
  EXPECT_EQ(x.argmin().item(), lo);
  EXPECT_EQ(x.argmax({.split_every = 2}).item(), hi);
  // Along each axis, with and without keepdims.
  for (std::size_t axis = 0; axis < shape.size(); ++axis) {
    for (bool keep : {false, true}) {
      const auto got = x.argmax({.axis = static_cast<int>(axis), .keepdims = keep}).compute();
      const auto gmin = x.argmin({.axis = static_cast<int>(axis), .keepdims = keep}).compute();
      EXPECT_EQ(got.shape().size(), keep ? shape.size() : shape.size() - 1);
      std::vector<std::int64_t> pos(shape.size(), 0);
      std::int64_t out = 0;
      for (std::int64_t flat = 0; flat < source.size(); ++flat) {
        std::int64_t rest = flat;
        for (std::size_t d = shape.size(); d-- > 0;) {
          pos[d] = rest % shape[d];
          rest /= shape[d];
        }
        if (pos[axis] != 0) continue;
        std::int64_t best = 0;
        std::int64_t worst = 0;
        for (std::int64_t k = 1; k < shape[axis]; ++k) {
          auto p = pos;
          p[axis] = k;
          auto pb = pos;
          pb[axis] = best;
          auto pw = pos;
          pw[axis] = worst;
          if (source.data()[flat_of(shape, p)] > source.data()[flat_of(shape, pb)]) best = k;
          if (source.data()[flat_of(shape, p)] < source.data()[flat_of(shape, pw)]) worst = k;
        }
        ASSERT_EQ(got.data()[out], best) << "axis " << axis << " at " << flat;
        ASSERT_EQ(gmin.data()[out], worst) << "axis " << axis << " at " << flat;
        ++out;
      }
    }
  }
}

TEST(Reductions, ArgminArgmaxFirstPositionEveryAxis) {
  check_arg_reductions<double>(loom::Shape{1003, 97}, {200, 30});
  check_arg_reductions<std::int32_t>(loom::Shape{7, 8, 9}, {3, 4, 2});
  check_arg_reductions<float>(loom::Shape{3, 4, 5, 6}, {2, 3, 2, 4});
  check_arg_reductions<bool>(loom::Shape{50}, {7});
  check_arg_reductions<std::int64_t>(loom::Shape{1}, {1});
  // NaN wins, as in NumPy; min and max propagate it.
  auto v = sample<double>(loom::Shape{20});
  v.mutable_data()[13] = std::numeric_limits<double>::quiet_NaN();
  const auto x = da::from_array(v, {.chunks = {6}});
  EXPECT_EQ(x.argmax().item(), 13);
  EXPECT_EQ(x.argmin().item(), 13);
  EXPECT_TRUE(std::isnan(x.max().item()));
  EXPECT_TRUE(std::isnan(x.min().item()));
  EXPECT_THROW((void)da::zeros<double>({0}).argmax().item(), loom::ShapeError);
  EXPECT_THROW((void)da::zeros<double>({2, 3, 4}).argmax({.axis = {0, 1}}), loom::ShapeError);
  EXPECT_EQ(da::zeros<double>({2, 3}).argmax({.axis = {0, 1}}).item(), 0);
}

TEST(Reductions, TreeReductionsMatchForEverySplit) {
  const auto source = sample<std::int64_t>(loom::Shape{1003, 997});
  const auto x = da::from_array(source, {.chunks = {50, 40}});  // 21 x 25 blocks
  const auto flat = x.sum().item();
  const auto rows = x.sum(1).compute();
  std::int64_t expect = 0;
  for (std::int64_t k = 0; k < source.size(); ++k) expect += source.data()[k];
  EXPECT_EQ(flat, expect);
  for (int s : {2, 3, 4, 32, 1000}) {
    EXPECT_EQ(x.sum({.split_every = s}).item(), expect) << s;
    const auto r = x.sum({.axis = 1, .split_every = s}).compute();
    for (std::int64_t i = 0; i < 1003; ++i) ASSERT_EQ(r(i), rows(i)) << s;
    const auto sd = x.std({.axis = 0, .split_every = s}).compute();
    const auto sd4 = x.std(0).compute();
    for (std::int64_t j = 0; j < 997; ++j) ASSERT_NEAR(sd(j), sd4(j), 1e-9) << s;
  }
  // The tree shows in the task count: 525 partials merged 2 at a time take more steps.
  EXPECT_GT(x.sum({.split_every = 2}).tasks(), x.sum({.split_every = 32}).tasks());
  EXPECT_THROW((void)x.sum({.split_every = 1}), loom::ShapeError);
  EXPECT_THROW((void)x.sum({.split_every = -3}), loom::ShapeError);
}

TEST(Creation, RandomIsTheSameForAnyThreadCount) {
  const auto x =
      da::random::normal(loom::Shape{301, 207}, 0.0, 1.0, {.chunks = {50, 50}, .seed = 7});
  loom::NDArray<double> one;
  loom::NDArray<double> three;
  loom::Executor::with_threads(1).run([&] { one = x.compute(); });
  loom::Executor::with_threads(3).run([&] { three = x.rechunk({-1, 13}).compute(); });
  const auto here = x.compute();
  for (std::int64_t k = 0; k < here.size(); ++k) {
    ASSERT_EQ(one.data()[k], here.data()[k]);
    ASSERT_EQ(three.data()[k], here.data()[k]);
  }
}

}  // namespace

namespace {

TEST(Linalg, TransposeOfViewsReadsThroughThem) {
  const auto source = sample<double>(loom::Shape{12, 10});
  const auto x = da::from_array(source, {.chunks = {5, 4}});
  // A slice, a strided slice, a broadcast and a concatenation all live in memory but are not
  // the input's own row-major array: their transposes must read through the view.
  const auto cols = x(da::all, da::slice(0, 5)).T().compute();
  ASSERT_EQ(cols.shape(), (loom::Shape{5, 12}));
  for (int i = 0; i < 5; ++i) {
    for (int j = 0; j < 12; ++j) ASSERT_EQ(cols(i, j), source(j, i));
  }
  const auto strided = x(da::slice(0, 12, 3), da::all).T().compute();
  for (int i = 0; i < 10; ++i) {
    for (int j = 0; j < 4; ++j) ASSERT_EQ(strided(i, j), source(3 * j, i));
  }
  const auto row = da::arange<double>(0.0, 5.0, 1.0, {.chunks = {2}});
  const auto grid = da::broadcast_to(row, loom::Shape{3, 5}).T().compute();
  for (int i = 0; i < 5; ++i) {
    for (int j = 0; j < 3; ++j) ASSERT_EQ(grid(i, j), i);
  }
  const auto both = da::concatenate<double>({x, x * 2.0}).T().compute();
  ASSERT_EQ(both.shape(), (loom::Shape{10, 24}));
  for (int i = 0; i < 10; ++i) {
    for (int j = 0; j < 24; ++j)
      ASSERT_EQ(both(i, j), j < 12 ? source(j, i) : 2 * source(j - 12, i));
  }
  const auto perm = x.reshape({3, 4, 10}).transpose({2, 0, 1}).compute();
  EXPECT_EQ(perm(7, 2, 3), source(11, 7));
}

TEST(Rechunk, IrregularToRegularAndBack) {
  const auto source = sample<std::int32_t>(loom::Shape{1003, 997});
  const auto x = da::from_array(source, {.chunks = {200, 300}});
  const auto irregular = x.rechunk({{1, 500, 2, 500}, {997}});
  EXPECT_EQ(irregular.chunks().str(), "((1, 500, 2, 500), (997,))");
  const auto back = irregular.rechunk({200, 300});
  EXPECT_EQ(back.chunks(), x.chunks());
  const auto a = irregular.compute();
  const auto b = back.compute();
  for (std::int64_t k = 0; k < source.size(); ++k) {
    ASSERT_EQ(a.data()[k], source.data()[k]);
    ASSERT_EQ(b.data()[k], source.data()[k]);
  }
  EXPECT_EQ(irregular.sum().item(), x.sum().item());
}

TEST(Rechunk, ChunksThatDoNotCoverTheShapeAreShapeErrors) {
  const auto source = sample<std::int32_t>(loom::Shape{1003, 997});
  const auto x = da::from_array(source, {.chunks = {200, 300}});
  EXPECT_THROW((void)x.rechunk({{1000, 2}, {997}}), loom::ShapeError);
  EXPECT_THROW((void)x.rechunk(std::vector<std::vector<std::int64_t>>{{1003}}), loom::ShapeError);
}

TEST(Reductions, AxisFormsOfProdAnyAllStdWithKeepdims) {
  const auto source = sample<std::int64_t>(loom::Shape{6, 7, 5}, 2);
  const auto x = da::from_array(source, {.chunks = {4, 3, 2}});
  const auto small = x / std::int64_t{10};  // float64 values near 0..5: products stay small
  const auto prod = (small + 1.0).prod({.axis = 1, .keepdims = true}).compute();
  const auto any = (x > 40).any({.axis = {0, 2}, .keepdims = true}).compute();
  const auto all = (x > -45).all({.axis = 2}).compute();
  const auto sd = x.std({.axis = {0, 1}, .keepdims = true, .ddof = 1}).compute();
  ASSERT_EQ(prod.shape(), (loom::Shape{6, 1, 5}));
  ASSERT_EQ(any.shape(), (loom::Shape{1, 7, 1}));
  ASSERT_EQ(all.shape(), (loom::Shape{6, 7}));
  ASSERT_EQ(sd.shape(), (loom::Shape{1, 1, 5}));
  for (int i = 0; i < 6; ++i) {
    for (int k = 0; k < 5; ++k) {
      double p = 1;
      for (int j = 0; j < 7; ++j) p *= static_cast<double>(source(i, j, k)) / 10 + 1;
      ASSERT_NEAR(prod(i, 0, k), p, 1e-9 * std::abs(p));
    }
  }
  for (int j = 0; j < 7; ++j) {
    bool a = false;
    for (int i = 0; i < 6; ++i) {
      for (int k = 0; k < 5; ++k) a = a || source(i, j, k) > 40;
    }
    ASSERT_EQ(any(0, j, 0), a);
  }
  for (int i = 0; i < 6; ++i) {
    for (int j = 0; j < 7; ++j) {
      bool a = true;
      for (int k = 0; k < 5; ++k) a = a && source(i, j, k) > -45;
      ASSERT_EQ(all(i, j), a);
    }
  }
  for (int k = 0; k < 5; ++k) {
    double m = 0;
    for (int i = 0; i < 6; ++i) {
      for (int j = 0; j < 7; ++j) m += static_cast<double>(source(i, j, k));
    }
    m /= 42;
    double ss = 0;
    for (int i = 0; i < 6; ++i) {
      for (int j = 0; j < 7; ++j) ss += (source(i, j, k) - m) * (source(i, j, k) - m);
    }
    ASSERT_NEAR(sd(0, 0, k), std::sqrt(ss / 41), 1e-9);
  }
}

TEST(Elementwise, ComparisonsWithTheScalarFirst) {
  const auto source = sample<double>(loom::Shape{50});
  const auto x = da::from_array(source, {.chunks = {7}});
  const auto le = (x <= 1.0).compute();
  const auto ge_first = (1.0 >= x).compute();
  const auto lt_first = (1.0 < x).compute();
  const auto eq_first = (1.0 == x).compute();
  const auto ne_first = (1.0 != x).compute();
  const auto gt_first = (1.0 > x).compute();
  const auto le_first = (1.0 <= x).compute();
  for (int i = 0; i < 50; ++i) {
    const double v = source(i);
    ASSERT_EQ(le(i), v <= 1.0);
    ASSERT_EQ(ge_first(i), 1.0 >= v);
    ASSERT_EQ(lt_first(i), 1.0 < v);
    ASSERT_EQ(eq_first(i), 1.0 == v);
    ASSERT_EQ(ne_first(i), 1.0 != v);
    ASSERT_EQ(gt_first(i), 1.0 > v);
    ASSERT_EQ(le_first(i), 1.0 <= v);
  }
}

TEST(Elementwise, IntegerPowersStayIntegersUnlessTheExponentIsAFloat) {
  const auto ints = da::arange<std::int64_t>(-3, 4);
  const auto cubes = da::pow(ints, da::full<std::int64_t>({7}, 3)).compute();
  for (int i = 0; i < 7; ++i) EXPECT_EQ(cubes(i), (i - 3) * (i - 3) * (i - 3));
  EXPECT_EQ(da::pow(ints, 62).compute()(5), std::int64_t{1} << 62);
  EXPECT_THROW((void)da::pow(ints, -1), loom::Error);
  EXPECT_THROW((void)da::pow(ints, da::full<std::int64_t>({7}, -2)).compute(), loom::Error);
  EXPECT_EQ(da::pow(ints, -1.0).compute()(5), 0.5);  // a float exponent: float64
}

TEST(Creation, AutoChunksFollowTheChunkSizeConfig) {
  // array.chunk-size is the auto target; da::auto_chunks asks for it on one axis.
  loom::config::Scope scope{{"array.chunk-size", "80kB"}};
  const auto automatic = da::zeros<double>({1000, 1000});
  EXPECT_LE(automatic.chunksize().elements() * 8, 80000);
  EXPECT_GE(automatic.chunksize().elements() * 8, 40000);
  const auto half = da::zeros<double>({1000, 1000}, {.chunks = {da::auto_chunks, 100}});
  EXPECT_EQ(half.chunksize()[1], 100);
  EXPECT_EQ(half.chunksize()[0], 100);  // 80 kB / (100 columns * 8 bytes)
}

TEST(Creation, RandomNormalWithoutMomentsIsTheStandardNormal) {
  const auto n = da::random::normal({400}, {.chunks = {50}, .seed = 9}).compute();
  EXPECT_EQ(n(3), da::random::normal({400}, 0.0, 1.0, {.seed = 9}).compute()(3));
}

TEST(Creation, RandintStaysInItsRange) {
  const auto r = da::random::randint(0, 3, loom::Shape{10}, {.seed = 4}).compute();
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(r(i) >= 0 && r(i) < 3);
}

}  // namespace
