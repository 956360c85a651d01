#pragma once
// Per-group lines of cells shared by the group-by's fused sums (each group's record) and the
// string grouper (a header per group: its key's hash, first 16 bytes and length). When both
// fit in one cache line, a row's group is checked and summed in the same line: with many
// groups that line is the one miss of the row. Private to src/dataframe.

#include <cstddef>
#include <cstdint>

#include "dataframe/groupby/thread_scratch.hpp"

namespace loom::dataframe::detail {

union Cell {
  std::int64_t i;
  double f;
};

class GroupLines {
 public:
  /// With this thread's spare cells (thread_scratch.hpp).
  GroupLines() : cells_(take_spare<Cell>(0, Cell{0})) {}
  ~GroupLines() {
    cells_.clear();
    give_spare(std::move(cells_));
  }
  GroupLines(const GroupLines&) = delete;
  GroupLines& operator=(const GroupLines&) = delete;

  /// Sets the cells of each group's record (before any group is added). Records of 3, 5, 6 or
  /// 7 cells are padded to 4 or 8, so that none straddles two cache lines.
  void set_record(std::size_t cells) {
    record_ = cells;
    stride_ = header_ + record_;
    if (header_ == 0) stride_ = record_ == 3 ? 4 : record_ > 4 && record_ < 8 ? 8 : record_;
  }
  /// Puts a header of `cells` cells in front of each record when both fit in one cache line
  /// (before any group is added, after set_record); false (nothing changed) when they do not.
  /// Lines of headers alone are as long as the header (two 4-cell headers share a line).
  bool host(std::size_t cells) {
    if (cells + record_ > kLine) return false;
    header_ = cells;
    stride_ = record_ == 0 && kLine % cells == 0 ? cells : kLine;
    return true;
  }

  /// Makes room for `groups` groups (the new ones all zero).
  void ensure(std::size_t groups) {
    if (cells_.size() < groups * stride_) cells_.resize(groups * stride_, Cell{0});
  }
  /// Group g's header (valid until the next ensure).
  [[nodiscard]] Cell* header(std::size_t g) noexcept { return cells_.data() + g * stride_; }
  /// Group g's record (valid until the next ensure).
  [[nodiscard]] Cell* record(std::size_t g) noexcept {
    return cells_.data() + g * stride_ + header_;
  }
  /// Group 0's record, from which group g's is g * stride() cells on (null without groups).
  [[nodiscard]] Cell* records() noexcept {
    return cells_.empty() ? nullptr : cells_.data() + header_;
  }
  [[nodiscard]] std::size_t stride() const noexcept { return stride_; }

 private:
  static constexpr std::size_t kLine = 64 / sizeof(Cell);
  SpareVector<Cell> cells_;
  std::size_t record_ = 0;
  std::size_t header_ = 0;
  std::size_t stride_ = 0;
};

}  // namespace loom::dataframe::detail
