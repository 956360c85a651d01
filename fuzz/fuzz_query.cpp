// libFuzzer target: loom::fuzz::query (entry_points.hpp).
#include <cstddef>
#include <cstdint>

#include "entry_points.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  loom::fuzz::query(data, size);
  return 0;
}
