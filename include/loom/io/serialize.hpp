#pragma once
// loom's one serialization layer (cereal, binary): what crosses a process boundary, what the
// Memory cache stores, and general dump/load. Arithmetic types, std::string, the standard
// containers of serializable types, and user types with a cereal `serialize` member or function:
//
//   struct Point { double x, y; template <class A> void serialize(A& a) { a(x, y); } };
//   std::string bytes = loom::serialize(Point{1, 2});
//   Point p = loom::deserialize<Point>(bytes);

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <istream>
#include <memory>
#include <optional>
#include <ostream>
#include <streambuf>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <cereal/archives/binary.hpp>
#include <cereal/types/array.hpp>
#include <cereal/types/chrono.hpp>
#include <cereal/types/complex.hpp>
#include <cereal/types/deque.hpp>
#include <cereal/types/list.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/memory.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/set.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/tuple.hpp>
#include <cereal/types/unordered_map.hpp>
#include <cereal/types/unordered_set.hpp>
#include <cereal/types/utility.hpp>
#include <cereal/types/variant.hpp>
#include <cereal/types/vector.hpp>

#include "loom/core/detail/type_name.hpp"
#include "loom/core/ndarray.hpp"
#include "loom/io/detail/aligned_arrays.hpp"
#include "loom/io/detail/archive_support.hpp"
#include "loom/io/npy.hpp"

