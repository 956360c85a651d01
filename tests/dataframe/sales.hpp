#pragma once
// The sales table the dataframe tests work out by hand: 10 rows in a small CSV, read in
// partitions of `blocksize` bytes.

#include <cstdint>
#include <string>

#include "loom/dataframe.hpp"
#include "write_file.hpp"

namespace loom::test {

// 10 rows; missing values in value, qty and city.
inline const char* const kSales =
    "category,value,qty,city,day\n"
    "a,1.5,1,Paris,2024-01-01\n"
    "b,-2.0,2,Lyon,2024-01-01\n"
    "a,,3,Paris,2024-01-02\n"
    "c,4.0,,Nice,2024-01-02\n"
    "b,5.5,5,,2024-01-03\n"
    "a,100.5,6,Lyon,2024-01-03\n"
    "c,7.0,7,Nice,2024-01-04\n"
    "b,8.0,8,Paris,2024-01-04\n"
    "a,9.0,9,Lyon,2024-01-05\n"
    "d,,10,Nice,2024-01-05\n";

inline loom::dataframe::DataFrame sales(std::int64_t blocksize = 40) {
  static const std::string path = write_file("sales.csv", kSales);
  return loom::dataframe::read_csv(path, {.blocksize = blocksize, .parse_dates = {"day"}});
}

}  // namespace loom::test
