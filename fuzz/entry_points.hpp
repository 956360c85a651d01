#pragma once
// The readers loom's fuzz targets drive, one entry point each, shared by the libFuzzer targets
// (fuzz_<name>.cpp, built with clang-16 when LOOM_BUILD_FUZZERS is ON) and the corpus replay
// test (tests/fuzz_replay, built by the normal build): both run the same code on the same bytes.
//
// Each entry point answers every input with a result or a loom::Error, which it swallows;
// anything else escaping (a std exception, a crash, a sanitizer report) is a finding.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace loom::fuzz {

using EntryPoint = void (*)(const std::uint8_t* data, std::size_t size);

/// read_csv at several blocksizes, then a compute that touches every column.
void csv(const std::uint8_t* data, std::size_t size);
/// load_npy in memory and mapped, as float64 and int64.
void npy(const std::uint8_t* data, std::size_t size);
/// load<T> of every kind of value (NDArray, vectors, maps, strings, a user struct). The first
/// byte picks how the rest becomes a file: as it is, or as the payload of a well-formed file
/// (a correct checksum: what an attacker who knows the format writes), stored plainly or
/// compressed with zstd or lz4.
void load(const std::uint8_t* data, std::size_t size);
/// df.query(text) on a small frame, computed.
void query(const std::uint8_t* data, std::size_t size);
/// A small array program decoded from the bytes: creation, slicing, reshape, broadcasting,
/// reductions, rechunk, dot; computed when the result is small.
void shapes(const std::uint8_t* data, std::size_t size);
/// config keys and values ("key=value" lines), byte sizes like "2GB".
void config(const std::uint8_t* data, std::size_t size);

struct Target {
  const char* name;
  EntryPoint run;
};
/// Every target, by the name of its corpus folder (fuzz/corpus/<name>).
const std::vector<Target>& targets();

}  // namespace loom::fuzz
