#pragma once
// Writing a file so that a crash or a concurrent writer never leaves a readable half file:
// the parts go to a temporary file unique to this process, thread and call, which is then
// renamed into place.

#include <filesystem>
#include <initializer_list>
#include <string_view>

namespace loom::detail {

/// Writes the concatenation of `parts` to `path` atomically. Throws loom::Error
/// "'path': cannot write: ..." (and removes the temporary) when anything fails.
void write_file_atomically(const std::filesystem::path& path,
                           std::initializer_list<std::string_view> parts);

}  // namespace loom::detail
