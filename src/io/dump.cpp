// loom's general format, whole files: write_object, read_object (see object_format.hpp).

#include "loom/io/dump.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <new>

#include <fmt/format.h>
#include <lz4.h>
#include <lz4hc.h>
#include <zstd.h>

#include "block_hash.hpp"
#include "input_file.hpp"
#include "loom/core/config.hpp"
#include "loom/core/error.hpp"
#include "io/atomic_file.hpp"
#include "object_format.hpp"

namespace loom::detail {

namespace {

// A read-only private mapping of a whole file.
struct Mapping {
  void* base = MAP_FAILED;
  std::size_t size = 0;
  Mapping() = default;
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() {
    if (base != MAP_FAILED) ::munmap(base, size);
  }
};

// The most a compressed byte can expand to in each format: a zstd RLE block is 4 bytes for
// 128 KiB of output; an lz4 sequence grows by 255 bytes of match length per byte. A header
// claiming more than that (plus a little for the frame around it) is not compressed data.
constexpr std::uint64_t kZstdMaxRatio = 32768;
constexpr std::uint64_t kLz4MaxRatio = 255;
constexpr std::uint64_t kRatioSlack = 1024;

void check_decompressed_size(const std::filesystem::path& path, const ObjectHeader& h) {
  if (h.codec == kZstd || h.codec == kLz4) {
    const std::uint64_t ratio = h.codec == kZstd ? kZstdMaxRatio : kLz4MaxRatio;
    const std::uint64_t most = h.stored_size > (UINT64_MAX - kRatioSlack) / ratio
                                   ? UINT64_MAX
                                   : h.stored_size * ratio + kRatioSlack;
    if (h.payload_size > most) {
      fail(path, fmt::format("corrupt header: {} compressed bytes cannot hold the {} bytes it "
                             "declares ({} expands at most {} times)",
                             h.stored_size, h.payload_size, h.codec == kZstd ? "zstd" : "lz4",
                             ratio));
    }
  }
  const auto ceiling = static_cast<std::uint64_t>(config::get_bytes("io.max-decompressed-size"));
  if (h.payload_size > ceiling) {
    fail(path, fmt::format("declares a payload of {} bytes, more than io.max-decompressed-size "
                           "({} bytes)",
                           h.payload_size, ceiling));
  }
}

// Decompresses a zstd frame into `out`, growing it as output arrives (never beyond `size`, the
// size the header declares): memory follows what the data really expands to, not the header.
bool zstd_decompress(std::string& out, std::uint64_t size, const char* body, std::size_t n) {
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> ctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  if (!ctx) throw std::bad_alloc();
  ZSTD_inBuffer in{body, n, 0};
  std::size_t produced = 0;
  out.resize(static_cast<std::size_t>(
      std::min<std::uint64_t>(size, std::max<std::uint64_t>(std::uint64_t{n} * 4, 1 << 20))));
  for (;;) {
    if (produced == out.size()) {
      if (out.size() == size) {
        // Full: the frame must end here, with no output left.
        char extra = 0;
        ZSTD_outBuffer probe{&extra, 1, 0};
        const std::size_t r = ZSTD_decompressStream(ctx.get(), &probe, &in);
        return ZSTD_isError(r) == 0U && r == 0 && probe.pos == 0 && in.pos == in.size;
      }
      out.resize(static_cast<std::size_t>(std::min<std::uint64_t>(size, out.size() * 2)));
    }
    ZSTD_outBuffer buffer{out.data() + produced, out.size() - produced, 0};
    const std::size_t r = ZSTD_decompressStream(ctx.get(), &buffer, &in);
    if (ZSTD_isError(r) != 0U) return false;
    produced += buffer.pos;
    if (r == 0) return produced == size && in.pos == in.size;  // the frame is complete
    if (buffer.pos == 0 && in.pos == in.size) return false;       // truncated
  }
}

}  // namespace

std::string make_header(const std::string& type, Codec codec, std::uint64_t payload_size,
                        std::uint64_t stored_size, std::uint64_t checksum) {
  std::string header(kMagic, sizeof kMagic);
  put<std::uint32_t>(header, kVersion);
  put<std::uint8_t>(header, codec);
  header.append(3, '\0');
  put<std::uint64_t>(header, payload_size);
  put<std::uint64_t>(header, stored_size);
  put<std::uint64_t>(header, checksum);
  put<std::uint32_t>(header, static_cast<std::uint32_t>(type.size()));
  header += type;
  return header;
}

ObjectHeader parse_object_header(const std::filesystem::path& path, std::string_view file,
                                 std::uint64_t file_size, const std::string& type) {
  if (file.size() < kFixedHeader || std::memcmp(file.data(), kMagic, sizeof kMagic) != 0) {
    fail(path, "not a file written by loom::dump (the magic string is missing)");
  }
  ObjectHeader h;
  std::size_t pos = sizeof kMagic;
  const auto version = get<std::uint32_t>(file, pos);
  if (version != kVersion) fail(path, fmt::format("format version {} is not supported", version));
  h.codec = get<std::uint8_t>(file, pos);
  if (file[pos] != '\0' || file[pos + 1] != '\0' || file[pos + 2] != '\0') {
    fail(path, "corrupt header (reserved bytes)");
  }
  pos += 3;
  h.payload_size = get<std::uint64_t>(file, pos);
  h.stored_size = get<std::uint64_t>(file, pos);
  h.checksum = get<std::uint64_t>(file, pos);
  const auto type_size = get<std::uint32_t>(file, pos);
  if (type_size > file.size() - pos) fail(path, "truncated header");
  const std::string stored_type(file.substr(pos, type_size));
  pos += type_size;
  if (stored_type != type) fail(path, fmt::format("holds a {}, not a {}", stored_type, type));
  if (h.stored_size != file_size - pos) {
    fail(path, fmt::format("truncated or padded: {} bytes of data expected, {} found",
                           h.stored_size, file_size - pos));
  }
  if (h.codec == kNone && h.payload_size != h.stored_size) fail(path, "corrupt header (sizes)");
  check_decompressed_size(path, h);
  h.body_offset = pos;
  return h;
}

void throw_file_error(const std::filesystem::path& path, const std::string& what) {
  fail(path, what);
}

bool is_npy_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  char head[6] = {};
  return in.read(head, 6) && std::memcmp(head, "\x93NUMPY", 6) == 0;
}

