#pragma once
// Scratch tables that outlive their user on its thread: the group-by of the next partition
// takes them back already in memory. Fresh pages cost a fault per 4 KB (on these machines
// about as much as filling them), and a hash table rebuilt for every partition also grows
// through every size on the way. Private to src/dataframe.

#include <cstddef>
#include <utility>
#include <vector>

namespace loom::dataframe::detail {

template <class T>
std::vector<T>& spare_slot() {
  thread_local std::vector<T> spare;
  return spare;
}

/// Takes this thread's spare vector of T (empty if none), holding `n` copies of `fill` (no
/// new memory when its capacity allows).
template <class T>
std::vector<T> take_spare(std::size_t n, const T& fill) {
  std::vector<T> v = std::move(spare_slot<T>());
  v.assign(n, fill);
  return v;
}
/// Gives a vector back as this thread's spare (its size is the next hint); one larger than
/// 16 MB is freed instead, so that a thread never holds more than that per kind of table.
template <class T>
void give_spare(std::vector<T>&& v) {
  constexpr std::size_t kKeep = std::size_t{16} << 20;
  if (v.capacity() * sizeof(T) > kKeep) {
    spare_slot<T>() = std::vector<T>();
    return;
  }
  spare_slot<T>() = std::move(v);
}
/// The size of the last vector given back (0 if none).
template <class T>
std::size_t spare_size() {
  return spare_slot<T>().size();
}

}  // namespace loom::dataframe::detail
