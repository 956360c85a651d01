#pragma once
// Lazy values: loom::delayed(f)(args...) -> Delayed<T> (docs/core.md).
//
//   auto a = loom::delayed(inc)(1);        // nothing runs
//   auto b = loom::delayed(add)(a, 10);    // a Delayed argument is a dependency
//   int v = b.compute();                   // runs a, then b, on the thread pool
//
// A Delayed is a cheap, copyable handle onto a graph node. A computed node keeps its value for
// as long as a handle lives, and drops its inputs once it has run.

#include <cstddef>
#include <filesystem>
#include <ostream>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "loom/core/detail/call_node.hpp"
#include "loom/core/detail/delayed_access.hpp"
#include "loom/core/detail/node.hpp"
#include "loom/core/graph.hpp"

namespace loom {

template <class Scalar>
class Delayed {
 public:
  using value_type = Scalar;

  /// An empty handle (computing it is a loom::Error); real ones come from loom::delayed.
  Delayed() noexcept = default;

  /// Runs what is needed (once) and returns the value, which lives as long as this handle.
  /// Throws loom::TaskError when a task throws.
  template <class S = Scalar>
  requires(!std::is_void_v<S>) const S& compute() const& {
    ensure_computed();
    return value_node()->value();
  }
  /// The value, moved out when this was the last handle onto it.
  template <class S = Scalar>
  requires(!std::is_void_v<S>) S compute() && {
    ensure_computed();
    if (node_->unique()) return std::move(value_node()->value());
    return value_node()->value();
  }
  template <class S = Scalar>
  requires std::is_void_v<S>
  void compute() const { ensure_computed(); }

  /// joblib's `task()`: the same as compute().
  decltype(auto) operator()() const& { return compute(); }
  decltype(auto) operator()() && { return std::move(*this).compute(); }

  /// Computes now and keeps the value (Dask's persist); returns this handle.
  const Delayed& persist() const& {
    ensure_computed();
    return *this;
  }

  /// True once the value (or the failure) is there.
  [[nodiscard]] bool done() const noexcept { return node_ && node_->finished(); }
  [[nodiscard]] const std::string& name() const noexcept { return node_checked()->name(); }
  [[nodiscard]] TaskGraph graph() const {
    detail::NodeBase* root = node_checked();
    return TaskGraph({&root, 1});
  }
  void visualize(const std::filesystem::path& path) const { graph().visualize(path); }

  /// A lazy summary; never runs anything: `Delayed<int>('add' #3, tasks=3, pending)`.
  friend std::ostream& operator<<(std::ostream& os, const Delayed& d) {
    if (!d.node_) return os << "Delayed<" << detail::type_name<Scalar>() << ">(empty)";
    return os << detail::describe_node(d.node_.get(), d.graph().size());
  }

 private:
  friend struct detail::DelayedAccess;
  explicit Delayed(detail::NodeRef node) noexcept : node_(std::move(node)) {}

  detail::NodeBase* node_checked() const {
    if (!node_) detail::throw_empty_delayed();
    return node_.get();
  }
  void ensure_computed() const {
    detail::NodeBase* node = node_checked();
    if (node->state() != detail::NodeState::done) detail::compute_nodes({&node, 1});
  }
  auto* value_node() const noexcept { return static_cast<detail::ValueNode<Scalar>*>(node_.get()); }

  detail::NodeRef node_;
};

namespace detail {

template <class F>
class DelayedFunction {
 public:
  DelayedFunction(F f, std::string name) : f_(std::move(f)), name_(std::move(name)) {}

  /// Builds the lazy call f(args...). Arguments are captured by value (std::ref for a
  /// reference); Delayed arguments become dependencies (docs/core.md).
  template <class... Args>
  auto operator()(Args&&... args) const {
    using Call = DelayedCall<F, Args...>;
    using Result = typename Call::Result;
    using Node = CallNode<Result, F, typename Call::Tuple, Call::mask>;
    return DelayedAccess::wrap<Result>(
        NodeRef::adopt(new Node(name_, f_, std::forward<Args>(args)...)));  // NOLINT: adopted
  }

  [[nodiscard]] const std::string& name() const noexcept { return name_; }

 private:
  F f_;
  std::string name_;
};

template <class Scalar>
using ValueOrMonostate = std::conditional_t<std::is_void_v<Scalar>, std::monostate, Scalar>;

template <class Scalar>
ValueOrMonostate<Scalar> value_of(const Delayed<Scalar>& d) {
  if constexpr (std::is_void_v<Scalar>) {
    return {};
  } else {
    return static_cast<const ValueNode<Scalar>*>(DelayedAccess::node(d))->value();
  }
}

inline NodeBase* node_of(NodeBase* node) {
  if (node == nullptr) throw_empty_delayed();
  return node;
}

}  // namespace detail

/// Wraps a callable so that calling it builds a task instead of running it.
/// `name` labels the task in errors, traces and graph pictures.
template <class F>
auto delayed(F&& f, std::string name = {}) {
  return detail::DelayedFunction<std::decay_t<F>>(std::forward<F>(f), std::move(name));
}

/// Computes several values in one graph (shared nodes run once) and returns them as a tuple
/// (std::monostate for a Delayed<void>).
template <class... Scalars>
requires(sizeof...(Scalars) >= 1) std::tuple<detail::ValueOrMonostate<Scalars>...> compute(
    const Delayed<Scalars>&... values) {
  detail::NodeBase* roots[] = {detail::node_of(detail::DelayedAccess::node(values))...};
  detail::compute_nodes(roots);
  return {detail::value_of(values)...};
}

/// Computes a list of values in one graph; returns their values in order (nothing for void).
template <class Scalar>
auto compute(const std::vector<Delayed<Scalar>>& values) {
  std::vector<detail::NodeBase*> roots;
  roots.reserve(values.size());
  for (const auto& v : values) roots.push_back(detail::node_of(detail::DelayedAccess::node(v)));
  detail::compute_nodes(roots);
  if constexpr (std::is_void_v<Scalar>) {
    return;
  } else {
    std::vector<Scalar> out;
    out.reserve(values.size());
    for (const auto& v : values) out.push_back(detail::value_of(v));
    return out;
  }
}

}  // namespace loom
