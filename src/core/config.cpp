#include "loom/core/config.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <functional>
#include <map>
#include <mutex>

#include <fmt/format.h>

#include "loom/core/error.hpp"

namespace loom {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::optional<double> to_double(std::string_view s) {
  s = trim(s);
  double value = 0;
  const auto* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, value);
  if (ec != std::errc() || ptr != end || s.empty() || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<std::int64_t> to_int(std::string_view s) {
  s = trim(s);
  std::int64_t value = 0;
  const auto* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, value);
  if (ec != std::errc() || ptr != end || s.empty()) return std::nullopt;
  return value;
}

std::optional<bool> to_bool(std::string_view s) {
  std::string lower(trim(s));
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "true" || lower == "1" || lower == "yes") return true;
  if (lower == "false" || lower == "0" || lower == "no") return false;
  return std::nullopt;
}

struct KeySpec {
  std::string default_value;
  std::function<void(std::string_view key, std::string_view value)> validate;
};

[[noreturn]] void bad_value(std::string_view key, std::string_view value, std::string_view want) {
  throw ConfigError(fmt::format("config: bad value '{}' for '{}': expected {}", value, key, want));
}

void positive_int_or_empty(std::string_view key, std::string_view value) {
  if (trim(value).empty()) return;
  auto n = to_int(value);
  if (!n || *n < 1) bad_value(key, value, "a positive integer (or \"\" for all cores)");
}

void fraction_or_false(std::string_view key, std::string_view value) {
  if (auto b = to_bool(value); b && !*b) return;  // Dask: False disables the threshold
  auto x = to_double(value);
  if (!x || *x <= 0.0 || *x > 1.0) bad_value(key, value, "a fraction in (0, 1] or \"false\"");
}

const std::map<std::string, KeySpec, std::less<>>& specs() {
  static const std::map<std::string, KeySpec, std::less<>> table = {
      {"scheduler.num_threads", {"", positive_int_or_empty}},
      {"temporary-directory",
       {"",
        [](std::string_view key, std::string_view value) {
          if (value.find('\0') != std::string_view::npos) bad_value(key, value, "a folder path");
        }}},
      {"array.chunk-size",
       {"128MiB",
        [](std::string_view key, std::string_view value) {
          if (parse_bytes(value) <= 0) bad_value(key, value, "a positive byte size");
        }}},
      {"io.max-decompressed-size",
       {"1TiB",
        [](std::string_view key, std::string_view value) {
          if (parse_bytes(value) <= 0) bad_value(key, value, "a positive byte size");
        }}},
      {"array.slicing.split_large_chunks",
       {"true",
        [](std::string_view key, std::string_view value) {
          if (!to_bool(value)) bad_value(key, value, "\"true\" or \"false\"");
        }}},
      {"dataframe.shuffle.method",
       {"tasks",
        [](std::string_view key, std::string_view value) {
          // Dask's "p2p" is accepted and means "tasks" here.
          if (value != "tasks" && value != "disk" && value != "p2p") {
            bad_value(key, value, "\"tasks\", \"p2p\" or \"disk\"");
          }
        }}},
      {"worker.memory.target", {"0.6", fraction_or_false}},
      {"worker.memory.spill", {"0.7", fraction_or_false}},
      {"worker.memory.pause", {"0.8", fraction_or_false}},
      {"worker.memory.terminate", {"0.95", fraction_or_false}},
      {"scheduler.allowed-failures",
       {"3",
        [](std::string_view key, std::string_view value) {
          auto n = to_int(value);
          if (!n || *n < 0) bad_value(key, value, "an integer, 0 or more");
        }}},
      {"scheduler.worker-ttl",
       {"30s",
        [](std::string_view key, std::string_view value) {
          try {
            if (parse_duration(value).count() <= 0) bad_value(key, value, "a positive duration");
          } catch (const ConfigError&) {
            bad_value(key, value, "a duration such as \"30s\" or \"500ms\"");
          }
        }}},
      {"scheduler.work-stealing",
       {"true",
        [](std::string_view key, std::string_view value) {
          if (!to_bool(value)) bad_value(key, value, "\"true\" or \"false\"");
        }}},
  };
  return table;
}

struct Store {
  std::mutex mutex;
  std::map<std::string, std::string, std::less<>> values;
  Store() { fill(); }
  void fill() {
    values.clear();
    for (const auto& [key, spec] : specs()) values[key] = spec.default_value;
  }
};

Store& store() {
  static Store s;
  return s;
}

// Accepts Dask's spellings ("distributed.worker.memory.target") and returns the canonical key.
std::string canonical(std::string_view key) {
  std::string k(trim(key));
  constexpr std::string_view prefix = "distributed.";
  if (k.rfind(prefix, 0) == 0 && !specs().contains(k)) k.erase(0, prefix.size());
  if (!specs().contains(k)) {
    std::string known;
    for (const auto& [name, spec] : specs()) known += (known.empty() ? "" : ", ") + name;
    throw ConfigError(fmt::format("config: unknown key '{}' (known keys: {})", key, known));
  }
  return k;
}

}  // namespace

