#pragma once
// The dask.dataframe facade: partitioned lazy dataframes.
//
//   namespace dd = loom::dataframe;

#include "loom/core/error.hpp"
#include "loom/dataframe/column.hpp"
#include "loom/dataframe/csv_options.hpp"
#include "loom/dataframe/dataframe.hpp"
#include "loom/dataframe/series.hpp"
#include "loom/dataframe/table.hpp"
