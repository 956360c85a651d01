#include "loom/io/serialize.hpp"

#include <fmt/format.h>

#include "loom/core/error.hpp"

namespace loom::detail {

void throw_deserialize_error(const std::string& type, const char* what) {
  throw Error(
      fmt::format("deserialize<{}>: the bytes are not a serialized {} ({})", type, type, what));
}

void throw_trailing_bytes(const std::string& type, std::size_t remaining) {
  throw Error(fmt::format("deserialize<{}>: {} bytes left over: the bytes are not a serialized {}",
                          type, remaining, type));
}

}  // namespace loom::detail
