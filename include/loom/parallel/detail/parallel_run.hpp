#pragma once
// ParallelRun: what a ParallelResult shares with its iterators (the results, the job and, while
// a generator runs, its engine).

#include <cstddef>
#include <memory>

#include "loom/parallel/detail/engine.hpp"
#include "loom/parallel/detail/result_store.hpp"

namespace loom::detail {

/// loom::Error: the results of a ParallelResult were already moved out.
[[noreturn]] void throw_results_taken();

template <class Value>
struct ParallelRun {
  ResultStore<Value> store;
  std::unique_ptr<ParallelJob> job;
  std::unique_ptr<ParallelEngine> engine;
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

}  // namespace loom::detail
