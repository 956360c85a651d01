// Broadcasting and type promotion of element-wise chunked-array operations, against loops on
// NDArray; logical operators on masks; where with scalars.
#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "../support/expect_error.hpp"

#include "loom/array.hpp"
#include "sample.hpp"

namespace da = loom::array;
using loom::test::sample;

namespace {

// The element of `a` at `pos` read through NumPy broadcasting (pos in the broadcast shape).
template <class T>
T broadcast_at(const loom::NDArray<T>& a, const std::vector<std::int64_t>& pos) {
  const std::size_t lead = pos.size() - a.shape().size();
  std::int64_t flat = 0;
  for (std::size_t k = 0; k < a.shape().size(); ++k) {
    const std::int64_t extent = a.shape()[k];
    flat = flat * extent + (extent == 1 ? 0 : pos[lead + k]);
  }
  return a.data()[flat];
}

// Calls f(pos, flat) for every position of `shape`, row-major.
template <class F>
void for_each_position(const loom::Shape& shape, F f) {
  std::vector<std::int64_t> pos(shape.size(), 0);
  for (std::int64_t flat = 0; flat < shape.elements(); ++flat) {
    f(pos, flat);
    for (std::size_t a = shape.size(); a-- > 0;) {
      if (++pos[a] < shape[a]) break;
      pos[a] = 0;
    }
  }
}

struct Case {
  loom::Shape a, b, out;
  std::vector<std::int64_t> ca, cb;
};

TEST(Broadcasting, ShapesCombineAsNumPy) {
  const std::vector<Case> cases = {
      {{1003, 997}, {997}, {1003, 997}, {200, 300}, {100}},
      {{1003, 1}, {1, 997}, {1003, 997}, {200, 1}, {1, 300}},
      {{5, 1, 7}, {1, 6, 1}, {5, 6, 7}, {2, 1, 3}, {1, 4, 1}},
      {{2, 3, 4, 5}, {4, 1}, {2, 3, 4, 5}, {1, 2, 3, 2}, {3, 1}},
      {{}, {4, 3}, {4, 3}, {}, {3, 2}},
      {{0, 3}, {1, 3}, {0, 3}, {2, 2}, {1, 2}},
  };
  for (const Case& c : cases) {
    const auto x = sample<double>(c.a, 1);
    const auto y = sample<std::int32_t>(c.b, 2);
    const auto sum = da::from_array(x, {.chunks = c.ca}) + da::from_array(y, {.chunks = c.cb});
    static_assert(std::is_same_v<decltype(sum), const da::Array<double>>);
    ASSERT_EQ(sum.shape(), c.out) << c.a << " + " << c.b;
    const auto got = sum.compute();
    const auto less =
        (da::from_array(y, {.chunks = c.cb}) < da::from_array(x, {.chunks = c.ca})).compute();
    ASSERT_EQ(less.shape(), c.out);
    for_each_position(c.out, [&](const std::vector<std::int64_t>& pos, std::int64_t flat) {
      const double xv = broadcast_at(x, pos);
      const double yv = broadcast_at(y, pos);
      ASSERT_EQ(got.data()[flat], xv + yv) << c.a << " + " << c.b << " at " << flat;
      ASSERT_EQ(less.data()[flat], yv < xv);
    });
  }
}

TEST(Broadcasting, BroadcastToRepeatsAlongNewAxes) {
  const auto row = da::arange<std::int64_t>(0, 5, 1, {.chunks = {2}});
  const auto grid = da::broadcast_to(row, loom::Shape{3, 5}).compute();
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 5; ++c) EXPECT_EQ(grid(r, c), c);
  }
  EXPECT_THROW((void)da::broadcast_to(row, loom::Shape{5, 3}), loom::ShapeError);
}

TEST(Broadcasting, WhereBroadcastsItsThreeOperands) {
  // where: condition (3, 1), x (3, 5), a scalar.
  const bool pattern[] = {true, false, true};
  const auto cond = da::from_array(loom::NDArray<bool>(loom::Shape{3, 1}, pattern));
  const auto x = da::from_array(sample<double>(loom::Shape{3, 5}));
  const auto w = da::where(cond, x, -1).compute();
  const auto xs = x.compute();
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 5; ++c) EXPECT_EQ(w(r, c), r == 1 ? -1.0 : xs(r, c));
  }
  const auto w2 = da::where(cond, 7, da::from_array(sample<std::int32_t>(loom::Shape{5})));
  static_assert(std::is_same_v<decltype(w2), const da::Array<std::int32_t>>);
  EXPECT_EQ(w2.shape(), (loom::Shape{3, 5}));
  EXPECT_EQ(w2.compute()(0, 4), 7);
}

TEST(Broadcasting, MismatchNamesBothShapes) {
  EXPECT_ERROR_CONTAINS((void)(da::zeros<double>({3, 4}) * da::ones<float>({5})), loom::ShapeError,
                        "(3, 4)", "(5,)");
}

template <class A, class B>
using sum_t =
    typename decltype(std::declval<da::Array<A>>() + std::declval<da::Array<B>>())::value_type;
template <class A, class S>
using scalar_sum_t =
    typename decltype(std::declval<da::Array<A>>() + std::declval<S>())::value_type;
