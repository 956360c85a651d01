#pragma once
// A folder for one test process's files (`<tmp>/loom-tests-<pid>`), made on first use and
// removed with everything in it when the process that made it exits. Forked workers leave with
// _exit, and a forked child that exits normally (a death test) leaves it alone; a test whose
// workers use it names it before they fork.

#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace loom::test {

inline const std::filesystem::path& scratch_folder() {
  struct Folder {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("loom-tests-" + std::to_string(::getpid()));
    pid_t owner = ::getpid();
    Folder() { std::filesystem::create_directories(path); }
    ~Folder() {
      if (::getpid() != owner) return;
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  };
  static const Folder folder;
  return folder.path;
}

}  // namespace loom::test
