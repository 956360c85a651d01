#pragma once
// A folder for one test process's files (`<tmp>/loom-tests-<pid>`), made on first use and
// removed with everything in it when the process exits. Forked workers leave with _exit and so
// never remove it; a test whose workers use it names it before they fork.

#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace loom::test {

inline const std::filesystem::path& scratch_folder() {
  struct Folder {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("loom-tests-" + std::to_string(::getpid()));
    Folder() { std::filesystem::create_directories(path); }
    ~Folder() {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  };
  static const Folder folder;
  return folder.path;
}

}  // namespace loom::test
