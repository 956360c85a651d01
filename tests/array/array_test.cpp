// Chunked arrays against straightforward references on NDArray: chunks, creation, element-wise
// chains, comparisons, full reductions, on shapes that the chunks do not divide.
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../support/expect_error.hpp"

#include "loom/array.hpp"
#include "sample.hpp"

namespace da = loom::array;

namespace {

using loom::test::sample;

TEST(Chunks, NormalizeLikeDask) {
  const auto c =
      da::normalize_chunks(loom::Shape{1003, 997}, std::vector<std::int64_t>{200, 300}, 8);
  EXPECT_EQ(c.str(), "((200, 200, 200, 200, 200, 3), (300, 300, 300, 97))");
  EXPECT_EQ(c.npartitions(), 24);
  EXPECT_EQ(c.shape(), (loom::Shape{1003, 997}));
  EXPECT_EQ(c.chunksize(), (loom::Shape{200, 300}));
  const auto whole = da::normalize_chunks(loom::Shape{10, 7}, std::vector<std::int64_t>{-1, 3}, 8);
  EXPECT_EQ(whole.str(), "((10,), (3, 3, 1))");
  const auto one = da::normalize_chunks(loom::Shape{5}, std::vector<std::int64_t>{2}, 8);
  EXPECT_EQ(one.str(), "((2, 2, 1),)");
  const auto empty = da::normalize_chunks(loom::Shape{0, 4}, std::vector<std::int64_t>{3, 3}, 8);
  EXPECT_EQ(empty.str(), "((0,), (3, 1))");
  // Auto: about array.chunk-size (128 MiB) per chunk, even across the axes.
  const auto automatic = da::normalize_chunks(loom::Shape{100000, 100000}, {}, 8);
  const auto cs = automatic.chunksize();
  EXPECT_LE(cs[0] * cs[1] * 8, 128LL << 20);
  EXPECT_GE(cs[0] * cs[1] * 8, 64LL << 20);
  EXPECT_EQ(cs[0], cs[1]);
  EXPECT_EQ(da::normalize_chunks(loom::Shape{100, 50}, {}, 8).str(), "((100,), (50,))");
  EXPECT_THROW((void)da::normalize_chunks(loom::Shape{10}, std::vector<std::int64_t>{2, 2}, 8),
               loom::ShapeError);
  EXPECT_THROW((void)da::normalize_chunks(loom::Shape{10}, std::vector<std::int64_t>{-5}, 8),
               loom::ShapeError);
  // The block grid.
  const std::vector<std::int64_t> idx = c.block_index(7);
  EXPECT_EQ(idx, (std::vector<std::int64_t>{1, 3}));
  EXPECT_EQ(c.block_offset(idx), (std::vector<std::int64_t>{200, 900}));
  EXPECT_EQ(c.block_shape(idx), (loom::Shape{200, 97}));
}

TEST(Creation, ZerosOnesFullArange) {
  auto z = da::zeros<float>({8000, 800}, {.chunks = {1000, 100}});
  EXPECT_EQ(z.npartitions(), 64);
  EXPECT_EQ(z.shape(), (loom::Shape{8000, 800}));
  const auto zc = z.compute();
  EXPECT_EQ(zc.sum(), 0.0);
  EXPECT_EQ(da::ones<std::int32_t>({7, 5}, {.chunks = {3, 2}}).compute().sum(), 35);
  const auto f = da::full<double>({3, 4}, 2.5).compute();
  EXPECT_EQ(f(2, 3), 2.5);
  const auto r = da::arange<std::int64_t>(0, 10, 3, {.chunks = {2}}).compute();
  ASSERT_EQ(r.size(), 4);
  EXPECT_EQ(r(3), 9);
  EXPECT_EQ(da::arange<double>(0.0, 1.0, 0.25).compute().size(), 4);
  EXPECT_THROW((void)da::zeros<double>({-1, 3}), loom::ShapeError);
  EXPECT_THROW((void)da::arange<std::int64_t>(0, 5, 0), loom::ShapeError);
}

TEST(Creation, FromArrayRoundTripsUnevenChunks) {
  for (const loom::Shape& shape : {loom::Shape{1003, 997}, loom::Shape{17}, loom::Shape{5, 6, 7},
                                   loom::Shape{3, 4, 5, 6}, loom::Shape{0, 5}, loom::Shape{}}) {
    const auto source = sample<double>(shape);
    std::vector<std::int64_t> chunks(shape.size(), 3);
    if (shape.size() == 2 && shape[0] == 1003) chunks = {200, 300};
    const auto a = da::from_array(source, {.chunks = chunks});
    const auto back = a.compute();
    ASSERT_EQ(back.shape(), shape);
    for (std::int64_t i = 0; i < source.size(); ++i) ASSERT_EQ(back.data()[i], source.data()[i]);
  }
}

TEST(Creation, RandomDependsOnlyOnSeedAndPosition) {
  const loom::Shape shape{300, 200};
  const auto a = da::random::random(shape, {.chunks = {100, 100}, .seed = 42}).compute();
  const auto b = da::random::random(shape, {.chunks = {-1, 7}, .seed = 42}).compute();
  const auto reference = loom::random::rand(shape, 42);
  for (std::int64_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a.data()[i], b.data()[i]);
    ASSERT_EQ(a.data()[i], reference.data()[i]);
  }
  const auto other = da::random::random(shape, {.chunks = {100, 100}, .seed = 43}).compute();
  EXPECT_NE(other(0, 0), a(0, 0));
}

