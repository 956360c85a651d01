// Code addresses across processes (code_address.hpp): modules from dl_iterate_phdr, their GNU
// build-id notes, offsets from the load bias.

#include "cluster/code_address.hpp"

#include <elf.h>
#include <link.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <optional>

#include <fmt/format.h>

#include "loom/core/error.hpp"

namespace loom::detail {

namespace {

std::string hex(const unsigned char* bytes, std::size_t n) {
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) out += fmt::format("{:02x}", bytes[i]);
  return out;
}

// The GNU build id among the module's PT_NOTE segments ("" when it has none).
std::string build_id_of(const dl_phdr_info* info) {
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_NOTE) continue;
    const auto* at = reinterpret_cast<const unsigned char*>(info->dlpi_addr + ph.p_vaddr);
    const unsigned char* end = at + ph.p_memsz;
    while (at + sizeof(ElfW(Nhdr)) <= end) {
      ElfW(Nhdr) note;
      std::memcpy(&note, at, sizeof(note));
      const unsigned char* name = at + sizeof(note);
      const unsigned char* desc = name + ((note.n_namesz + 3U) & ~3U);
      const unsigned char* next = desc + ((note.n_descsz + 3U) & ~3U);
      if (next > end) break;
      if (note.n_type == NT_GNU_BUILD_ID && note.n_namesz == 4 &&
          std::memcmp(name, "GNU", 4) == 0) {
        return hex(desc, note.n_descsz);
      }
      at = next;
    }
  }
  return {};
}

}  // namespace

ModuleTable::ModuleTable() {
  dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* data) -> int {
        auto* modules = static_cast<std::vector<Module>*>(data);
        Module m;
        m.base = info->dlpi_addr;
        m.begin = UINTPTR_MAX;
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const ElfW(Phdr)& ph = info->dlpi_phdr[i];
          if (ph.p_type != PT_LOAD) continue;
          m.begin = std::min<std::uintptr_t>(m.begin, info->dlpi_addr + ph.p_vaddr);
          m.end = std::max<std::uintptr_t>(m.end, info->dlpi_addr + ph.p_vaddr + ph.p_memsz);
        }
        if (m.end == 0) return 0;
        const std::string id = build_id_of(info);
        if (!id.empty()) {
          m.id = "build-id:" + id;
        } else {
          const char* name = info->dlpi_name;
          m.id = std::string("path:") + (name != nullptr && *name != '\0' ? name : "<main>");
        }
        modules->push_back(std::move(m));
        return 0;
      },
      &modules_);
}

CodeAddress ModuleTable::encode(const void* address) const {
  const auto a = reinterpret_cast<std::uintptr_t>(address);
  for (const Module& m : modules_) {
    if (a >= m.begin && a < m.end) return CodeAddress{m.id, a - m.base};
  }
  throw Error(fmt::format("code address {} is in no loaded module", address));
}

const void* ModuleTable::decode(std::string_view module_id, std::uint64_t offset) const {
  for (const Module& m : modules_) {
    if (m.id != module_id) continue;
    const std::uintptr_t a = m.base + offset;
    if (a < m.begin || a >= m.end) {
      throw Error(fmt::format("code offset {} lies outside module {}", offset, module_id));
    }
    return reinterpret_cast<const void*>(a);
  }
  throw Error(fmt::format(
      "this worker has no module {} (it runs another build of the program than the driver)",
      module_id));
}

CodeAddress encode_code_address(const void* address) {
  static std::mutex mutex;
  static std::optional<ModuleTable> table;
  std::lock_guard lock(mutex);
  if (!table) table.emplace();
  try {
    return table->encode(address);
  } catch (const Error&) {
    table.emplace();  // a module loaded since (dlopen)
    return table->encode(address);
  }
}

}  // namespace loom::detail
