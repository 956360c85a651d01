// loom's general file format for dump/load:
//   "LOOMOBJ\0"  u32 format version (1)  u8 codec (0 none, 1 zstd, 2 lz4)  u8[3] reserved
//   u64 payload size  u64 stored size  u64 xxh3 of the payload  u32 type-name length
//   type name  stored bytes (the payload, compressed or not)
// All integers little-endian. Written to a temporary file and renamed into place.

#include "loom/io/dump.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include <fmt/format.h>
#include <lz4.h>
#include <lz4hc.h>
#include <xxhash.h>
#include <zstd.h>

#include "loom/core/error.hpp"
#include "loom/io/detail/atomic_file.hpp"

namespace loom::detail {

namespace {

constexpr char kMagic[8] = {'L', 'O', 'O', 'M', 'O', 'B', 'J', '\0'};
constexpr std::uint32_t kVersion = 1;
enum Codec : std::uint8_t { kNone = 0, kZstd = 1, kLz4 = 2 };

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& what) {
  throw Error(fmt::format("'{}': {}", path.string(), what));
}

template <class Int>
void put(std::string& out, Int v) {
  for (std::size_t k = 0; k < sizeof(Int); ++k) out += static_cast<char>((v >> (8 * k)) & 0xff);
}

template <class Int>
Int get(const std::string& in, std::size_t& pos) {
  Int v = 0;
  for (std::size_t k = 0; k < sizeof(Int); ++k) {
    v |= static_cast<Int>(static_cast<unsigned char>(in[pos + k])) << (8 * k);
  }
  pos += sizeof(Int);
  return v;
}

constexpr std::size_t kFixedHeader = 8 + 4 + 4 + 8 + 8 + 8 + 4;

}  // namespace

void throw_mmap_general(const std::filesystem::path& path) {
  throw ConfigError(
      fmt::format("load('{}'): mmap_mode applies to .npy files only; this is loom's general format",
                  path.string()));
}

bool is_npy_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  char head[6] = {};
  return in.read(head, 6) && std::memcmp(head, "\x93NUMPY", 6) == 0;
}

void write_object(const std::filesystem::path& path, const std::string& type,
                  std::string_view payload, const DumpOptions& options) {
  Codec codec = kNone;
  std::string stored;
  if (options.compress < 0) {
    throw ConfigError(
        fmt::format("dump('{}'): compress must be >= 0, not {}", path.string(), options.compress));
  }
  if (options.compress > 0) {
    if (options.compressor == "zstd") {
      codec = kZstd;
      stored.resize(ZSTD_compressBound(payload.size()));
      const std::size_t n = ZSTD_compress(stored.data(), stored.size(), payload.data(),
                                          payload.size(), std::min(options.compress, 19));
      if (ZSTD_isError(n) != 0U) fail(path, fmt::format("zstd: {}", ZSTD_getErrorName(n)));
      stored.resize(n);
    } else if (options.compressor == "lz4") {
      codec = kLz4;
      if (payload.size() > static_cast<std::size_t>(LZ4_MAX_INPUT_SIZE)) {
        fail(path, "lz4 compresses at most 2 GB: use zstd");
      }
      stored.resize(static_cast<std::size_t>(LZ4_compressBound(static_cast<int>(payload.size()))));
      const int n =
          LZ4_compress_HC(payload.data(), stored.data(), static_cast<int>(payload.size()),
                          static_cast<int>(stored.size()), std::min(options.compress, 12));
      if (n <= 0) fail(path, "lz4 compression failed");
      stored.resize(static_cast<std::size_t>(n));
    } else {
      throw ConfigError(fmt::format("dump('{}'): unknown compressor '{}' (use \"zstd\" or \"lz4\")",
                                    path.string(), options.compressor));
    }
  }
  const std::string_view body = codec == kNone ? payload : std::string_view(stored);
  std::string header(kMagic, sizeof kMagic);
  put<std::uint32_t>(header, kVersion);
  put<std::uint8_t>(header, codec);
  header.append(3, '\0');
  put<std::uint64_t>(header, payload.size());
  put<std::uint64_t>(header, body.size());
  put<std::uint64_t>(header, XXH3_64bits(payload.data(), payload.size()));
  put<std::uint32_t>(header, static_cast<std::uint32_t>(type.size()));
  header += type;

  write_file_atomically(path, {header, body});
}

std::string read_object(const std::filesystem::path& path, const std::string& type) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) fail(path, "is a directory, not a loom file");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, fmt::format("cannot open: {}", std::strerror(errno)));
  const std::string file((std::istreambuf_iterator<char>(in)), {});
  if (file.size() < kFixedHeader || std::memcmp(file.data(), kMagic, sizeof kMagic) != 0) {
    fail(path, "not a file written by loom::dump (the magic string is missing)");
  }
  std::size_t pos = sizeof kMagic;
  const auto version = get<std::uint32_t>(file, pos);
  if (version != kVersion) fail(path, fmt::format("format version {} is not supported", version));
  const auto codec = get<std::uint8_t>(file, pos);
  pos += 3;
  const auto payload_size = get<std::uint64_t>(file, pos);
  const auto stored_size = get<std::uint64_t>(file, pos);
  const auto checksum = get<std::uint64_t>(file, pos);
  const auto type_size = get<std::uint32_t>(file, pos);
  if (type_size > file.size() - pos) fail(path, "truncated header");
  const std::string stored_type = file.substr(pos, type_size);
  pos += type_size;
  if (stored_type != type) fail(path, fmt::format("holds a {}, not a {}", stored_type, type));
  if (stored_size != file.size() - pos) {
    fail(path, fmt::format("truncated or padded: {} bytes of data expected, {} found", stored_size,
                           file.size() - pos));
  }
  if (payload_size > (std::uint64_t{1} << 40)) fail(path, "corrupt header (payload size)");
  const char* body = file.data() + pos;
  std::string payload;
  switch (codec) {
    case kNone:
      payload.assign(body, stored_size);
      break;
    case kZstd: {
      payload.resize(payload_size);
      const std::size_t n = ZSTD_decompress(payload.data(), payload.size(), body, stored_size);
      if (ZSTD_isError(n) != 0U || n != payload_size) fail(path, "corrupt compressed data (zstd)");
      break;
    }
    case kLz4: {
      payload.resize(payload_size);
      const int n = LZ4_decompress_safe(body, payload.data(), static_cast<int>(stored_size),
                                        static_cast<int>(payload_size));
      if (n < 0 || static_cast<std::uint64_t>(n) != payload_size) {
        fail(path, "corrupt compressed data (lz4)");
      }
      break;
    }
    default:
      fail(path, fmt::format("unknown compression codec {}", codec));
  }
  if (XXH3_64bits(payload.data(), payload.size()) != checksum) {
    fail(path, "corrupt: the checksum does not match");
  }
  return payload;
}

}  // namespace loom::detail
