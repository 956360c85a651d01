// Functions and actor classes registered by name (LOOM_REMOTE).

#include <map>
#include <mutex>
#include <string>
#include <typeindex>

#include <fmt/format.h>

#include "loom/core/detail/type_name.hpp"
#include "loom/core/error.hpp"
#include "loom/remote/task.hpp"

namespace loom::detail {

namespace {

struct Registered {
  const std::type_info* signature;
  ErasedFunction function;
};

struct Registry {
  std::mutex mutex;
  std::map<std::string, Registered, std::less<>> functions;
  std::map<std::string, const std::type_info*, std::less<>> classes;
};

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

void register_function(std::string_view name, const std::type_info& signature,
                       ErasedFunction function) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.functions.insert_or_assign(std::string(name), Registered{&signature, function});
}

void register_class(std::string_view name, const std::type_info& type) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.classes.insert_or_assign(std::string(name), &type);
}

ErasedFunction find_function(std::string_view name, const std::type_info& signature,
                             const std::string& signature_name) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  auto it = r.functions.find(name);
  if (it == r.functions.end()) {
    throw ConfigError(fmt::format(
        "task_named(\"{}\"): no remote function of that name is registered (LOOM_REMOTE({}) at "
        "namespace scope registers it)",
        name, name));
  }
  if (*it->second.signature != signature) {
    throw ConfigError(
        fmt::format("task_named<{}>(\"{}\"): the registered function has signature {}",
                    signature_name, name, demangle(it->second.signature->name())));
  }
  return it->second.function;
}

std::string registered_name(ErasedFunction function) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  for (const auto& [name, entry] : r.functions) {
    if (entry.function == function) return name;
  }
  return {};
}

}  // namespace loom::detail
