#pragma once
// loom's general file format for dump/load (shared by dump.cpp and object_stream.cpp):
//   "LOOMOBJ\0"  u32 format version (2)  u8 codec (0 none, 1 zstd, 2 lz4)  u8[3] reserved (0)
//   u64 payload size  u64 stored size  u64 checksum of the payload  u32 type-name length
//   type name  stored bytes (the payload, compressed or not)
// All integers little-endian. The checksum is BlockHasher's (block_hash.hpp). Files are
// written to a temporary file and renamed into place.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "input_file.hpp"

namespace loom::detail {

constexpr char kMagic[8] = {'L', 'O', 'O', 'M', 'O', 'B', 'J', '\0'};
constexpr std::uint32_t kVersion = 2;
enum Codec : std::uint8_t { kNone = 0, kZstd = 1, kLz4 = 2 };
constexpr std::size_t kFixedHeader = 8 + 4 + 4 + 8 + 8 + 8 + 4;
constexpr std::size_t kSizesOffset = 8 + 4 + 4;  // payload size, stored size, checksum

template <class Int>
void put(std::string& out, Int v) {
  for (std::size_t k = 0; k < sizeof(Int); ++k) out += static_cast<char>((v >> (8 * k)) & 0xff);
}

template <class Int>
Int get(std::string_view in, std::size_t& pos) {
  Int v = 0;
  for (std::size_t k = 0; k < sizeof(Int); ++k) {
    v |= static_cast<Int>(static_cast<unsigned char>(in[pos + k])) << (8 * k);
  }
  pos += sizeof(Int);
  return v;
}

std::string make_header(const std::string& type, Codec codec, std::uint64_t payload_size,
                        std::uint64_t stored_size, std::uint64_t checksum);

struct ObjectHeader {
  std::uint8_t codec = kNone;
  std::uint64_t payload_size = 0;
  std::uint64_t stored_size = 0;
  std::uint64_t checksum = 0;
  std::size_t body_offset = 0;
};

/// Parses the header at the start of `file` (at least the fixed part and the type name; the
/// file is `file_size` bytes long) and checks it against the expected type and the file size.
ObjectHeader parse_object_header(const std::filesystem::path& path, std::string_view file,
                                 std::uint64_t file_size, const std::string& type);

}  // namespace loom::detail