TEST(Creation, NormalHasTheRequestedMean) {
  const auto n = da::random::normal(loom::Shape{100000}, 3.0, 2.0, {.chunks = {999}}).compute();
  EXPECT_NEAR(n.mean(), 3.0, 0.05);
}

TEST(Creation, RandintStaysInItsHalfOpenRange) {
  const auto ints = da::random::randint(5, 9, loom::Shape{1000}, {.seed = 1}).compute();
  for (std::int64_t i = 0; i < ints.size(); ++i) ASSERT_TRUE(ints(i) >= 5 && ints(i) < 9);
}

TEST(Elementwise, FusedChainMatchesTheReference) {
  const loom::Shape shape{1003, 997};
  const auto source = sample<double>(shape);
  const auto x = da::from_array(source, {.chunks = {200, 300}});
  const auto y = da::pow(x + 1.0, 2.0) * 3.0 - x / 2.0;
  const auto got = y.compute();
  for (std::int64_t i = 0; i < source.size(); ++i) {
    const double v = source.data()[i];
    ASSERT_DOUBLE_EQ(got.data()[i], (v + 1) * (v + 1) * 3 - v / 2);
  }
  const auto z = (2.0 - x) + da::sqrt(da::abs(x)) + da::exp(-x * 0.01) + da::log(x * x + 1.0);
  const auto zc = z.compute();
  for (std::int64_t i = 0; i < source.size(); i += 97) {
    const double v = source.data()[i];
    ASSERT_NEAR(zc.data()[i],
                (2 - v) + std::sqrt(std::abs(v)) + std::exp(-v * 0.01) + std::log(v * v + 1),
                1e-12);
  }
}

TEST(Elementwise, ArraysWithDifferentChunksCombine) {
  const auto source = sample<double>(loom::Shape{50, 40});
  const auto a = da::from_array(source, {.chunks = {7, 9}});
  const auto b = da::from_array(source, {.chunks = {50, 1}});
  const auto sum = (a + b).compute();
  for (std::int64_t i = 0; i < source.size(); ++i) ASSERT_EQ(sum.data()[i], 2 * source.data()[i]);
  EXPECT_EQ((a + b).chunks(), a.chunks());
}

