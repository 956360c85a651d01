// .npy dump/load: every dtype and rank, NumPy interop both ways, memory-map modes, bad files.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../scratch_folder.hpp"
#include "../support/expect_error.hpp"

#include "loom/core/error.hpp"
#include "loom/core/random.hpp"
#include "loom/io/dump.hpp"

namespace {

namespace fs = std::filesystem;

fs::path temp_path(const std::string& name) {
  const fs::path dir = loom::test::scratch_folder() / "npy";
  fs::create_directories(dir);
  return dir / name;
}

template <class Scalar>
loom::NDArray<Scalar> sample(const loom::Shape& shape) {
  loom::NDArray<Scalar> a(shape);
  Scalar* p = a.mutable_data();
  for (std::int64_t i = 0; i < a.size(); ++i) {
    if constexpr (std::is_same_v<Scalar, bool>) {
      p[i] = (i % 3) == 0;
    } else {
      p[i] = static_cast<Scalar>((i * 37) % 101 - (std::is_signed_v<Scalar> ? 50 : 0));
    }
  }
  return a;
}

template <class Scalar>
void round_trip_every_rank() {
  for (const loom::Shape& shape :
       {loom::Shape{}, loom::Shape{7}, loom::Shape{3, 5}, loom::Shape{2, 3, 4},
        loom::Shape{2, 1, 3, 2}, loom::Shape{0, 4}}) {
    const auto a = sample<Scalar>(shape);
    const auto path = temp_path("rt.npy");
    loom::dump(a, path);
    const auto b = loom::load_npy<Scalar>(path);
    ASSERT_EQ(b.shape(), shape);
    for (std::int64_t i = 0; i < a.size(); ++i) ASSERT_EQ(a.data()[i], b.data()[i]);
    const auto m = loom::load<loom::NDArray<Scalar>>(path, {.mmap_mode = "r"});
    ASSERT_EQ(m.shape(), shape);
    for (std::int64_t i = 0; i < a.size(); ++i) ASSERT_EQ(a.data()[i], m.data()[i]);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(m.data()) % 64, 0U);
  }
}

TEST(Npy, RoundTripsEveryDtypeAndRank) {
  round_trip_every_rank<float>();
  round_trip_every_rank<double>();
  round_trip_every_rank<std::int8_t>();
  round_trip_every_rank<std::int16_t>();
  round_trip_every_rank<std::int32_t>();
  round_trip_every_rank<std::int64_t>();
  round_trip_every_rank<std::uint8_t>();
  round_trip_every_rank<std::uint16_t>();
  round_trip_every_rank<std::uint32_t>();
  round_trip_every_rank<std::uint64_t>();
  round_trip_every_rank<bool>();
}

// Debian's python3 (scripts/deps installs python3-numpy for it), not whatever `python3` comes
// first on PATH.
std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write_bytes(const fs::path& p, const std::string& s) {
  std::ofstream(p, std::ios::binary).write(s.data(), static_cast<std::streamsize>(s.size()));
}

int python(const std::string& code) {
  const auto script = temp_path("check.py");
  std::ofstream(script) << code;
  return std::system(("/usr/bin/python3 " + script.string()).c_str());
}

TEST(Npy, NumPyReadsWhatLoomWrites) {
  const auto a = loom::random::rand({40, 30}, 5);
  loom::dump(a, temp_path("from_loom.npy"));
  const auto ints = sample<std::int16_t>({3, 4, 5});
  loom::dump(ints, temp_path("ints.npy"));
  const std::string code =
      "import numpy as np\n"
      "a = np.load('" +
      temp_path("from_loom.npy").string() +
      "')\n"
      "assert a.dtype == np.float64 and a.shape == (40, 30), (a.dtype, a.shape)\n"
      "assert abs(a[3, 7] - " +
      std::to_string(a(3, 7)) +
      ") < 1e-6\n"
      "assert abs(a.sum() - " +
      std::to_string(a.sum()) +
      ") < 1e-6\n"
      "b = np.load('" +
      temp_path("ints.npy").string() +
      "')\n"
      "assert b.dtype == np.int16 and b.shape == (3, 4, 5)\n"
      "assert int(b[2, 3, 4]) == " +
      std::to_string(ints(2, 3, 4)) + "\n";
  EXPECT_EQ(python(code), 0);
}

