#pragma once
// loom::ByteSize: a size in bytes given as an integer, in Dask's spellings ("2GB", "512MiB") or
// as "auto" (the owner decides, e.g. a LocalCluster worker's share of the machine's memory).
//
//   loom::LocalCluster cluster({.n_workers = 2, .memory_limit = "2GB"});
//   loom::ByteSize size = 4096;            // 0 means "no limit" where a limit is meant

#include <concepts>
#include <cstdint>
#include <string>

namespace loom {

class ByteSize {
 public:
  /// A number of bytes (a negative number is kept; whoever takes the size rejects it).
  template <std::integral I>
  ByteSize(I bytes)  // NOLINT(google-explicit-constructor)
      : bytes_(static_cast<std::int64_t>(bytes)) {}
  /// "2GB", "512MiB", "4096", "auto"; a text that is none of these is a ConfigError naming it.
  ByteSize(const char* text);  // NOLINT(google-explicit-constructor)
  ByteSize(std::string text);  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool is_auto() const noexcept { return auto_; }
  /// The size in bytes; ConfigError when is_auto().
  [[nodiscard]] std::int64_t bytes() const;
  /// "auto" or the number of bytes, for messages.
  [[nodiscard]] std::string to_string() const;

 private:
  std::int64_t bytes_ = 0;
  bool auto_ = false;
};

}  // namespace loom
