#pragma once
// The dask.array facade: chunked lazy N-d arrays.
//
//   namespace da = loom::array;

#include "loom/array/array.hpp"
#include "loom/array/chunks.hpp"
#include "loom/array/creation.hpp"
#include "loom/array/elementwise.hpp"
#include "loom/array/index.hpp"
#include "loom/array/join.hpp"
#include "loom/array/linalg.hpp"
#include "loom/array/map_blocks.hpp"
#include "loom/array/rechunk.hpp"
#include "loom/array/reduction.hpp"
#include "loom/array/reshape.hpp"
#include "loom/array/slicing.hpp"
#include "loom/core.hpp"