TEST(Npy, LoomReadsWhatNumPyWritesIncludingBigEndianAndFortran) {
  const auto dir = temp_path("");
  const std::string code =
      "import numpy as np\n"
      "d = '" +
      dir.string() +
      "/'\n"
      "a = np.arange(24, dtype=np.float64).reshape(2, 3, 4)\n"
      "np.save(d + 'np_c.npy', a)\n"
      "np.save(d + 'np_f.npy', np.asfortranarray(a))\n"
      "np.save(d + 'np_be.npy', a.astype('>f8'))\n"
      "np.save(d + 'np_bool.npy', np.array([True, False, True]))\n"
      "np.save(d + 'np_u8.npy', np.arange(10, dtype=np.uint8))\n"
      "np.save(d + 'np_scalar.npy', np.float32(2.5))\n"
      "np.save(d + 'np_i4.npy', np.arange(6, dtype=np.int32).reshape(2, 3))\n";
  ASSERT_EQ(python(code), 0);
  for (const char* name : {"np_c.npy", "np_f.npy", "np_be.npy"}) {
    const auto a = loom::load_npy<double>(dir / name);
    ASSERT_EQ(a.shape(), (loom::Shape{2, 3, 4})) << name;
    for (int i = 0; i < 2; ++i) {
      for (int j = 0; j < 3; ++j) {
        for (int k = 0; k < 4; ++k) EXPECT_EQ(a(i, j, k), i * 12 + j * 4 + k) << name;
      }
    }
  }
  EXPECT_THROW((void)loom::load_npy<double>(dir / "np_f.npy", {.mmap_mode = "r"}), loom::Error);
  EXPECT_THROW((void)loom::load_npy<double>(dir / "np_be.npy", {.mmap_mode = "r"}), loom::Error);
  const auto b = loom::load_npy<bool>(dir / "np_bool.npy");
  EXPECT_TRUE(b(0));
  EXPECT_FALSE(b(1));
  EXPECT_EQ(loom::load_npy<std::uint8_t>(dir / "np_u8.npy")(9), 9);
  EXPECT_EQ(loom::load_npy<float>(dir / "np_scalar.npy").item(), 2.5F);
  const auto m = loom::load_npy<std::int32_t>(dir / "np_i4.npy", {.mmap_mode = "r"});
  EXPECT_EQ(m(1, 2), 5);
}

TEST(Npy, MmapModesHaveNumPysMeanings) {
  const auto path = temp_path("modes.npy");
  loom::dump(loom::NDArray<double>::full({4, 4}, 1.0), path);
  {
    auto r = loom::load_npy<double>(path, {.mmap_mode = "r"});
    EXPECT_FALSE(r.writeable());
    EXPECT_THROW((void)r.mutable_data(), loom::Error);
    EXPECT_THROW((void)r.mut(0, 0), loom::Error);
  }
  {
    auto c = loom::load_npy<double>(path, {.mmap_mode = "c"});
    c.mut(0, 0) = 5.0;  // stays in memory
    EXPECT_EQ(c(0, 0), 5.0);
  }
  EXPECT_EQ(loom::load_npy<double>(path)(0, 0), 1.0);
  {
    auto w = loom::load_npy<double>(path, {.mmap_mode = "r+"});
    w.mut(1, 1) = 7.0;  // reaches the file
  }
  EXPECT_EQ(loom::load_npy<double>(path)(1, 1), 7.0);
  EXPECT_THROW((void)loom::load_npy<double>(path, {.mmap_mode = "w+"}), loom::ConfigError);
  EXPECT_THROW((void)loom::load_npy<double>(path, {.mmap_mode = "rw"}), loom::ConfigError);
}

TEST(Npy, OpenMemmapCreatesAFileNumPyReads) {
  const auto path = temp_path("memmap.npy");
  {
    auto w = loom::open_memmap<float>(path, {3, 2});
    EXPECT_EQ(w.sum(), 0.0);
    w.mut(2, 1) = 4.5F;
  }
  EXPECT_EQ(loom::load_npy<float>(path)(2, 1), 4.5F);
  EXPECT_EQ(python("import numpy as np\na = np.load('" + path.string() +
                   "')\nassert a.dtype == np.float32 and a.shape == (3, 2) and a[2, 1] == 4.5\n"),
            0);
}

