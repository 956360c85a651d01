#pragma once
// The two shapes of a Parallel call list, each with `size()`, `call(i)` and `materialize()`:
// f over a range of inputs (MapCalls) and a range of Delayed calls (DelayedCalls).

#include <cstddef>
#include <functional>
#include <ranges>
#include <type_traits>
#include <utility>
#include <vector>

#include "loom/core/detail/node.hpp"

namespace loom::detail {

/// Calls f(inputs[i]) over a random-access range (owned when it was an rvalue).
template <class Inputs, class F>
struct MapCalls {
  Inputs inputs;
  F f;
  [[nodiscard]] std::size_t size() const {
    return static_cast<std::size_t>(std::ranges::size(inputs));
  }
  decltype(auto) call(std::size_t i) {
    return std::invoke(f, std::ranges::begin(inputs)[static_cast<std::ptrdiff_t>(i)]);
  }
  void materialize() {}
};

/// Computes calls[i], a Delayed (each() makes them lazily), inline on the running thread.
template <class Calls>
struct DelayedCalls {
  Calls calls;
  using Handle = std::ranges::range_value_t<Calls>;
  std::vector<Handle> built;  // the processes backend builds every call before forking
  [[nodiscard]] std::size_t size() const {
    return static_cast<std::size_t>(std::ranges::size(calls));
  }
  auto call(std::size_t i) {
    Handle d = built.empty() ? Handle(std::ranges::begin(calls)[static_cast<std::ptrdiff_t>(i)])
                             : built[i];
    const InlineScope on_this_thread;
    if constexpr (std::is_void_v<typename Handle::value_type>) {
      d.compute();
    } else {
      return std::move(d).compute();
    }
  }
  void materialize() {
    if (!built.empty()) return;
    built.reserve(size());
    for (auto&& d : calls) built.push_back(d);
  }
};

/// A random-access, sized view of `range`: itself when it is one, else its elements copied.
template <class R>
auto random_access(R&& range) {
  if constexpr (std::ranges::random_access_range<R> && std::ranges::sized_range<R>) {
    return std::views::all(std::forward<R>(range));
  } else {
    using Element = std::ranges::range_value_t<R>;
    std::vector<Element> copy;
    for (auto&& x : range) copy.push_back(std::forward<decltype(x)>(x));
    return std::views::all(std::move(copy));
  }
}

}  // namespace loom::detail
