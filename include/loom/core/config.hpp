#pragma once
// Process-wide configuration (docs/core.md, "Configuration"), the analogue of `dask.config`.
//
//   loom::config::set({{"scheduler.num_threads", "2"}, {"worker.memory.target", "0.8"}});
//
// Values are strings in Dask's spellings. Every key is validated when it is set; an unknown key
// or a bad value is a loom::ConfigError and changes nothing. Each facade reads the keys it uses.

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace loom::config {

using Settings = std::vector<std::pair<std::string, std::string>>;

/// Sets several keys at once: all are validated before any is applied.
void set(const Settings& settings);
/// The current value of a known key ("" for an unset optional key such as
/// `scheduler.num_threads`). An unknown key is a ConfigError.
[[nodiscard]] std::string get(std::string_view key);
/// The known keys (canonical spelling, without the `distributed.` prefix).
[[nodiscard]] std::vector<std::string> keys();
/// Restores every key to its default.
void reset();

// Typed readers for the facades; each validates as `set` does.
[[nodiscard]] std::optional<std::int64_t> get_int(std::string_view key);
[[nodiscard]] double get_double(std::string_view key);
[[nodiscard]] bool get_bool(std::string_view key);
[[nodiscard]] std::int64_t get_bytes(std::string_view key);
/// A duration key (`scheduler.worker-ttl`) in seconds.
[[nodiscard]] std::chrono::duration<double> get_duration(std::string_view key);

/// RAII form of `set` (Dask's `with dask.config.set(...)`): the previous values come back when
/// the scope ends.
class Scope {
 public:
  Scope(std::initializer_list<std::pair<std::string, std::string>> settings);
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  Settings previous_;
};

}  // namespace loom::config

namespace loom {
/// Parses a byte size in Dask's spellings: "128MiB", "100MB", "1.5 GB", "4096", "64kB".
/// Throws ConfigError naming the text when it is not one.
[[nodiscard]] std::int64_t parse_bytes(std::string_view text);
/// Parses a duration in Dask's spellings: "30s", "500ms", "2 minutes", "1.5h", "10" (seconds).
/// Throws ConfigError naming the text when it is not one (or is negative).
[[nodiscard]] std::chrono::duration<double> parse_duration(std::string_view text);
}  // namespace loom
