#pragma once
// Where loom keeps temporary files (large results of worker processes, the object store, disk
// shuffles, spilled objects): one choice of folder for every use, and a folder that removes
// itself.

#include <filesystem>

namespace loom::detail {

/// What temporary files are for; it decides whether memory-backed /dev/shm is preferred.
enum class TempPurpose {
  shared_memory,  // files other processes map (worker results, the object store): /dev/shm
  spill,          // files that exist to free memory (spilled objects, disk shuffles): never
                  // /dev/shm, which is memory itself
};

/// The base folder for temporary files: config "temporary-directory" when set, else
/// LOOM_TEMP_FOLDER, else (unless `purpose` is spill) /dev/shm when it is writable and has at
/// least 1 GiB free, else TMPDIR or /tmp.
std::filesystem::path temporary_directory(TempPurpose purpose);

/// A fresh folder `<base>/loom-<what>-<pid>-XXXXXX`, removed with everything in it when the
/// object dies. Throws loom::Error naming the base folder when it cannot be made.
class TempFolder {
 public:
  TempFolder() = default;
  TempFolder(const char* what, TempPurpose purpose);
  /// The same inside `base` (made when missing) instead of the temporary directory.
  TempFolder(const char* what, const std::filesystem::path& base);
  ~TempFolder();
  TempFolder(TempFolder&& other) noexcept;
  TempFolder& operator=(TempFolder&& other) noexcept;
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  [[nodiscard]] bool empty() const noexcept { return path_.empty(); }
  /// Removes the folder now (also done by the destructor). Never throws.
  void remove() noexcept;

 private:
  std::filesystem::path path_;
};

}  // namespace loom::detail
