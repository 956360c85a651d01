// Functions and actor classes registered by name (LOOM_REMOTE).

#include <map>
#include <mutex>
#include <string>
#include <typeindex>

#include <fmt/format.h>

#include "loom/core/detail/type_name.hpp"
#include "loom/core/error.hpp"
#include "loom/remote/detail/exchange.hpp"
#include "loom/remote/task.hpp"

namespace loom::detail {

namespace {

struct Registered {
  const std::type_info* signature;
  ErasedFunction function;
  WorkerThunk thunk;
};

struct Registry {
  std::mutex mutex;
  // Several functions may share a name (in different translation units): task_named tells them
  // apart by signature, and tasks made from a function pointer find theirs by address.
  std::multimap<std::string, Registered, std::less<>> functions;
  std::map<std::string, const std::type_info*, std::less<>> classes;
  std::map<std::type_index, std::string> closures;
};

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

void register_function(std::string_view name, const std::type_info& signature,
                       ErasedFunction function, WorkerThunk thunk) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  for (auto [it, end] = r.functions.equal_range(name); it != end; ++it) {
    if (it->second.function == function) return;  // the same registration twice
  }
  r.functions.emplace(std::string(name), Registered{&signature, function, thunk});
}

void register_class(std::string_view name, const std::type_info& type) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.classes.insert_or_assign(std::string(name), &type);
}

void register_closure(std::string_view name, const std::type_info& type) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.closures.insert_or_assign(std::type_index(type), std::string(name));
}

std::string registered_closure(const std::type_info& type) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  const auto it = r.closures.find(std::type_index(type));
  return it == r.closures.end() ? std::string() : it->second;
}

RegisteredFunction find_function(std::string_view name, const std::type_info& signature,
                                 const std::string& signature_name) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  auto [first, end] = r.functions.equal_range(name);
  if (first == end) {
    throw ConfigError(fmt::format(
        "task_named(\"{}\"): no remote function of that name is registered (LOOM_REMOTE({}) at "
        "namespace scope registers it)",
        name, name));
  }
  const Registered* match = nullptr;
  std::string signatures;
  for (auto it = first; it != end; ++it) {
    if (*it->second.signature == signature) {
      if (match != nullptr) {
        throw ConfigError(fmt::format(
            "task_named<{}>(\"{}\"): two registered functions have that name and signature",
            signature_name, name));
      }
      match = &it->second;
    }
    signatures += (signatures.empty() ? "" : ", ") + demangle(it->second.signature->name());
  }
  if (match == nullptr) {
    throw ConfigError(
        fmt::format("task_named<{}>(\"{}\"): the registered function has signature {}",
                    signature_name, name, signatures));
  }
  return {std::string(name), match->function, match->thunk};
}

RegisteredFunction registered_function(ErasedFunction function) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  for (const auto& [name, entry] : r.functions) {
    if (entry.function == function) return {name, entry.function, entry.thunk};
  }
  return {};
}

bool class_registered(const std::type_info& type) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  for (const auto& [name, registered] : r.classes) {
    if (*registered == type) return true;
  }
  return false;
}

}  // namespace loom::detail
