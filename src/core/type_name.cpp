#include "loom/core/detail/type_name.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>

namespace loom::detail {

std::string demangle(const char* mangled) {
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> out(
      abi::__cxa_demangle(mangled, nullptr, nullptr, &status), &std::free);
  if (status != 0 || !out) return mangled;
  std::string name(out.get());
  // The standard library's inline namespace and default arguments are noise in messages.
  for (const std::string noise : {"std::__cxx11::", "std::__1::"}) {
    for (auto pos = name.find(noise); pos != std::string::npos; pos = name.find(noise)) {
      name.replace(pos, noise.size(), "std::");
    }
  }
  const std::string long_string =
      "std::basic_string<char, std::char_traits<char>, std::allocator<char> >";
  for (auto pos = name.find(long_string); pos != std::string::npos; pos = name.find(long_string)) {
    name.replace(pos, long_string.size(), "std::string");
  }
  return name;
}

}  // namespace loom::detail
