#include "loom/core/graph.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <thread>
#include <unordered_set>

#include <fmt/format.h>

#include "loom/core/error.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX, for posix_spawnp

namespace loom {

TaskGraph::TaskGraph(std::span<detail::NodeBase* const> roots) {
  std::unordered_set<const detail::NodeBase*> seen;
  std::vector<detail::NodeBase*> stack(roots.begin(), roots.end());
  while (!stack.empty()) {
    detail::NodeBase* n = stack.back();
    stack.pop_back();
    if (n == nullptr || !seen.insert(n).second) continue;
    n->retain();
    nodes_.push_back(detail::NodeRef::adopt(n));
    // Only nodes that cannot start meanwhile keep their inputs for sure: a claimed or running
    // node may drop them under our feet (draw a graph before or after computing it).
    const auto state = n->state();
    if (state == detail::NodeState::idle || state == detail::NodeState::cancelled) {
      for (detail::NodeBase* dep : n->deps()) stack.push_back(dep);
    }
  }
}

std::string TaskGraph::to_dot() const {
  std::string out = "digraph loom {\n  rankdir=BT;\n  node [shape=box, style=rounded];\n";
  auto escape = [](const std::string& s) {
    std::string e;
    for (char c : s) {
      if (c == '"' || c == '\\') e += '\\';
      e += c;
    }
    return e;
  };
  // Oldest first: a stable, readable order (ids grow as the graph is built).
  std::vector<const detail::NodeBase*> sorted;
  sorted.reserve(nodes_.size());
  for (const auto& n : nodes_) sorted.push_back(n.get());
  std::sort(sorted.begin(), sorted.end(),
            [](const auto* a, const auto* b) { return a->id() < b->id(); });
  for (const auto* n : sorted) {
    const bool done = n->state() == detail::NodeState::done;
    out += fmt::format("  n{} [label=\"{}\\n{}\"{}];\n", n->id(), escape(n->label()),
                       escape(n->result_type()), done ? ", style=\"rounded,filled\"" : "");
  }
  for (const auto* n : sorted) {
    for (const auto* dep : n->deps()) out += fmt::format("  n{} -> n{};\n", dep->id(), n->id());
  }
  out += "}\n";
  return out;
}

void TaskGraph::visualize(const std::filesystem::path& path) const {
  detail::write_graph_file(to_dot(), path);
}

namespace detail {

namespace {
void write_text(const std::string& text, const std::filesystem::path& path) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file || !file.write(text.data(), static_cast<std::streamsize>(text.size())) ||
      !file.flush()) {
    throw Error(fmt::format("visualize: cannot write '{}'", path.string()));
  }
}
}  // namespace

void write_graph_file(const std::string& dot, const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".dot" || ext == ".gv") {
    write_text(dot, path);
    return;
  }
  if (ext != ".svg" && ext != ".png" && ext != ".pdf") {
    throw ConfigError(
        fmt::format("visualize: '{}': use a .dot, .gv, .svg, .png or .pdf file", path.string()));
  }
  const std::filesystem::path dot_path = path.string() + ".dot";
  write_text(dot, dot_path);
  const std::string format = "-T" + ext.substr(1);
  const std::string out = "-o" + path.string();
  const std::string in = dot_path.string();
  char* argv[] = {const_cast<char*>("dot"), const_cast<char*>(format.c_str()),
                  const_cast<char*>(out.c_str()), const_cast<char*>(in.c_str()), nullptr};
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, "dot", nullptr, nullptr, argv, environ);
  if (rc != 0) {
    std::error_code ignored;
    std::filesystem::remove(dot_path, ignored);
    throw Error(fmt::format(
        "visualize: cannot run Graphviz's 'dot' to write '{}' ({}); install graphviz, or "
        "write a .dot file",
        path.string(), std::strerror(rc)));
  }
  // A minute at most: a graph that Graphviz cannot lay out in that time is not waited for.
  int status = 0;
  bool timed_out = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR)) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::error_code ignored;
  std::filesystem::remove(dot_path, ignored);
  if (timed_out) {
    throw Error(
        fmt::format("visualize: Graphviz's 'dot' ran over a minute writing '{}'; it was "
                    "stopped",
                    path.string()));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw Error(fmt::format("visualize: Graphviz's 'dot' failed to write '{}'", path.string()));
  }
}

}  // namespace detail
}  // namespace loom
