#pragma once
// The untyped part of a loom::Memory cached function: the folder of its entries and their files
// (compiled in src/parallel/memory.cpp).

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "loom/io/dump.hpp"

namespace loom::detail {

/// The untyped part of a cached function: where its entries live, and their files.
class CacheStore {
 public:
  CacheStore(std::filesystem::path root, std::string name, std::string version, int verbose);
  /// The entry file for arguments whose key (argument_key) is `key`.
  [[nodiscard]] std::filesystem::path entry(const std::string& key) const;
  /// The stored bytes of an entry, or nullopt (missing; or corrupt, then reported and removed).
  std::optional<ObjectBytes> read(const std::filesystem::path& entry,
                                  const std::string& type) const;
  void write(const std::filesystem::path& entry, const std::string& type,
             std::string_view bytes) const;
  void report(const char* what, const std::filesystem::path& entry) const;
  void clear() const;
  void set_version(std::string version);
  [[nodiscard]] const std::filesystem::path& folder() const noexcept { return folder_; }

 private:
  std::filesystem::path root_;
  std::string name_;
  std::filesystem::path folder_;
  int verbose_;
};

}  // namespace loom::detail
