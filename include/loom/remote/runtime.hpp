#pragma once
// The remote runtime (docs/remote.md): init/shutdown, and the object store's get, put, wait
// and cancel.
//
//   loom::Runtime rt({.num_cpus = 4});                 // or loom::init({...}) ... loom::shutdown()
//   loom::ObjectRef<loom::NDArray<double>> big = loom::put(std::move(array));
//   double m = loom::get(mean.remote(big));
//   auto [ready, pending] = loom::wait(refs, {.num_returns = 1, .timeout = 100ms});

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "loom/core/detail/progress_work.hpp"
#include "loom/remote/detail/object_entry.hpp"
#include "loom/remote/detail/stored.hpp"
#include "loom/remote/object_ref.hpp"
#include "loom/remote/options.hpp"

namespace loom {

/// Starts the runtime. A second init without shutdown is a loom::Error; a bad option a
/// ConfigError. Using tasks, actors or put without init starts one with default options.
void init(const InitOptions& options = {});
/// Stops the runtime: queued tasks are cancelled, running ones asked to stop, and it returns
/// once none runs. Objects whose refs are still held stay readable.
void shutdown();
[[nodiscard]] bool is_initialized() noexcept;

/// RAII form: init in the constructor, shutdown in the destructor.
class Runtime {
 public:
  explicit Runtime(const InitOptions& options = {});
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;
};

[[nodiscard]] ObjectStoreStats object_store_stats();

namespace detail {
void wait_finished(ObjectEntry* entry, std::optional<std::chrono::milliseconds> timeout);
std::shared_ptr<StoredValue> wait_value(const EntryRef& entry,
                                        std::optional<std::chrono::milliseconds> timeout);
void wait_void(const EntryRef& entry, std::optional<std::chrono::milliseconds> timeout);
/// Per entry, whether it finished, once `num_returns` have or the timeout passed.
std::vector<char> wait_entries(std::span<ObjectEntry* const> entries, std::size_t num_returns,
                               std::optional<std::chrono::milliseconds> timeout);
void cancel_entry(const EntryRef& entry);
EntryRef put_value(std::shared_ptr<StoredValue> value, const ValueOps* ops);
}  // namespace detail

/// Zero-copy access to a stored object of any type (waits for it; rethrows its task's failure:
/// loom::TaskError, loom::Cancelled; loom::Timeout after `timeout`, the task going on).
template <class T>
[[nodiscard]] std::shared_ptr<const T> get_ptr(const ObjectRef<T>& ref,
                                               const GetOptions& options = {}) {
  std::shared_ptr<detail::StoredValue> stored =
      detail::wait_value(detail::ObjectRefAccess::entry(ref), options.timeout);
  const T* value = &detail::stored_value<T>(*stored);
  return std::shared_ptr<const T>(std::move(stored), value);
}

/// The object's value: a copy (for NDArray, a read-only array sharing the stored buffer).
template <class T>
[[nodiscard]] T get(const ObjectRef<T>& ref, const GetOptions& options = {}) {
  if constexpr (std::is_void_v<T>) {
    detail::wait_void(detail::ObjectRefAccess::entry(ref), options.timeout);
  } else {
    std::shared_ptr<detail::StoredValue> stored =
        detail::wait_value(detail::ObjectRefAccess::entry(ref), options.timeout);
    return detail::stored_value<T>(*stored);
  }
}

/// The values of several refs, in order (the timeout covers them all). The first failure is
/// thrown.
template <class T>
requires(!std::is_void_v<T>) [[nodiscard]] std::vector<T> get(const std::vector<ObjectRef<T>>& refs,
                                                              const GetOptions& options = {}) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  // Drawn while a loom::ProgressBar lives: one step per ref.
  const detail::ProgressWork progress(static_cast<std::int64_t>(refs.size()));
  const auto work = detail::progress_enabled() ? detail::current_progress() : nullptr;
  std::vector<T> out;
  out.reserve(refs.size());
  for (const auto& ref : refs) {
    std::optional<std::chrono::milliseconds> left;
    if (options.timeout) {
      left = std::max(std::chrono::milliseconds(0),
                      *options.timeout - std::chrono::duration_cast<std::chrono::milliseconds>(
                                             Clock::now() - start));
    }
    out.push_back(get(ref, GetOptions{left}));
    if (work) detail::progress_add_done(work.get(), 1);
  }
  return out;
}

/// Waits for all of them (void tasks).
inline void get(const std::vector<ObjectRef<void>>& refs, const GetOptions& options = {}) {
  const detail::ProgressWork progress(static_cast<std::int64_t>(refs.size()));
  const auto work = detail::progress_enabled() ? detail::current_progress() : nullptr;
  for (const auto& ref : refs) {
    get(ref, options);
    if (work) detail::progress_add_done(work.get(), 1);
  }
}

/// Stores a value and returns its ref. An rvalue NDArray whose buffer has no other owner moves
/// in; anything else is copied, so a stored object never changes.
template <class T>
[[nodiscard]] ObjectRef<std::remove_cvref_t<T>> put(T&& value) {
  using V = std::remove_cvref_t<T>;
  static_assert(!IsObjectRef<V>::value, "put(ObjectRef): the object is already stored");
  return detail::ObjectRefAccess::adopt<V>(
      detail::put_value(detail::make_stored(std::forward<T>(value)), detail::value_ops<V>()));
}

/// Ray's wait: (ready, pending) once `num_returns` refs are ready or the timeout passed. Ready
/// holds at most `num_returns` refs; both keep the input order.
template <class T>
[[nodiscard]] std::pair<std::vector<ObjectRef<T>>, std::vector<ObjectRef<T>>> wait(
    const std::vector<ObjectRef<T>>& refs, const WaitOptions& options = {}) {
  if (refs.empty()) return {};
  std::vector<detail::ObjectEntry*> entries;
  entries.reserve(refs.size());
  for (const auto& ref : refs) entries.push_back(detail::ObjectRefAccess::entry(ref).get());
  const std::vector<char> finished =
      detail::wait_entries(entries, options.num_returns, options.timeout);
  std::pair<std::vector<ObjectRef<T>>, std::vector<ObjectRef<T>>> out;
  for (std::size_t i = 0; i < refs.size(); ++i) {
    if (finished[i] != 0 && out.first.size() < options.num_returns) {
      out.first.push_back(refs[i]);
    } else {
      out.second.push_back(refs[i]);
    }
  }
  return out;
}

/// Cancels the task (or actor call) behind `ref`: a queued one is dropped, a running one asked
/// to stop (current_task().stop_requested()); `get` then throws loom::Cancelled. Nothing
/// happens when it already finished.
template <class T>
void cancel(const ObjectRef<T>& ref) {
  detail::cancel_entry(detail::ObjectRefAccess::entry(ref));
}

}  // namespace loom
