#pragma once
// The values of an int64 (or datetime) column, stored in the narrowest width — 1, 2, 4 or 8
// bytes — that holds every value so far, widened as larger values come. Small integers (counts,
// codes, ids, categories) take an eighth of the memory, of the fresh pages a CSV read must
// fault in, and of the bandwidth a group-by reads; every value still reads as an int64.
//
//   IntValues v;
//   v.push_back(3);            // width 1
//   v.push_back(100000);       // now width 4 (3 copied over)
//   v.visit([](const auto* p) { /* p is const int8_t*, int16_t*, int32_t* or int64_t* */ });

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <type_traits>
#include <utility>

#include <cereal/cereal.hpp>

namespace loom::dataframe::detail {

class IntValues {
 public:
  IntValues() = default;
  IntValues(const IntValues& o) { *this = o; }
  IntValues(IntValues&& o) noexcept { *this = std::move(o); }
  IntValues& operator=(IntValues&& o) noexcept {
    data_ = std::move(o.data_);
    size_ = o.size_;
    capacity_ = o.capacity_;
    set_width(o.width_);
    o.size_ = o.capacity_ = 0;
    o.set_width(1);
    return *this;
  }
  IntValues& operator=(const IntValues& o) {
    if (this == &o) return *this;
    data_.reset();
    size_ = capacity_ = 0;
    set_width(o.width_);
    reserve(o.size_);
    if (o.size_ > 0) std::memcpy(data_.get(), o.data_.get(), o.size_ * width_);
    size_ = o.size_;
    return *this;
  }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  /// Bytes per value: 1, 2, 4 or 8.
  [[nodiscard]] int width() const noexcept { return width_; }

  [[nodiscard]] std::int64_t operator[](std::size_t i) const noexcept {
    switch (width_) {
      case 1:
        return load<std::int8_t>(i);
      case 2:
        return load<std::int16_t>(i);
      case 4:
        return load<std::int32_t>(i);
      default:
        return load<std::int64_t>(i);
    }
  }
  /// Calls f with the values as a typed array (const std::int8_t* ... const std::int64_t*).
  template <class F>
  decltype(auto) visit(F&& f) const {
    switch (width_) {
      case 1:
        return f(typed<std::int8_t>());
      case 2:
        return f(typed<std::int16_t>());
      case 4:
        return f(typed<std::int32_t>());
      default:
        return f(typed<std::int64_t>());
    }
  }
  /// The values at the positions i < size() where keep[i] != 0 (`kept` of them), at this width.
  [[nodiscard]] IntValues select(const std::uint8_t* keep, std::size_t kept) const {
    IntValues out;
    out.set_width(width_);
    if (kept == 0) return out;
    out.reserve(kept);
    visit([&](const auto* v) {
      using T = std::remove_cvref_t<decltype(*v)>;
      T* o = reinterpret_cast<T*>(out.data_.get());
      std::size_t j = 0;
      for (std::size_t i = 0; i < size_; ++i) {
        o[j] = v[i];
        j += keep[i] != 0 ? 1 : 0;  // written always, kept when asked: no branch
        if (j == kept) break;
      }
      out.size_ = j;
    });
    return out;
  }
  /// The storage (size() * width() bytes) and its capacity in bytes.
  [[nodiscard]] const void* raw() const noexcept { return data_.get(); }
  [[nodiscard]] std::size_t raw_capacity() const noexcept { return capacity_ * width_; }

  // Inline (a CSV column takes one per row); the rare widening and growth out of line.
  [[gnu::always_inline]] void push_back(std::int64_t v) {
    if (v < min_ || v > max_ || size_ == capacity_) [[unlikely]]
      make_room(v);
    switch (width_) {
      case 1:
        store<std::int8_t>(size_, v);
        break;
      case 2:
        store<std::int16_t>(size_, v);
        break;
      case 4:
        store<std::int32_t>(size_, v);
        break;
      default:
        store<std::int64_t>(size_, v);
        break;
    }
    ++size_;
  }
  /// Appends v[0..n): their range checked, the storage widened and grown at most once.
  void append(const std::int64_t* v, std::size_t n) {
    if (n == 0) return;
    std::int64_t lo = v[0];
    std::int64_t hi = v[0];
    for (std::size_t k = 1; k < n; ++k) {
      lo = v[k] < lo ? v[k] : lo;
      hi = v[k] > hi ? v[k] : hi;
    }
    if (lo < min_ || hi > max_) widen(std::max(width_for(lo), width_for(hi)));
    if (size_ + n > capacity_) reserve(std::max(size_ + n, 2 * capacity_));
    switch (width_) {
      case 1:
        copy_in<std::int8_t>(v, n);
        break;
      case 2:
        copy_in<std::int16_t>(v, n);
        break;
      case 4:
        copy_in<std::int32_t>(v, n);
        break;
      default:
        copy_in<std::int64_t>(v, n);
        break;
    }
    size_ += n;
  }
  void reserve(std::size_t n) {
    if (n <= capacity_) return;
    auto bigger = std::make_unique_for_overwrite<std::byte[]>(n * width_);
    if (size_ > 0) std::memcpy(bigger.get(), data_.get(), size_ * width_);
    data_ = std::move(bigger);
    capacity_ = n;
  }
  /// Keeps the first n values, or appends zeros up to n.
  void resize(std::size_t n) {
    while (size_ < n) push_back(0);
    size_ = n;
  }

