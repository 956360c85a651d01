#include "core/temp_folder.hpp"

#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "loom/core/config.hpp"
#include "loom/core/error.hpp"

namespace loom::detail {

namespace {

constexpr unsigned long long kShmMinFree = 1ULL << 30;

bool usable_shm(const char* folder) {
  struct statvfs st {};
  if (::statvfs(folder, &st) != 0) return false;
  if (::access(folder, W_OK | X_OK) != 0) return false;
  return static_cast<unsigned long long>(st.f_bavail) * st.f_frsize >= kShmMinFree;
}

}  // namespace

std::filesystem::path temporary_directory(TempPurpose purpose) {
  if (std::string configured = config::get("temporary-directory"); !configured.empty()) {
    return configured;
  }
  if (const char* env = std::getenv("LOOM_TEMP_FOLDER"); env != nullptr && *env != '\0') {
    return env;
  }
  if (purpose != TempPurpose::spill && usable_shm("/dev/shm")) return "/dev/shm";
  if (const char* env = std::getenv("TMPDIR"); env != nullptr && *env != '\0') return env;
  return "/tmp";
}

TempFolder::TempFolder(const char* what, TempPurpose purpose)
    : TempFolder(what, temporary_directory(purpose)) {}

TempFolder::TempFolder(const char* what, const std::filesystem::path& base) {
  std::error_code ignored;
  std::filesystem::create_directories(base, ignored);  // mkdtemp says what went wrong
  std::string pattern = (base / fmt::format("loom-{}-{}-XXXXXX", what, ::getpid())).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw Error(
        fmt::format("cannot make a temporary folder in '{}': {} (set LOOM_TEMP_FOLDER or "
                    "config \"temporary-directory\" to a writable folder)",
                    base.string(), std::strerror(errno)));
  }
  path_ = pattern;
}

TempFolder::~TempFolder() { remove(); }

TempFolder::TempFolder(TempFolder&& other) noexcept : path_(std::exchange(other.path_, {})) {}

TempFolder& TempFolder::operator=(TempFolder&& other) noexcept {
  if (this != &other) {
    remove();
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

void TempFolder::remove() noexcept {
  if (path_.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
  path_.clear();
}

}  // namespace loom::detail
