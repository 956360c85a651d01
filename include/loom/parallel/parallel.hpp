#pragma once
// loom::Parallel: joblib's Parallel for C++ (docs/parallel.md).
//
//   std::vector<double> r = loom::Parallel({.n_jobs = 4})(chunks, expensive_computation);
//   std::vector<double> r2 = loom::Parallel({.n_jobs = -1, .batch_size = loom::auto_batch})(
//       loom::each(chunks, [](auto& c) { return loom::delayed(expensive_computation)(c); }));

#include <cstddef>
#include <iterator>
#include <memory>
#include <optional>
#include <ranges>
#include <type_traits>
#include <utility>
#include <vector>

#include "loom/core/delayed.hpp"
#include "loom/io/serialize.hpp"
#include "loom/parallel/detail/engine.hpp"
#include "loom/parallel/each.hpp"
#include "loom/parallel/options.hpp"

namespace loom {

namespace detail {

/// ConfigError: the processes backend needs a serializable result type.
[[noreturn]] void throw_not_serializable(const std::string& type);
/// loom::Error: the results of a ParallelResult were already moved out.
[[noreturn]] void throw_results_taken();

/// Result slots, one per call: a plain vector when the type allows (no extra pass at the end).
template <class Value>
class ResultStore {
  static constexpr bool kDirect =
      std::is_default_constructible_v<Value> && !std::is_same_v<Value, bool>;

 public:
  void resize(std::size_t n) { slots_.resize(n); }
  template <class V>
  void set(std::size_t i, V&& value) {
    slots_[i] = std::forward<V>(value);
  }
  Value& at(std::size_t i) {
    if constexpr (kDirect) {
      return slots_[i];
    } else {
      return *slots_[i];
    }
  }
  std::vector<Value> copy_all() const {
    if constexpr (kDirect) {
      return slots_;
    } else {
      std::vector<Value> out;
      out.reserve(slots_.size());
      for (const auto& slot : slots_) out.push_back(*slot);
      return out;
    }
  }
  std::vector<Value> take_all() {
    if constexpr (kDirect) {
      return std::move(slots_);
    } else {
      std::vector<Value> out;
      out.reserve(slots_.size());
      for (auto& slot : slots_) out.push_back(std::move(*slot));
      return out;
    }
  }

 private:
  std::conditional_t<kDirect, std::vector<Value>, std::vector<std::optional<Value>>> slots_;
};

/// The calls of one Parallel run: `call(i)` computes call i's value.
template <class Value, class Calls>
class TypedJob final : public ParallelJob {
 public:
  TypedJob(Calls calls, ResultStore<Value>* store) : calls_(std::move(calls)), store_(store) {}
  [[nodiscard]] std::size_t size() const override { return calls_.size(); }
  void run_and_store(std::size_t i) override {
    if constexpr (std::is_void_v<Value>) {
      calls_.call(i);
    } else {
      store_->set(i, calls_.call(i));
    }
  }
  void run_range(std::size_t first, std::size_t count, std::size_t& done,
                 const std::atomic<bool>& stop) override {
    for (; done < count; ++done) {
      if (stop.load(std::memory_order_relaxed)) return;  // an earlier failure cancels the rest
      if constexpr (std::is_void_v<Value>) {
        calls_.call(first + done);
      } else {
        store_->set(first + done, calls_.call(first + done));
      }
    }
  }
  std::string run_and_serialize(std::size_t i, const ArrayFiles* files) override {
    if constexpr (std::is_void_v<Value>) {
      calls_.call(i);
      return {};
    } else if constexpr (Serializable<Value>) {
      const Value value = calls_.call(i);
      const ArrayFilesScope large_arrays(files);
      return serialize(value);
    } else {
      throw_not_serializable(type_name<Value>());
    }
  }
  void store_serialized(std::size_t i, std::string_view bytes) override {
    if constexpr (std::is_void_v<Value>) {
      return;
    } else if constexpr (Serializable<Value>) {
      store_->set(i, deserialize<Value>(bytes));
    } else {
      throw_not_serializable(type_name<Value>());
    }
  }
  void prepare_for_fork() override { calls_.materialize(); }

 private:
  Calls calls_;
  ResultStore<Value>* store_;
};

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

template <class Value>
struct ParallelRun {
  ResultStore<Value> store;
  std::unique_ptr<ParallelJob> job;
  std::unique_ptr<ParallelEngine> engine;
  ResolvedOptions options;
  std::size_t consumed = 0;  // list mode: results handed out by iteration
  bool taken = false;        // the results were moved out by get()

  void check_not_taken() const {
    if (taken) throw_results_taken();
  }
  void run_to_end() {
    if (engine) {
      while (engine->next()) {
      }
      engine.reset();
    }
  }
};

}  // namespace detail

/// What Parallel returns: converts to std::vector<Value> and is an input range. It owns rvalue
/// inputs and refers to lvalue ones; with ReturnAs::list the work is done, with the generators
/// it runs as the range is consumed (and errors are thrown while iterating).
template <class Value>
class ParallelResult {
 public:
  using value_type = Value;

