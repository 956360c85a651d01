#pragma once
// The one door between a Delayed handle and its graph node, for loom's own code (the call nodes,
// the facades and tests): users can neither see a handle's node nor wrap a node of their own.

#include <utility>

#include "loom/core/detail/node.hpp"

namespace loom {

template <class Scalar>
class Delayed;

namespace detail {

struct DelayedAccess {
  /// A handle onto `node` (which must hold a ValueNode<Scalar>).
  template <class Scalar>
  static Delayed<Scalar> wrap(NodeRef node) noexcept {
    return Delayed<Scalar>(std::move(node));
  }
  /// The graph node (nullptr for an empty handle).
  template <class Scalar>
  static NodeBase* node(const Delayed<Scalar>& d) noexcept {
    return d.node_.get();
  }
};

}  // namespace detail
}  // namespace loom
