#include <atomic>
#include <vector>

#include <fmt/format.h>

#include "loom/core/delayed.hpp"
#include "loom/core/detail/call_node.hpp"
#include "loom/core/detail/node.hpp"
#include "loom/core/detail/small_alloc.hpp"
#include "loom/core/error.hpp"

namespace loom::detail {

namespace {
std::atomic<std::uint64_t> next_node_id{1};
}  // namespace

void* NodeBase::operator new(std::size_t size) { return small_allocate(size); }

void NodeBase::operator delete(void* pointer) noexcept { small_deallocate(pointer); }

NodeBase::NodeBase(std::string name)
    : name_(std::move(name)), id_(next_node_id.fetch_add(1, std::memory_order_relaxed)) {}

NodeBase::~NodeBase() = default;

std::string NodeBase::label() const {
  return name_.empty() ? fmt::format("task #{}", id_) : fmt::format("{} #{}", name_, id_);
}

void destroy_node(NodeBase* node) noexcept {
  // Destroying a node releases its inputs, which may free its dependencies, and so on down a
  // chain: a per-thread work list keeps that a loop instead of a recursion.
  thread_local std::vector<NodeBase*> pending;
  thread_local bool draining = false;
  if (draining) {
    pending.push_back(node);
    return;
  }
  draining = true;
  delete node;  // NOLINT(cppcoreguidelines-owning-memory): the last reference is gone
  while (!pending.empty()) {
    NodeBase* next = pending.back();
    pending.pop_back();
    delete next;  // NOLINT(cppcoreguidelines-owning-memory)
  }
  draining = false;
}

void throw_empty_delayed() {
  throw Error("loom: an empty Delayed (default-constructed or moved-from) cannot be computed");
}

void throw_empty_argument(std::size_t index) {
  throw Error(fmt::format(
      "loom::delayed: argument {} is an empty Delayed (default-constructed or moved-from)", index));
}

std::string describe_node(const NodeBase* node, std::size_t tasks) {
  static constexpr const char* kStates[] = {"pending", "pending", "running",
                                            "done",    "failed",  "cancelled"};
  const auto state = kStates[static_cast<int>(node->state())];
  if (node->name().empty()) {
    return fmt::format("Delayed<{}>(#{}, tasks={}, {})", node->result_type(), node->id(), tasks,
                       state);
  }
  return fmt::format("Delayed<{}>('{}' #{}, tasks={}, {})", node->result_type(), node->name(),
                     node->id(), tasks, state);
}

}  // namespace loom::detail
