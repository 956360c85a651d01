// joblib's dump/load with mmap_mode: NDArrays inside any dumped value start on a page of the
// file and load(path, {.mmap_mode}) maps them ("r", "r+", "c"); compressed files load into
// memory with a warning; a plain load and the checksum still work.
#include <cstdint>
#include <cstring>
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
#include "loom/parallel.hpp"

namespace {

namespace fs = std::filesystem;

fs::path temp_path(const std::string& name) {
  const fs::path dir = loom::test::scratch_folder() / "joblib";
  fs::create_directories(dir);
  return dir / name;
}

bool page_aligned(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 4096 == 0; }

void expect_same(const loom::NDArray<double>& a, const loom::NDArray<double>& b) {
  ASSERT_EQ(a.shape(), b.shape());
  for (std::int64_t i = 0; i < a.size(); ++i) ASSERT_EQ(a.data()[i], b.data()[i]) << i;
}

struct Model {
  std::string name;
  loom::NDArray<double> weights;
  std::vector<loom::NDArray<float>> layers;
  loom::NDArray<double> bias;  // small: stays inline
  template <class A>
  void serialize(A& a) {
    a(name, weights, layers, bias);
  }
};

TEST(JoblibDump, JoblibsSnippetMapsTheArray) {
  const loom::NDArray<double> large_array = loom::random::rand({2000, 100}, 0);
  const auto path = temp_path("large_array.joblib");
  loom::dump(large_array, path);
  const auto large_array_mmap = loom::load<loom::NDArray<double>>(path, {.mmap_mode = "r"});
  expect_same(large_array_mmap, large_array);
  EXPECT_FALSE(large_array_mmap.writeable());
  EXPECT_TRUE(page_aligned(large_array_mmap.data()));
  EXPECT_EQ(loom::detail::NDArrayAccess::buffer(large_array_mmap)->path(), path.string());  // a view of the file
  EXPECT_THROW((void)const_cast<loom::NDArray<double>&>(large_array_mmap).mutable_data(),
               loom::Error);
  // joblib's snippet: the chunked mean of squares over the map, in parallel, against a
  // sequential one.
  const auto process_chunk = [](const loom::NDArray<double>& array, std::int64_t start,
                                std::int64_t end) {
    const auto chunk = array.slice(start, end);
    double s = 0;
    for (std::int64_t i = 0; i < chunk.size(); ++i) s += chunk.data()[i] * chunk.data()[i];
    return s / static_cast<double>(chunk.size());
  };
  const std::int64_t n_chunks = 4;
  const std::int64_t chunk_size = large_array_mmap.shape()[0] / n_chunks;
  std::vector<double> expected;
  for (std::int64_t i = 0; i < n_chunks; ++i) {
    expected.push_back(process_chunk(large_array, i * chunk_size, (i + 1) * chunk_size));
  }
  for (const char* backend : {"threads", "processes"}) {
    std::vector<std::int64_t> starts;
    for (std::int64_t i = 0; i < n_chunks; ++i) starts.push_back(i * chunk_size);
    const std::vector<double> got = loom::Parallel({.n_jobs = 4, .backend = backend})(
        loom::each(starts, [&](std::int64_t start) {
          return loom::delayed(process_chunk)(large_array_mmap, start, start + chunk_size);
        }));
    EXPECT_EQ(got, expected) << backend;
  }
}

Model sample_model() {
  Model m;
  m.name = "ridge";
  m.weights = loom::random::rand({300, 17}, 1);
  for (int k = 0; k < 3; ++k) {
    loom::NDArray<float> layer(loom::Shape{2000 + k * 7});
    for (std::int64_t i = 0; i < layer.size(); ++i) layer.mut(i) = static_cast<float>(i * k);
    m.layers.push_back(layer);
  }
  m.bias = loom::NDArray<double>::full({3}, 0.5);
  return m;
}

TEST(JoblibDump, ArraysInsideAnyValueAreMappedAndTheRestIsRead) {
  const Model m = sample_model();
  const auto path = temp_path("model.joblib");
  loom::dump(m, path);
  for (const char* mode : {"r", "c", "r+"}) {
    SCOPED_TRACE(mode);
    const Model back = loom::load<Model>(path, {.mmap_mode = mode});
    EXPECT_EQ(back.name, "ridge");
    expect_same(back.weights, m.weights);
    EXPECT_TRUE(page_aligned(back.weights.data()));
    EXPECT_EQ(loom::detail::NDArrayAccess::buffer(back.weights)->path(), path.string());
    EXPECT_EQ(back.weights.writeable(), std::string(mode) != "r");
    ASSERT_EQ(back.layers.size(), 3U);
    for (std::size_t k = 0; k < 3; ++k) {
      EXPECT_TRUE(page_aligned(back.layers[k].data()));
      ASSERT_EQ(back.layers[k].shape(), m.layers[k].shape());
      for (std::int64_t i = 0; i < m.layers[k].size(); ++i) {
        ASSERT_EQ(back.layers[k].data()[i], m.layers[k].data()[i]);
      }
    }
    ASSERT_EQ(back.bias.shape(), m.bias.shape());  // small: read into memory
    EXPECT_EQ(back.bias(1), 0.5);
    EXPECT_TRUE(loom::detail::NDArrayAccess::buffer(back.bias)->path().empty());
  }
  // A plain load reads everything and checks the checksum.
  const Model plain = loom::load<Model>(path);
  expect_same(plain.weights, m.weights);
  EXPECT_TRUE(loom::detail::NDArrayAccess::buffer(plain.weights)->path().empty());
}

TEST(JoblibDump, CopyOnWriteStaysInMemoryAndReadWriteReachesTheFile) {
  const auto a = loom::random::rand({100, 50}, 2);
  const auto path = temp_path("modes.joblib");
  loom::dump(a, path);
  {
    auto c = loom::load<loom::NDArray<double>>(path, {.mmap_mode = "c"});
    c.mut(0, 0) = -1.0;
    EXPECT_EQ(c(0, 0), -1.0);
  }
  EXPECT_EQ(loom::load<loom::NDArray<double>>(path)(0, 0), a(0, 0));
  {
    auto w = loom::load<loom::NDArray<double>>(path, {.mmap_mode = "r+"});
    w.mut(3, 4) = 42.0;
  }
  // The write is in the file, and a plain load (which verifies the checksum) sees it.
  const auto back = loom::load<loom::NDArray<double>>(path);
  EXPECT_EQ(back(3, 4), 42.0);
  EXPECT_EQ(back(0, 0), a(0, 0));
  EXPECT_EQ(loom::load<loom::NDArray<double>>(path, {.mmap_mode = "r"})(3, 4), 42.0);
}

TEST(JoblibDump, ACompressedFileLoadsIntoMemoryAndWarnsOnce) {
  const auto a = loom::random::rand({60, 70}, 3);
  const auto path = temp_path("compressed.joblib");
  loom::dump(a, path, {.compress = 3});
  testing::internal::CaptureStderr();
  const auto first = loom::load<loom::NDArray<double>>(path, {.mmap_mode = "r"});
  const auto second = loom::load<loom::NDArray<double>>(path, {.mmap_mode = "r"});
  const std::string err = testing::internal::GetCapturedStderr();
  expect_same(first, a);
  expect_same(second, a);
  EXPECT_TRUE(loom::detail::NDArrayAccess::buffer(first)->path().empty());
  const auto at = err.find("compressed.joblib");
  ASSERT_NE(at, std::string::npos) << err;
  EXPECT_NE(err.find("compressed"), std::string::npos);
  EXPECT_EQ(err.find("compressed.joblib", at + 1), std::string::npos) << "warned twice: " << err;
}

TEST(JoblibDump, CorruptArrayBytesFailThePlainLoadsChecksum) {
  const auto a = loom::random::rand({64, 64}, 4);
  const auto path = temp_path("corrupt.joblib");
  loom::dump(a, path);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(path) - 100));
    f.put('\x7f');
  }
  EXPECT_ERROR_CONTAINS((void)loom::load<loom::NDArray<double>>(path), loom::Error,
                        "corrupt.joblib", "checksum");
}