TEST(Elementwise, ComparisonsWithAScalarGiveTheSameInBothOrders) {
  const auto source = sample<std::int64_t>(loom::Shape{30, 31});
  const auto x = da::from_array(source, {.chunks = {4, 5}});
  const da::Array<bool> gt = x > std::int64_t{3};
  const da::Array<bool> lt = std::int64_t{3} < x;
  const auto g = gt.compute();
  const auto l = lt.compute();
  for (std::int64_t i = 0; i < source.size(); ++i) {
    ASSERT_EQ(g.data()[i], source.data()[i] > 3);
    ASSERT_EQ(l.data()[i], g.data()[i]);
  }
}

TEST(Elementwise, AnArrayEqualsItselfEverywhere) {
  const auto source = sample<std::int64_t>(loom::Shape{30, 31});
  const auto x = da::from_array(source, {.chunks = {4, 5}});
  EXPECT_EQ((x == x).all().compute_scalar(), true);
  EXPECT_EQ((x != x).any().compute_scalar(), false);
}

TEST(Elementwise, WhereChoosesPerElement) {
  const auto source = sample<std::int64_t>(loom::Shape{30, 31});
  const auto x = da::from_array(source, {.chunks = {4, 5}});
  const auto w = da::where(x >= std::int64_t{0}, x, -x).compute();
  for (std::int64_t i = 0; i < source.size(); ++i) {
    ASSERT_EQ(w.data()[i], std::abs(source.data()[i]));
  }
}

TEST(Elementwise, ShapeMismatchNamesBothShapes) {
  const auto a = da::zeros<double>({4, 5});
  const auto b = da::zeros<double>({5, 4});
  EXPECT_ERROR_CONTAINS((void)(a + b), loom::ShapeError, "(4, 5)", "(5, 4)");
}

template <class T>
void check_reductions(const loom::Shape& shape, std::vector<std::int64_t> chunks) {
  const auto source = sample<T>(shape, 3);
  const auto x = da::from_array(source, {.chunks = chunks});
  double sum = 0;
  double mn = 1e300;
  double mx = -1e300;
  bool any = false;
  bool all = true;
  for (std::int64_t i = 0; i < source.size(); ++i) {
    const double v = static_cast<double>(source.data()[i]);
    sum += v;
    mn = std::min(mn, v);
    mx = std::max(mx, v);
    any = any || static_cast<bool>(source.data()[i]);
    all = all && static_cast<bool>(source.data()[i]);
  }
  const double n = static_cast<double>(source.size());
  const double mean = sum / n;
  double ss = 0;
  for (std::int64_t i = 0; i < source.size(); ++i) {
    const double d = static_cast<double>(source.data()[i]) - mean;
    ss += d * d;
  }
  const double tol = std::is_same_v<T, float> ? 1e-4 : 1e-9;
  EXPECT_NEAR(static_cast<double>(x.sum().compute_scalar()), sum, tol * (1 + std::abs(sum)));
  EXPECT_NEAR(static_cast<double>(x.mean().compute_scalar()), mean, tol * (1 + std::abs(mean)));
  EXPECT_NEAR(static_cast<double>(x.var().compute_scalar()), ss / n, tol * (1 + ss / n));
  EXPECT_NEAR(static_cast<double>(x.std({.ddof = 1}).compute_scalar()), std::sqrt(ss / (n - 1)),
              tol * (1 + ss));
  EXPECT_EQ(static_cast<double>(x.min().compute_scalar()), mn);
  EXPECT_EQ(static_cast<double>(x.max().compute_scalar()), mx);
  EXPECT_EQ(x.any().compute_scalar(), any);
  EXPECT_EQ(x.all().compute_scalar(), all);
}

TEST(Reductions, EveryDtypeAgainstTheReference) {
  check_reductions<double>(loom::Shape{1003, 997}, {200, 300});
  check_reductions<float>(loom::Shape{101, 13}, {10, 4});
  check_reductions<std::int32_t>(loom::Shape{7, 8, 9}, {3, 3, 3});
  check_reductions<std::int64_t>(loom::Shape{4, 3, 5, 6}, {2, 2, 2, 2});
  check_reductions<bool>(loom::Shape{333}, {50});
  const auto ints = da::from_array(sample<std::int32_t>(loom::Shape{10}), {.chunks = {3}});
  static_assert(std::is_same_v<decltype(ints.sum().compute_scalar()), std::int64_t>);
  static_assert(std::is_same_v<decltype(ints.mean().compute_scalar()), double>);
  EXPECT_EQ(da::full<std::int64_t>({3, 2}, 2, {.chunks = {1, 1}}).prod().compute_scalar(), 64);
}

