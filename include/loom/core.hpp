#pragma once
// loom's core: lazy values, task graphs, the thread pool, configuration, tracing and errors.

#include "loom/core/byte_size.hpp"
#include "loom/core/config.hpp"
#include "loom/core/current_task.hpp"
#include "loom/core/delayed.hpp"
#include "loom/core/error.hpp"
#include "loom/core/executor.hpp"
#include "loom/core/graph.hpp"
#include "loom/core/ndarray.hpp"
#include "loom/core/progress_bar.hpp"
#include "loom/core/random.hpp"
#include "loom/core/shape.hpp"
#include "loom/core/trace.hpp"
