#pragma once
// Typed values in the object store: Stored<T> holds one, value_ops<T>() tells the store how big
// it is and how it spills (NDArray as .npy, other serializable types in loom's general format;
// other types stay in memory).

#include <cstddef>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "loom/core/detail/small_alloc.hpp"
#include "loom/core/detail/type_name.hpp"
#include "loom/core/ndarray.hpp"
#include "loom/io/dump.hpp"
#include "loom/io/serialize.hpp"
#include "loom/remote/detail/exchange.hpp"
#include "loom/remote/detail/object_entry.hpp"

namespace loom::detail {

template <class T>
struct IsStdVector : std::false_type {};
template <class U, class A>
struct IsStdVector<std::vector<U, A>> : std::true_type {};

/// Memory a value occupies, for the store's accounting: an array's bytes, a string's or a
/// vector's elements, a type's own `nbytes()`, else its size.
template <class T>
std::size_t object_nbytes(const T& value) noexcept {
  if constexpr (IsNDArray<T>::value) {
    return sizeof(T) + value.nbytes();
  } else if constexpr (requires {
                         { value.nbytes() } -> std::convertible_to<std::size_t>;
                       }) {
    return sizeof(T) + static_cast<std::size_t>(value.nbytes());
  } else if constexpr (std::is_same_v<T, std::string>) {
    return sizeof(T) + value.size();
  } else if constexpr (IsStdVector<T>::value) {
    std::size_t total = sizeof(T);
    if constexpr (std::is_trivially_copyable_v<typename T::value_type>) {
      total += value.size() * sizeof(typename T::value_type);
    } else {
      for (const auto& item : value) total += object_nbytes(item);
    }
    return total;
  } else {
    return sizeof(T);
  }
}

template <class T>
class Stored final : public StoredValue {
 public:
  template <class... Args>
  explicit Stored(std::in_place_t /*tag*/, Args&&... args) : value(std::forward<Args>(args)...) {}

  [[nodiscard]] std::size_t nbytes() const noexcept override { return object_nbytes(value); }
  [[nodiscard]] bool shared_outside() const noexcept override {
    if constexpr (IsNDArray<T>::value) {
      return NDArrayAccess::buffer(value).use_count() > 1;
    } else {
      return false;
    }
  }
  void spill(const std::filesystem::path& path) const override {
    if constexpr (Serializable<T>) {
      loom::dump(value, path);
    } else {
      (void)path;
    }
  }

  T value;
};

template <class T>
std::shared_ptr<StoredValue> restore_stored(const std::filesystem::path& path) {
  if constexpr (Serializable<T>) {
    T value = loom::load<T>(path);
    if constexpr (IsNDArray<T>::value) value = value.read_only();
    return std::allocate_shared<Stored<T>>(SmallAllocator<Stored<T>>(), std::in_place,
                                           std::move(value));
  } else {
    (void)path;
    return nullptr;
  }
}

template <class T>
const ValueOps* value_ops() noexcept {
  static const ValueOps ops{Serializable<T>, IsNDArray<T>::value ? ".npy" : ".loom",
                            &restore_stored<T>, &type_name<T>};
  return &ops;
}

/// Makes the stored form of a value: an NDArray becomes read-only (a buffer another handle can
/// write is copied first, so a stored object never changes).
template <class T>
std::shared_ptr<StoredValue> make_stored(T&& value) {
  using V = std::remove_cvref_t<T>;
  if constexpr (IsNDArray<V>::value) {
    using Scalar = typename V::value_type;
    const std::shared_ptr<Buffer>& buffer = NDArrayAccess::buffer(value);
    const bool sole_owner = std::is_rvalue_reference_v<T&&> && buffer && buffer.use_count() == 1;
    const std::filesystem::path* shared = processes_store_folder();
    if (shared != nullptr && static_cast<std::int64_t>(value.nbytes()) >= kShareMinBytes &&
        (!sole_owner || std::filesystem::path(buffer->path()).parent_path() != *shared)) {
      // Processes mode: large arrays live in shared memory, where workers map them.
      NpyData file = create_shared_array(*shared, dtype_of<Scalar>(), value.shape());
      std::memcpy(file.data, value.data(), value.nbytes());
      V in_file = NDArrayAccess::view(std::move(file.buffer), reinterpret_cast<Scalar*>(file.data),
                                      value.shape(), false);
      return std::allocate_shared<Stored<V>>(SmallAllocator<Stored<V>>(), std::in_place,
                                             std::move(in_file));
    }
    V stored = sole_owner ? std::move(value) : value.copy();
    return std::allocate_shared<Stored<V>>(SmallAllocator<Stored<V>>(), std::in_place,
                                           stored.read_only());
  } else {
    return std::allocate_shared<Stored<V>>(SmallAllocator<Stored<V>>(), std::in_place,
                                           std::forward<T>(value));
  }
}

template <class T>
const T& stored_value(const StoredValue& stored) noexcept {
  return static_cast<const Stored<T>&>(stored).value;
}

}  // namespace loom::detail
