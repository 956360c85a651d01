// Worker frame payloads (frame_codec.hpp): the malformed-frame error and the error reply.

#include "core/frame_codec.hpp"

#include <fmt/format.h>

#include "loom/core/error.hpp"

namespace loom::detail {

void FrameReader::throw_truncated(std::size_t wanted) const {
  throw Error(fmt::format("malformed {}: {} bytes wanted at byte {} of {}", what_, wanted, at_,
                          frame_.size()));
}

std::string encode_worker_error() {
  const std::string type = current_exception_type_name();
  const std::string message = current_exception_message();
  return FrameWriter(4 + type.size() + message.size()).put_bytes(type).put_rest(message).take();
}

WorkerError decode_worker_error(std::string_view reply) {
  FrameReader reader(reply, "error reply of a worker process");
  const std::string_view type = reader.get_bytes();
  return {type, reader.rest()};
}

}  // namespace loom::detail
