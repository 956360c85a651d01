// NumPy's .npy format: https-free summary of the spec (numpy/lib/format.py): magic "\x93NUMPY",
// major and minor version bytes, a header length (2 bytes little-endian in 1.0, 4 bytes in 2.0
// and 3.0), then a Python dict literal {'descr': ..., 'fortran_order': ..., 'shape': (...), }
// padded with spaces and ended by '\n' so that the data starts at a multiple of 64 bytes.

#include "loom/io/npy.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "input_file.hpp"
#include "loom/core/error.hpp"
#include "io/atomic_file.hpp"

namespace loom::detail {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicSize = 6;

struct DTypeInfo {
  DType dtype;
  char kind;  // 'b', 'i', 'u', 'f'
  int size;
  const char* name;
};

constexpr DTypeInfo kDTypes[] = {
    {DType::b1, 'b', 1, "bool"},    {DType::i1, 'i', 1, "int8"},    {DType::u1, 'u', 1, "uint8"},
    {DType::i2, 'i', 2, "int16"},   {DType::u2, 'u', 2, "uint16"},  {DType::i4, 'i', 4, "int32"},
    {DType::u4, 'u', 4, "uint32"},  {DType::i8, 'i', 8, "int64"},   {DType::u8, 'u', 8, "uint64"},
    {DType::f4, 'f', 4, "float32"}, {DType::f8, 'f', 8, "float64"},
};

const DTypeInfo& info(DType d) { return kDTypes[static_cast<int>(d)]; }

std::string descr_of(DType d) {
  const auto& i = info(d);
  return fmt::format("{}{}{}", i.size == 1 ? '|' : '<', i.kind, i.size);
}

struct Header {
  DType dtype = DType::f8;
  bool big_endian = false;
  bool fortran = false;
  std::vector<std::int64_t> shape;
  std::size_t data_offset = 0;
};

// The value of `key` in the header dict, as text up to the next top-level ',' or '}'.
std::string_view dict_value(std::string_view dict, std::string_view key,
                            const std::filesystem::path& path) {
  const std::string quoted1 = fmt::format("'{}'", key);
  const std::string quoted2 = fmt::format("\"{}\"", key);
  auto pos = dict.find(quoted1);
  std::size_t len = quoted1.size();
  if (pos == std::string_view::npos) {
    pos = dict.find(quoted2);
    len = quoted2.size();
  }
  if (pos == std::string_view::npos) fail(path, fmt::format("the .npy header has no '{}'", key));
  pos = dict.find(':', pos + len);
  if (pos == std::string_view::npos) fail(path, "the .npy header is not a dict");
  std::size_t start = pos + 1;
  int depth = 0;
  std::size_t end = start;
  for (; end < dict.size(); ++end) {
    const char c = dict[end];
    if (c == '(' || c == '[') ++depth;
    if (c == ')' || c == ']') --depth;
    if (depth == 0 && (c == ',' || c == '}')) break;
    if (depth < 0) break;
  }
  std::string_view v = dict.substr(start, end - start);
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  return v;
}

Header parse_header(const std::filesystem::path& path, const std::byte* bytes, std::size_t size) {
  if (size < kMagicSize + 4 || std::memcmp(bytes, kMagic, kMagicSize) != 0) {
    fail(path, "not a .npy file (the magic string \\x93NUMPY is missing)");
  }
  const auto major = static_cast<int>(bytes[6]);
  const auto minor = static_cast<int>(bytes[7]);
  std::size_t header_len = 0;
  std::size_t prefix = 0;
  if (major == 1) {
    header_len = static_cast<std::size_t>(bytes[8]) | (static_cast<std::size_t>(bytes[9]) << 8);
    prefix = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) fail(path, "truncated .npy header");
    header_len = 0;
    for (int k = 3; k >= 0; --k)
      header_len = (header_len << 8) | static_cast<std::size_t>(bytes[8 + k]);
    prefix = 12;
  } else {
    fail(path, fmt::format("unsupported .npy version {}.{} (1.0 to 3.0 are)", major, minor));
  }
  if (prefix + header_len > size) fail(path, "truncated .npy header");
  const std::string_view dict(reinterpret_cast<const char*>(bytes) + prefix, header_len);

  Header h;
  h.data_offset = prefix + header_len;
  std::string_view descr = dict_value(dict, "descr", path);
  if (descr.size() < 2 || (descr.front() != '\'' && descr.front() != '"')) {
    fail(path, fmt::format("unsupported dtype {} (structured dtypes are not)", descr));
  }
  descr = descr.substr(1, descr.size() - 2);
  if (descr.size() < 3) fail(path, fmt::format("unsupported dtype '{}'", descr));
  const char order = descr[0];
  const char kind = descr[1];
  int itemsize = 0;
  for (char c : descr.substr(2)) {
    // No dtype has more than two digits: a longer size is refused before it can overflow.
    if (c < '0' || c > '9' || itemsize > 99) {
      fail(path, fmt::format("unsupported dtype '{}'", descr));
    }
    itemsize = itemsize * 10 + (c - '0');
  }
  const DTypeInfo* found = nullptr;
  for (const auto& d : kDTypes) {
    if (d.kind == kind && d.size == itemsize) found = &d;
  }
  if (found == nullptr || (order != '<' && order != '>' && order != '|' && order != '=')) {
    fail(path, fmt::format("unsupported dtype '{}' (loom reads bool, int8..64, uint8..64, "
                           "float32 and float64)",
                           descr));
  }
  h.dtype = found->dtype;
  h.big_endian = order == '>' && itemsize > 1;

