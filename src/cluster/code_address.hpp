#pragma once
// Code addresses that mean the same in another process of the same program: the module's
// build id (GNU build-id note, else its path) and the offset within that module. A worker
// process (forked here, or started by MPI on another machine) turns them back into an address
// after checking that it runs the same build.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace loom::detail {

struct CodeAddress {
  std::string module_id;  // "build-id:<hex>" or "path:<file>"
  std::uint64_t offset = 0;
};

/// The modules loaded in this process (one table per process: a forked child builds its own,
/// never touching a lock another thread of the parent may have held).
class ModuleTable {
 public:
  ModuleTable();
  /// Throws loom::Error when `address` is in no loaded module.
  [[nodiscard]] CodeAddress encode(const void* address) const;
  /// Throws loom::Error naming the module when this process has no module with that id (another
  /// build of the program) or the offset lies outside it.
  [[nodiscard]] const void* decode(std::string_view module_id, std::uint64_t offset) const;

 private:
  struct Module {
    std::uintptr_t base = 0;   // the load bias (offsets are relative to it)
    std::uintptr_t begin = 0;  // the lowest and highest mapped address of its segments
    std::uintptr_t end = 0;
    std::string id;
  };
  std::vector<Module> modules_;
};

/// The driver's table (built once, rebuilt when an address is in a module loaded later).
CodeAddress encode_code_address(const void* address);

}  // namespace loom::detail
