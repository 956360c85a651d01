#pragma once
// Scratch tables that outlive their user on its thread: the group-by of the next partition
// takes them back already in memory. Fresh pages cost a fault per 4 KB (on these machines
// about as much as filling them), and a hash table rebuilt for every partition also grows
// through every size on the way. Private to src/dataframe.

#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <new>
#include <utility>
#include <vector>

namespace loom::dataframe::detail {

template <class T>
struct HugeAllocator {
  using value_type = T;
  HugeAllocator() = default;
  template <class U>
  HugeAllocator(const HugeAllocator<U>&) noexcept {}
  static constexpr std::size_t kHuge = std::size_t{2} << 20;
  // Cache-line aligned; from 2 MB on, on huge pages where the system gives them (a table
  // probed at random then misses the TLB far less).
  T* allocate(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    const std::size_t align = bytes < kHuge ? 64 : kHuge;
    const std::size_t len = (bytes + align - 1) / align * align;
    void* p = nullptr;
    if (::posix_memalign(&p, align, len) != 0) throw std::bad_alloc();
    if (align == kHuge) ::madvise(p, len, MADV_HUGEPAGE);
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t /*n*/) noexcept { ::free(p); }
  template <class U>
  bool operator==(const HugeAllocator<U>&) const noexcept {
    return true;
  }
};
template <class T>
using SpareVector = std::vector<T, HugeAllocator<T>>;

// Set once this thread's spare of T has been destroyed (at thread exit; for the main thread,
// before static objects go): a table given back later, say by a static merged frame, is then
// freed instead of written into the destroyed spare. A bool has no destructor to run, so it can
// still be read then.
template <class T>
bool& spare_gone() {
  thread_local bool gone = false;
  return gone;
}
template <class T>
struct SpareHolder {
  SpareVector<T> vector;
  SpareHolder() = default;
  SpareHolder(const SpareHolder&) = delete;
  SpareHolder& operator=(const SpareHolder&) = delete;
  ~SpareHolder() { spare_gone<T>() = true; }
};
/// This thread's spare vector of T, or nullptr once it has been destroyed.
template <class T>
SpareVector<T>* spare_slot() {
  if (spare_gone<T>()) return nullptr;
  thread_local SpareHolder<T> holder;
  return &holder.vector;
}

/// Takes this thread's spare vector of T (empty if none), holding `n` copies of `fill` (no
/// new memory when its capacity allows).
template <class T>
SpareVector<T> take_spare(std::size_t n, const T& fill) {
  SpareVector<T> v;
  if (SpareVector<T>* spare = spare_slot<T>()) v = std::move(*spare);
  v.assign(n, fill);
  return v;
}
/// Gives a vector back as this thread's spare (its size is the next hint); one larger than
/// 16 MB is freed instead, so that a thread never holds more than that per kind of table.
template <class T>
void give_spare(SpareVector<T>&& v) {
  constexpr std::size_t kKeep = std::size_t{16} << 20;
  SpareVector<T>* spare = spare_slot<T>();
  if (spare == nullptr) return;  // v frees its memory
  if (v.capacity() * sizeof(T) > kKeep) {
    *spare = SpareVector<T>();
    return;
  }
  *spare = std::move(v);
}
/// The size of the last vector given back (0 if none).
template <class T>
std::size_t spare_size() {
  const SpareVector<T>* spare = spare_slot<T>();
  return spare != nullptr ? spare->size() : 0;
}

}  // namespace loom::dataframe::detail
