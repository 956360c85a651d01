// Boolean steps: &, |, ~, isna/notna, isin, str.contains (kernels.hpp). A missing value is
// false in &, | and ~, and in no set.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "dataframe/expr/kernels.hpp"

namespace loom::dataframe::detail {

namespace {

// The truth of an operand's values a block at a time: value non-zero and present.
class Truth {
 public:
  explicit Truth(const Operand& o) : values_(o), bits_(o.bits()) {}

  const bool* block(std::int64_t begin, std::int64_t n) {
    const bool* v = values_.block(begin, n);
    if (bits_ == nullptr) return v;
    for (std::int64_t k = 0; k < n; ++k)
      out_[static_cast<std::size_t>(k)] = v[k] && validity_bit(bits_, begin + k);
    return out_.data();
  }

 private:
  Reader<bool> values_;
  const std::uint64_t* bits_;
  std::array<bool, kBlock> out_{};
};

// Blocks of a boolean column of n rows, `step(begin, m, out)` writing each.
template <class Step>
Column bool_blocks(std::int64_t n, Step step) {
  return bool_column(n, [&](std::uint8_t* out) {
    for (std::int64_t begin = 0; begin < n; begin += kBlock) {
      step(begin, std::min(kBlock, n - begin), out + begin);
    }
  });
}

}  // namespace

Column logical(Op op, const Operand& a, const Operand& b, std::int64_t n) {
  Truth x(a);
  Truth y(b);
  if (op == Op::kAnd) {
    return bool_blocks(n, [&](std::int64_t begin, std::int64_t m, std::uint8_t* out) {
      const bool* u = x.block(begin, m);
      const bool* v = y.block(begin, m);
      for (std::int64_t k = 0; k < m; ++k) out[k] = (u[k] && v[k]) ? 1 : 0;
    });
  }
  return bool_blocks(n, [&](std::int64_t begin, std::int64_t m, std::uint8_t* out) {
    const bool* u = x.block(begin, m);
    const bool* v = y.block(begin, m);
    for (std::int64_t k = 0; k < m; ++k) out[k] = (u[k] || v[k]) ? 1 : 0;
  });
}

Column logical_not(const Operand& a, std::int64_t n) {
  Truth x(a);
  return bool_blocks(n, [&](std::int64_t begin, std::int64_t m, std::uint8_t* out) {
    const bool* u = x.block(begin, m);
    for (std::int64_t k = 0; k < m; ++k) out[k] = u[k] ? 0 : 1;
  });
}

Column is_na(const Operand& a, bool want_na, std::int64_t n) {
  const std::uint8_t na = want_na ? 1 : 0;
  const std::uint8_t value = want_na ? 0 : 1;
  if (a.dtype != DType::float64) {  // missing: no validity bit
    const std::uint64_t* bits = a.bits();
    return bool_blocks(n, [&](std::int64_t begin, std::int64_t m, std::uint8_t* out) {
      if (bits == nullptr) {
        std::fill(out, out + m, value);
      } else {
        for (std::int64_t k = 0; k < m; ++k) out[k] = validity_bit(bits, begin + k) ? value : na;
      }
    });
  }
  // Float: also a NaN (a literal's too).
  Reader<double> x(a);
  const std::uint64_t* bits = a.bits();
  return bool_blocks(n, [&](std::int64_t begin, std::int64_t m, std::uint8_t* out) {
    const double* v = x.block(begin, m);
    for (std::int64_t k = 0; k < m; ++k) out[k] = std::isnan(v[k]) ? na : value;
    if (bits != nullptr) {
      for (std::int64_t k = 0; k < m; ++k) out[k] = validity_bit(bits, begin + k) ? out[k] : na;
    }
  });
}

Column is_in(const Operand& a, const std::vector<Literal>& set, std::int64_t n) {
  const std::uint64_t* bits = a.bits();
  if (a.dtype == DType::string) {
    std::unordered_set<std::string_view> strings;
    for (const auto& v : set) strings.insert(std::get<std::string>(v));
    if (a.d == nullptr) {
      const bool in = strings.contains(std::get<std::string>(*a.lit));
      return bool_blocks(n, [&](std::int64_t, std::int64_t m, std::uint8_t* out) {
        std::fill(out, out + m, in ? 1 : 0);
      });
    }
    const ColumnData& d = *a.d;
    return bool_blocks(n, [&](std::int64_t begin, std::int64_t m, std::uint8_t* out) {
      for (std::int64_t k = 0; k < m; ++k) {
        const std::int64_t i = begin + k;
        out[k] = (bits == nullptr || validity_bit(bits, i)) && strings.contains(d.str(i)) ? 1 : 0;
      }
    });
  }
  // Numbers compare as doubles.
  std::vector<double> numbers;
  for (const auto& v : set) numbers.push_back(literal_as<double>(v));
  Reader<double> x(a);
  return bool_blocks(n, [&](std::int64_t begin, std::int64_t m, std::uint8_t* out) {
    const double* v = x.block(begin, m);
    for (std::int64_t k = 0; k < m; ++k) {
      out[k] = std::find(numbers.begin(), numbers.end(), v[k]) != numbers.end() ? 1 : 0;
    }
    if (bits != nullptr) {
      for (std::int64_t k = 0; k < m; ++k) out[k] = validity_bit(bits, begin + k) ? out[k] : 0;
    }
  });
}

Column contains(const Operand& a, const std::function<bool(std::string_view)>& test,
                std::int64_t n) {
  const std::uint64_t* bits = a.bits();
  if (a.d == nullptr) {
    const bool hit = test(std::get<std::string>(*a.lit));
    return bool_blocks(n, [&](std::int64_t, std::int64_t m, std::uint8_t* out) {
      std::fill(out, out + m, hit ? 1 : 0);
    });
  }
  const ColumnData& d = *a.d;
  if (d.dictionary) {  // each distinct value tested once
    std::vector<std::uint8_t> hit(d.offsets.size() - 1);
    for (std::size_t k = 0; k < hit.size(); ++k) {
      hit[k] = test(d.entry(static_cast<std::int64_t>(k))) ? 1 : 0;
    }
    return bool_blocks(n, [&](std::int64_t begin, std::int64_t m, std::uint8_t* out) {
      for (std::int64_t k = 0; k < m; ++k) {
        out[k] = hit[static_cast<std::size_t>(d.codes[static_cast<std::size_t>(begin + k)])];
      }
      if (bits != nullptr) {
        for (std::int64_t k = 0; k < m; ++k) out[k] = validity_bit(bits, begin + k) ? out[k] : 0;
      }
    });
  }
  return bool_blocks(n, [&](std::int64_t begin, std::int64_t m, std::uint8_t* out) {
    for (std::int64_t k = 0; k < m; ++k) {
      const std::int64_t i = begin + k;
      out[k] = (bits == nullptr || validity_bit(bits, i)) && test(d.str(i)) ? 1 : 0;
    }
  });
}

}  // namespace loom::dataframe::detail
