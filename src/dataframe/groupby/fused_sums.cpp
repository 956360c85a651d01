// The group-by's fused sums: one record per group for every fused column, one pass per block.
#include "dataframe/groupby/fused_sums.hpp"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <variant>

namespace loom::dataframe::detail {

namespace {

// Int sums wrap around on overflow, as pandas' int64 sums do (a signed overflow would be UB).
inline std::int64_t wrapping_add(std::int64_t a, std::int64_t b) noexcept {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
}

}  // namespace

bool FusedSums::fits(const Aggregate& acc, const ColumnData* d) noexcept {
  const AggFn fn = acc.fn();
  return (fn == AggFn::kSum || fn == AggFn::kMean || fn == AggFn::kCount) && d != nullptr &&
         d->validity.empty() && (d->dtype == DType::int64 || d->dtype == DType::float64);
}

void FusedSums::add_member(std::size_t acc, const ColumnData* d, bool sums) {
  Member m{acc, d, d->dtype == DType::float64, -1, -1};
  if (sums) m.sum = static_cast<int>(stride_++);
  lines_.set_record(stride_);
  if (m.is_float) m.missing = floats_++;
  members_.push_back(m);
}

void FusedSums::rebind(const std::vector<const ColumnData*>& values) {
  for (Member& m : members_) m.column = values[m.acc];
}

namespace {

struct FusedRows {
  Cell* cells;
  std::int64_t* missing;
  std::size_t stride;
  std::size_t floats;
  bool count_rows;
};

// The fused loop with the number of int and float columns known at compile time (a loop over
// them costs as much as the sums), records fetched ahead when they lie beyond L2. kInts or
// kFloats < 0: any number (given).
template <int kInts, int kFloats, bool kFar>
void fused_loop(const FusedRows& r, const std::int32_t* group, std::int64_t n,
                const FusedSums::IntSum* ints, int n_ints, const FusedSums::FloatSum* floats,
                int n_floats) {
  const int ni = kInts >= 0 ? kInts : n_ints;
  const int nf = kFloats >= 0 ? kFloats : n_floats;
  constexpr std::int64_t kAhead = 16;
  for (std::int64_t k = 0; k < n; ++k) {
    if constexpr (kFar) {
      if (k + kAhead < n) {
        const std::int32_t ahead = group[k + kAhead];
        __builtin_prefetch(r.cells + static_cast<std::size_t>(ahead < 0 ? 0 : ahead) * r.stride, 1);
      }
    }
    const std::int32_t g = group[k];
    if (g < 0) continue;
    Cell* const rec = r.cells + static_cast<std::size_t>(g) * r.stride;
    if (r.count_rows) ++rec[0].i;
    for (int j = 0; j < ni; ++j)
      rec[ints[j].cell].i = wrapping_add(rec[ints[j].cell].i, ints[j].v[k]);
    for (int j = 0; j < nf; ++j) {
      const double x = floats[j].v[k];
      if (std::isnan(x)) [[unlikely]] {
        ++r.missing[static_cast<std::size_t>(g) * r.floats +
                    static_cast<std::size_t>(floats[j].missing)];
      } else if (floats[j].cell >= 0) {
        rec[floats[j].cell].f += x;
      }
    }
  }
}

template <bool kFar>
void fused_dispatch(const FusedRows& r, const std::int32_t* group, std::int64_t n,
                    const FusedSums::IntSum* ints, int n_ints, const FusedSums::FloatSum* floats,
                    int n_floats) {
  // (0, 0): only the rows counted (no fused column).
#define LOOM_FUSED_CASE(I, F)                                            \
  if (n_ints == (I) && n_floats == (F)) {                                \
    fused_loop<I, F, kFar>(r, group, n, ints, n_ints, floats, n_floats); \
    return;                                                              \
  }
  LOOM_FUSED_CASE(0, 0)
  LOOM_FUSED_CASE(1, 0)
  LOOM_FUSED_CASE(2, 0)
  LOOM_FUSED_CASE(3, 0)
  LOOM_FUSED_CASE(0, 1)
  LOOM_FUSED_CASE(1, 1)
  LOOM_FUSED_CASE(2, 1)
  LOOM_FUSED_CASE(3, 1)
  LOOM_FUSED_CASE(0, 2)
  LOOM_FUSED_CASE(1, 2)
  LOOM_FUSED_CASE(2, 2)
#undef LOOM_FUSED_CASE
  fused_loop<-1, -1, kFar>(r, group, n, ints, n_ints, floats, n_floats);
}

void run_fused(const FusedRows& r, const std::int32_t* group, std::int64_t n,
               const FusedSums::IntSum* ints, int n_ints, const FusedSums::FloatSum* floats,
               int n_floats, bool far) {
  far ? fused_dispatch<true>(r, group, n, ints, n_ints, floats, n_floats)
      : fused_dispatch<false>(r, group, n, ints, n_ints, floats, n_floats);
}

}  // namespace

FusedSums::FusedSums() { lines_.set_record(stride_); }

void FusedSums::add_block(std::int64_t begin, std::int64_t n, const std::int32_t* group,
                          std::size_t groups) {
  lines_.ensure(groups);
  if (missing_.size() < groups * floats_) missing_.resize(groups * floats_, 0);
  Cell* const c = lines_.records();
  std::int64_t* const missing = missing_.data();
  const std::size_t stride = lines_.stride();
  const auto b = static_cast<std::size_t>(begin);
  // One pass: each row's record is fetched once for all the columns.
  IntSum ints[8];
  // Narrow int columns are widened a block at a time (in cache) for the fused loop.
  auto widened = [](const ColumnData& d, std::size_t from, std::int64_t count,
                    std::vector<std::int64_t>& buffer) -> const std::int64_t* {
    return d.ints.visit([&](const auto* v) -> const std::int64_t* {
      if constexpr (sizeof(*v) == sizeof(std::int64_t)) {
        return v + from;
      } else {
        buffer.resize(static_cast<std::size_t>(count));
        for (std::int64_t k = 0; k < count; ++k)
          buffer[static_cast<std::size_t>(k)] = v[from + static_cast<std::size_t>(k)];
        return buffer.data();
      }
    });
  };
  FloatSum floats[8];
  int n_ints = 0;
  int n_floats = 0;
  // Eight columns a pass (at least one pass: the rows are counted in the first).
  for (std::size_t first = 0; first == 0 || first < members_.size(); first += 8) {
    n_ints = 0;
    n_floats = 0;
    const bool count_rows = first == 0;
    for (std::size_t j = first; j < std::min(members_.size(), first + 8); ++j) {
      const Member& m = members_[j];
      if (m.is_float) {
        floats[n_floats++] = {m.column->floats.data() + b, m.sum, m.missing};
      } else if (m.sum >= 0) {
        ints[n_ints] = {widened(*m.column, b, n, scratch_[static_cast<std::size_t>(n_ints)]),
                        m.sum};
        ++n_ints;
      }
    }
    const bool far = groups * stride * sizeof(Cell) > (std::size_t{1} << 18);  // beyond L2
    const FusedRows rows{c, missing, stride, floats_, count_rows};
    run_fused(rows, group, n, ints, n_ints, floats, n_floats, far);
  }
}

void FusedSums::finish(std::vector<Aggregate>& aggs, std::size_t groups,
                       std::vector<std::int64_t>& rows) {
  lines_.ensure(groups);
  if (missing_.size() < groups * floats_) missing_.resize(groups * floats_, 0);
  rows.resize(groups);
  for (std::size_t g = 0; g < groups; ++g) rows[g] = lines_.record(g)[0].i;
  for (const Member& m : members_) {
    std::visit(
        [&](auto& s) {
          using S = std::remove_cvref_t<decltype(s)>;
          if constexpr (std::is_base_of_v<CountState, S>) {  // sum, mean, count (fits)
            s.resize(groups);
            std::int64_t* isum = nullptr;
            double* fsum = nullptr;
            if constexpr (std::is_base_of_v<SumState, S>) {
              if (m.sum >= 0) {
                s.ensure_sums(m.is_float);
                if (m.is_float) {
                  fsum = s.fsum.data();
                } else {
                  isum = s.isum.data();
                }
              }
            }
            // One pass over the records (with many groups, each is a cache miss).
            const auto sum = static_cast<std::size_t>(m.sum);
            for (std::size_t g = 0; g < groups; ++g) {
              const Cell* record = lines_.record(g);
              s.count[g] =
                  record[0].i -
                  (m.missing < 0 ? 0 : missing_[g * floats_ + static_cast<std::size_t>(m.missing)]);
              if (fsum != nullptr) {
                fsum[g] = record[sum].f;
              } else if (isum != nullptr) {
                isum[g] = record[sum].i;
              }
            }
          }
        },
        aggs[m.acc].state());
  }
}

}  // namespace loom::dataframe::detail
