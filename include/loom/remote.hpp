#pragma once
// The Ray facade: remote tasks, actors and the object store.

#include "loom/core.hpp"
#include "loom/remote/actor.hpp"
#include "loom/remote/actor_pool.hpp"
#include "loom/remote/object_ref.hpp"
#include "loom/remote/options.hpp"
#include "loom/remote/runtime.hpp"
#include "loom/remote/task.hpp"
