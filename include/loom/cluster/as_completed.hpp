#pragma once
// loom::as_completed: refs in the order their objects finish (Dask's as_completed).
//
//   auto done = loom::as_completed(refs, {.with_results = true, .timeout = 10s});
//   for (const auto& c : done) {
//     use(c.index, c.value());                       // the first finished first
//     if (more_needed) done.add(client.submit(f, x)); // joins the iteration
//   }
//
// A failed task is yielded like the others (its value() throws); with `with_results` the value
// is fetched before it is yielded (so a failure throws while iterating). Past `timeout` since
// as_completed was called, iterating throws loom::Timeout.

#include <chrono>
#include <cstddef>
#include <iterator>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "loom/remote/runtime.hpp"

namespace loom {

struct AsCompletedOptions {
  bool with_results = false;  // fetch each value before yielding it
  std::optional<std::chrono::duration<double>> timeout;  // exceeded: loom::Timeout
};

namespace detail {
/// The finished order of a growing set of entries (src/cluster/as_completed.cpp).
class CompletionQueue {
 public:
  explicit CompletionQueue(std::optional<std::chrono::duration<double>> timeout);
  ~CompletionQueue();
  CompletionQueue(const CompletionQueue&) = delete;
  CompletionQueue& operator=(const CompletionQueue&) = delete;
  /// Watches one more entry (its index is the number added before).
  void add(const EntryRef& entry);
  /// The index of the next finished entry; nullopt once every added one was returned.
  /// loom::Timeout past the deadline.
  std::optional<std::size_t> next();

 private:
  struct State;
  std::unique_ptr<State> state_;
};
}  // namespace detail

template <class T>
struct Completed {
  std::size_t index;  // position in the input (then in the order of add)
  ObjectRef<T> ref;
  std::shared_ptr<const std::conditional_t<std::is_void_v<T>, char, T>> prefetched{};

  /// get(ref); no wait when with_results fetched it.
  [[nodiscard]] decltype(auto) value() const {
    if constexpr (std::is_void_v<T>) {
      return loom::get(ref);
    } else {
      if (prefetched) return T(*prefetched);
      return loom::get(ref);
    }
  }
};

/// An input range of Completed<T>; `add` appends refs, also while iterating.
template <class T>
class AsCompleted {
 public:
  AsCompleted(std::vector<ObjectRef<T>> refs, AsCompletedOptions options)
      : refs_(std::move(refs)),
        queue_(std::make_unique<detail::CompletionQueue>(options.timeout)),
        with_results_(options.with_results) {
    for (const auto& ref : refs_) queue_->add(detail::ObjectRefAccess::entry(ref));
  }

  void add(ObjectRef<T> ref) {
    queue_->add(detail::ObjectRefAccess::entry(ref));
    refs_.push_back(std::move(ref));
  }

  class iterator {
   public:
    using iterator_concept = std::input_iterator_tag;
    using value_type = Completed<T>;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(AsCompleted* owner) : owner_(owner) {}
    const Completed<T>& operator*() const { return *owner_->current_; }
    const Completed<T>* operator->() const { return &*owner_->current_; }
    iterator& operator++() {
      owner_->advance();
      return *this;
    }
    void operator++(int) { owner_->advance(); }
    friend bool operator==(const iterator& it, std::default_sentinel_t) { return it.at_end(); }

   private:
    [[nodiscard]] bool at_end() const { return owner_ == nullptr || !owner_->current_; }
    AsCompleted* owner_ = nullptr;
  };

  iterator begin() {
    if (!started_) {
      started_ = true;
      advance();
    }
    return iterator(this);
  }
  std::default_sentinel_t end() const noexcept { return {}; }

 private:
  void advance() {
    current_.reset();
    const std::optional<std::size_t> index = queue_->next();
    if (!index) return;
    Completed<T> c{*index, refs_[*index]};
    if constexpr (!std::is_void_v<T>) {
      if (with_results_) c.prefetched = loom::get_ptr(c.ref);
    } else {
      if (with_results_) loom::get(c.ref);
    }
    current_ = std::move(c);
  }

  std::vector<ObjectRef<T>> refs_;
  std::unique_ptr<detail::CompletionQueue> queue_;
  bool with_results_ = false;
  bool started_ = false;
  std::optional<Completed<T>> current_;
};

template <class T>
[[nodiscard]] AsCompleted<T> as_completed(std::vector<ObjectRef<T>> refs,
                                          AsCompletedOptions options = {}) {
  return AsCompleted<T>(std::move(refs), options);
}

}  // namespace loom
