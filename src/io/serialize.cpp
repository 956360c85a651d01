#include "loom/io/serialize.hpp"

#include <fmt/format.h>

#include "loom/core/error.hpp"

namespace loom::detail {

namespace {
thread_local const BytesSource* current = nullptr;
}  // namespace

const BytesSource* current_source() noexcept { return current; }
SourceScope::SourceScope(const BytesSource* source) noexcept : previous_(current) {
  current = source;
}
SourceScope::~SourceScope() { current = previous_; }

void throw_deserialize_error(const std::string& type, const char* what) {
  throw Error(
      fmt::format("deserialize<{}>: the bytes are not a serialized {} ({})", type, type, what));
}

void throw_trailing_bytes(const std::string& type, std::size_t remaining) {
  throw Error(fmt::format("deserialize<{}>: {} bytes left over: the bytes are not a serialized {}",
                          type, remaining, type));
}

}  // namespace loom::detail
