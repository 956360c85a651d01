#pragma once
// Count, mean and sum of squared deviations of a set of numbers, for variances: grown one value
// at a time (Welford) or merged with another set's (Chan et al.'s parallel formula). One
// accumulator for the arrays' var/std reductions and the dataframe group-by's, so that both
// round alike; in a header because the arrays' reductions are templates.

namespace loom::detail {

struct Moments {
  double count = 0;
  double mean = 0;
  double m2 = 0;  // sum of squared deviations from `mean`

  /// Adds one value (Welford: stable, no catastrophic cancellation).
  void add(double x) noexcept {
    count += 1;
    const double delta = x - mean;
    mean += delta / count;
    m2 += delta * (x - mean);
  }
  /// Adds the values another accumulator took (Chan et al.); nothing when it took none.
  void merge(const Moments& o) noexcept {
    if (o.count == 0) return;
    const double total = count + o.count;
    const double delta = o.mean - mean;
    mean += delta * o.count / total;
    m2 += o.m2 + delta * delta * count * o.count / total;
    count = total;
  }

  template <class Archive>
  void serialize(Archive& ar) {
    ar(count, mean, m2);
  }
};

}  // namespace loom::detail