TEST(Reductions, StableVarianceFarFromZero) {
  // A naive sum of squares loses everything here: values near 1e9 with a spread of 1.
  auto a = loom::NDArray<double>::uninitialized(loom::Shape{100000});
  for (std::int64_t i = 0; i < a.size(); ++i)
    a.mutable_data()[i] = 1e9 + static_cast<double>(i % 2);
  const auto x = da::from_array(a, {.chunks = {777}});
  EXPECT_NEAR(x.var().compute_scalar(), 0.25, 1e-6);
}

TEST(Reductions, EmptyArrays) {
  const auto e = da::zeros<double>({0, 5});
  EXPECT_EQ(e.sum().compute_scalar(), 0.0);
  EXPECT_TRUE(std::isnan(e.mean().compute_scalar()));
  EXPECT_THROW((void)e.min().compute_scalar(), loom::ShapeError);
  EXPECT_EQ(e.compute().size(), 0);
}

TEST(Arrays, TheLazySummaryPrintsNoValues) {
  const auto x = da::random::random({10000, 10000}, {.chunks = {1000, 1000}, .seed = 42});
  std::ostringstream out;
  out << x;
  EXPECT_EQ(out.str(),
            "loom.array<shape=(10000, 10000), dtype=float64, chunksize=(1000, 1000), tasks=100>");
  const auto m = ((x + 1.0) * (x + 1.0)).mean();
  std::ostringstream lazy;
  lazy << m;
  EXPECT_NE(lazy.str().find("shape=(), dtype=float64"), std::string::npos) << lazy.str();
  EXPECT_EQ(da::Array<float>::dtype(), std::string("float32"));
}

TEST(Arrays, PersistKeepsValuesAndChunks) {
  const auto x = da::random::random({300, 200}, {.chunks = {70, 90}, .seed = 3});
  const auto p = (x * 2.0).persist();
  EXPECT_EQ(p.chunks(), x.chunks());
  EXPECT_EQ(p.tasks(), p.npartitions());  // a fresh graph: one task per chunk
  const auto a = p.compute();
  const auto b = (x * 2.0).compute();
  for (std::int64_t i = 0; i < a.size(); ++i) ASSERT_EQ(a.data()[i], b.data()[i]);
  EXPECT_DOUBLE_EQ(p.mean().compute_scalar(), (x * 2.0).mean().compute_scalar());
}

TEST(Arrays, LazyMeanOfARandomArrayWithoutMaterializing) {
  // 4e8 bytes if materialized; evaluated run by run, nothing that size is made.
  // The peak resident set is reset first and read after (Linux: /proc/self/clear_refs, VmHWM).
  auto peak_kib = [] {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6));
    }
    return -1LL;
  };
  std::ofstream("/proc/self/clear_refs") << "5";
  const long long before = peak_kib();
  const auto x = da::random::random({10000, 5000}, {.chunks = {1000, 1000}, .seed = 7});
  const double m = da::pow(x + 1.0, 2.0).mean().compute_scalar();
  EXPECT_NEAR(m, 7.0 / 3.0, 1e-3);  // E[(U+1)^2] for U uniform on [0, 1)
  const long long after = peak_kib();
  ASSERT_GT(before, 0);
  EXPECT_LT(after - before, 100 * 1024) << "peak grew from " << before << " to " << after
                                        << " KiB: something array-sized was made";
}

