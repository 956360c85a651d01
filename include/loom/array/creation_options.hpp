#pragma once
// The options of the functions that make chunked arrays (creation.hpp, random arrays).

#include <cstdint>
#include <vector>

namespace loom::array {

/// `{.chunks = {1000, 1000}, .seed = 42}`: one chunk length per axis (-1: the whole axis, 0 or
/// none: auto, about `array.chunk-size` per chunk), and random arrays' seed.
struct Options {
  std::vector<std::int64_t> chunks{};
  std::uint64_t seed = 0;
};

}  // namespace loom::array
