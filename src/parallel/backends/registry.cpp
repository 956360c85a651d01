// The registry of Parallel's backends: each defined in its own file, listed here.

#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "loom/core/error.hpp"
#include "parallel/backend.hpp"

namespace loom::detail {

// Defined in backends/<name>.cpp.
const BackendType& threads_backend();
const BackendType& processes_backend();

std::span<const BackendType* const> all_backends() {
  static const BackendType* const all[] = {
      &threads_backend(),
      &processes_backend(),
      &sequential_backend(),
  };
  return all;
}

namespace {

// "a", "b" or "c" (`last` is "or", "and").
std::string quoted_list(std::span<const std::string_view> names, std::string_view last) {
  std::string out;
  for (std::size_t k = 0; k < names.size(); ++k) {
    if (k > 0) out += k + 1 == names.size() ? fmt::format(" {} ", last) : std::string(", ");
    out += fmt::format("\"{}\"", names[k]);
  }
  return out;
}

}  // namespace

const BackendType& find_backend(std::string_view name) {
  std::vector<std::string_view> names;
  std::vector<std::string_view> aliases;
  for (const BackendType* type : all_backends()) {
    if (type->name == name) return *type;
    for (std::string_view alias : type->aliases) {
      if (alias == name) return *type;
    }
    names.push_back(type->name);
    aliases.insert(aliases.end(), type->aliases.begin(), type->aliases.end());
  }
  throw ConfigError(
      fmt::format("Parallel: unknown backend '{}' (use {}; joblib's {} are accepted too)", name,
                  quoted_list(names, "or"), quoted_list(aliases, "and")));
}

}  // namespace loom::detail
