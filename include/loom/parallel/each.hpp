#pragma once
// loom::each(range, f): one lazy call per element, for Parallel (docs/parallel.md).

#include <ranges>
#include <type_traits>
#include <utility>

#include "loom/core/delayed.hpp"

namespace loom {

/// A view of lazy calls: `delayed(f)(x)` for every x, or `f(x)` itself when f already returns
/// a Delayed. Like std::views::all, it owns an rvalue range and refers to an lvalue one.
template <std::ranges::viewable_range R, class F>
auto each(R&& range, F f) {
  return std::views::all(std::forward<R>(range)) |
         std::views::transform([f = std::move(f)](auto&& x) {
           using Result = std::invoke_result_t<const F&, decltype(x)>;
           if constexpr (detail::IsDelayed<std::remove_cvref_t<Result>>::value) {
             return f(std::forward<decltype(x)>(x));
           } else {
             return delayed(f)(std::forward<decltype(x)>(x));
           }
         });
}

}  // namespace loom