  class iterator {
   public:
    using iterator_concept = std::input_iterator_tag;
    using value_type = Value;
    using difference_type = std::ptrdiff_t;

    iterator() = default;
    Value& operator*() const { return run_->store.at(index_); }
    Value* operator->() const { return &run_->store.at(index_); }
    iterator& operator++() {
      advance();
      return *this;
    }
    void operator++(int) { advance(); }
    friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept {
      return it.run_ == nullptr;
    }

   private:
    friend class ParallelResult;
    explicit iterator(detail::ParallelRun<Value>* run) : run_(run) { advance(); }
    void advance() {
      run_->check_not_taken();
      if (run_->engine) {
        auto next = run_->engine->next();
        if (next) {
          index_ = *next;
        } else {
          run_ = nullptr;
        }
      } else if (run_->consumed < run_->job->size()) {
        index_ = run_->consumed++;
      } else {
        run_ = nullptr;
      }
    }
    detail::ParallelRun<Value>* run_ = nullptr;
    std::size_t index_ = 0;
  };

  explicit ParallelResult(std::shared_ptr<detail::ParallelRun<Value>> run) : run_(std::move(run)) {}

  iterator begin() { return iterator(run_.get()); }
  std::default_sentinel_t end() const noexcept { return {}; }

  /// Every result, in input order (a generator is run to its end first): moved out of a
  /// temporary result, copied from a named one. Using a result after its values were moved
  /// out is a loom::Error.
  std::vector<Value> get() && {
    run_->check_not_taken();
    run_->run_to_end();
    run_->taken = true;
    return run_->store.take_all();
  }
  std::vector<Value> get() & {
    run_->check_not_taken();
    run_->run_to_end();
    return run_->store.copy_all();
  }
  // NOLINTNEXTLINE(google-explicit-constructor): converts implicitly, by design
  operator std::vector<Value>() && { return std::move(*this).get(); }
  // NOLINTNEXTLINE(google-explicit-constructor)
  operator std::vector<Value>() & { return get(); }

 private:
  std::shared_ptr<detail::ParallelRun<Value>> run_;
};

class Parallel {
 public:
  Parallel() = default;
  explicit Parallel(ParallelOptions options) : options_(std::move(options)) {}

  /// joblib's shape: a range of delayed calls (loom::each, or Delayed values).
  template <std::ranges::input_range R>
  requires detail::IsDelayed<std::remove_cvref_t<std::ranges::range_value_t<R>>>::value auto
  operator()(R&& calls) const {
    using Handle = std::remove_cvref_t<std::ranges::range_value_t<R>>;
    using Value = typename Handle::value_type;
    auto view = detail::random_access(std::forward<R>(calls));
    return start<Value>(detail::DelayedCalls<decltype(view)>{std::move(view), {}});
  }

  /// The direct shape: f over every input.
  template <std::ranges::input_range R, class F>
  auto operator()(R&& inputs, F&& f) const {
    using Value = std::remove_cvref_t<std::invoke_result_t<F&, std::ranges::range_reference_t<R>>>;
    auto view = detail::random_access(std::forward<R>(inputs));
    return start<Value>(
        detail::MapCalls<decltype(view), std::decay_t<F>>{std::move(view), std::forward<F>(f)});
  }

  [[nodiscard]] const ParallelOptions& options() const noexcept { return options_; }

 private:
  template <class Value, class Calls>
  auto start(Calls calls) const {
    const detail::ResolvedOptions resolved = detail::resolve(options_);
    if constexpr (!std::is_void_v<Value> && !Serializable<Value>) {
      if (resolved.backend == detail::Backend::processes) {
        detail::throw_not_serializable(detail::type_name<Value>());
      }
    }
    if constexpr (std::is_void_v<Value>) {
      // Nothing to return: the work is done before the call returns, whatever return_as says.
      detail::TypedJob<void, Calls> job(std::move(calls), nullptr);
      detail::ResolvedOptions list = resolved;
      list.return_as = ReturnAs::list;
      detail::ParallelEngine(list, job).run_all();
    } else {
      auto run = std::make_shared<detail::ParallelRun<Value>>();
      run->options = resolved;
      auto job = std::make_unique<detail::TypedJob<Value, Calls>>(std::move(calls), &run->store);
      run->store.resize(job->size());
      run->job = std::move(job);
      run->engine = std::make_unique<detail::ParallelEngine>(resolved, *run->job);
      if (resolved.return_as == ReturnAs::list) {
        run->engine->run_all();
        run->engine.reset();
      }
      return ParallelResult<Value>(std::move(run));
    }
  }

  ParallelOptions options_;
};

}  // namespace loom
