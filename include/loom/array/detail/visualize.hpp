#pragma once
// Array::visualize: the expression as a Graphviz DOT file (src/array/visualize.cpp).

#include <filesystem>

#include "loom/array/detail/node.hpp"

namespace loom::array::detail {

void write_dot(const NodeBase& root, const std::filesystem::path& path);

}  // namespace loom::array::detail