// The reference: reduce `source` along the axes in `mask` with a plain loop.
struct Reference {
  std::vector<double> sum, mn, mx, count, mean, m2;
};
Reference reference(const loom::NDArray<double>& source, const std::vector<bool>& mask) {
  const loom::Shape& shape = source.shape();
  std::vector<std::int64_t> kept;
  for (std::size_t a = 0; a < shape.size(); ++a) kept.push_back(mask[a] ? 1 : shape[a]);
  const std::int64_t n_out = loom::Shape(kept).elements();
  Reference r{std::vector<double>(n_out, 0),      std::vector<double>(n_out, 1e300),
              std::vector<double>(n_out, -1e300), std::vector<double>(n_out, 0),
              std::vector<double>(n_out, 0),      std::vector<double>(n_out, 0)};
  std::vector<std::int64_t> pos(shape.size(), 0);
  for (std::int64_t i = 0; i < source.size(); ++i) {
    std::int64_t out = 0;
    for (std::size_t a = 0; a < shape.size(); ++a) out = out * kept[a] + (mask[a] ? 0 : pos[a]);
    const double v = source.data()[i];
    r.sum[out] += v;
    r.mn[out] = std::min(r.mn[out], v);
    r.mx[out] = std::max(r.mx[out], v);
    r.count[out] += 1;
    for (std::size_t a = shape.size(); a-- > 0;) {
      if (++pos[a] < shape[a]) break;
      pos[a] = 0;
    }
  }
  for (std::int64_t o = 0; o < n_out; ++o) r.mean[o] = r.sum[o] / r.count[o];
  std::fill(pos.begin(), pos.end(), 0);
  for (std::int64_t i = 0; i < source.size(); ++i) {
    std::int64_t out = 0;
    for (std::size_t a = 0; a < shape.size(); ++a) out = out * kept[a] + (mask[a] ? 0 : pos[a]);
    const double d = source.data()[i] - r.mean[out];
    r.m2[out] += d * d;
    for (std::size_t a = shape.size(); a-- > 0;) {
      if (++pos[a] < shape[a]) break;
      pos[a] = 0;
    }
  }
  return r;
}

void check_axis_reductions(const loom::Shape& shape, const std::vector<std::int64_t>& chunks) {
  const auto source = sample<double>(shape, 5);
  const auto x = da::from_array(source, {.chunks = chunks});
  const std::size_t ndim = shape.size();
  for (unsigned subset = 1; subset < (1U << ndim); ++subset) {
    da::Axes axes;
    std::vector<bool> mask(ndim);
    for (std::size_t a = 0; a < ndim; ++a) {
      mask[a] = ((subset >> a) & 1U) != 0;
      if (mask[a]) axes.axes.push_back(static_cast<int>(a));
    }
    const Reference r = reference(source, mask);
    for (const bool keep : {false, true}) {
      const da::ReduceOptions o{.axis = axes, .keepdims = keep};
      const auto sum = x.sum(o).compute();
      const auto mean = x.mean(o).compute();
      const auto var = x.var({.axis = axes, .keepdims = keep, .ddof = 1}).compute();
      const auto mn = x.min(o).compute();
      const auto mx = x.max(o).compute();
      std::vector<std::int64_t> expected_shape;
      for (std::size_t a = 0; a < ndim; ++a) {
        if (!mask[a]) expected_shape.push_back(shape[a]);
        if (mask[a] && keep) expected_shape.push_back(1);
      }
      ASSERT_EQ(sum.shape(), loom::Shape(expected_shape)) << "subset " << subset;
      ASSERT_EQ(static_cast<std::size_t>(sum.size()), r.sum.size());
      for (std::size_t o2 = 0; o2 < r.sum.size(); ++o2) {
        ASSERT_NEAR(sum.data()[o2], r.sum[o2], 1e-9 * (1 + std::abs(r.sum[o2])));
        ASSERT_NEAR(mean.data()[o2], r.mean[o2], 1e-12 * (1 + std::abs(r.mean[o2])));
        if (r.count[o2] > 1) {
          ASSERT_NEAR(var.data()[o2], r.m2[o2] / (r.count[o2] - 1), 1e-9 * (1 + r.m2[o2]));
        }
        ASSERT_EQ(mn.data()[o2], r.mn[o2]);
        ASSERT_EQ(mx.data()[o2], r.mx[o2]);
      }
    }
  }
}

