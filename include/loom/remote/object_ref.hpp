#pragma once
// loom::ObjectRef<T>: a typed, copyable, reference-counted handle to an object of the object
// store (docs/remote.md). The object may not exist yet (a task's result); it is freed when the
// last ref to it, including the refs that pending tasks hold, is gone.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <ostream>
#include <type_traits>
#include <utility>

#include "loom/core/detail/type_name.hpp"
#include "loom/remote/detail/object_entry.hpp"

namespace loom {

namespace detail {
struct ObjectRefAccess;
}  // namespace detail

template <class T>
class ObjectRef {
  static_assert(!std::is_reference_v<T> && !std::is_const_v<T>,
                "ObjectRef<T> holds a plain value type");

 public:
  using value_type = T;

  /// An empty ref (using it in get, wait or a task is a loom::Error).
  ObjectRef() noexcept = default;

  /// The object's id (unique in this process).
  [[nodiscard]] std::uint64_t id() const {
    require();
    return entry_->id();
  }
  [[nodiscard]] bool valid() const noexcept { return static_cast<bool>(entry_); }
  explicit operator bool() const noexcept { return valid(); }
  /// Whether the value (or the task's failure) is there: `get` would not wait.
  [[nodiscard]] bool ready() const {
    require();
    return entry_->finished();
  }

  friend bool operator==(const ObjectRef& a, const ObjectRef& b) noexcept {
    return a.entry_ == b.entry_;
  }
  friend std::ostream& operator<<(std::ostream& out, const ObjectRef& ref) {
    out << "ObjectRef<" << detail::type_name<T>() << ">(";
    if (ref.valid()) {
      out << '#' << ref.entry_->id() << (ref.entry_->finished() ? ", ready" : ", pending");
    } else {
      out << "empty";
    }
    return out << ')';
  }

 private:
  friend struct detail::ObjectRefAccess;
  explicit ObjectRef(detail::EntryRef entry) noexcept : entry_(std::move(entry)) {}
  void require() const {
    if (!entry_) detail::throw_empty_ref();
  }
  detail::EntryRef entry_;
};

namespace detail {

/// loom's own way between refs and the store's entries (a ref keeps its entry private).
struct ObjectRefAccess {
  /// A ref to `entry` (taking over its reference).
  template <class T>
  static ObjectRef<T> adopt(EntryRef entry) noexcept {
    return ObjectRef<T>(std::move(entry));
  }
  /// The entry behind `ref` (empty for an empty ref).
  template <class T>
  static const EntryRef& entry(const ObjectRef<T>& ref) noexcept {
    return ref.entry_;
  }
};

}  // namespace detail

template <class T>
struct IsObjectRef : std::false_type {};
template <class T>
struct IsObjectRef<ObjectRef<T>> : std::true_type {};

}  // namespace loom

template <class T>
struct std::hash<loom::ObjectRef<T>> {
  std::size_t operator()(const loom::ObjectRef<T>& ref) const noexcept {
    return std::hash<const void*>{}(loom::detail::ObjectRefAccess::entry(ref).get());
  }
};
