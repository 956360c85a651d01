// loom::ByteSize (core/byte_size.hpp): parsing through parse_bytes, plus "auto".

#include "loom/core/byte_size.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

#include "loom/core/config.hpp"
#include "loom/core/error.hpp"

namespace loom {

namespace {

bool is_auto_text(const std::string& text) {
  std::string lower;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c)) == 0) {
      lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return lower == "auto";
}

}  // namespace

ByteSize::ByteSize(const char* text) : ByteSize(std::string(text == nullptr ? "" : text)) {}

ByteSize::ByteSize(std::string text) {
  if (is_auto_text(text)) {
    auto_ = true;
    return;
  }
  bytes_ = parse_bytes(text);  // ConfigError naming the text
}

std::int64_t ByteSize::bytes() const {
  if (auto_) {
    throw ConfigError("ByteSize: \"auto\" has no number of bytes until its owner resolves it");
  }
  return bytes_;
}

std::string ByteSize::to_string() const { return auto_ ? "auto" : std::to_string(bytes_); }

}  // namespace loom
