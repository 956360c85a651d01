#pragma once
// Readable type names for messages, DOT labels and lazy summaries.

#include <string>
#include <typeinfo>
#include <variant>

namespace loom::detail {

/// Demangles a `typeid(...).name()`; returns the input unchanged when it cannot.
std::string demangle(const char* mangled);

template <class Scalar>
const std::string& type_name() {
  static const std::string name = [] {
    if constexpr (std::is_void_v<Scalar>) {
      return std::string("void");
    } else {
      return demangle(typeid(Scalar).name());
    }
  }();
  return name;
}

}  // namespace loom::detail
