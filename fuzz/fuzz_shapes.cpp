// libFuzzer target: loom::fuzz::shapes (entry_points.hpp).
#include <cstddef>
#include <cstdint>

#include "entry_points.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  loom::fuzz::shapes(data, size);
  return 0;
}