  template <class Archive>
  void save(Archive& ar) const {
    ar(static_cast<std::uint8_t>(width_), static_cast<std::uint64_t>(size_));
    if (size_ > 0) ar(cereal::binary_data(data_.get(), size_ * width_));
  }
  template <class Archive>
  void load(Archive& ar) {
    read(ar, std::uint64_t{1} << 40);
  }
  /// load, with at most `bound` values (damaged bytes are an exception, not an allocation).
  template <class Archive>
  void read(Archive& ar, std::uint64_t bound) {
    std::uint8_t width = 0;
    std::uint64_t size = 0;
    ar(width, size);
    if ((width != 1 && width != 2 && width != 4 && width != 8) || size > bound) {
      throw cereal::Exception("IntValues: damaged width or size");
    }
    *this = IntValues();
    set_width(width);
    // In slices of 8 MB: a size damaged into something huge ends at the end of the bytes, not
    // in one huge allocation.
    constexpr std::size_t kSlice = std::size_t{8} << 20;
    const auto n = static_cast<std::size_t>(size);
    for (std::size_t done = 0; done < n;) {
      const std::size_t now = std::min(kSlice / width_, n - done);
      reserve(std::min(n, std::max(done + now, 2 * capacity_)));
      ar(cereal::binary_data(data_.get() + done * width_, now * width_));
      done += now;
      size_ = done;
    }
  }

 private:
  template <class T>
  [[nodiscard]] const T* typed() const noexcept {
    return reinterpret_cast<const T*>(data_.get());
  }
  template <class T>
  [[nodiscard]] std::int64_t load(std::size_t i) const noexcept {
    return typed<T>()[i];
  }
  template <class T>
  void copy_in(const std::int64_t* v, std::size_t n) noexcept {
    T* out = reinterpret_cast<T*>(data_.get()) + size_;
    for (std::size_t k = 0; k < n; ++k) out[k] = static_cast<T>(v[k]);
  }
  template <class T>
  void store(std::size_t i, std::int64_t v) noexcept {
    reinterpret_cast<T*>(data_.get())[i] = static_cast<T>(v);
  }
  static int width_for(std::int64_t v) noexcept {
    if (v >= std::numeric_limits<std::int8_t>::min() &&
        v <= std::numeric_limits<std::int8_t>::max()) {
      return 1;
    }
    if (v >= std::numeric_limits<std::int16_t>::min() &&
        v <= std::numeric_limits<std::int16_t>::max()) {
      return 2;
    }
    if (v >= std::numeric_limits<std::int32_t>::min() &&
        v <= std::numeric_limits<std::int32_t>::max()) {
      return 4;
    }
    return 8;
  }
  void set_width(int w) noexcept {
    width_ = w;
    const int bits = 8 * w;
    min_ = w == 8 ? std::numeric_limits<std::int64_t>::min() : -(std::int64_t{1} << (bits - 1));
    max_ = w == 8 ? std::numeric_limits<std::int64_t>::max() : (std::int64_t{1} << (bits - 1)) - 1;
  }
  [[gnu::noinline]] void make_room(std::int64_t v) {
    if (v < min_ || v > max_) widen(width_for(v));
    if (size_ == capacity_) reserve(capacity_ < 16 ? 16 : capacity_ * 2);
  }
  // Re-stores every value at a larger width (at most three times over a column's life).
  void widen(int w) {
    IntValues wider;
    wider.set_width(w);
    wider.reserve(capacity_ > size_ ? capacity_ : size_ + 1);
    for (std::size_t i = 0; i < size_; ++i) wider.push_back((*this)[i]);
    *this = std::move(wider);
  }

  std::unique_ptr<std::byte[]> data_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
  int width_ = 1;
  std::int64_t min_ = std::numeric_limits<std::int8_t>::min();
  std::int64_t max_ = std::numeric_limits<std::int8_t>::max();
};

}  // namespace loom::dataframe::detail
