#pragma once
// The joblib facade: Parallel, each, parallel_backend.

#include "loom/core.hpp"
#include "loom/parallel/each.hpp"
#include "loom/parallel/memory.hpp"
#include "loom/parallel/options.hpp"
#include "loom/parallel/parallel.hpp"
