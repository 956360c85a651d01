#include "loom/core/error.hpp"

#include <cxxabi.h>

#include <fmt/format.h>

#include "loom/core/detail/type_name.hpp"

namespace loom {

TaskError::TaskError(std::string task_name, const std::string& message,
                     std::optional<std::size_t> index)
    : Error(message), task_name_(std::move(task_name)), index_(index) {}

ParseError::ParseError(std::string file, std::size_t line, std::size_t column,
                       const std::string& what)
    : Error(fmt::format("{}:{}:{}: {}", file, line, column, what)),
      file_(std::move(file)),
      line_(line),
      column_(column) {}

namespace detail {

std::string current_exception_type_name() {
  const std::type_info* type = abi::__cxa_current_exception_type();
  return type != nullptr ? demangle(type->name()) : std::string("unknown");
}

std::string current_exception_message() {
  try {
    throw;
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return {};
  }
}

}  // namespace detail
}  // namespace loom
