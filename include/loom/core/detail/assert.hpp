#pragma once
// LOOM_ASSERT(condition, "message"): checks an internal invariant of loom's own code — never
// user input, which gets a loom::Error. Where a broken invariant would be undefined behaviour
// (an iterator past the end, a node state out of order, an offset outside its column), the
// assertion stops the program at once with the file, line, condition and message.
//
// Active in debug builds (no NDEBUG) and in sanitizer builds (the asan and tsan presets);
// compiled out in release builds, where the condition is not evaluated. Define
// LOOM_ENABLE_ASSERTS to 1 (or 0) before the first loom include to force them on (or off).

namespace loom::detail {

/// Prints where and what failed to standard error and aborts (defined in src/core/assert.cpp).
[[noreturn]] void assertion_failed(const char* condition, const char* message, const char* file,
                                   int line) noexcept;

}  // namespace loom::detail

#if !defined(LOOM_ENABLE_ASSERTS)
#if !defined(NDEBUG) || defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define LOOM_ENABLE_ASSERTS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define LOOM_ENABLE_ASSERTS 1
#endif
#endif
#endif
#if !defined(LOOM_ENABLE_ASSERTS)
#define LOOM_ENABLE_ASSERTS 0
#endif

#if LOOM_ENABLE_ASSERTS
#define LOOM_ASSERT(condition, message)                                                 \
  ((condition) ? static_cast<void>(0)                                                   \
               : ::loom::detail::assertion_failed(#condition, message, __FILE__, __LINE__))
#else
#define LOOM_ASSERT(condition, message) static_cast<void>(0)
#endif
