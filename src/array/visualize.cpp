// Array::visualize: the expression as Graphviz DOT, written as text or converted to a picture.

#include "loom/array/detail/visualize.hpp"

#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "loom/core/graph.hpp"

namespace loom::array::detail {

void write_dot(const NodeBase& root, const std::filesystem::path& path) {
  std::string dot = "digraph loom_array {\n  rankdir=BT;\n  node [shape=box];\n";
  std::map<const NodeBase*, int> ids;
  std::vector<const NodeBase*> todo{&root};
  while (!todo.empty()) {
    const NodeBase* n = todo.back();
    todo.pop_back();
    if (ids.count(n) != 0) continue;
    const int id = static_cast<int>(ids.size());
    ids[n] = id;
    dot += fmt::format("  n{} [label=\"{}\\nshape={}\\n{} chunks\"];\n", id, n->kind(),
                       n->shape().str(), n->chunks().npartitions());
    for (const NodeBase* input : n->inputs()) todo.push_back(input);
  }
  for (const auto& [n, id] : ids) {
    for (const NodeBase* input : n->inputs()) dot += fmt::format("  n{} -> n{};\n", ids[input], id);
  }
  dot += "}\n";
  // .dot/.gv as text, .svg/.png/.pdf through Graphviz, as Delayed::visualize does.
  loom::detail::write_graph_file(dot, path);
}

}  // namespace loom::array::detail
