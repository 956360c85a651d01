#pragma once
// The result slots of one Parallel run, one per call, filled in any order by the backends.

#include <cstddef>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "loom/core/detail/assert.hpp"

namespace loom::detail {

/// Result slots, one per call: a plain vector when the type allows (no extra pass at the end).
template <class Value>
class ResultStore {
  static constexpr bool kDirect =
      std::is_default_constructible_v<Value> && !std::is_same_v<Value, bool>;

 public:
  void resize(std::size_t n) { slots_.resize(n); }
  template <class V>
  void set(std::size_t i, V&& value) {
    LOOM_ASSERT(i < slots_.size(), "a Parallel result stored past the last call");
    slots_[i] = std::forward<V>(value);
  }
  Value& at(std::size_t i) {
    LOOM_ASSERT(i < slots_.size(), "a Parallel result read past the last call");
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

}  // namespace loom::detail
