// Parallel's options resolved for a run (defaults, the parallel_backend scope, joblib's n_jobs
// rules), and the parallel_backend scope itself.

#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "core/worker_process.hpp"
#include "loom/core/detail/node.hpp"
#include "loom/core/error.hpp"
#include "loom/core/executor.hpp"
#include "loom/parallel/options.hpp"
#include "parallel/backend.hpp"
#include "parallel/resolved_options.hpp"

namespace loom::detail {

namespace {

thread_local const parallel_backend* current_scope = nullptr;

std::int64_t parse_pre_dispatch(const std::string& text, int n_jobs) {
  std::string s;
  for (char c : text) {
    if (c != ' ') s += c;
  }
  if (s == "all") return -1;
  if (s == "n_jobs") return n_jobs;
  std::int64_t factor = 0;
  std::string rest = s;
  if (const auto star = s.find('*'); star != std::string::npos) {
    rest = s.substr(star + 1);
    s = s.substr(0, star);
    if (rest != "n_jobs") s.clear();
  } else {
    rest.clear();
  }
  char* end = nullptr;
  factor = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || end == nullptr || *end != '\0' || factor < 1) {
    throw ConfigError(fmt::format(
        "Parallel: bad pre_dispatch '{}' (use \"2*n_jobs\", \"n_jobs\", \"all\" or a number)",
        text));
  }
  return rest.empty() ? factor : factor * n_jobs;
}

}  // namespace

ResolvedOptions resolve(const ParallelOptions& options, ReturnAs return_as) {
  ResolvedOptions r;
  std::string backend = "threads";
  std::optional<int> n_jobs;
  if (current_scope != nullptr) {
    backend = current_scope->backend();
    n_jobs = current_scope->n_jobs();
  }
  if (options.backend) backend = *options.backend;
  if (options.n_jobs) n_jobs = *options.n_jobs;
  r.backend = &find_backend(backend);
  if (n_jobs && *n_jobs == 0) {
    throw ConfigError(
        "Parallel: n_jobs == 0 has no meaning (use a positive count, or -1 for "
        "all cores)");
  }
  r.n_jobs = n_jobs ? effective_n_jobs(*n_jobs) : cpu_count();
  if (r.backend->one_worker) r.n_jobs = 1;
  if (r.n_jobs == 1) r.backend = &sequential_backend();  // joblib: n_jobs=1 runs in-process
  if (const auto* fixed = std::get_if<std::int64_t>(&options.batch_size)) {
    if (*fixed < 1) {
      throw ConfigError(fmt::format("Parallel: batch_size must be positive, not {}", *fixed));
    }
    r.auto_batch = false;
    r.batch_size = *fixed;
  }
  r.pre_dispatch = parse_pre_dispatch(options.pre_dispatch, r.n_jobs);
  r.return_as = return_as;
  if (options.verbose < 0) {
    throw ConfigError(fmt::format("Parallel: verbose must be >= 0, not {}", options.verbose));
  }
  r.verbose = options.verbose;
  r.progress = options.progress;
  if (options.timeout && options.timeout->count() <= 0) {
    throw ConfigError(
        fmt::format("Parallel: timeout must be positive, not {}s", options.timeout->count()));
  }
  r.timeout = options.timeout;
  if (options.max_nbytes < 0) {
    throw ConfigError(fmt::format("Parallel: max_nbytes must be >= 0, not {}", options.max_nbytes));
  }
  r.max_nbytes = options.max_nbytes;
  if (options.mmap_mode != "r" && options.mmap_mode != "r+" && options.mmap_mode != "c") {
    throw ConfigError(fmt::format("Parallel: mmap_mode must be \"r\", \"r+\" or \"c\", not '{}'",
                                  options.mmap_mode));
  }
  r.mmap_mode = options.mmap_mode;
  // In a forked worker (no oneTBB threads there) and under a sequential call, nested Parallel
  // work runs inline, as joblib limits inner workers.
  if (in_worker_process() || computes_inline()) r.backend = &sequential_backend();
  return r;
}

}  // namespace loom::detail

namespace loom {

parallel_backend::parallel_backend(std::string backend, Options options)
    : previous_(detail::current_scope), backend_(std::move(backend)), n_jobs_(options.n_jobs) {
  (void)detail::find_backend(backend_);  // a bad name fails here, not at the first Parallel
  if (n_jobs_ && *n_jobs_ == 0) throw ConfigError("parallel_backend: n_jobs == 0 has no meaning");
  detail::current_scope = this;
}

parallel_backend::~parallel_backend() { detail::current_scope = previous_; }

}  // namespace loom
