// The fuzz entry points (entry_points.hpp): each turns bytes into a call of one reader and
// swallows loom::Error, the answer every bad input must get.
#include "entry_points.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "loom/array.hpp"
#include "loom/core/config.hpp"
#include "loom/core/error.hpp"
#include "loom/dataframe.hpp"
#include "loom/io/dump.hpp"
#include "loom/io/npy.hpp"

namespace loom::fuzz {

namespace {

// One folder per process for the files the readers open, removed when the process exits.
const std::filesystem::path& folder() {
  struct Folder {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("loom-fuzz-" + std::to_string(::getpid()));
    Folder() { std::filesystem::create_directories(path); }
    ~Folder() {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  };
  static const Folder folder;
  return folder.path;
}

std::filesystem::path write(const char* name, const std::uint8_t* data, std::size_t size) {
  const auto path = folder() / name;
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

template <class F>
void expecting_loom_errors(F f) {
  try {
    f();
  } catch (const loom::Error&) {  // the answer to bad input
  }
}

struct Record {  // a user struct, as users write them
  std::int64_t id = 0;
  std::string name;
  std::vector<double> values;
  template <class Archive>
  void serialize(Archive& archive) {
    archive(id, name, values);
  }
};

// Reads the bytes of a fuzz input as small numbers and, sometimes, extreme ones.
class Bytes {
 public:
  Bytes(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  [[nodiscard]] bool empty() const { return at_ >= size_; }
  std::uint8_t byte() { return at_ < size_ ? data_[at_++] : 0; }
  std::int64_t raw() {
    std::int64_t v = 0;
    for (int k = 0; k < 8; ++k) v = (v << 8) | byte();
    return v;
  }
  // Mostly small (0..15); else an extreme or a raw 64-bit value.
  std::int64_t number() {
    const std::uint8_t b = byte();
    if (b < 200) return b % 16;
    static constexpr std::int64_t kExtreme[] = {-1,
                                                -2,
                                                std::numeric_limits<std::int64_t>::max(),
                                                std::numeric_limits<std::int64_t>::min(),
                                                std::int64_t{1} << 32,
                                                (std::int64_t{1} << 62) + 4,
                                                1'000'000'000'000,
                                                std::numeric_limits<std::int64_t>::max() - 2};
    if (b < 248) return kExtreme[b % 8];
    return raw();
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t at_ = 0;
};

std::vector<std::int64_t> extents(Bytes& in, std::size_t rank) {
  std::vector<std::int64_t> out;
  for (std::size_t a = 0; a < rank; ++a) out.push_back(in.number());
  return out;
}

// Computes `x` when that is cheap: every array of the program (`largest` elements at most) was
// small, and so are the result and its blocks. Big valid arrays are not bugs (the sum of
// ones({2^32, 1}) is a legitimate 4-billion-element reduction).
template <class Scalar>
void maybe_compute(const array::Array<Scalar>& x, std::int64_t largest) {
  if (largest <= 65536 && x.size() <= 4096 && x.npartitions() <= 256) (void)x.compute();
}

}  // namespace

void csv(const std::uint8_t* data, std::size_t size) {
  const auto path = write("input.csv", data, size);
  for (const std::int64_t blocksize : {7, 64, 1 << 20}) {
    expecting_loom_errors([&] {
      const auto df = dataframe::read_csv(path.string(), {.blocksize = blocksize});
      const dataframe::Table t = df.compute();
      for (std::size_t c = 0; c < t.num_columns(); ++c) {  // touch every column
        const auto& column = t.column(c);
        for (std::int64_t r = 0; r < column.size(); ++r) (void)column.is_valid(r);
      }
      (void)df.len();
    });
  }
}

void npy(const std::uint8_t* data, std::size_t size) {
  const auto path = write("input.npy", data, size);
  for (const char* mode : {"", "r", "c"}) {
    expecting_loom_errors([&] { (void)load_npy<double>(path, {.mmap_mode = mode}); });
    expecting_loom_errors([&] { (void)load_npy<std::int64_t>(path, {.mmap_mode = mode}); });
  }
}

void load(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return;
  const int how = data[0] % 4;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto path = folder() / "input.loom";
  auto each_type = [&](auto run) {
    run(NDArray<double>{});
    run(std::vector<double>{});
    run(std::vector<std::string>{});
    run(std::map<std::string, std::int64_t>{});
    run(std::string{});
    run(Record{});
    run(std::vector<Record>{});
  };
  each_type([&](auto value) {
    using T = decltype(value);
    expecting_loom_errors([&] {
      if (how == 0) {
        (void)write("input.loom", data + 1, size - 1);
      } else {
        loom::detail::write_object(
            path, loom::detail::type_name<T>(), rest,
            {.compress = how == 1 ? 0 : 1, .compressor = how == 3 ? "lz4" : "zstd"});
      }
      (void)loom::load<T>(path);
    });
    expecting_loom_errors([&] { (void)loom::deserialize<T>(rest); });
  });
}

void query(const std::uint8_t* data, std::size_t size) {
  static const std::string csv_path = [] {
    const auto p = folder() / "query.csv";
    std::ofstream(p) << "a,b,s,t\n1,2.5,x,True\n2,,y,False\n3,-1.0,,True\n";
    return p.string();
  }();
  const std::string text(reinterpret_cast<const char*>(data), size);
  expecting_loom_errors([&] {
    const auto df = dataframe::read_csv(csv_path, {.blocksize = 16});
    (void)df.query(text, {.vars = {{"v", std::int64_t{2}}, {"w", std::string("x")}}}).compute();
  });
}

void shapes(const std::uint8_t* data, std::size_t size) {
  Bytes in(data, size);
  expecting_loom_errors([&] {
    const std::size_t rank = 1 + in.byte() % 3;
    const auto shape = extents(in, rank);
    auto spec = extents(in, in.byte() % 2 == 0 ? 0 : rank);
    array::Array<double> x = in.byte() % 2 == 0
                                 ? array::ones<double>(Shape(shape), {.chunks = spec})
                                 : array::arange<double>(0.0, static_cast<double>(in.number()), 1.0,
                                                         {.chunks = {in.number()}});
    std::int64_t largest = x.size();
    for (int step = 0; step < 4 && !in.empty(); ++step, largest = std::max(largest, x.size())) {
      switch (in.byte() % 8) {
        case 0: {  // a slice on the first axis
          auto bound = [&]() -> std::optional<std::int64_t> {
            const std::int64_t v = in.number();
            return v == 0 ? std::nullopt : std::optional<std::int64_t>(v);
          };
          const auto start = bound();
          const auto stop = bound();
          const std::int64_t s = in.number();
          if (x.ndim() > 0) x = x(array::slice(start, stop, s == 0 ? 1 : s));
          break;
        }
        case 1:
          x = x.reshape(extents(in, 1 + in.byte() % 4));
          break;
        case 2:  // broadcasting against another shape
          x = x + array::ones<double>(Shape(extents(in, 1 + in.byte() % 3)));
          break;
        case 3:
          x = x.ndim() > 0 ? x.sum(static_cast<int>(in.byte() % x.ndim())) : x.sum();
          break;
        case 4:
          x = x.rechunk(extents(in, x.ndim()));
          break;
        case 5:
          if (x.ndim() == 2) x = x.dot(x.T());
          break;
        case 6:
          if (x.ndim() > 0) x = x(in.number());  // an integer index
          break;
        default:
          x = x.rechunk(std::vector<std::vector<std::int64_t>>(x.ndim(), extents(in, 2)));
          break;
      }
    }
    maybe_compute(x, std::max(largest, x.size()));
  });
}

void config(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::size_t line_start = 0;
  while (line_start <= text.size()) {
    std::size_t end = text.find('\n', line_start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(line_start, end - line_start);
    line_start = end + 1;
    const std::size_t eq = line.find('=');
    const std::string key = line.substr(0, eq);
    const std::string value = eq == std::string::npos ? std::string() : line.substr(eq + 1);
    expecting_loom_errors([&] { (void)loom::parse_bytes(value); });
    expecting_loom_errors([&] {
      const loom::config::Scope scope{{key, value}};
      (void)loom::config::get(key);
      expecting_loom_errors([&] { (void)loom::config::get_bytes(key); });
      expecting_loom_errors([&] { (void)loom::config::get_int(key); });
      expecting_loom_errors([&] { (void)loom::config::get_double(key); });
      expecting_loom_errors([&] { (void)loom::config::get_bool(key); });
      // What reads the keys: auto chunks from array.chunk-size.
      expecting_loom_errors([&] { (void)array::zeros<double>({1000, 1000}).chunks(); });
    });
  }
}

const std::vector<Target>& targets() {
  static const std::vector<Target> all = {{"csv", csv},     {"npy", npy},       {"load", load},
                                          {"query", query}, {"shapes", shapes}, {"config", config}};
  return all;
}

}  // namespace loom::fuzz
