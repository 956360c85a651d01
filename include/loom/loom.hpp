#pragma once
// The umbrella header: everything loom offers.

#include "loom/core.hpp"
#include "loom/parallel.hpp"
