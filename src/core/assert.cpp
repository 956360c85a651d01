// The failure path of LOOM_ASSERT: one message on standard error, then abort (a core dump and
// the debugger's stack are worth more than unwinding past a broken invariant).

#include "loom/core/detail/assert.hpp"

#include <cstdio>
#include <cstdlib>

namespace loom::detail {

void assertion_failed(const char* condition, const char* message, const char* file,
                      int line) noexcept {
  std::fprintf(stderr, "loom: internal assertion failed at %s:%d: %s (%s)\n", file, line, message,
               condition);
  std::fflush(stderr);
  std::abort();
}

}  // namespace loom::detail