TEST(Reductions, EveryAxisCombinationWithAndWithoutKeepdims) {
  check_axis_reductions(loom::Shape{1003, 997}, {200, 300});
  check_axis_reductions(loom::Shape{23}, {5});
  check_axis_reductions(loom::Shape{7, 8, 9}, {3, 4, 2});
  check_axis_reductions(loom::Shape{3, 4, 5, 6}, {2, 3, 2, 4});
}

TEST(Reductions, EverySpellingOfAnAxisGivesTheSameSums) {
  const auto source = sample<std::int64_t>(loom::Shape{6, 4});
  const auto x = da::from_array(source, {.chunks = {4, 3}});
  const auto by_int = x.sum(0).compute();
  const auto by_options = x.sum({.axis = 0}).compute();
  const auto negative = x.sum(-2).compute();
  ASSERT_EQ(by_int.shape(), (loom::Shape{4}));
  for (int c = 0; c < 4; ++c) {
    std::int64_t s = 0;
    for (int r = 0; r < 6; ++r) s += source(r, c);
    EXPECT_EQ(by_int(c), s);
    EXPECT_EQ(by_options(c), s);
    EXPECT_EQ(negative(c), s);
  }
}

TEST(Reductions, ResultShapeAndChunksFollowTheReducedAxes) {
  const auto source = sample<std::int64_t>(loom::Shape{6, 4});
  const auto x = da::from_array(source, {.chunks = {4, 3}});
  EXPECT_EQ(x.sum({}).compute().shape(), loom::Shape{});
  EXPECT_EQ(x.sum({.axis = {0, 1}, .keepdims = true}).compute().shape(), (loom::Shape{1, 1}));
  EXPECT_EQ(x.sum(1).chunks().str(), "((4, 2),)");
}

TEST(Reductions, AnAxisOutOfRangeOrRepeatedIsAShapeError) {
  const auto source = sample<std::int64_t>(loom::Shape{6, 4});
  const auto x = da::from_array(source, {.chunks = {4, 3}});
  EXPECT_THROW((void)x.sum(2), loom::ShapeError);
  EXPECT_THROW((void)x.sum({.axis = {0, 0}}), loom::ShapeError);
}

TEST(Reductions, KeepdimsTakesABoolOnly) {
  // `x.sum({0, 1})` must not compile: keepdims takes a bool only.
  static_assert(!std::is_constructible_v<da::KeepDims, int>);
  static_assert(std::is_constructible_v<da::KeepDims, bool>);
}

TEST(Linalg, RechunkKeepsEveryValue) {
  const auto source = sample<double>(loom::Shape{137, 91}, 2);
  const auto x = da::from_array(source, {.chunks = {20, 30}});
  const auto xr = x.rechunk({50, -1});
  EXPECT_EQ(xr.chunks().str(), "((50, 50, 37), (91,))");
  const auto back = xr.compute();
  for (std::int64_t i = 0; i < source.size(); ++i) ASSERT_EQ(back.data()[i], source.data()[i]);
}

TEST(Linalg, TransposeSwapsTheAxesAndTheChunks) {
  const auto source = sample<double>(loom::Shape{137, 91}, 2);
  const auto x = da::from_array(source, {.chunks = {20, 30}});
  const auto t = x.T().compute();
  ASSERT_EQ(t.shape(), (loom::Shape{91, 137}));
  for (int r = 0; r < 137; r += 7) {
    for (int c = 0; c < 91; c += 5) ASSERT_EQ(t(c, r), source(r, c));
  }
  // A transpose of something not in memory (evaluated element by element).
  const auto t2 = (x * 2.0).T().compute();
  EXPECT_EQ(t2(3, 5), 2 * source(5, 3));
  EXPECT_EQ(x.T().chunks().str(), "((30, 30, 30, 1), (20, 20, 20, 20, 20, 20, 17))");
}

