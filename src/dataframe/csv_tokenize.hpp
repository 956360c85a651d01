#pragma once
// Splitting CSV text into rows and fields (RFC 4180: quoted fields may hold the separator, a
// newline or a doubled quote; CRLF or LF line ends; the last line may lack one). Private to
// src/dataframe.

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
    used_ = 0;
    if (p >= end) return Status::kEnd;
    first_quoted_ = *p == '"';
    for (;;) {
      if (p < end && *p == '"') {  // quoted field
        const char* q = ++p;
        bool escaped = false;
        for (;;) {
          q = static_cast<const char*>(std::memchr(q, '"', static_cast<std::size_t>(end - q)));
          if (q == nullptr) return Status::kUnterminatedQuote;
          if (q + 1 < end && q[1] == '"') {
            escaped = true;
            q += 2;
            continue;
          }
          break;
        }
        std::string_view raw(p, static_cast<std::size_t>(q - p));
        fields_.push_back(escaped ? unescape(raw) : raw);
        p = q + 1;
        // Text after the closing quote up to the separator is kept, as pandas does.
        const char* r = p;
        while (r < end && *r != sep_ && *r != '\n' && *r != '\r') ++r;
        if (r != p) {
          std::string& s = scratch();
          s.assign(fields_.back());
          s.append(p, static_cast<std::size_t>(r - p));
          fields_.back() = s;
          p = r;
        }
      } else {
        const char* q = p;
        while (q < end && !stop_[static_cast<unsigned char>(*q)]) ++q;
        fields_.emplace_back(p, static_cast<std::size_t>(q - p));
        p = q;
      }
      if (p >= end) return Status::kRow;
      if (*p == sep_) {
        ++p;
        continue;
      }
      if (*p == '\r') {
        ++p;
        if (p < end && *p == '\n') ++p;
        return Status::kRow;
      }
      ++p;  // '\n'
      return Status::kRow;
    }
  }

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
