#pragma once
// Splitting CSV text into rows and fields (RFC 4180: quoted fields may hold the separator, a
// newline or a doubled quote; CRLF or LF line ends; the last line may lack one). Private to
// src/dataframe.

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <array>
#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace loom::dataframe::detail {

class RowTokenizer {
 public:
  explicit RowTokenizer(char sep) : sep_(sep) {
    stop_[static_cast<unsigned char>(sep)] = true;
    stop_['\n'] = true;
    stop_['\r'] = true;
  }

  enum class Status { kRow, kEnd, kUnterminatedQuote };

  /// Reads the row at p (advancing p past its line end) into fields(). Views point into the
  /// text, or into the tokenizer for quoted fields with doubled quotes (valid until the next
  /// call).
  Status next(const char*& p, const char* end) {
    fields_.clear();
    begin_row();
    if (p >= end) return Status::kEnd;
    first_quoted_ = *p == '"';
    for (;;) {
      std::string_view v;
      const Field f = field(p, end, v);
      if (f == Field::kUnterminatedQuote) return Status::kUnterminatedQuote;
      fields_.push_back(v);
      if (f == Field::kRowEnd) return Status::kRow;
    }
  }

  enum class Field { kMore, kRowEnd, kUnterminatedQuote };

  /// Reads one field at p into `out` and what follows it: a separator (kMore) or the end of
  /// the row (its line end consumed, or the end of the text). Views as for next(); a quoted
  /// field with doubled quotes is unescaped into storage reused from the next row on.
  [[gnu::always_inline]] Field field(const char*& p, const char* end, std::string_view& out) {
    if (p < end && *p == '"') {
      const char* q = ++p;
      bool escaped = false;
      for (;;) {
        q = static_cast<const char*>(std::memchr(q, '"', static_cast<std::size_t>(end - q)));
        if (q == nullptr) return Field::kUnterminatedQuote;
        if (q + 1 < end && q[1] == '"') {
          escaped = true;
          q += 2;
          continue;
        }
        break;
      }
      std::string_view raw(p, static_cast<std::size_t>(q - p));
      out = escaped ? unescape(raw) : raw;
      p = q + 1;
      // Text after the closing quote up to the separator is kept, as pandas does.
      const char* r = p;
      while (r < end && !stop_[static_cast<unsigned char>(*r)]) ++r;
      if (r != p) {
        std::string& s = scratch();
        s.assign(out);
        s.append(p, static_cast<std::size_t>(r - p));
        out = s;
        p = r;
      }
    } else {
      const char* q = scan(p, end);
      out = std::string_view(p, static_cast<std::size_t>(q - p));
      p = q;
    }
    return after_field(p, end);
  }
  /// At the end of a field's text: past the separator (kMore) or the line end (kRowEnd).
  [[gnu::always_inline]] Field after_field(const char*& p, const char* end) const {
    if (p >= end) return Field::kRowEnd;
    if (*p == sep_) {
      ++p;
      return Field::kMore;
    }
    if (*p == '\r') ++p;
    if (p < end && *p == '\n') ++p;
    return Field::kRowEnd;
  }
  /// Whether c ends an unquoted field (the separator or a line end).
  [[nodiscard]] bool stops(char c) const noexcept { return stop_[static_cast<unsigned char>(c)]; }
  /// The first separator or line end at or after p (end if none): 16 bytes at a time.
  [[nodiscard]] const char* scan(const char* q, const char* end) const {
#ifdef __SSE2__
    const __m128i vs = _mm_set1_epi8(sep_);
    const __m128i vn = _mm_set1_epi8('\n');
    const __m128i vr = _mm_set1_epi8('\r');
    while (end - q >= 16) {
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
      const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, vs), _mm_cmpeq_epi8(x, vn)),
                                       _mm_cmpeq_epi8(x, vr));
      const int mask = _mm_movemask_epi8(hit);
      if (mask != 0) return q + __builtin_ctz(static_cast<unsigned>(mask));
      q += 16;
    }
#endif
    while (q < end && !stop_[static_cast<unsigned char>(*q)]) ++q;
    return q;
  }

  /// Starts a row (recycles the unescaping storage).
  void begin_row() noexcept { used_ = 0; }

  [[nodiscard]] const std::vector<std::string_view>& fields() const noexcept { return fields_; }
  /// A blank line: one empty, unquoted field.
  [[nodiscard]] bool blank() const noexcept {
    return fields_.size() == 1 && fields_[0].empty() && !first_quoted_;
  }

 private:
  std::string_view unescape(std::string_view raw) {
    std::string& s = scratch();
    s.clear();
    for (std::size_t i = 0; i < raw.size(); ++i) {
      s.push_back(raw[i]);
      if (raw[i] == '"') ++i;  // "" -> "
    }
    return s;
  }
  std::string& scratch() {
    if (used_ == storage_.size()) storage_.emplace_back();
    return storage_[used_++];
  }

  char sep_;
  std::array<bool, 256> stop_{};  // the separator and line ends
  std::vector<std::string_view> fields_;
  std::deque<std::string> storage_;  // stable addresses
  std::size_t used_ = 0;
  bool first_quoted_ = false;
};

}  // namespace loom::dataframe::detail
