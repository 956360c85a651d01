// The trace events of actor calls: "Class::method", the method found from its address.

#include <cxxabi.h>
#include <dlfcn.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <fmt/format.h>

#include "loom/core/detail/trace_span.hpp"
#include "loom/remote/detail/actor_calls.hpp"

namespace loom::detail {

namespace {

// "Counter::add(int) const" -> "Counter::add": the name without its parameters.
std::string without_parameters(const std::string& signature) {
  int angle = 0;
  for (std::size_t i = 0; i < signature.size(); ++i) {
    const char c = signature[i];
    if (c == '<') ++angle;
    if (c == '>') --angle;
    if (c == '(' && angle == 0 && i > 0) return signature.substr(0, i);
  }
  return signature;
}

// The method's qualified name from the symbol at `address`; empty when there is none (the
// program was not linked with -rdynamic) or the pointer is to a virtual function (an offset).
std::string method_name(std::uintptr_t address) {
  if (address == 0 || (address & 1U) != 0) return {};
  Dl_info info{};
  if (::dladdr(reinterpret_cast<void*>(address), &info) == 0 || info.dli_sname == nullptr ||
      info.dli_saddr != reinterpret_cast<void*>(address)) {
    return {};
  }
  int status = 0;
  const std::unique_ptr<char, decltype(&std::free)> demangled(
      abi::__cxa_demangle(info.dli_sname, nullptr, nullptr, &status), &std::free);
  if (status != 0 || !demangled) return {};
  return without_parameters(demangled.get());
}

}  // namespace

void ActorCallTrace::finish() noexcept {
  try {
    // Looked up once per method: dladdr walks the symbol tables.
    static std::mutex mutex;
    static std::map<std::uintptr_t, std::string> names;
    std::string name;
    {
      std::lock_guard lock(mutex);
      auto it = names.find(address_);
      if (it == names.end()) it = names.emplace(address_, method_name(address_)).first;
      name = it->second;
    }
    if (name.empty()) name = fmt::format("{}::method@{:#x}", *actor_name_, address_);
    trace::detail::record_span("actor", name, "", begin_, std::chrono::steady_clock::now());
  } catch (...) {  // a diagnostic: the call's result stands without it
  }
}

}  // namespace loom::detail