  const std::string_view fortran = dict_value(dict, "fortran_order", path);
  if (fortran == "True") {
    h.fortran = true;
  } else if (fortran != "False") {
    fail(path, fmt::format("bad fortran_order '{}' in the .npy header", fortran));
  }

  std::string_view shape = dict_value(dict, "shape", path);
  if (shape.size() < 2 || shape.front() != '(' || shape.back() != ')') {
    fail(path, fmt::format("bad shape '{}' in the .npy header", shape));
  }
  shape = shape.substr(1, shape.size() - 2);
  std::int64_t value = -1;
  for (std::size_t i = 0; i <= shape.size(); ++i) {
    const char c = i < shape.size() ? shape[i] : ',';
    if (c >= '0' && c <= '9') {
      value = (value < 0 ? 0 : value) * 10 + (c - '0');
      if (value > (std::int64_t{1} << 50)) fail(path, "an extent in the .npy shape is too large");
    } else if (c == ',') {
      if (value >= 0) h.shape.push_back(value);
      value = -1;
    } else if (c != ' ' && c != 'L') {
      fail(path, fmt::format("bad shape '({})' in the .npy header", shape));
    }
  }
  return h;
}

std::string make_header(DType dtype, const Shape& shape) {
  std::string dims;
  for (std::size_t a = 0; a < shape.size(); ++a) dims += fmt::format("{}, ", shape[a]);
  if (shape.size() > 1) dims.resize(dims.size() - 2);
  if (shape.size() == 1) dims.resize(dims.size() - 1);  // "(5,)"
  std::string dict = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': ({}), }}",
                                 descr_of(dtype), dims);
  const bool v1 = dict.size() + 11 < 65536;
  const std::size_t prefix = v1 ? 10 : 12;
  const std::size_t total = (prefix + dict.size() + 1 + 63) / 64 * 64;
  dict.append(total - prefix - dict.size() - 1, ' ');
  dict += '\n';
  std::string out(kMagic, kMagicSize);
  out += static_cast<char>(v1 ? 1 : 2);
  out += '\0';
  const std::size_t len = dict.size();
  for (std::size_t k = 0; k < (v1 ? 2U : 4U); ++k)
    out += static_cast<char>((len >> (8 * k)) & 0xff);
  out += dict;
  return out;
}

class MappedBuffer final : public Buffer {
 public:
  MappedBuffer(std::byte* base, std::size_t size, bool writeable, std::string path)
      : Buffer(base, size, writeable), path_(std::move(path)) {}
  ~MappedBuffer() override {
    if (size() > 0) ::munmap(data(), size());
  }
  const std::string& path() const noexcept override { return path_; }

 private:
  std::string path_;
};

std::int64_t checked_bytes(const std::filesystem::path& path, const Shape& shape, DType dtype) {
  std::int64_t n = 1;
  for (auto e : shape) {
    if (e != 0 && n > (std::int64_t{1} << 55) / e) fail(path, "the .npy shape is too large");
    n *= e;
  }
  return n * info(dtype).size;
}

void byteswap(std::byte* p, std::size_t count, int size) {
  for (std::size_t i = 0; i < count; ++i) std::reverse(p + i * size, p + (i + 1) * size);
}

// Fortran (column-major) to C (row-major) order.
void fortran_to_c(const std::byte* in, std::byte* out, const Shape& shape, int size) {
  const std::size_t rank = shape.size();
  const std::int64_t n = shape.elements();
  std::vector<std::int64_t> idx(rank, 0);
  for (std::int64_t c = 0; c < n; ++c) {
    // idx is the C-order multi-index of element c; its Fortran offset:
    std::int64_t f = 0;
    for (std::size_t a = rank; a-- > 0;) f = f * shape[a] + idx[a];
    std::memcpy(out + c * size, in + f * size, static_cast<std::size_t>(size));
    for (std::size_t a = rank; a-- > 0;) {
      if (++idx[a] < shape[a]) break;
      idx[a] = 0;
    }
  }
}

}  // namespace

const char* dtype_name(DType dtype) noexcept { return info(dtype).name; }

void write_npy(const std::filesystem::path& path, DType dtype, const Shape& shape, const void* data,
               std::size_t nbytes) {
  // The header and the data's first bytes go together, so that the bulk of the data is written
  // at page-aligned file offsets (whole page-cache pages, one copy each).
  std::string head = make_header(dtype, shape);
  const std::string_view all(static_cast<const char*>(data), nbytes);
  const std::size_t lead = std::min(all.size(), (4096 - head.size() % 4096) % 4096);
  head.append(all.substr(0, lead));
  write_file_atomically(path, {head, all.substr(lead)});
}

