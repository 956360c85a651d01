#include "loom/core/detail/small_alloc.hpp"

#include <cstdlib>

#ifdef LOOM_USE_TBBMALLOC
#include <oneapi/tbb/scalable_allocator.h>
#endif

namespace loom::detail {

#ifdef LOOM_USE_TBBMALLOC
void* small_allocate(std::size_t size) {
  void* p = scalable_malloc(size);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

void small_deallocate(void* pointer) noexcept { scalable_free(pointer); }
#else
void* small_allocate(std::size_t size) { return ::operator new(size); }

void small_deallocate(void* pointer) noexcept { ::operator delete(pointer); }
#endif

}  // namespace loom::detail