namespace loom {

namespace detail {
/// Raw pointers, also inside pairs, tuples, vectors and optionals: cereal refuses them with a
/// static_assert, which would break the Serializable test itself.
template <class T>
struct HoldsPointer : std::is_pointer<T> {};
template <class A, class B>
struct HoldsPointer<std::pair<A, B>>
    : std::bool_constant<HoldsPointer<A>::value || HoldsPointer<B>::value> {};
template <class... T>
struct HoldsPointer<std::tuple<T...>> : std::bool_constant<(HoldsPointer<T>::value || ...)> {};
template <class T, class A>
struct HoldsPointer<std::vector<T, A>> : HoldsPointer<T> {};
template <class T>
struct HoldsPointer<std::optional<T>> : HoldsPointer<T> {};
}  // namespace detail

/// Types the serialization layer can write and read back.
template <class Value>
concept Serializable =
    !detail::HoldsPointer<Value>::value && std::is_default_constructible_v<Value> &&
    cereal::traits::is_output_serializable<Value, cereal::BinaryOutputArchive>::value &&
    cereal::traits::is_input_serializable<Value, cereal::BinaryInputArchive>::value;

/// NDArray in the binary archives: the extents, then the raw bytes. Under a writing
/// ArrayFilesScope a large array is the marker extents {-1}, then the name of its .npy file.
template <class Archive, ArrayScalar Scalar>
void save(Archive& archive, const NDArray<Scalar>& array) {
  if (const auto* files = detail::current_array_files();
      files != nullptr && files->writing &&
      array.nbytes() > static_cast<std::size_t>(files->max_nbytes)) {
    std::string name;
    std::int64_t offset = 0;
    if (detail::shared_file_reference(*files, detail::NDArrayAccess::buffer(array).get(),
                                      array.data(), sizeof(Scalar), name, offset)) {
      archive(std::vector<std::int64_t>{-2});  // a view of a shared file: no copy
      archive(name, array.shape().extents(), offset);
      return;
    }
    archive(std::vector<std::int64_t>{-1});
    archive(detail::write_array_file(*files, detail::dtype_of<Scalar>(), array.shape(),
                                     array.data(), array.nbytes()));
    return;
  }
  if (const auto* out = detail::current_aligned_output();
      out != nullptr && array.nbytes() >= detail::kAlignedMinBytes) {
    // dump, uncompressed: the bytes start on a page of the file (aligned_arrays.hpp).
    archive(std::vector<std::int64_t>{detail::kAlignedMarker});
    archive(array.shape().extents());
    const std::uint64_t after_count = out->position() + sizeof(std::uint64_t);
    const std::uint64_t pad = (detail::kPageBytes - after_count % detail::kPageBytes) %
                              detail::kPageBytes;
    archive(pad);
    static constexpr std::array<char, detail::kPageBytes> kZeros{};
    archive(cereal::binary_data(kZeros.data(), pad));
    archive(cereal::binary_data(array.data(), array.nbytes()));
    return;
  }
  archive(array.shape().extents());
  archive(cereal::binary_data(array.data(), array.nbytes()));
}

namespace detail {
/// An NDArray's extents as a std::vector would write them, with the count checked before
/// anything is allocated (a corrupt count must not become a huge allocation).
template <class Archive>
std::vector<std::int64_t> load_extents(Archive& archive) {
  cereal::size_type ndim = 0;
  archive(cereal::make_size_tag(ndim));
  if (ndim > 64) throw cereal::Exception("an NDArray claims more than 64 dimensions");
  std::vector<std::int64_t> extents(static_cast<std::size_t>(ndim));
  archive(cereal::binary_data(extents.data(), extents.size() * sizeof(std::int64_t)));
  return extents;
}
}  // namespace detail

template <class Archive, ArrayScalar Scalar>
void load(Archive& archive, NDArray<Scalar>& array) {
  std::vector<std::int64_t> extents = detail::load_extents(archive);
  if (extents.size() == 1 && extents[0] == -1) {
    std::string name;
    archive(name);
    const std::filesystem::path path = detail::array_file_path(name);  // checks the scope
    const auto* files = detail::current_array_files();
    array = load_npy<Scalar>(path, {.mmap_mode = files->mmap_mode});
    if (files->own_files) {
      array = detail::NDArrayAccess::view(
          detail::owning_file_buffer(detail::NDArrayAccess::buffer(array)),
          const_cast<Scalar*>(array.data()), array.shape(), array.writeable());  // NOLINT
    }
    return;
  }
  if (extents.size() == 1 && extents[0] == -2) {
    std::string name;
    std::vector<std::int64_t> view_extents;
    std::int64_t offset = 0;
    archive(name, view_extents, offset);
    const std::filesystem::path path = detail::array_file_path(name);  // checks the scope
    const NDArray<Scalar> file = load_npy<Scalar>(path, {.mmap_mode = "r"});
    Shape shape(std::move(view_extents));
    if (offset < 0 || offset > file.size() || shape.elements() > file.size() - offset) {
      detail::throw_bad_shared_reference();
    }
    array = detail::NDArrayAccess::view(detail::NDArrayAccess::buffer(file),
                                        const_cast<Scalar*>(file.data()) + offset,  // NOLINT
                                        std::move(shape), false);
    return;
  }
  bool aligned = false;
  if (extents.size() == 1 && extents[0] == detail::kAlignedMarker) {
    // A page-aligned array (aligned_arrays.hpp): its extents, then padding, then the bytes.
    extents = detail::load_extents(archive);
    std::uint64_t pad = 0;
    archive(pad);
    if (pad >= detail::kPageBytes) throw cereal::Exception("an aligned NDArray's padding is corrupt");
    std::array<char, detail::kPageBytes> skipped;
    archive(cereal::binary_data(skipped.data(), pad));
    aligned = true;
  }
  // Corrupt extents must not become a huge allocation: the data has to be in the input.
  std::int64_t elements = 1;
  for (auto e : extents) {
    if (e < 0 || (e > 0 && elements > (std::int64_t{1} << 50) / e)) {
      throw cereal::Exception("an NDArray extent is out of range");
    }
    elements *= e;
  }
  const auto* source = detail::current_source();
  if (source != nullptr &&
      static_cast<std::uint64_t>(elements) * sizeof(Scalar) > source->remaining()) {
    throw cereal::Exception("an NDArray claims more bytes than the input holds");
  }
  if (detail::MappedSource* mapped = detail::current_mapped_source();
      aligned && mapped != nullptr && mapped == source) {
    // load with mmap_mode: a view of the mapped file.
    char* at = mapped->next();
    if (reinterpret_cast<std::uintptr_t>(at) % alignof(Scalar) != 0) {
      throw cereal::Exception("an aligned NDArray is not aligned in the file");
    }
    const auto nbytes = static_cast<std::size_t>(elements) * sizeof(Scalar);
    array = detail::NDArrayAccess::view<Scalar>(mapped->mapping(),
                                                reinterpret_cast<Scalar*>(at),  // NOLINT
                                                Shape(std::move(extents)),
                                                mapped->mapping()->writeable());
    mapped->skip(nbytes);
    return;
  }
  auto out = NDArray<Scalar>::uninitialized(Shape(std::move(extents)));
  archive(cereal::binary_data(out.mutable_data(), out.nbytes()));
  array = std::move(out);
}

/// Appends the binary form of `value` to `out`.
template <class Value>
void serialize_into(std::string& out, const Value& value) {
  const detail::AlignedOutputScope not_a_file(nullptr);  // bytes in memory: nothing to align
  detail::StringSink sink(out);
  std::ostream stream(&sink);
  cereal::BinaryOutputArchive archive(stream);
  archive(value);
}

/// The binary form of `value`.
template <class Value>
std::string serialize(const Value& value) {
  std::string out;
  serialize_into(out, value);
  return out;
}

namespace detail {
/// Reads a `Value` from `source` (which must then be exhausted); a loom::Error when the input
/// is truncated or is not a `Value`.
template <class Value>
Value deserialize_from(InputSource& source) {
  const SourceScope scope(&source);
  std::istream stream(&source);
  Value value{};
  try {
    cereal::BinaryInputArchive archive(stream);
    archive(value);
  } catch (const cereal::Exception& e) {
    detail::throw_deserialize_error(detail::type_name<Value>(), e.what());
  } catch (const std::length_error& e) {
    detail::throw_deserialize_error(detail::type_name<Value>(), e.what());
  } catch (const std::bad_alloc&) {
    detail::throw_deserialize_error(detail::type_name<Value>(), "a length field is corrupt");
  }
  if (source.remaining() != 0)
    detail::throw_trailing_bytes(detail::type_name<Value>(), source.remaining());
  return value;
}
}  // namespace detail

/// Reads a `Value` from bytes made by loom::serialize; a loom::Error when they are truncated or
/// are not a `Value`.
template <class Value>
Value deserialize(std::string_view bytes) {
  detail::BytesSource source(bytes);
  return detail::deserialize_from<Value>(source);
}

}  // namespace loom
