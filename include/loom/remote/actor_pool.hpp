#pragma once
// loom::ActorPool: a fixed set of actors that work is spread over (Ray's ray.util.ActorPool).
//
//   loom::ActorPool pool(std::vector{a1, a2, a3});
//   auto call = [](const loom::ActorHandle<Doubler>& a, int v) {
//     return a.task(&Doubler::twice).remote(v);
//   };
//   std::vector<int> r = pool.map(call, inputs);            // in input order
//   pool.submit(call, 7);                                   // on an idle actor, or queued
//   while (pool.has_next()) int v = pool.get_next<int>();   // in submit order
//
// Each call goes to an actor with nothing of the pool's running; calls wait in the pool (in
// submit order) while every actor is busy. A pool is used from one thread at a time, as in Ray.

#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "loom/core/detail/type_name.hpp"
#include "loom/core/error.hpp"
#include "loom/remote/actor.hpp"
#include "loom/remote/object_ref.hpp"
#include "loom/remote/options.hpp"
#include "loom/remote/runtime.hpp"

namespace loom {

template <class C>
class ActorPool {
 public:
  /// The pool's actors; none (or an empty handle) is a ConfigError.
  explicit ActorPool(std::vector<ActorHandle<C>> actors) : idle_(std::move(actors)) {
    if (idle_.empty()) {
      throw ConfigError(fmt::format("ActorPool<{}>: give at least one actor",
                                    detail::type_name<C>()));
    }
    for (std::size_t i = 0; i < idle_.size(); ++i) {
      if (!idle_[i].valid()) {
        throw ConfigError(fmt::format("ActorPool<{}>: actor {} is an empty handle",
                                      detail::type_name<C>(), i));
      }
    }
  }

  /// `f(actor, v)` for every `v` of `inputs` (f returns the ObjectRef of an actor call); the
  /// results in input order. A failed call throws its TaskError once the others are done.
  template <class F, class Range>
  auto map(F f, const Range& inputs) {
    return map_impl<false>(std::move(f), inputs);
  }
  /// The same, the results in the order they finish.
  template <class F, class Range>
  auto map_unordered(F f, const Range& inputs) {
    return map_impl<true>(std::move(f), inputs);
  }

  /// Schedules `f(actor, value)` on an idle actor, or queues it until one is free.
  template <class F, class V>
  void submit(F f, V&& value) {
    using Ref = std::invoke_result_t<F&, const ActorHandle<C>&, std::decay_t<V>&>;
    static_assert(IsObjectRef<std::remove_cvref_t<Ref>>::value,
                  "ActorPool::submit(f, v): f(actor, v) must return the ObjectRef of a call "
                  "(a.task(&C::method).remote(v))");
    using R = typename std::remove_cvref_t<Ref>::value_type;
    Launch launch = [f = std::move(f), v = std::decay_t<V>(std::forward<V>(value))](
                        const ActorHandle<C>& actor) mutable -> Launched {
      const auto ref = std::invoke(f, actor, v);
      if (!ref.valid()) detail::throw_empty_ref();
      return {detail::ObjectRefAccess::entry(ref), &typeid(R)};
    };
    if (idle_.empty()) {
      queued_.push_back(std::move(launch));
    } else {
      ActorHandle<C> actor = std::move(idle_.back());
      idle_.pop_back();
      start(std::move(actor), launch);
    }
  }

  /// Whether results are pending (running or queued).
  [[nodiscard]] bool has_next() const noexcept { return !running_.empty() || !queued_.empty(); }
  /// Whether an actor is idle (a submit would start at once).
  [[nodiscard]] bool has_free() const noexcept { return !idle_.empty() && queued_.empty(); }

  /// The next result in submit order (`R` is the call's result type; void waits only). Nothing
  /// pending is a loom::Error (Ray's StopIteration); a failed call throws its TaskError; a
  /// timeout throws loom::Timeout and leaves the result pending.
  template <class R = void>
  R get_next(const GetOptions& options = {}) {
    if (running_.empty()) throw_nothing_pending("get_next");
    return take<R>(running_.begin(), options, "get_next");
  }
  /// The next result to finish.
  template <class R = void>
  R get_next_unordered(const GetOptions& options = {}) {
    if (running_.empty()) throw_nothing_pending("get_next_unordered");
    std::vector<detail::ObjectEntry*> entries;
    entries.reserve(running_.size());
    for (const auto& [index, call] : running_) entries.push_back(call.entry.get());
    const std::vector<char> ready = detail::wait_entries(entries, 1, options.timeout);
    auto it = running_.begin();
    for (std::size_t i = 0; i < ready.size(); ++i, ++it) {
      if (ready[i] != 0) return take<R>(it, {}, "get_next_unordered");
    }
    throw Timeout(fmt::format("ActorPool::get_next_unordered: no result within {} ms",
                              options.timeout ? options.timeout->count() : 0));
  }

