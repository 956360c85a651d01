// dump/load and deserialize against hostile length fields: every length is checked against the
// bytes left before anything is allocated from it, and a compressed payload's declared size
// against what its compressed bytes can hold (docs/hostile-input.md).
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../scratch_folder.hpp"
#include "../support/expect_error.hpp"
#include "alloc_watch.hpp"

#include "loom/core/config.hpp"
#include "loom/core/error.hpp"
#include "loom/io/dump.hpp"

namespace {

// `bytes` with the 8-byte little-endian length field at `at` replaced by `length`.
std::string with_length(std::string bytes, std::size_t at, std::uint64_t length) {
  for (std::size_t k = 0; k < 8; ++k) bytes[at + k] = static_cast<char>((length >> (8 * k)) & 0xff);
  return bytes;
}

// A general-format file holding `payload` as a `Value`, with a correct checksum: what an
// attacker who knows the format writes.
template <class Value>
std::filesystem::path file_with_payload(const std::string& name, const std::string& payload,
                                        const loom::DumpOptions& options = {}) {
  const auto path = loom::test::scratch_folder() / name;
  loom::detail::write_object(path, loom::detail::type_name<Value>(), payload, options);
  return path;
}

constexpr std::uint64_t kMadeUp = 13'000'000'000;  // the size the fuzzer's string file claimed

TEST(HostileLoad, StringLengthBeyondTheFileIsAnErrorNamingIt) {
  const auto path = file_with_payload<std::string>(
      "string.loom", with_length(loom::serialize(std::string("abc")), 0, kMadeUp));
  loom::test::AllocWatch watch;
  EXPECT_ERROR_CONTAINS((void)loom::load<std::string>(path), loom::Error, "string.loom",
                        "a length field says 13000000000 but only 3 bytes are left");
  EXPECT_LT(watch.largest(), 4096U);
}

TEST(HostileLoad, VectorAndMapLengthsBeyondTheFileAreErrors) {
  const auto vec = file_with_payload<std::vector<double>>(
      "vector.loom", with_length(loom::serialize(std::vector<double>{1, 2}), 0, kMadeUp));
  const std::map<std::string, int> m = {{"a", 1}};
  const auto map = file_with_payload<std::map<std::string, int>>(
      "map.loom", with_length(loom::serialize(m), 0, std::uint64_t{3} << 60));
  // The map's key: its own length field, inside the first element.
  const auto key = file_with_payload<std::map<std::string, int>>(
      "key.loom", with_length(loom::serialize(m), 8, kMadeUp));
  loom::test::AllocWatch watch;
  EXPECT_ERROR_CONTAINS((void)loom::load<std::vector<double>>(vec), loom::Error,
                        "a length field says 13000000000 but only 16 bytes are left");
  EXPECT_ERROR_CONTAINS((void)(loom::load<std::map<std::string, int>>(map)), loom::Error,
                        "a length field says 3458764513820540928");
  EXPECT_ERROR_CONTAINS((void)(loom::load<std::map<std::string, int>>(key)), loom::Error,
                        "a length field says 13000000000 but only 5 bytes are left");
  EXPECT_LT(watch.largest(), 4096U);
}

TEST(HostileLoad, DeserializeChecksNestedLengthsToo) {
  const std::vector<std::vector<std::string>> nested = {{"x", "yz"}, {}};
  const std::string bytes = loom::serialize(nested);
  loom::test::AllocWatch watch;
  // Outer count, inner count, then a string's length.
  for (const std::size_t at : {std::size_t{0}, std::size_t{8}, std::size_t{16}}) {
    EXPECT_ERROR_CONTAINS((void)loom::deserialize<std::vector<std::vector<std::string>>>(
                              with_length(bytes, at, kMadeUp)),
                          loom::Error, "a length field says 13000000000")
        << "length field at " << at;
  }
  EXPECT_LT(watch.largest(), 4096U);
  EXPECT_EQ(loom::deserialize<std::vector<std::vector<std::string>>>(bytes), nested);
}

TEST(HostileLoad, MemoryIsBoundedByTheInputTimesTheElementSize) {
  // The worst a valid-looking count can do: every byte left claimed as one element of a type
  // that is 32 bytes in memory; the container is then at most 32 x the input.
  const std::string bytes =
      with_length(loom::serialize(std::vector<std::string>{}), 0, 1000) + std::string(1000, '\0');
  loom::test::AllocWatch watch;
  EXPECT_THROW((void)loom::deserialize<std::vector<std::string>>(bytes), loom::Error);
  EXPECT_LE(watch.largest(), sizeof(std::string) * bytes.size());
}

// A compressed NDArray whose header claims a payload of 536 GB.
std::filesystem::path inflated_array(const char* compressor, const std::string& name) {
  const auto path = loom::test::scratch_folder() / name;
  loom::dump(loom::NDArray<double>(loom::Shape{1000}), path,
             {.compress = 3, .compressor = compressor});
  std::string file;
  {
    std::ifstream in(path, std::ios::binary);
    file.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  file = with_length(file, 16, std::uint64_t{536} << 30);  // the payload size
  std::ofstream(path, std::ios::binary)
      .write(file.data(), static_cast<std::streamsize>(file.size()));
  return path;
}

TEST(HostileLoad, CompressedPayloadSizeIsCheckedAgainstWhatTheDataCanHold) {
  for (const char* compressor : {"zstd", "lz4"}) {
    const auto path = inflated_array(compressor, std::string("inflated-") + compressor + ".loom");
    loom::test::AllocWatch watch;
    EXPECT_ERROR_CONTAINS((void)loom::load<loom::NDArray<double>>(path), loom::Error,
                          "cannot hold the 575525617664 bytes it declares")
        << compressor;
    EXPECT_LT(watch.largest(), std::size_t{1} << 20) << compressor;
  }
}

TEST(HostileLoad, HighlyCompressedDataStillLoads) {
  // Zeros compress about as well as anything can: the ratio check must let them through.
  const loom::NDArray<double> zeros(loom::Shape{std::int64_t{1} << 22});  // 32 MiB
  for (const char* compressor : {"zstd", "lz4"}) {
    for (const int level : {1, 19}) {
      const auto path = loom::test::scratch_folder() / "zeros.loom";
      loom::dump(zeros, path, {.compress = level, .compressor = compressor});
      const auto back = loom::load<loom::NDArray<double>>(path);
      ASSERT_EQ(back.shape(), zeros.shape()) << compressor << " " << level;
      EXPECT_EQ(std::memcmp(back.data(), zeros.data(), zeros.nbytes()), 0);
    }
  }
}

TEST(HostileLoad, ZstdMemoryFollowsTheRealOutputNotTheHeader) {
  // A header may claim up to the format's ratio; the buffer grows only as output arrives.
  const auto path = loom::test::scratch_folder() / "claims-more.loom";
  // 2 KiB of random doubles (incompressible): a claim of 32768 x that is 64 MiB.
  std::vector<double> values(256);
  std::uint64_t state = 88172645463325252ULL;
  for (double& v : values) {
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;
    v = static_cast<double>(state);
  }
  const std::string payload = loom::serialize(values);
  loom::detail::write_object(path, loom::detail::type_name<std::vector<double>>(), payload,
                             {.compress = 3});
  std::string file;
  {
    std::ifstream in(path, std::ios::binary);
    file.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const std::uint64_t stored =
      file.size() - 44 - loom::detail::type_name<std::vector<double>>().size();
  file = with_length(file, 16, stored * 32768);  // the most zstd could hold, not what it holds
  std::ofstream(path, std::ios::binary)
      .write(file.data(), static_cast<std::streamsize>(file.size()));
  loom::test::AllocWatch watch;
  EXPECT_ERROR_CONTAINS((void)loom::load<std::vector<double>>(path), loom::Error,
                        "corrupt compressed data (zstd)");
  EXPECT_LT(watch.largest(), std::size_t{4} << 20);
}

TEST(HostileLoad, DecompressedSizeHasAConfigurableCeiling) {
  const auto path = loom::test::scratch_folder() / "ceiling.loom";
  loom::dump(std::vector<double>(1024, 2.0), path, {.compress = 3});
  EXPECT_EQ(loom::load<std::vector<double>>(path).size(), 1024U);
  const loom::config::Scope scope{{"io.max-decompressed-size", "4KiB"}};
  EXPECT_ERROR_CONTAINS((void)loom::load<std::vector<double>>(path), loom::Error, "ceiling.loom",
                        "more than io.max-decompressed-size (4096 bytes)");
}

}  // namespace
