#pragma once
// Building columns row by row (the CSV parser, filters, group-by results) and the whole-column
// operations built on it: take rows, filter by a mask, concatenate partitions, cast. Private to
// src/dataframe.

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "loom/dataframe/column.hpp"

namespace loom::dataframe::detail {

class ColumnBuilder {
 public:
  /// `dictionary`: strings are interned as they come (for columns of repeated values); else
  /// stored plainly (mostly distinct values: no hashing while building).
  explicit ColumnBuilder(DType dtype, bool dictionary = true);
  ColumnBuilder(ColumnBuilder&&) noexcept = default;
  ColumnBuilder& operator=(ColumnBuilder&&) noexcept = default;

  [[nodiscard]] DType dtype() const noexcept { return d_->dtype; }
  [[nodiscard]] std::int64_t size() const noexcept { return d_->size; }
  void reserve(std::int64_t rows);
  /// Room for `bytes` bytes of plain (not interned) strings.
  void reserve_bytes(std::int64_t bytes);

  void append_null();
  [[gnu::always_inline]] void append_int(std::int64_t v) {  // int64 and datetime
    d_->ints.push_back(v);
    grow();
  }
  /// Ints v[0..n), none missing (an int64 or datetime column).
  void append_ints(const std::int64_t* v, std::size_t n);
  [[gnu::always_inline]] void append_double(double v) {
    d_->floats.push_back(v);
    grow();
  }
  void append_bool(bool v) {
    d_->bools.push_back(v ? 1 : 0);
    grow();
  }
  void append_string(std::string_view s);
  /// Row i of `src` (same dtype), missing or not.
  void append_from(const ColumnData& src, std::int64_t i);
  /// Row i of a dictionary-encoded `src` into this dictionary-encoded builder: each of src's
  /// codes is interned once, remembered in `remap` (one entry per src code, -1 at first).
  void append_coded(const ColumnData& src, std::int64_t i, std::vector<std::int32_t>& remap);
  /// Drops the rows from `rows` on (a row found bad after some of its fields were added).
  void truncate(std::int64_t rows);
  /// An int64 column becomes float64, its values converted (CSV widening).
  void widen_to_float();

  [[nodiscard]] Column finish();

 private:
  void grow() {
    if (!d_->validity.empty()) set_valid(d_->size, true);
    ++d_->size;
  }
  void set_valid(std::int64_t i, bool valid);
  std::int32_t intern(std::string_view s);
  void drop_dictionary();

  std::shared_ptr<ColumnData> d_;
  // Strings: an open-addressing table of dictionary codes (-1 empty), while dictionary-encoded;
  // a slot holds a short string's bytes, or a long one's hash (column.cpp).
  struct InternSlot {
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    std::uint32_t length = 0;
    std::int32_t code = -1;
  };
  void rehash();
  std::vector<InternSlot> slots_;
};

/// Rows `rows` of `c`, in that order.
[[nodiscard]] Column take(const Column& c, const std::vector<std::int64_t>& rows);
/// The rows of `c` where mask[i] != 0.
[[nodiscard]] Column filter(const Column& c, const std::vector<std::uint8_t>& mask);
/// The columns one after another (same dtype; int64 meets float64 as float64).
[[nodiscard]] Column concat(const std::vector<Column>& parts);
/// `c` as another dtype (pandas' astype): numbers convert, strings parse (SchemaError names the
/// value that does not), anything prints to string.
[[nodiscard]] Column cast(const Column& c, DType to);
/// A column of `rows` copies of one value (missing when `null`).
[[nodiscard]] Column constant_int(std::int64_t v, std::int64_t rows);
[[nodiscard]] Column constant_double(double v, std::int64_t rows);

}  // namespace loom::dataframe::detail
