#pragma once
// loom::Memory: a disk cache of function results, joblib's Memory (docs/arrays-on-disk.md).
//
//   loom::Memory memory("./cache_dir", {.verbose = 0});
//   auto cached = memory.cache("expensive_function", expensive_function);
//   double r1 = cached(10.0);   // computes, stores
//   double r2 = cached(10.0);   // reads from disk
//
// Key: the name, a version, and the 128-bit xxh3 hash of the serialized arguments, computed as
// they are serialized (they are never copied into a buffer: a hit costs about one pass of the
// hash over the arguments). Entries are written atomically; a corrupt or truncated entry is
// recomputed, never returned.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "loom/core/error.hpp"
#include "loom/io/dump.hpp"
#include "loom/io/serialize.hpp"
#include "loom/parallel/detail/argument_key.hpp"
#include "loom/parallel/detail/cache_store.hpp"

namespace loom {

struct MemoryOptions {
  /// > 0: report misses, hits and recomputed corrupt entries on stderr.
  int verbose = 0;
};

struct CacheOptions {
  std::string version = "";
};

struct ReduceSizeOptions {
  std::int64_t bytes_limit = 0;
};

/// A function with its results cached on disk; made by Memory::cache.
template <class F>
class CachedFunction {
 public:
  /// f(args...), from the cache when the same arguments were seen before.
  template <class... Args>
  auto operator()(Args&&... args) {
    using Result = std::decay_t<std::invoke_result_t<F&, Args...>>;
    static_assert(Serializable<Result>, "Memory::cache: the result type must be serializable");
    const std::string key = detail::argument_key(args...);
    const auto entry = store_.entry(key);
    if (auto bytes = store_.read(entry, detail::type_name<Entry<Result>>())) {
      try {
        auto stored = deserialize<Entry<Result>>(bytes->payload);
        if (stored.first == key) {
          store_.report("hit", entry);
          return std::move(stored.second);
        }
      } catch (const Error&) {
        store_.report("corrupt entry, recomputing", entry);
      }
    } else {
      store_.report("miss", entry);
    }
    Result result = std::invoke(f_, std::forward<Args>(args)...);
    store_.write(entry, detail::type_name<Entry<Result>>(), serialize(Entry<Result>{key, result}));
    return result;
  }

  /// Whether a call with these arguments would be served from the cache.
  template <class... Args>
  bool check_call_in_cache(const Args&... args) const {
    const std::string key = detail::argument_key(args...);
    return std::filesystem::exists(store_.entry(key));
  }

  /// A new version: earlier entries are no longer used.
  CachedFunction& version(std::string v) {
    store_.set_version(std::move(v));
    return *this;
  }
  /// Removes this function's entries (all versions).
  void clear() { store_.clear(); }

 private:
  friend class Memory;
  CachedFunction(F f, detail::CacheStore store) : f_(std::move(f)), store_(std::move(store)) {}

  template <class Result>
  using Entry = std::pair<std::string, Result>;
  F f_;
  detail::CacheStore store_;
};

class Memory {
 public:
  /// A cache under `location`; a folder that cannot be created or written is a CacheError.
  explicit Memory(std::filesystem::path location, MemoryOptions options = {});

  /// `f` with its results cached under `name` (the stable key: rename = new cache).
  template <class F>
  CachedFunction<std::decay_t<F>> cache(std::string name, F&& f, CacheOptions options = {}) const {
    return CachedFunction<std::decay_t<F>>(
        std::forward<F>(f), detail::CacheStore(location_, std::move(name),
                                               std::move(options.version), options_.verbose));
  }

  /// Removes every entry.
  void clear() const;
  /// Removes the least recently used entries until the cache holds at most `bytes_limit`.
  void reduce_size(ReduceSizeOptions options) const;
  [[nodiscard]] const std::filesystem::path& location() const noexcept { return location_; }

 private:
  std::filesystem::path location_;
  MemoryOptions options_;
};

}  // namespace loom
