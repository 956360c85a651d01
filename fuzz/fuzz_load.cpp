// libFuzzer target: loom::fuzz::load (entry_points.hpp).
#include <cstddef>
#include <cstdint>

#include "entry_points.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  loom::fuzz::load(data, size);
  return 0;
}