TEST(Npy, BadFilesAreErrorsNamingTheFileAndTheProblem) {
  const auto good = temp_path("good.npy");
  loom::dump(loom::random::rand({10, 10}, 1), good);
  const std::string bytes = read_bytes(good);
  const auto write = write_bytes;
  // File names say nothing of the problem: each message must.
  const auto truncated = temp_path("bad1.npy");
  write(truncated, bytes.substr(0, bytes.size() - 8));
  for (const char* mode : {"", "r"}) {
    EXPECT_ERROR_CONTAINS((void)loom::load_npy<double>(truncated, {.mmap_mode = mode}), loom::Error,
                          "bad1.npy", "truncated: the header says shape (10, 10)")
        << "mmap_mode '" << mode << "'";
  }
  const auto short_header = temp_path("bad2.npy");
  write(short_header, bytes.substr(0, 20));
  EXPECT_ERROR_CONTAINS((void)loom::load_npy<double>(short_header), loom::Error,
                        "truncated .npy header");

  const auto magic = temp_path("bad3.npy");
  write(magic, "NOTNUMPY" + bytes.substr(8));
  EXPECT_ERROR_CONTAINS((void)loom::load_npy<double>(magic), loom::Error, "magic string");

  const auto lies = temp_path("bad4.npy");
  std::string liar = bytes;
  const auto pos = liar.find("(10, 10)");
  ASSERT_NE(pos, std::string::npos);
  liar.replace(pos, 8, "(10, 11)");
  write(lies, liar);
  EXPECT_ERROR_CONTAINS((void)loom::load_npy<double>(lies), loom::Error, "(10, 11)");
  // A header that claims less data than the file holds is just as wrong.
  std::string small_liar = bytes;
  small_liar.replace(pos, 8, "(10,  9)");
  write(lies, small_liar);
  EXPECT_ERROR_CONTAINS((void)loom::load_npy<double>(lies), loom::Error,
                        "the header says shape (10, 9)");

  EXPECT_ERROR_CONTAINS((void)loom::load_npy<float>(good), loom::Error, "float64", "float32");

  EXPECT_ERROR_CONTAINS((void)loom::load_npy<double>(temp_path("missing.npy")), loom::Error,
                        "missing.npy': cannot open");
  EXPECT_ERROR_CONTAINS((void)loom::load_npy<double>(temp_path("")), loom::Error, "directory");
  const auto empty = temp_path("empty.npy");
  write(empty, "");
  EXPECT_ERROR_CONTAINS((void)loom::load_npy<double>(empty), loom::Error, "empty");
  EXPECT_ERROR_CONTAINS(loom::dump(loom::NDArray<int>(loom::Shape{2}), "/nonexistent-dir/x.npy"),
                        loom::Error, "x.npy");
}

}  // namespace

