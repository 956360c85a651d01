#pragma once
// TypedJob: the calls of one Parallel run as the compiled engine sees them (a ParallelJob).
// The user's function is inlined in its batch loop, so the engine pays one virtual call per batch.

#include <atomic>
#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "loom/core/detail/type_name.hpp"
#include "loom/io/serialize.hpp"
#include "loom/parallel/detail/engine.hpp"
#include "loom/parallel/detail/result_store.hpp"

namespace loom::detail {

/// ConfigError: a backend that sends results back serialized needs a serializable result type.
[[noreturn]] void throw_not_serializable(const std::string& type);

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
  [[nodiscard]] bool results_serializable() const override {
    if constexpr (std::is_void_v<Value>) {
      return true;
    } else {
      return Serializable<Value>;
    }
  }
  [[nodiscard]] std::string result_type() const override { return type_name<Value>(); }

 private:
  Calls calls_;
  ResultStore<Value>* store_;
};

}  // namespace loom::detail