std::int64_t parse_bytes(std::string_view text) {
  std::string_view s = trim(text);
  std::size_t split = 0;
  while (split < s.size() && (std::isdigit(static_cast<unsigned char>(s[split])) ||
                              s[split] == '.' || s[split] == 'e' || s[split] == 'E' ||
                              (split == 0 && (s[split] == '+' || s[split] == '-')))) {
    // 'e' may start a unit ("exabyte" is not supported, so 'e' is always an exponent here) but
    // "1e3" is rare; stop at an 'e' that is not followed by a digit.
    if ((s[split] == 'e' || s[split] == 'E') &&
        (split + 1 >= s.size() || !std::isdigit(static_cast<unsigned char>(s[split + 1])))) {
      break;
    }
    ++split;
  }
  auto number = to_double(s.substr(0, split));
  std::string unit(trim(s.substr(split)));
  std::transform(unit.begin(), unit.end(), unit.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static const std::map<std::string, double, std::less<>> units = {
      {"", 1.0},
      {"b", 1.0},
      {"kb", 1e3},
      {"mb", 1e6},
      {"gb", 1e9},
      {"tb", 1e12},
      {"pb", 1e15},
      {"kib", 1024.0},
      {"mib", 1048576.0},
      {"gib", 1073741824.0},
      {"tib", 1099511627776.0},
      {"k", 1e3},
      {"m", 1e6},
      {"g", 1e9},
      {"t", 1e12},
      {"pib", 1125899906842624.0},
  };
  auto it = units.find(unit);
  if (!number || *number < 0 || it == units.end()) {
    throw ConfigError(
        fmt::format("not a byte size: '{}' (examples: \"128MiB\", \"100MB\", \"4096\")", text));
  }
  const double bytes = *number * it->second;
  if (bytes > 9.2e18) throw ConfigError(fmt::format("byte size too large: '{}'", text));
  return static_cast<std::int64_t>(std::llround(bytes));
}

std::chrono::duration<double> parse_duration(std::string_view text) {
  std::string_view s = trim(text);
  std::size_t split = 0;
  while (split < s.size() &&
         (std::isdigit(static_cast<unsigned char>(s[split])) || s[split] == '.')) {
    ++split;
  }
  auto number = to_double(s.substr(0, split));
  std::string unit(trim(s.substr(split)));
  std::transform(unit.begin(), unit.end(), unit.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static const std::map<std::string, double, std::less<>> units = {
      {"", 1.0},          {"s", 1.0},       {"sec", 1.0},      {"second", 1.0},
      {"seconds", 1.0},   {"ms", 1e-3},     {"millisecond", 1e-3}, {"milliseconds", 1e-3},
      {"us", 1e-6},       {"microseconds", 1e-6}, {"m", 60.0},  {"min", 60.0},
      {"minute", 60.0},   {"minutes", 60.0}, {"h", 3600.0},    {"hour", 3600.0},
      {"hours", 3600.0},  {"d", 86400.0},   {"day", 86400.0}, {"days", 86400.0},
  };
  auto it = units.find(unit);
  if (!number || it == units.end()) {
    throw ConfigError(
        fmt::format("not a duration: '{}' (examples: \"30s\", \"500ms\", \"2 minutes\")", text));
  }
  return std::chrono::duration<double>(*number * it->second);
}

namespace config {

void set(const Settings& settings) {
  std::vector<std::pair<std::string, std::string>> checked;
  checked.reserve(settings.size());
  for (const auto& [key, value] : settings) {
    std::string k = canonical(key);
    specs().find(k)->second.validate(k, value);
    checked.emplace_back(std::move(k), std::string(trim(value)));
  }
  auto& s = store();
  std::lock_guard lock(s.mutex);
  for (auto& [key, value] : checked) s.values[key] = std::move(value);
}

std::string get(std::string_view key) {
  std::string k = canonical(key);
  auto& s = store();
  std::lock_guard lock(s.mutex);
  return s.values.find(k)->second;
}

std::vector<std::string> keys() {
  std::vector<std::string> out;
  for (const auto& [key, spec] : specs()) out.push_back(key);
  return out;
}

void reset() {
  auto& s = store();
  std::lock_guard lock(s.mutex);
  s.fill();
}

std::optional<std::int64_t> get_int(std::string_view key) {
  std::string value = get(key);
  if (value.empty()) return std::nullopt;
  auto n = to_int(value);
  if (!n) bad_value(key, value, "an integer");
  return n;
}

double get_double(std::string_view key) {
  std::string value = get(key);
  if (auto b = to_bool(value); b && !*b) return 0.0;  // "false": the threshold is off
  auto x = to_double(value);
  if (!x) bad_value(key, value, "a number");
  return *x;
}

bool get_bool(std::string_view key) {
  std::string value = get(key);
  auto b = to_bool(value);
  if (!b) bad_value(key, value, "a boolean");
  return *b;
}

std::int64_t get_bytes(std::string_view key) { return parse_bytes(get(key)); }

std::chrono::duration<double> get_duration(std::string_view key) {
  return parse_duration(get(key));
}

Scope::Scope(std::initializer_list<std::pair<std::string, std::string>> settings) {
  for (const auto& [key, value] : settings) previous_.emplace_back(canonical(key), get(key));
  set(Settings(settings));
}

Scope::~Scope() {
  try {
    set(previous_);
  } catch (...) {  // previous values were valid when read; nothing sensible to do here
  }
}

}  // namespace config
}  // namespace loom
