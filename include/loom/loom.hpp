#pragma once
// The umbrella header: everything loom offers.

#include "loom/array.hpp"
#include "loom/cluster.hpp"
#include "loom/core.hpp"
#include "loom/dataframe.hpp"
#include "loom/io/dump.hpp"
#include "loom/io/npy.hpp"
#include "loom/io/serialize.hpp"
#include "loom/parallel.hpp"
#include "loom/remote.hpp"