  /// Takes an idle actor out of the pool (none when all are busy).
  [[nodiscard]] std::optional<ActorHandle<C>> pop_idle() {
    if (!has_free()) return std::nullopt;
    ActorHandle<C> actor = std::move(idle_.back());
    idle_.pop_back();
    return actor;
  }
  /// Adds an actor to the pool (it takes a queued call at once).
  void push(ActorHandle<C> actor) {
    if (!actor.valid()) {
      throw ConfigError(fmt::format("ActorPool<{}>::push: an empty handle", detail::type_name<C>()));
    }
    give_back(std::move(actor));
  }

 private:
  struct Launched {
    detail::EntryRef entry;
    const std::type_info* type;
  };
  using Launch = std::function<Launched(const ActorHandle<C>&)>;
  struct Running {
    detail::EntryRef entry;
    const std::type_info* type;
    ActorHandle<C> actor;
  };

  void start(ActorHandle<C> actor, Launch& launch) {
    Launched launched;
    try {
      launched = launch(actor);
    } catch (...) {
      idle_.push_back(std::move(actor));
      throw;
    }
    running_.emplace(next_index_++, Running{std::move(launched.entry), launched.type,
                                            std::move(actor)});
  }

  void give_back(ActorHandle<C> actor) {
    if (queued_.empty()) {
      idle_.push_back(std::move(actor));
      return;
    }
    Launch launch = std::move(queued_.front());
    queued_.pop_front();
    start(std::move(actor), launch);
  }

  template <class R>
  R take(typename std::map<std::uint64_t, Running>::iterator it, const GetOptions& options,
         const char* what) {
    if constexpr (!std::is_void_v<R>) {
      if (*it->second.type != typeid(R)) {
        throw Error(fmt::format("ActorPool::{}<{}>: the next result is a {}", what,
                                detail::type_name<R>(), detail::demangle(it->second.type->name())));
      }
    }
    detail::wait_finished(it->second.entry.get(), options.timeout);
    Running done = std::move(it->second);
    running_.erase(it);
    give_back(std::move(done.actor));
    if constexpr (std::is_void_v<R>) {
      if (auto error = done.entry->error()) std::rethrow_exception(error);
    } else {
      return get(detail::ObjectRefAccess::adopt<R>(std::move(done.entry)));
    }
  }

  template <bool Unordered, class F, class Range>
  auto map_impl(F f, const Range& inputs) {
    using V = std::remove_cvref_t<decltype(*std::begin(inputs))>;
    using Ref = std::remove_cvref_t<std::invoke_result_t<F&, const ActorHandle<C>&, V&>>;
    using R = typename Ref::value_type;
    if (has_next()) {
      throw Error(fmt::format("ActorPool::map: {} results of earlier submits are pending; get "
                              "them first",
                              running_.size() + queued_.size()));
    }
    for (const auto& v : inputs) submit(f, v);
    std::conditional_t<std::is_void_v<R>, int, std::vector<R>> out{};
    std::exception_ptr first_error;
    while (has_next()) {
      try {
        if constexpr (std::is_void_v<R>) {
          Unordered ? get_next_unordered<void>() : get_next<void>();
        } else {
          out.push_back(Unordered ? get_next_unordered<R>() : get_next<R>());
        }
      } catch (...) {
        if (!first_error) first_error = std::current_exception();
      }
    }
    if (first_error) std::rethrow_exception(first_error);
    if constexpr (!std::is_void_v<R>) return out;
  }

  [[noreturn]] static void throw_nothing_pending(const char* what) {
    throw Error(fmt::format("ActorPool::{}: no results are pending (submit calls first)", what));
  }

  std::vector<ActorHandle<C>> idle_;
  std::map<std::uint64_t, Running> running_;  // by submit order
  std::deque<Launch> queued_;                 // waiting for an idle actor
  std::uint64_t next_index_ = 0;
};

}  // namespace loom
