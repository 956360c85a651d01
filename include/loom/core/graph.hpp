#pragma once
// A snapshot of the task graph behind one or more lazy values: its size and a Graphviz picture.

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "loom/core/detail/node.hpp"

namespace loom {

template <class Scalar>
class Delayed;

/// What `Delayed::graph()` returns; only a lazy value makes one.
class TaskGraph {
 public:
  /// Number of task nodes.
  [[nodiscard]] std::size_t size() const noexcept { return nodes_.size(); }
  /// Graphviz DOT text: one node per task (label: name, id, result type; computed ones filled),
  /// one edge per dependency.
  [[nodiscard]] std::string to_dot() const;
  /// Writes the graph: `.dot`/`.gv` as DOT text; `.svg`, `.png`, `.pdf` through Graphviz's `dot`
  /// (a loom::Error saying so when `dot` is not installed).
  void visualize(const std::filesystem::path& path) const;

 private:
  template <class Scalar>
  friend class Delayed;
  /// The nodes reachable from `roots` that are not yet released (a node drops its inputs once
  /// it has run, so a computed value's graph is the value alone).
  explicit TaskGraph(std::span<detail::NodeBase* const> roots);

  std::vector<detail::NodeRef> nodes_;  // held, so that the snapshot stays valid
};

namespace detail {
/// Writes DOT text to `path`, converting through Graphviz for image extensions.
void write_graph_file(const std::string& dot, const std::filesystem::path& path);
}  // namespace detail

}  // namespace loom