bool is_loom_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  char head[sizeof kMagic] = {};
  return in.read(head, sizeof kMagic) && std::memcmp(head, kMagic, sizeof kMagic) == 0;
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
  const std::string header =
      make_header(type, codec, payload.size(), body.size(), BlockHasher::of(payload));
  write_file_atomically(path, {header, body});
}

ObjectBytes read_object(const std::filesystem::path& path, const std::string& type) {
  auto mapping = std::make_shared<Mapping>();
  {
    OpenFile f;
    open_regular_file(f, path, "loom file");
    mapping->size = static_cast<std::size_t>(f.size);
    if (mapping->size > 0) {
      mapping->base = ::mmap(nullptr, mapping->size, PROT_READ, MAP_PRIVATE, f.fd, 0);
      if (mapping->base == MAP_FAILED) {
        fail(path, fmt::format("cannot map: {}", std::strerror(errno)));
      }
    }
  }
  const std::string_view file =
      mapping->size == 0 ? std::string_view()
                         : std::string_view(static_cast<const char*>(mapping->base), mapping->size);
  const ObjectHeader h = parse_object_header(path, file, file.size(), type);
  const std::uint64_t payload_size = h.payload_size;
  const std::uint64_t stored_size = h.stored_size;
  const std::uint64_t checksum = h.checksum;
  const auto codec = h.codec;
  const std::size_t pos = h.body_offset;
  const char* body = file.data() + pos;
  ObjectBytes out;
  auto decompressed = std::make_shared<std::string>();
  std::string& payload = *decompressed;
  switch (codec) {
    case kNone:
      out.payload = std::string_view(body, stored_size);
      out.owner = mapping;
      break;
    case kZstd: {
      if (!zstd_decompress(payload, payload_size, body, stored_size)) {
        fail(path, "corrupt compressed data (zstd)");
      }
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
  if (codec != kNone) {
    out.payload = payload;
    out.owner = std::move(decompressed);
  }
  if (BlockHasher::of(out.payload) != checksum) {
    fail(path, "corrupt: the checksum does not match");
  }
  return out;
}

}  // namespace loom::detail
