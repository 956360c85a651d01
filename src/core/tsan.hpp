#pragma once
// ThreadSanitizer annotations for synchronization that happens inside oneTBB (a node handed
// from the thread that made it ready to the thread that runs it). Nothing in other builds.

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#define LOOM_TSAN_RELEASE(addr) __tsan_release(static_cast<void*>(addr))
#define LOOM_TSAN_ACQUIRE(addr) __tsan_acquire(static_cast<void*>(addr))
#else
#define LOOM_TSAN_RELEASE(addr) static_cast<void>(0)
#define LOOM_TSAN_ACQUIRE(addr) static_cast<void>(0)
#endif
