// loom's general format as streams: dump writes a payload as it is serialized, load of an
// NDArray reads it straight into the array (see object_format.hpp).

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "block_hash.hpp"
#include "input_file.hpp"
#include "loom/core/error.hpp"
#include "io/atomic_file.hpp"
#include "loom/io/detail/aligned_arrays.hpp"
#include "loom/io/dump.hpp"
#include "object_format.hpp"

namespace loom::detail {

namespace {

// Streams a payload into an AtomicFile through a 1 MiB buffer, hashing it on the way; large
// writes (an array's bytes) go straight to the file.
class FileSink : public std::streambuf {
 public:
  explicit FileSink(AtomicFile& file) : file_(file) { buffer_.reserve(kBuffer); }
  ~FileSink() override = default;
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;

  void flush_buffer() {
    if (buffer_.empty()) return;
    emit(buffer_);
    buffer_.clear();
  }
  [[nodiscard]] std::uint64_t size() const noexcept { return size_; }
  /// Bytes given to the sink so far (emitted or still buffered).
  [[nodiscard]] std::uint64_t written() const noexcept { return size_ + buffer_.size(); }
  [[nodiscard]] std::uint64_t checksum() const { return hash_.digest(); }

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    const auto count = static_cast<std::size_t>(n);
    if (buffer_.size() + count > kBuffer) flush_buffer();
    if (count >= kBuffer) {
      emit(std::string_view(s, count));
    } else {
      buffer_.append(s, count);
    }
    return n;
  }
  int_type overflow(int_type c) override {
    if (c != traits_type::eof()) {
      const char ch = traits_type::to_char_type(c);
      xsputn(&ch, 1);
    }
    return c;
  }

 private:
  static constexpr std::size_t kBuffer = std::size_t{1} << 20;
  void emit(std::string_view bytes) {
    if (bytes.size() < BlockHasher::kBlock) {
      hash_.update(bytes.data(), bytes.size());
      file_.write(bytes);
    } else {
      // Blocks written and hashed on several threads.
      char* data = const_cast<char*>(bytes.data());  // NOLINT: only read
      const std::uint64_t base = file_.size();
      std::atomic<int> error{0};
      const bool ok = hash_.update_parallel(
          data, bytes.size(), [this, base, &error](std::size_t at, std::size_t count, char* p) {
            const int err = file_.try_write_at(base + at, std::string_view(p, count));
            if (err != 0) error = err;
            return err == 0;
          });
      if (!ok) file_.fail(error.load() != 0 ? error.load() : EIO);
      file_.advance(bytes.size());
    }
    size_ += bytes.size();
  }
  AtomicFile& file_;
  BlockHasher hash_;
  std::string buffer_;
  std::uint64_t size_ = 0;
};

}  // namespace

namespace {
// Where the next payload byte lands in the file (page-aligned arrays, aligned_arrays.hpp).
class SinkPosition final : public AlignedOutput {
 public:
  SinkPosition(std::uint64_t header, const FileSink& sink) : header_(header), sink_(sink) {}
  [[nodiscard]] std::uint64_t position() const override { return header_ + sink_.written(); }

 private:
  std::uint64_t header_;
  const FileSink& sink_;
};
}  // namespace

void write_object_streamed(const std::filesystem::path& path, const std::string& type,
                           FunctionRef<void(std::ostream&)> write_payload,
                           const DumpOptions& options, bool align_arrays) {
  if (options.compress != 0) {
    // Compression needs the whole payload.
    std::string payload;
    {
      StringSink sink(payload);
      std::ostream stream(&sink);
      write_payload(stream);
    }
    write_object(path, type, payload, options);
    return;
  }
  AtomicFile file(path);
  const std::string header = make_header(type, kNone, 0, 0, 0);
  file.write(header);
  FileSink sink(file);
  {
    const SinkPosition position(header.size(), sink);
    const AlignedOutputScope aligned(align_arrays ? &position : nullptr);
    std::ostream stream(&sink);
    write_payload(stream);
  }
  sink.flush_buffer();
  std::string sizes;
  put<std::uint64_t>(sizes, sink.size());
  put<std::uint64_t>(sizes, sink.size());
  put<std::uint64_t>(sizes, sink.checksum());
  file.write_at(kSizesOffset, sizes);
  file.commit();
}