TEST(Linalg, DotMatchesEigenWithMismatchedChunks) {
  const auto source = sample<double>(loom::Shape{137, 91}, 2);
  const auto x = da::from_array(source, {.chunks = {20, 30}});
  // The Gram matrix, with mismatched chunking on the shared axis.
  const auto gram = x.T().dot(x.rechunk({33, 40})).compute();
  const Eigen::MatrixXd m = source.matrix();
  const Eigen::MatrixXd expected = m.transpose() * m;
  ASSERT_EQ(gram.shape(), (loom::Shape{91, 91}));
  for (int r = 0; r < 91; ++r) {
    for (int c = 0; c < 91; ++c)
      ASSERT_NEAR(gram(r, c), expected(r, c), 1e-9 * (1 + std::abs(expected(r, c))));
  }
}

TEST(Linalg, DotOfMismatchedInnerAxesIsAShapeError) {
  const auto source = sample<double>(loom::Shape{137, 91}, 2);
  const auto x = da::from_array(source, {.chunks = {20, 30}});
  EXPECT_THROW((void)x.dot(x), loom::ShapeError);
}

TEST(Linalg, MatmulOfIntegersMatchesEigen) {
  const auto ints = da::from_array(sample<std::int64_t>(loom::Shape{4, 3}), {.chunks = {2, 2}});
  const auto ig = da::matmul(ints.T(), ints).compute();
  const auto plain = ints.compute();
  EXPECT_EQ(ig(1, 2), (plain.matrix().transpose() * plain.matrix())(1, 2));
}

TEST(Arrays, VisualizeWritesTheGraph) {
  const auto arr = da::zeros<float>({8000, 8000}, {.chunks = {1000, 1000}});
  const auto path = std::filesystem::temp_directory_path() /
                    ("loom-array-graph-" + std::to_string(::getpid()) + ".dot");
  (arr + 1.0F).sum().visualize(path);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  const std::string dot = text.str();
  EXPECT_NE(dot.find("digraph"), std::string::npos);
  EXPECT_NE(dot.find("reduce"), std::string::npos);
  EXPECT_NE(dot.find("64 chunks"), std::string::npos);
  EXPECT_NE(dot.find("->"), std::string::npos);
  std::filesystem::remove(path);
  EXPECT_THROW(arr.visualize("/nonexistent-dir/graph.dot"), loom::Error);
}

TEST(Files, ToNpyAndFromNpyRoundTrip) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("loom-array-npy-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto x = da::random::random({503, 301}, {.chunks = {100, 77}, .seed = 9});
  (x * 2.0).to_npy(dir / "x.npy");
  const auto plain = loom::load_npy<double>(dir / "x.npy");  // NumPy's format, read back
  const auto expected = (x * 2.0).compute();
  for (std::int64_t i = 0; i < plain.size(); ++i) ASSERT_EQ(plain.data()[i], expected.data()[i]);
  const auto back = da::from_npy<double>(dir / "x.npy", {.chunks = {64, 64}});
  EXPECT_EQ(back.chunks().chunksize(), (loom::Shape{64, 64}));
  EXPECT_DOUBLE_EQ(back.sum().compute_scalar(), (x * 2.0).sum().compute_scalar());
  std::filesystem::remove_all(dir);
}

TEST(Files, FromNpyOfAnotherDtypeOrAMissingFileIsAnError) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("loom-array-npy-errors-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto x = da::random::random({503, 301}, {.chunks = {100, 77}, .seed = 9});
  (x * 2.0).to_npy(dir / "x.npy");
  EXPECT_THROW((void)da::from_npy<float>(dir / "x.npy"), loom::Error);  // wrong dtype
  EXPECT_THROW((void)da::from_npy<double>(dir / "missing.npy"), loom::Error);
  std::filesystem::remove_all(dir);
}

}  // namespace