namespace {

struct Model {
  std::vector<double> weights;
  std::string name;
  template <class Archive>
  void serialize(Archive& archive) {
    archive(weights, name);
  }
};

TEST(Dump, GeneralValuesRoundTripWithEveryCompressor) {
  const Model m{std::vector<double>(10000, 0.25), "ridge"};
  for (const loom::DumpOptions& options : {loom::DumpOptions{}, loom::DumpOptions{.compress = 3},
                                           loom::DumpOptions{.compress = 3, .compressor = "lz4"}}) {
    const auto path = temp_path("model.loom");
    loom::dump(m, path, options);
    const auto back = loom::load<Model>(path);
    EXPECT_EQ(back.weights, m.weights);
    EXPECT_EQ(back.name, "ridge");
    if (options.compress > 0) EXPECT_LT(fs::file_size(path), 10000U * 8 / 4);
  }
}

TEST(Dump, CompressedArraysUseTheGeneralFormat) {
  const auto a = loom::random::rand({50, 20}, 4);
  const auto path = temp_path("array.loom");
  loom::dump(a, path, {.compress = 1});
  const auto b = loom::load<loom::NDArray<double>>(path);
  ASSERT_EQ(b.shape(), a.shape());
  for (std::int64_t i = 0; i < a.size(); ++i) EXPECT_EQ(a.data()[i], b.data()[i]);
  // As joblib: mmap_mode on a compressed file loads it into memory (with a warning).
  testing::internal::CaptureStderr();
  const auto c = loom::load<loom::NDArray<double>>(path, {.mmap_mode = "r"});
  EXPECT_NE(testing::internal::GetCapturedStderr().find("compressed"), std::string::npos);
  ASSERT_EQ(c.shape(), a.shape());
  for (std::int64_t i = 0; i < a.size(); ++i) EXPECT_EQ(a.data()[i], c.data()[i]);
}

TEST(Dump, LoadWithMmapModeNamesWhatIsWrongWithTheFile) {
  const auto missing = temp_path("nowhere.npy");
  EXPECT_ERROR_CONTAINS((void)loom::load<loom::NDArray<double>>(missing, {.mmap_mode = "r"}),
                        loom::Error, "nowhere.npy", "cannot open");
  EXPECT_ERROR_CONTAINS((void)loom::load<loom::NDArray<double>>(
                            std::filesystem::temp_directory_path(), {.mmap_mode = "r"}),
                        loom::Error, "directory");
  const auto text = temp_path("text.bin");
  write_bytes(text, "hello, this is not an array at all");
  EXPECT_ERROR_CONTAINS((void)loom::load<loom::NDArray<double>>(text, {.mmap_mode = "r"}),
                        loom::Error, "text.bin");
  // loom's own format loads with mmap_mode too (joblib's dump/load): a small array is read.
  const auto general = temp_path("general.loom");
  const auto small = loom::random::rand({4}, 1);
  loom::dump(small, general);
  const auto back = loom::load<loom::NDArray<double>>(general, {.mmap_mode = "r"});
  ASSERT_EQ(back.shape(), small.shape());
  for (std::int64_t i = 0; i < small.size(); ++i) EXPECT_EQ(back.data()[i], small.data()[i]);
}

TEST(Dump, LoadingAsAnotherTypeIsAnErrorNamingBoth) {
  for (int level : {0, 2}) {
    SCOPED_TRACE(level);
    const auto path = temp_path("ints.loom");
    loom::dump(std::vector<int>{1, 2, 3}, path, {.compress = level});
    EXPECT_ERROR_CONTAINS((void)loom::load<std::vector<double>>(path), loom::Error,
                          "std::vector<int", "std::vector<double");
  }
}

TEST(Dump, CorruptOrMissingFilesAreErrorsNamingTheProblem) {
  for (int level : {0, 2}) {
    SCOPED_TRACE(level);
    const auto path = temp_path("ints.loom");
    loom::dump(std::vector<int>{1, 2, 3}, path, {.compress = level});
    const std::string bytes = read_bytes(path);
    const auto write = write_bytes;
    const auto truncated = temp_path("truncated.loom");
    write(truncated, bytes.substr(0, bytes.size() - 3));
    EXPECT_ERROR_CONTAINS((void)loom::load<std::vector<int>>(truncated), loom::Error, "truncated");
    const auto flipped = temp_path("flipped.loom");
    std::string corrupt = bytes;
    corrupt[corrupt.size() - 2] = static_cast<char>(corrupt[corrupt.size() - 2] ^ 0x5a);
    write(flipped, corrupt);
    EXPECT_ERROR_CONTAINS((void)loom::load<std::vector<int>>(flipped), loom::Error, "corrupt");
    EXPECT_ERROR_CONTAINS((void)loom::load<std::vector<int>>(temp_path("absent.loom")), loom::Error,
                          "absent.loom");
  }
  // Any single flipped byte of an uncompressed array file is an error naming the file (length
  // fields included: the payload is read as a stream, straight from the file).
  const auto path = temp_path("array-flip.loom");
  loom::dump(loom::random::rand({3, 5}, 1), path);
  const std::string bytes = read_bytes(path);
  const auto flipped = temp_path("array-flipped.loom");
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    std::string corrupt = bytes;
    corrupt[i] = static_cast<char>(corrupt[i] ^ 0x41);
    write_bytes(flipped, corrupt);
    EXPECT_ERROR_CONTAINS((void)loom::load<loom::NDArray<double>>(flipped), loom::Error,
                          "array-flipped.loom")
        << "byte " << i;
  }
  // The same for a value of nested containers, whose length fields are checked by the
  // checksum before they are trusted.
  const auto nested = temp_path("nested.loom");
  loom::dump(std::vector<std::string>{"alpha", "beta", std::string(40, 'x')}, nested);
  const std::string nested_bytes = read_bytes(nested);
  for (std::size_t i = 0; i < nested_bytes.size(); ++i) {
    std::string corrupt = nested_bytes;
    corrupt[i] = static_cast<char>(corrupt[i] ^ 0x41);
    write_bytes(flipped, corrupt);
    EXPECT_ERROR_CONTAINS((void)loom::load<std::vector<std::string>>(flipped), loom::Error,
                          "array-flipped.loom")
        << "byte " << i;
  }
}

TEST(Dump, AnUnknownCompressorIsAConfigError) {
  EXPECT_THROW(loom::dump(1, temp_path("x.loom"), {.compress = 1, .compressor = "brotli"}),
               loom::ConfigError);
}

}  // namespace