namespace {

// The uncompressed payload of a general-format file as a stream: small reads through a 1 MiB
// buffer, large ones straight into their destination, all hashed on the way.
class FileSource : public InputSource {
 public:
  FileSource(int fd, std::uint64_t offset, std::uint64_t size)
      : fd_(fd), offset_(offset), left_(size) {}
  ~FileSource() override = default;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  [[nodiscard]] std::size_t remaining() const noexcept override {
    return static_cast<std::size_t>(left_) + static_cast<std::size_t>(egptr() - gptr());
  }
  [[nodiscard]] std::uint64_t checksum() const { return hash_.digest(); }
  [[nodiscard]] int error() const noexcept { return error_; }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    buffer_.resize(kBuffer);
    const std::size_t n = read_into(buffer_.data(), std::min<std::uint64_t>(left_, kBuffer));
    if (n == 0) return traits_type::eof();
    setg(buffer_.data(), buffer_.data(), buffer_.data() + n);
    return traits_type::to_int_type(*gptr());
  }
  std::streamsize xsgetn(char* s, std::streamsize count) override {
    auto want = static_cast<std::size_t>(count);
    std::size_t got = 0;
    const auto buffered = std::min<std::size_t>(want, static_cast<std::size_t>(egptr() - gptr()));
    if (buffered > 0) {
      std::memcpy(s, gptr(), buffered);
      gbump(static_cast<int>(buffered));
      got += buffered;
    }
    if (want - got >= kBuffer) {
      got += read_into(s + got, want - got);  // straight into the destination
    }
    while (got < want) {
      if (traits_type::eq_int_type(underflow(), traits_type::eof())) break;
      const auto n = std::min<std::size_t>(want - got, static_cast<std::size_t>(egptr() - gptr()));
      std::memcpy(s + got, gptr(), n);
      gbump(static_cast<int>(n));
      got += n;
    }
    return static_cast<std::streamsize>(got);
  }

 private:
  static constexpr std::size_t kBuffer = std::size_t{1} << 20;

  // Reads up to `n` payload bytes into `out` and hashes them; fewer at the end of the payload
  // or on an error (recorded; the caller then sees a short read). Whole blocks are read and
  // hashed on several threads.
  std::size_t read_into(char* out, std::size_t n) {
    n = static_cast<std::size_t>(std::min<std::uint64_t>(n, left_));
    const std::uint64_t base = offset_;
    std::atomic<int> error{0};
    const bool ok = hash_.update_parallel(
        out, n, [this, base, &error](std::size_t at, std::size_t count, char* to) {
          const int err = read_exactly(fd_, base + at, count, to);
          if (err != 0) error = err;
          return err == 0;
        });
    if (!ok) {
      error_ = error.load() != 0 ? error.load() : EIO;
      left_ = 0;
      return 0;
    }
    offset_ += n;
    left_ -= n;
    return n;
  }

  int fd_;
  std::uint64_t offset_;
  std::uint64_t left_;
  BlockHasher hash_;
  std::vector<char> buffer_;
  int error_ = 0;
};

}  // namespace

struct ObjectReader::Impl {
  std::filesystem::path path;
  OpenFile file_fd;
  std::uint64_t checksum = 0;
  std::unique_ptr<FileSource> file;  // no compression
  ObjectBytes bytes;                 // compressed: the decompressed payload
  std::unique_ptr<BytesSource> in_memory;
};

ObjectReader::ObjectReader(const std::filesystem::path& path, const std::string& type)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.path = path;
  open_regular_file(m.file_fd, path, "loom file");
  const std::uint64_t file_size = m.file_fd.size;
  // The fixed header, then the type name it announces.
  std::string head(static_cast<std::size_t>(std::min<std::uint64_t>(file_size, kFixedHeader)),
                   '\0');
  if (read_exactly(m.file_fd.fd, 0, head.size(), head.data()) != 0) {
    fail(path, "cannot read the header");
  }
  if (head.size() == kFixedHeader) {
    std::size_t pos = kFixedHeader - 4;
    const auto type_size = get<std::uint32_t>(head, pos);
    const auto n =
        static_cast<std::size_t>(std::min<std::uint64_t>(type_size, file_size - kFixedHeader));
    head.resize(kFixedHeader + n);
    if (read_exactly(m.file_fd.fd, kFixedHeader, n, head.data() + kFixedHeader) != 0) {
      fail(path, "cannot read the header");
    }
  }
  const ObjectHeader h = parse_object_header(path, head, file_size, type);
  m.checksum = h.checksum;
  if (h.codec == kNone) {
    m.file = std::make_unique<FileSource>(m.file_fd.fd, h.body_offset, h.stored_size);
  } else {
    m.bytes = read_object(path, type);  // decompresses and checks the checksum
    m.in_memory = std::make_unique<BytesSource>(m.bytes.payload);
  }
}

ObjectReader::~ObjectReader() = default;

InputSource& ObjectReader::source() {
  if (impl_->file) return *impl_->file;
  return *impl_->in_memory;
}

void ObjectReader::finish() const {
  if (!impl_->file) return;
  if (impl_->file->error() != 0) {
    fail(impl_->path, fmt::format("cannot read: {}", std::strerror(impl_->file->error())));
  }
  if (impl_->file->checksum() != impl_->checksum) {
    fail(impl_->path, "corrupt: the checksum does not match");
  }
}

void ObjectReader::rethrow_naming_file() const {
  try {
    throw;
  } catch (const Error& e) {
    const std::string what = e.what();
    const std::string prefix = fmt::format("'{}'", impl_->path.string());
    if (what.rfind(prefix, 0) == 0) throw;
    // A read error or a checksum mismatch explains a deserialize error better than itself.
    if (impl_->file && (impl_->file->error() != 0 || impl_->file->checksum() != impl_->checksum)) {
      finish();
    }
    fail(impl_->path, what);
  }
}

}  // namespace loom::detail