#include "loom/parallel/memory.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <new>
#include <vector>

#include <fmt/format.h>
#include <xxhash.h>

#include "loom/core/error.hpp"

namespace loom {

namespace fs = std::filesystem;

namespace {

void ensure_writable_folder(const fs::path& folder) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec || !fs::is_directory(folder) || ::access(folder.c_str(), W_OK) != 0) {
    throw CacheError(fmt::format("Memory: the cache folder '{}' cannot be {} ({})", folder.string(),
                                 fs::exists(folder) ? "written" : "created",
                                 ec ? ec.message() : "permission denied"));
  }
}

}  // namespace

namespace detail {

CacheStore::CacheStore(fs::path root, std::string name, std::string version, int verbose)
    : root_(std::move(root)), name_(std::move(name)), verbose_(verbose) {
  if (name_.empty() || name_.find('/') != std::string::npos || name_ == "." || name_ == "..") {
    throw ConfigError(fmt::format("Memory::cache: '{}' is not a usable cache name", name_));
  }
  set_version(std::move(version));
}

void CacheStore::set_version(std::string version) {
  if (version.find('/') != std::string::npos) {
    throw ConfigError(fmt::format("Memory::cache: '{}' is not a usable version", version));
  }
  folder_ = root_ / name_ / (version.empty() ? std::string("v") : "v-" + version);
  ensure_writable_folder(folder_);
}

HashSink::HashSink() : state_(XXH3_createState()) {
  if (state_ == nullptr) throw std::bad_alloc();
  XXH3_128bits_reset(static_cast<XXH3_state_t*>(state_));
}

HashSink::~HashSink() { XXH3_freeState(static_cast<XXH3_state_t*>(state_)); }

std::streamsize HashSink::xsputn(const char* s, std::streamsize n) {
  XXH3_128bits_update(static_cast<XXH3_state_t*>(state_), s, static_cast<std::size_t>(n));
  return n;
}

HashSink::int_type HashSink::overflow(int_type c) {
  if (c != traits_type::eof()) {
    const char ch = traits_type::to_char_type(c);
    XXH3_128bits_update(static_cast<XXH3_state_t*>(state_), &ch, 1);
  }
  return c;
}

std::string HashSink::hex() const {
  const XXH128_hash_t h = XXH3_128bits_digest(static_cast<XXH3_state_t*>(state_));
  return fmt::format("{:016x}{:016x}", h.high64, h.low64);
}

fs::path CacheStore::entry(const std::string& key) const { return folder_ / (key + ".loom"); }

void CacheStore::report(const char* what, const fs::path& entry) const {
  if (verbose_ > 0) {
    std::fprintf(stderr, "[Memory] %s: %s (%s)\n", name_.c_str(), what, entry.c_str());
  }
}

std::optional<ObjectBytes> CacheStore::read(const fs::path& entry, const std::string& type) const {
  std::error_code ec;
  if (!fs::exists(entry, ec)) return std::nullopt;
  try {
    ObjectBytes bytes = read_object(entry, type);
    ::utimensat(AT_FDCWD, entry.c_str(), nullptr, 0);  // recently used, for reduce_size
    return bytes;
  } catch (const Error& e) {
    report("corrupt entry, recomputing", entry);
    fs::remove(entry, ec);
    return std::nullopt;
  }
}

void CacheStore::write(const fs::path& entry, const std::string& type,
                       std::string_view bytes) const {
  ensure_writable_folder(folder_);  // memory.clear() may have removed it
  try {
    write_object(entry, type, bytes, {});
  } catch (const Error& e) {
    throw CacheError(
        fmt::format("Memory: cannot store a result under '{}': {}", folder_.string(), e.what()));
  }
}

void CacheStore::clear() const {
  std::error_code ec;
  fs::remove_all(root_ / name_, ec);
  ensure_writable_folder(folder_);
}

}  // namespace detail

Memory::Memory(fs::path location, MemoryOptions options)
    : location_(std::move(location)), options_(options) {
  ensure_writable_folder(location_);
}

void Memory::clear() const {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(location_, ec)) fs::remove_all(e.path(), ec);
}

void Memory::reduce_size(ReduceSizeOptions options) const {
  struct File {
    fs::path path;
    fs::file_time_type used;
    std::uintmax_t size;
  };
  std::vector<File> files;
  std::uintmax_t total = 0;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(location_, ec)) {
    if (!e.is_regular_file(ec) || e.path().extension() != ".loom") continue;
    files.push_back({e.path(), e.last_write_time(ec), e.file_size(ec)});
    total += files.back().size;
  }
  std::sort(files.begin(), files.end(),
            [](const File& a, const File& b) { return a.used < b.used; });
  const auto limit = static_cast<std::uintmax_t>(std::max<std::int64_t>(options.bytes_limit, 0));
  for (const File& f : files) {
    if (total <= limit) break;
    if (fs::remove(f.path, ec)) total -= f.size;
  }
}

}  // namespace loom
