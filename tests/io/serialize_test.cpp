// The serialization layer: round trips, user types, NDArray, and corrupt bytes.
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../support/expect_error.hpp"

#include "loom/core/error.hpp"
#include "loom/core/random.hpp"
#include "loom/io/serialize.hpp"

namespace {

struct Point {
  double x = 0;
  double y = 0;
  std::string label;
  template <class Archive>
  void serialize(Archive& archive) {
    archive(x, y, label);
  }
  friend bool operator==(const Point&, const Point&) = default;
};

TEST(Serialize, StandardTypesRoundTrip) {
  const std::map<std::string, std::vector<int>> m = {{"a", {1, 2}}, {"b", {}}};
  EXPECT_EQ(loom::deserialize<std::remove_const_t<decltype(m)>>(loom::serialize(m)), m);
  const std::tuple<int, double, std::string> t{1, 2.5, "three"};
  EXPECT_EQ(loom::deserialize<std::remove_const_t<decltype(t)>>(loom::serialize(t)), t);
  EXPECT_EQ(loom::deserialize<std::int64_t>(loom::serialize(std::int64_t{-5})), -5);
}

TEST(Serialize, UserTypesWithASerializeMember) {
  const std::vector<Point> points = {{1, 2, "p"}, {3, 4, "q"}};
  EXPECT_EQ(loom::deserialize<std::vector<Point>>(loom::serialize(points)), points);
  static_assert(loom::Serializable<Point>);
}

TEST(Serialize, NDArrayRoundTrips) {
  const auto a = loom::random::rand({7, 3}, 2);
  const auto b = loom::deserialize<loom::NDArray<double>>(loom::serialize(a));
  ASSERT_EQ(b.shape(), a.shape());
  for (std::int64_t i = 0; i < a.size(); ++i) EXPECT_EQ(a.data()[i], b.data()[i]);
  EXPECT_TRUE(b.writeable());
}

TEST(Serialize, CorruptBytesAreErrorsNamingTheType) {
  const std::string bytes = loom::serialize(std::vector<double>(100, 1.0));
  EXPECT_ERROR_CONTAINS(
      (void)loom::deserialize<std::vector<double>>(bytes.substr(0, bytes.size() / 2)), loom::Error,
      "std::vector<double");
  EXPECT_THROW((void)loom::deserialize<int>(bytes), loom::Error);  // bytes left over
  std::string huge = loom::serialize(std::vector<std::int64_t>{1 << 20, 1 << 20});
  EXPECT_THROW((void)loom::deserialize<loom::NDArray<double>>(huge), loom::Error);
}

}  // namespace