NpyData read_npy(const std::filesystem::path& path, DType want, const std::string& mmap_mode) {
  if (mmap_mode == "w+") {
    throw ConfigError(fmt::format(
        "load('{}'): mmap_mode \"w+\" creates a file: use loom::open_memmap", path.string()));
  }
  if (!mmap_mode.empty() && mmap_mode != "r" && mmap_mode != "r+" && mmap_mode != "c") {
    throw ConfigError(fmt::format("load('{}'): mmap_mode must be \"r\", \"r+\" or \"c\", not '{}'",
                                  path.string(), mmap_mode));
  }
  OpenFile f;
  open_regular_file(f, path, ".npy file", /*writable=*/mmap_mode == "r+");
  const auto file_size = static_cast<std::size_t>(f.size);
  if (file_size == 0) fail(path, "is empty, not a .npy file");

  // Map the file (read-only for a plain load: the bytes are then copied or converted).
  const int prot = mmap_mode.empty() || mmap_mode == "r" ? PROT_READ : PROT_READ | PROT_WRITE;
  const int flags = mmap_mode == "c" || mmap_mode.empty() ? MAP_PRIVATE : MAP_SHARED;
  void* base = ::mmap(nullptr, file_size, prot, flags, f.fd, 0);
  if (base == MAP_FAILED) fail(path, fmt::format("cannot map: {}", std::strerror(errno)));
  auto mapped =
      std::make_shared<MappedBuffer>(static_cast<std::byte*>(base), file_size,
                                     mmap_mode == "r+" || mmap_mode == "c", path.string());
  const Header h = parse_header(path, mapped->data(), file_size);
  if (h.dtype != want) {
    fail(path, fmt::format("holds {} values, not {} (use load_npy<{}>)", dtype_name(h.dtype),
                           dtype_name(want), dtype_name(h.dtype)));
  }
  const Shape shape{std::vector<std::int64_t>(h.shape)};
  const std::int64_t bytes = checked_bytes(path, shape, h.dtype);
  const std::size_t expected = h.data_offset + static_cast<std::size_t>(bytes);
  if (file_size < expected) {
    fail(path, fmt::format("truncated: the header says shape {} ({} bytes of data) but the file "
                           "has {}",
                           shape.str(), bytes, file_size - std::min(file_size, h.data_offset)));
  }
  if (file_size > expected) {
    fail(path, fmt::format("the header says shape {} ({} bytes of data) but the file has {} "
                           "bytes of data",
                           shape.str(), bytes, file_size - h.data_offset));
  }
  std::byte* data = mapped->data() + h.data_offset;

  if (!mmap_mode.empty()) {
    if (h.big_endian || (h.fortran && shape.size() > 1)) {
      fail(path, fmt::format("is {}: it can be loaded, but not memory-mapped (a map cannot "
                             "convert); load it without mmap_mode",
                             h.big_endian ? "big-endian" : "in Fortran order"));
    }
    return {mapped, data, shape, mmap_mode != "r"};
  }

  // A plain load: a fresh, aligned, writeable copy, converted to little-endian C order.
  auto owned = allocate_buffer(static_cast<std::size_t>(bytes), /*zero=*/false);
  const int size = info(h.dtype).size;
  if (h.fortran && shape.size() > 1) {
    fortran_to_c(data, owned->data(), shape, size);
  } else if (bytes > 0) {
    // read() into the array is faster than copying from the mapping (no page faults on it),
    // and large arrays are read in blocks on several threads.
    const int err = read_exactly_parallel(f.fd, h.data_offset, static_cast<std::size_t>(bytes),
                                          reinterpret_cast<char*>(owned->data()));
    if (err != 0) fail(path, fmt::format("cannot read: {}", std::strerror(err)));
  }
  if (h.big_endian) byteswap(owned->data(), static_cast<std::size_t>(shape.elements()), size);
  return {owned, owned->data(), shape, true};
}

NpyData create_npy(const std::filesystem::path& path, DType dtype, const Shape& shape) {
  check_extents(shape);
  const std::string header = make_header(dtype, shape);
  const std::int64_t bytes = checked_bytes(path, shape, dtype);
  const OpenFile f(::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (f.fd < 0) fail(path, fmt::format("cannot create: {}", std::strerror(errno)));
  const std::size_t total = header.size() + static_cast<std::size_t>(bytes);
  if (::ftruncate(f.fd, static_cast<off_t>(total)) != 0 ||
      ::pwrite(f.fd, header.data(), header.size(), 0) != static_cast<ssize_t>(header.size())) {
    fail(path, fmt::format("cannot write: {}", std::strerror(errno)));
  }
  void* base = ::mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_SHARED, f.fd, 0);
  if (base == MAP_FAILED) fail(path, fmt::format("cannot map: {}", std::strerror(errno)));
  auto mapped =
      std::make_shared<MappedBuffer>(static_cast<std::byte*>(base), total, true, path.string());
  return {mapped, mapped->data() + header.size(), shape, true};
}

}  // namespace loom::detail
