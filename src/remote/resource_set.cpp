// ResourceSet (remote/detail/resource_set.hpp): whether a request fits, and why not.

#include "loom/remote/detail/resource_set.hpp"

#include <fmt/format.h>

namespace loom::detail {

namespace {

// The first resource a request asks more of than a set has (the order of the messages).
enum class Short : unsigned char { none, cpus, memory, gpus, custom_missing, custom_amount };
struct Shortfall {
  Short what = Short::none;
  const std::string* name = nullptr;  // the custom resource
  double have = 0;                    // of it
};

Shortfall first_shortfall(const ResourceSet& have, const ResourceSet& r) noexcept {
  if (r.cpus > have.cpus + kResourceEpsilon) return {Short::cpus};
  if (r.memory > have.memory) return {Short::memory};
  if (r.gpus > have.gpus + kResourceEpsilon) return {Short::gpus};
  for (const auto& [name, amount] : r.custom) {
    auto it = have.custom.find(name);
    if (it == have.custom.end()) return {Short::custom_missing, &name};
    if (amount > it->second + kResourceEpsilon) return {Short::custom_amount, &name, it->second};
  }
  return {};
}

}  // namespace

bool ResourceSet::fits(const ResourceSet& request) const noexcept {
  return first_shortfall(*this, request).what == Short::none;
}

std::string ResourceSet::describe(const ResourceSet& r, std::string_view what) const {
  const Shortfall s = first_shortfall(*this, r);
  switch (s.what) {
    case Short::none:
      return {};
    case Short::cpus:
      return fmt::format(
          "{} asks for {} CPUs; the runtime has {} (loom::init({{.num_cpus = ...}}))", what, r.cpus,
          cpus);
    case Short::memory:
      return fmt::format("{} asks for {} bytes of memory; the machine has {}", what, r.memory,
                         memory);
    case Short::gpus:
      return fmt::format(
          "{} asks for {} GPUs; the runtime has {} (loom::init({{.num_gpus = ...}}))", what, r.gpus,
          gpus);
    case Short::custom_missing:
      return fmt::format(
          "{} asks for resource '{}', which the runtime does not have "
          "(loom::init({{.resources = {{{{\"{}\", n}}}}}}))",
          what, *s.name, *s.name);
    case Short::custom_amount:
      return fmt::format("{} asks for {} of resource '{}'; the runtime has {}", what,
                         r.custom.find(*s.name)->second, *s.name, s.have);
  }
  return {};
}

void ResourceSet::add(const ResourceSet& other) noexcept {
  cpus += other.cpus;
  gpus += other.gpus;
  memory += other.memory;
  for (const auto& [name, amount] : other.custom) {
    if (auto it = custom.find(name); it != custom.end()) it->second += amount;
  }
}

void ResourceSet::subtract(const ResourceSet& other) noexcept {
  cpus -= other.cpus;
  gpus -= other.gpus;
  memory -= other.memory;
  for (const auto& [name, amount] : other.custom) {
    if (auto it = custom.find(name); it != custom.end()) it->second -= amount;
  }
}

}  // namespace loom::detail
