#pragma once
// Every length field cereal reads through loom is checked against the bytes left in the input
// before anything is allocated from it. Cereal's containers (std::string, std::vector, maps,
// sets, ...) all read their element count as a size tag and then size their storage from it;
// this overload of the binary input archive's size tag -- chosen over cereal's generic one
// because it is not a template -- reads the count and refuses one larger than the bytes that
// remain in the input that loom::deserialize is reading (detail::current_source()). Every
// serialized element takes at least one byte, so a count that passes can make a container of at
// most sizeof(element) bytes per input byte: a corrupt or hostile length field becomes a
// loom::Error naming it, never an allocation sized by a number the input made up.
//
// A container of elements that serialize to no bytes at all (std::vector<std::tuple<>>) can
// therefore not hold more elements than the bytes that follow it; no loom type is such a type.

#include <cstdint>

#include <cereal/archives/binary.hpp>

namespace loom::detail {
/// Throws cereal::Exception when `length` exceeds the bytes left in the current input (no check
/// outside loom::deserialize, where there is no current input).
void check_length_field(std::uint64_t length);
}  // namespace loom::detail

namespace cereal {
inline void CEREAL_SERIALIZE_FUNCTION_NAME(BinaryInputArchive& archive, SizeTag<size_type&>& tag) {
  archive(tag.size);
  loom::detail::check_length_field(tag.size);
}
}  // namespace cereal
