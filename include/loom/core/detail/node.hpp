#pragma once
// A task-graph node: a type-erased call plus the counters that schedule it.
//
// Nodes are reference counted (handles, and the inputs of later nodes, hold them). Scheduling is
// lock-free: a node counts its unfinished dependencies (`join_`) and keeps a lock-free list of
// the edges that wait for it (`waiters_`); the node that finishes releases its dependents
// directly, so there is no central scheduler loop. The scheduler itself is src/core/scheduler.cpp.

#include <atomic>
#include <cstdint>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <utility>

namespace loom::detail {

class NodeBase;

enum class NodeState : std::uint8_t {
  idle,       // built, not yet asked for
  claimed,    // part of a running compute, waiting for its dependencies or a thread
  running,    // its function is running
  done,       // its value is ready
  failed,     // it threw, or a dependency failed (error() says which task)
  cancelled,  // never ran because its computation failed elsewhere; may be computed again
};

/// "successor waits for a dependency". Edges live inside the successor (or the compute that
/// waits), so registering one allocates nothing.
struct Edge {
  Edge* next = nullptr;
  NodeBase* successor = nullptr;  // nullptr: the waiter is a compute call (`sink`)
  void* sink = nullptr;
};

/// Releases a node whose count reached zero without recursion (a 1,000,000-long chain).
void destroy_node(NodeBase* node) noexcept;

class NodeBase {
 public:
  NodeBase(const NodeBase&) = delete;
  NodeBase& operator=(const NodeBase&) = delete;

  // Nodes come from oneTBB's scalable allocator: graphs allocate and free them by the million,
  // often on different threads, where it beats the system allocator.
  static void* operator new(std::size_t size);
  static void operator delete(void* pointer) noexcept;

  void retain() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) destroy_node(this);
  }
  [[nodiscard]] bool unique() const noexcept { return refs_.load(std::memory_order_acquire) == 1; }
  /// One more reference, unless the count already reached zero (the node is being destroyed):
  /// for caches that point at nodes without owning them (a node's destructor removes it from
  /// such a cache, under the cache's lock; a lookup meanwhile must not revive it).
  [[nodiscard]] bool try_retain() noexcept {
    std::int32_t n = refs_.load(std::memory_order_relaxed);
    while (n > 0) {
      if (refs_.compare_exchange_weak(n, n + 1, std::memory_order_acq_rel)) return true;
    }
    return false;
  }

  [[nodiscard]] NodeState state() const noexcept { return state_.load(std::memory_order_acquire); }
  [[nodiscard]] bool finished() const noexcept { return state() >= NodeState::done; }
  /// The error of a failed or cancelled node (read after `finished()`).
  [[nodiscard]] const std::exception_ptr& error() const noexcept { return error_; }

  /// The name given to `delayed(f, name)`, or "" for an unnamed task.
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] std::uint64_t id() const noexcept { return id_; }
  /// "name #id" for messages, or "task #id" when unnamed.
  [[nodiscard]] std::string label() const;
  /// The result type, for summaries and DOT labels.
  [[nodiscard]] virtual const std::string& result_type() const noexcept = 0;

  /// The dependencies still held (a node drops them once it has run).
  [[nodiscard]] std::span<NodeBase* const> deps() const noexcept { return {deps_, ndeps_}; }

 protected:
  explicit NodeBase(std::string name);
  virtual ~NodeBase();

  /// Runs the function and stores the value; may throw.
  virtual void invoke() = 0;
  /// Destroys the function and the arguments (and so the references to the dependencies).
  virtual void release_inputs() noexcept = 0;

  void set_deps(NodeBase* const* deps, Edge* edges, std::uint32_t count) noexcept {
    deps_ = deps;
    edges_ = edges;
    ndeps_ = count;
  }

 private:
  friend struct NodeAccess;  // the scheduler (src/core)
  friend void destroy_node(NodeBase*) noexcept;

  std::atomic<std::int32_t> refs_{1};
  std::atomic<NodeState> state_{NodeState::idle};
  std::atomic<bool> dep_failed_{false};
  std::atomic<std::int32_t> join_{0};
  std::atomic<Edge*> waiters_{nullptr};
  NodeBase* const* deps_ = nullptr;
  Edge* edges_ = nullptr;
  std::uint32_t ndeps_ = 0;
  void* context_ = nullptr;  // the compute that claimed it, while claimed or running
  std::exception_ptr error_;
  std::exception_ptr dep_error_;
  std::string name_;
  std::uint64_t id_;
};

/// An owning, intrusive reference to a node.
class NodeRef {
 public:
  NodeRef() noexcept = default;
  /// Adopts a node with one reference already counted (a new node).
  static NodeRef adopt(NodeBase* node) noexcept { return NodeRef(node); }
  NodeRef(const NodeRef& other) noexcept : node_(other.node_) {
    if (node_ != nullptr) node_->retain();
  }
  NodeRef(NodeRef&& other) noexcept : node_(std::exchange(other.node_, nullptr)) {}
  NodeRef& operator=(NodeRef other) noexcept {
    std::swap(node_, other.node_);
    return *this;
  }
  ~NodeRef() {
    if (node_ != nullptr) node_->release();
  }
  [[nodiscard]] NodeBase* get() const noexcept { return node_; }
  NodeBase* operator->() const noexcept { return node_; }
  explicit operator bool() const noexcept { return node_ != nullptr; }

 private:
  explicit NodeRef(NodeBase* node) noexcept : node_(node) {}
  NodeBase* node_ = nullptr;
};

/// A node that produces a value of type `Scalar` (std::optional storage; nothing for void).
template <class Scalar>
class ValueNode : public NodeBase {
 public:
  [[nodiscard]] const Scalar& value() const noexcept { return *value_; }
  [[nodiscard]] Scalar& value() noexcept { return *value_; }

 protected:
  using NodeBase::NodeBase;
  std::optional<Scalar> value_;
};

template <>
class ValueNode<void> : public NodeBase {
 protected:
  using NodeBase::NodeBase;
};

/// Throws loom::Error: an empty (default-made) Delayed was used.
[[noreturn]] void throw_empty_delayed();
/// `"Delayed<int>('name' #3, tasks=3, pending)"`: the lazy summary printed by operator<<.
std::string describe_node(const NodeBase* node, std::size_t tasks);

/// While it lives, computes started on this thread run inline on it, without the thread pool
/// (the sequential backend).
class InlineScope {
 public:
  InlineScope() noexcept;
  ~InlineScope();
  InlineScope(const InlineScope&) = delete;
  InlineScope& operator=(const InlineScope&) = delete;
};
/// From now on every compute in this process runs inline: for a forked worker, where oneTBB's
/// threads do not exist.
void set_process_inline() noexcept;
/// Whether computes on this thread run inline.
[[nodiscard]] bool computes_inline() noexcept;

/// Computes the nodes (one graph: shared dependencies run once) and waits for them. Throws the
/// first failure (a loom::TaskError naming the task that threw). Defined in src/core/scheduler.cpp.
void compute_nodes(std::span<NodeBase* const> roots);

}  // namespace loom::detail
