// libFuzzer target: loom::fuzz::config (entry_points.hpp).
#include <cstddef>
#include <cstdint>

#include "entry_points.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  loom::fuzz::config(data, size);
  return 0;
}
