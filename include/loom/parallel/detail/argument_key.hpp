#pragma once
// The cache key of a call's arguments for loom::Memory: xxh3-128 of their serialized form,
// hashed as cereal writes it (never copied into a buffer).

#include <ostream>
#include <streambuf>
#include <string>

#include "loom/io/serialize.hpp"

namespace loom::detail {

/// A streambuf that hashes what is written to it (xxh3, 128 bits) instead of storing it.
class HashSink : public std::streambuf {
 public:
  HashSink();
  ~HashSink() override;
  HashSink(const HashSink&) = delete;
  HashSink& operator=(const HashSink&) = delete;
  /// The hash of everything written, as 32 hex digits.
  [[nodiscard]] std::string hex() const;

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override;
  int_type overflow(int_type c) override;

 private:
  void* state_;  // XXH3_state_t
};

/// The key of a call: the hash of its serialized arguments (in order, as a tuple of them).
template <class... Args>
std::string argument_key(const Args&... args) {
  HashSink sink;
  std::ostream stream(&sink);
  {
    cereal::BinaryOutputArchive archive(stream);
    if constexpr (sizeof...(Args) > 0) archive(args...);
  }
  return sink.hex();
}

}  // namespace loom::detail
