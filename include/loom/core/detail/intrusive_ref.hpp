#pragma once
// IntrusiveRef<T>: an owning reference to an object that counts its own references (its
// retain() and release()), as the object store's entries and actors do: copying retains, the
// destructor releases, and a new object is adopted with the reference it was born with.

#include <utility>

namespace loom::detail {

template <class T>
class IntrusiveRef {
 public:
  IntrusiveRef() noexcept = default;
  /// Takes over a reference already counted (a new object starts with one).
  static IntrusiveRef adopt(T* object) noexcept { return IntrusiveRef(object); }
  IntrusiveRef(const IntrusiveRef& other) noexcept : object_(other.object_) {
    if (object_ != nullptr) object_->retain();
  }
  IntrusiveRef(IntrusiveRef&& other) noexcept : object_(std::exchange(other.object_, nullptr)) {}
  IntrusiveRef& operator=(IntrusiveRef other) noexcept {
    std::swap(object_, other.object_);
    return *this;
  }
  ~IntrusiveRef() {
    if (object_ != nullptr) object_->release();
  }

  [[nodiscard]] T* get() const noexcept { return object_; }
  T* operator->() const noexcept { return object_; }
  T& operator*() const noexcept { return *object_; }
  explicit operator bool() const noexcept { return object_ != nullptr; }
  friend bool operator==(const IntrusiveRef& a, const IntrusiveRef& b) noexcept {
    return a.object_ == b.object_;
  }

 private:
  explicit IntrusiveRef(T* object) noexcept : object_(object) {}
  T* object_ = nullptr;
};

}  // namespace loom::detail
