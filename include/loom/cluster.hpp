#pragma once
// loom's clusters (docs/cluster.md): LocalCluster, Client, as_completed.

#include "loom/cluster/as_completed.hpp"
#include "loom/cluster/client.hpp"
#include "loom/cluster/local_cluster.hpp"
#include "loom/core/byte_size.hpp"
#include "loom/remote.hpp"
