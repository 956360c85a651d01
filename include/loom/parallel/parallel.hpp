#pragma once
// loom::Parallel: joblib's Parallel for C++ (docs/parallel.md).
//
//   std::vector<double> r = loom::Parallel({.n_jobs = 4})(chunks, expensive_computation);
//   std::vector<double> r2 = loom::Parallel({.n_jobs = -1, .batch_size = loom::auto_batch})(
//       loom::each(chunks, [](auto& c) { return loom::delayed(expensive_computation)(c); }));

#include <cstddef>
#include <iterator>
#include <memory>
#include <ranges>
#include <type_traits>
#include <utility>
#include <vector>

#include "loom/core/delayed.hpp"
#include "loom/io/serialize.hpp"
#include "loom/parallel/detail/calls.hpp"
#include "loom/parallel/detail/engine.hpp"
#include "loom/parallel/detail/parallel_run.hpp"
#include "loom/parallel/detail/typed_job.hpp"
#include "loom/parallel/each.hpp"
#include "loom/parallel/options.hpp"

namespace loom {

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
  friend class Parallel;
  explicit ParallelResult(std::shared_ptr<detail::ParallelRun<Value>> run) : run_(std::move(run)) {}

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
    if constexpr (std::is_void_v<Value>) {
      // Nothing to return: the work is done before the call returns, whatever return_as says.
      detail::TypedJob<void, Calls> job(std::move(calls), nullptr);
      detail::ParallelEngine(options_, job, ReturnAs::list).run_all();
    } else {
      auto run = std::make_shared<detail::ParallelRun<Value>>();
      auto job = std::make_unique<detail::TypedJob<Value, Calls>>(std::move(calls), &run->store);
      run->job = std::move(job);
      run->engine =
          std::make_unique<detail::ParallelEngine>(options_, *run->job, options_.return_as);
      run->store.resize(run->job->size());
      if (options_.return_as == ReturnAs::list) {
        run->engine->run_all();
        run->engine.reset();
      }
      return ParallelResult<Value>(std::move(run));
    }
  }

  ParallelOptions options_;
};

}  // namespace loom
