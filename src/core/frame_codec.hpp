#pragma once
// The payloads of worker frames (worker_process.hpp): FrameWriter appends typed values and
// length-prefixed bytes, FrameReader reads them back with every read bounds-checked, and the
// error reply a worker sends for the exception it caught. Every worker protocol uses them:
// remote tasks, actors in processes mode and Parallel's processes backend.
//
// Values cross in this process's own representation: a worker is a fork of the same program.
// A frame too short for what is read from it is a loom::Error naming the frame, never a read
// past its end.

#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "loom/core/detail/assert.hpp"

namespace loom::detail {

class FrameWriter {
 public:
  FrameWriter() = default;
  /// Reserves room for `bytes` (the frame's expected size).
  explicit FrameWriter(std::size_t bytes) { out_.reserve(bytes); }

  template <class T>
  requires std::is_trivially_copyable_v<T> FrameWriter& put(const T& value) {
    out_.append(reinterpret_cast<const char*>(&value), sizeof(T));
    return *this;
  }
  /// A 32-bit count, then the elements.
  template <class T>
  requires std::is_trivially_copyable_v<T> FrameWriter& put_array(std::span<const T> values) {
    put(count_of(values.size()));
    out_.append(reinterpret_cast<const char*>(values.data()), values.size_bytes());
    return *this;
  }
  /// A 32-bit length, then the bytes.
  FrameWriter& put_bytes(std::string_view bytes) {
    put(count_of(bytes.size()));
    out_ += bytes;
    return *this;
  }
  /// The bytes as they are, to the end of the frame (FrameReader::rest reads them).
  FrameWriter& put_rest(std::string_view bytes) {
    out_ += bytes;
    return *this;
  }

  /// The payload written so far.
  [[nodiscard]] std::string take() noexcept { return std::move(out_); }

 private:
  static std::uint32_t count_of(std::size_t n) noexcept {
    LOOM_ASSERT(n <= std::numeric_limits<std::uint32_t>::max(),
                "a length in a worker frame does not fit its 32-bit prefix");
    return static_cast<std::uint32_t>(n);
  }
  std::string out_;
};

class FrameReader {
 public:
  /// Reads `frame`; `what` names it in the error of a malformed frame ("a remote call frame").
  FrameReader(std::string_view frame, const char* what) noexcept : frame_(frame), what_(what) {}

  template <class T>
  requires std::is_trivially_copyable_v<T> T get() {
    T value;
    std::memcpy(&value, take(sizeof(T)).data(), sizeof(T));
    return value;
  }
  /// What put_array wrote.
  template <class T>
  requires std::is_trivially_copyable_v<T> std::vector<T> get_array() {
    const auto n = get<std::uint32_t>();
    const std::string_view bytes = take(std::size_t{n} * sizeof(T));  // checked before allocating
    std::vector<T> values(n);
    if (n != 0) std::memcpy(values.data(), bytes.data(), bytes.size());
    return values;
  }
  /// What put_bytes wrote (a view into the frame).
  std::string_view get_bytes() { return take(get<std::uint32_t>()); }
  /// Everything not read yet (a view into the frame).
  [[nodiscard]] std::string_view rest() const noexcept { return frame_.substr(at_); }

 private:
  // The next `n` bytes; loom::Error when the frame has fewer left.
  std::string_view take(std::size_t n) {
    if (n > frame_.size() - at_) throw_truncated(n);
    const std::string_view bytes = frame_.substr(at_, n);
    at_ += n;
    return bytes;
  }
  [[noreturn]] void throw_truncated(std::size_t wanted) const;

  std::string_view frame_;
  std::size_t at_ = 0;
  const char* what_;
};

/// In a worker: the reply for the exception being handled (its type's name and its message).
[[nodiscard]] std::string encode_worker_error();
/// In the parent: the type's name and the message of a worker's error reply (views into it).
struct WorkerError {
  std::string_view type;
  std::string_view message;
};
/// loom::Error when `reply` is not an error reply.
[[nodiscard]] WorkerError decode_worker_error(std::string_view reply);

}  // namespace loom::detail
