#pragma once
// ResourceSet: an amount of each resource the remote scheduler counts (CPUs, GPUs, memory and
// custom resources). One type for what a task asks for, what the runtime has and what is free
// now, so that "does this request fit" is decided in one place (src/remote/resource_set.cpp).

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace loom::detail {

/// Amounts closer than this count as equal (fractional CPUs and GPUs add up with rounding).
inline constexpr double kResourceEpsilon = 1e-9;

struct ResourceSet {
  double cpus = 0;
  /// Asked for: a fraction of one GPU, or a whole number of GPUs. Held: how many GPUs.
  double gpus = 0;
  std::int64_t memory = 0;
  /// By name; a request names only the resources it asks a positive amount of.
  std::map<std::string, double, std::less<>> custom{};

  /// Whether `request` fits in these amounts. A custom resource not named here does not fit.
  [[nodiscard]] bool fits(const ResourceSet& request) const noexcept;
  /// Why `request` does not fit in what the runtime has (these amounts), as the
  /// loom::ResourceError message naming `what` ("task 'io' asks for 3 CPUs; the runtime has 2
  /// ..."); empty when it fits.
  [[nodiscard]] std::string describe(const ResourceSet& request, std::string_view what) const;
  /// Adds (a task's request given back) or takes away (a task's request held) `other`'s
  /// amounts; custom resources not named here are left alone.
  void add(const ResourceSet& other) noexcept;
  void subtract(const ResourceSet& other) noexcept;
};

}  // namespace loom::detail
