#pragma once
// Memory for the many small objects loom makes and frees on different threads (graph nodes,
// remote task records, object entries): oneTBB's scalable allocator when the build has it.

#include <cstddef>
#include <new>

namespace loom::detail {

/// Throws std::bad_alloc.
void* small_allocate(std::size_t size);
void small_deallocate(void* pointer) noexcept;

/// A std allocator on top of small_allocate (for std::allocate_shared).
template <class T>
struct SmallAllocator {
  using value_type = T;
  SmallAllocator() noexcept = default;
  template <class U>
  SmallAllocator(const SmallAllocator<U>& /*other*/) noexcept {}  // NOLINT: rebinding
  T* allocate(std::size_t n) { return static_cast<T*>(small_allocate(n * sizeof(T))); }
  void deallocate(T* p, std::size_t /*n*/) noexcept { small_deallocate(p); }
  template <class U>
  friend bool operator==(const SmallAllocator& /*a*/, const SmallAllocator<U>& /*b*/) noexcept {
    return true;
  }
};

}  // namespace loom::detail
