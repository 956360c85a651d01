#pragma once
// Short strings (up to 16 bytes) compared and hashed as two machine words: overlapping
// fixed-size loads, no call, no read out of bounds. Private to src/dataframe (interning CSV
// strings, group-by keys).

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace loom::dataframe::detail {

/// With the length, tells strings of up to 16 bytes apart exactly.
struct Words {
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  bool operator==(const Words&) const = default;
};

inline Words words_of(std::string_view v) noexcept {
  const char* p = v.data();
  const std::size_t n = v.size();
  Words w;
  if (n >= 8) {
    std::memcpy(&w.a, p, 8);
    std::memcpy(&w.b, p + std::min<std::size_t>(n, 16) - 8, 8);
  } else if (n >= 4) {
    std::uint32_t x = 0;
    std::uint32_t y = 0;
    std::memcpy(&x, p, 4);
    std::memcpy(&y, p + n - 4, 4);
    w.a = x;
    w.b = y;
  } else if (n > 0) {
    w.a = static_cast<unsigned char>(p[0]) | (static_cast<unsigned char>(p[n / 2]) << 8) |
          (static_cast<unsigned char>(p[n - 1]) << 16);
  }
  return w;
}

/// A hash of a string of up to 16 bytes from its words.
inline std::uint64_t short_hash(const Words& w, std::size_t n) noexcept {
  std::uint64_t h = (w.a * 0x9E3779B97F4A7C15ULL) ^ ((w.b + n) * 0xC2B2AE3D27D4EB4FULL);
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ULL;
  return h ^ (h >> 32);
}

}  // namespace loom::dataframe::detail
