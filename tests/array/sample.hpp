#pragma once
// Deterministic test arrays of every dtype, with repeated values, negatives and (for floats)
// fractions: the inputs of the chunked-array tests.

#include <cstdint>
#include <type_traits>

#include "loom/core/ndarray.hpp"

namespace loom::test {

template <class T>
loom::NDArray<T> sample(const loom::Shape& shape, int salt = 0) {
  auto a = loom::NDArray<T>::uninitialized(shape);
  T* d = a.mutable_data();
  for (std::int64_t i = 0; i < a.size(); ++i) {
    if constexpr (std::is_same_v<T, bool>) {
      d[i] = (i * 7 + salt) % 3 == 0;
    } else {
      d[i] = static_cast<T>(((i * 37 + salt * 11) % 101) - 50) /
             static_cast<T>(std::is_floating_point_v<T> ? 8 : 1);
    }
  }
  return a;
}

}  // namespace loom::test