TEST(JoblibDump, BadFilesAndModesAreErrorsNamingThem) {
  const auto a = loom::random::rand({64, 64}, 5);
  const auto path = temp_path("bad.joblib");
  loom::dump(a, path);
  EXPECT_THROW((void)loom::load<loom::NDArray<double>>(path, {.mmap_mode = "w+"}),
               loom::ConfigError);
  EXPECT_THROW((void)loom::load<loom::NDArray<double>>(path, {.mmap_mode = "rw"}),
               loom::ConfigError);
  EXPECT_ERROR_CONTAINS((void)loom::load<loom::NDArray<float>>(path, {.mmap_mode = "r"}),
                        loom::Error, "bad.joblib");
  // Truncated: the header's sizes no longer match.
  const auto cut = temp_path("cut.joblib");
  fs::copy_file(path, cut, fs::copy_options::overwrite_existing);
  fs::resize_file(cut, fs::file_size(cut) - 4096);
  EXPECT_ERROR_CONTAINS((void)loom::load<loom::NDArray<double>>(cut, {.mmap_mode = "r"}),
                        loom::Error, "cut.joblib", "truncated");
  // A padding count beyond a page (the record's u64 after the extents).
  const auto pad = temp_path("pad.joblib");
  fs::copy_file(path, pad, fs::copy_options::overwrite_existing);
  std::string bytes;
  {
    std::ifstream in(pad, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  // Header, marker vector (8 + 8), extents (8 + 16), then the padding count.
  std::size_t header = 8 + 4 + 4 + 8 + 8 + 8 + 4;
  std::uint32_t type_size = 0;
  std::memcpy(&type_size, bytes.data() + header - 4, 4);
  const std::size_t count_at = header + type_size + 16 + 24;
  bytes[count_at + 7] = '\x01';  // a huge count
  {
    std::ofstream out(pad, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  EXPECT_ERROR_CONTAINS((void)loom::load<loom::NDArray<double>>(pad, {.mmap_mode = "r"}),
                        loom::Error, "pad.joblib", "padding");
  EXPECT_ERROR_CONTAINS((void)loom::load<loom::NDArray<double>>(pad), loom::Error, "pad.joblib");
  // An empty file.
  const auto empty = temp_path("empty.joblib");
  { std::ofstream out(empty); }
  EXPECT_ERROR_CONTAINS((void)loom::load<Model>(empty, {.mmap_mode = "r"}), loom::Error,
                        "empty.joblib");
}

TEST(JoblibDump, NpyPathsStayNumPysFormat) {
  const auto a = loom::random::rand({10, 10}, 6);
  const auto path = temp_path("interop.npy");
  loom::dump(a, path);
  std::ifstream in(path, std::ios::binary);
  char magic[6] = {};
  in.read(magic, 6);
  EXPECT_EQ(std::string(magic, 6), "\x93NUMPY");
}

}  // namespace