template <class A, class B>
using div_t =
    typename decltype(std::declval<da::Array<A>>() / std::declval<da::Array<B>>())::value_type;

TEST(Promotion, AsNumPy) {
  // Arrays with arrays: numpy.result_type.
  static_assert(std::is_same_v<sum_t<bool, bool>, bool>);
  static_assert(std::is_same_v<sum_t<bool, std::int32_t>, std::int32_t>);
  static_assert(std::is_same_v<sum_t<std::int32_t, std::int64_t>, std::int64_t>);
  static_assert(std::is_same_v<sum_t<std::int32_t, float>, double>);
  static_assert(std::is_same_v<sum_t<std::int64_t, float>, double>);
  static_assert(std::is_same_v<sum_t<float, double>, double>);
  static_assert(std::is_same_v<sum_t<float, bool>, float>);
  // With scalars, as with Python scalars: the array's kind wins unless the scalar's is higher.
  static_assert(std::is_same_v<scalar_sum_t<float, double>, float>);
  static_assert(std::is_same_v<scalar_sum_t<std::int32_t, int>, std::int32_t>);
  static_assert(std::is_same_v<scalar_sum_t<std::int32_t, double>, double>);
  static_assert(std::is_same_v<scalar_sum_t<bool, int>, std::int64_t>);
  // True division.
  static_assert(std::is_same_v<div_t<std::int32_t, std::int32_t>, double>);
  static_assert(std::is_same_v<div_t<float, float>, float>);
  static_assert(
      std::is_same_v<typename decltype(da::sqrt(da::zeros<std::int64_t>({2})))::value_type,
                     double>);
  static_assert(
      std::is_same_v<typename decltype(da::exp(da::zeros<float>({2})))::value_type, float>);

  const auto i = da::arange<std::int32_t>(0, 10, 1, {.chunks = {3}});
  const auto half = (i / 2).compute();
  EXPECT_EQ(half(7), 3.5);
  const auto plus = (i + 0.25).compute();
  EXPECT_EQ(plus(3), 3.25);
  const auto wide = (i + da::full<std::int64_t>({10}, std::int64_t{1} << 40)).compute();
  EXPECT_EQ(wide(9), (std::int64_t{1} << 40) + 9);
  const auto mixed = (i * da::full<float>({10}, 0.5F)).compute();
  EXPECT_EQ(mixed(9), 4.5);
  EXPECT_EQ(da::pow(i, 2).compute()(9), 81);
  EXPECT_EQ(da::pow(i, 0.5).compute()(9), 3.0);
  EXPECT_EQ(da::sqrt(i).compute()(4), 2.0);
  EXPECT_EQ(i.astype<float>().compute()(9), 9.0F);
  EXPECT_EQ((2 < i).compute()(3), true);
}

TEST(Elementwise, LogicalOperatorsOnMasks) {
  const auto source = sample<double>(loom::Shape{37, 41});
  const auto x = da::from_array(source, {.chunks = {10, 9}});
  const auto both = ((x > 0) & (x < 3)).compute();
  const auto either = ((x < -2) | (x > 2)).compute();
  const auto neither = (~((x < -2) | (x > 2))).compute();
  const auto differ = ((x > 0) ^ (x > 1)).compute();
  for (std::int64_t k = 0; k < source.size(); ++k) {
    const double v = source.data()[k];
    ASSERT_EQ(both.data()[k], v > 0 && v < 3);
    ASSERT_EQ(either.data()[k], v < -2 || v > 2);
    ASSERT_EQ(neither.data()[k], !(v < -2 || v > 2));
    ASSERT_EQ(differ.data()[k], (v > 0) != (v > 1));
  }
}

}  // namespace

namespace {

// Sums and means of floats fuse the last element-wise step into the accumulation (sum_run):
// the same values as reducing the computed chain.
TEST(Elementwise, SumsOfChainsMatchTheComputedChain) {
  const auto source = sample<double>(loom::Shape{203, 117});
  const auto x = da::from_array(source, {.chunks = {50, 40}});
  for (const auto& chain : {(x + 1.5) * 2.0, da::abs(x - 0.25), 3.0 - x}) {
    const auto values = chain.compute();
    double total = 0;
    std::vector<double> rows(203, 0.0);
    std::vector<double> cols(117, 0.0);
    for (std::int64_t r = 0; r < 203; ++r) {
      for (std::int64_t c = 0; c < 117; ++c) {
        total += values(r, c);
        rows[static_cast<std::size_t>(r)] += values(r, c);
        cols[static_cast<std::size_t>(c)] += values(r, c);
      }
    }
    EXPECT_NEAR(chain.sum().item(), total, 1e-9 * (1 + std::abs(total)));
    EXPECT_NEAR(chain.mean().item(), total / (203 * 117), 1e-12 * (1 + std::abs(total)));
    const auto by_row = chain.sum(1).compute();
    const auto by_col = chain.mean(0).compute();
    for (std::int64_t r = 0; r < 203; ++r) {
      ASSERT_NEAR(by_row(r), rows[static_cast<std::size_t>(r)], 1e-9);
    }
    for (std::int64_t c = 0; c < 117; ++c) {
      ASSERT_NEAR(by_col(c), cols[static_cast<std::size_t>(c)] / 203, 1e-9);
    }
  }
}

}  // namespace
