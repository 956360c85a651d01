#pragma once
// The options of one Parallel run with every default filled in and checked: the backend scope's
// defaults applied, joblib's n_jobs rules, the backend found in the registry.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "loom/parallel/options.hpp"

namespace loom::detail {

struct BackendType;

struct ResolvedOptions {
  const BackendType* backend = nullptr;  // from the registry (backend.hpp); never null
  int n_jobs = 1;
  bool auto_batch = true;
  std::int64_t batch_size = 1;
  std::int64_t pre_dispatch = 0;  // calls dispatched ahead of consumption (generators)
  ReturnAs return_as = ReturnAs::list;
  int verbose = 0;
  Progress progress = Progress::none;
  std::optional<std::chrono::duration<double>> timeout;
  std::int64_t max_nbytes = 0;
  std::string mmap_mode = "r";
};

/// `options` resolved for a run returning as `return_as`. Throws ConfigError naming a bad value.
ResolvedOptions resolve(const ParallelOptions& options, ReturnAs return_as);

}  // namespace loom::detail
