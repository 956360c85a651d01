#pragma once
// Open-addressing tables with linear probing (private to src/dataframe: the group-by's key
// indexes and groupers).

#include <cstddef>
#include <utility>

namespace loom::dataframe::detail {

// Doubles an open-addressing table (linear probing) whose empty slots have group < 0.
template <class Slots, class HashOf>
void double_table(Slots& slots, HashOf hash_of) {
  Slots bigger(slots.size() * 2);
  const std::size_t mask = bigger.size() - 1;
  for (const auto& s : slots) {
    if (s.group < 0) continue;
    std::size_t j = hash_of(s) & mask;
    while (bigger[j].group >= 0) j = (j + 1) & mask;
    bigger[j] = s;
  }
  slots = std::move(bigger);
}

}  // namespace loom::dataframe::detail
