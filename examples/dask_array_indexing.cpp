// Beyond the other examples: what a NumPy user reaches for next, on a chunked lazy array —
// broadcasting, slicing, reshape, map_blocks, argmax and a tree reduction — each checked
// against the same steps done on the computed NDArray.
//
//   x = da.random.normal(size=(4000, 300), chunks=(500, 100), seed=3)
//   z = (x - x.mean(axis=0)) / x.std(axis=0)          # standardize the columns (broadcasting)
//   top = z[::2, :50].argmax(axis=1)                   # every other row, first 50 columns
//   blocks = x.map_blocks(lambda b: b - b.mean())      # per-block centering
//   r = x.reshape(1200, 1000).sum(axis=1, split_every=2)
#include <loom/loom.hpp>

#include <cmath>
#include <iostream>

namespace da = loom::array;

int main() {
  const auto x = da::random::normal({4000, 300}, 0.0, 1.0, {.chunks = {500, 100}, .seed = 3});
  const auto z = (x - x.mean(0)) / x.std(0);
  const auto top = z(da::slice(da::none, da::none, 2), da::slice(0, 50)).argmax(1);
  const auto centered = x.map_blocks([](const loom::NDArray<double>& b) {
    auto out = loom::NDArray<double>::uninitialized(b.shape());
    const double m = b.mean();
    for (std::int64_t k = 0; k < b.size(); ++k) out.mutable_data()[k] = b.data()[k] - m;
    return out;
  });
  const auto r = x.reshape({1200, 1000}).sum({.axis = 1, .split_every = 2});
  std::cout << "z:   " << z << "\ntop: " << top << "\nr:   " << r << '\n';

  // The same on the computed array, sequentially.
  const auto xs = x.compute();
  const auto zs = z.compute();
  bool ok = true;
  for (std::int64_t c = 0; c < 300; ++c) {  // every standardized column has mean 0, std 1
    double s = 0;
    double q = 0;
    for (std::int64_t i = 0; i < 4000; ++i) {
      s += zs(i, c);
      q += zs(i, c) * zs(i, c);
    }
    ok = ok && std::abs(s / 4000) < 1e-9 && std::abs(q / 4000 - 1) < 1e-9;
  }
  const auto tops = top.compute();
  for (std::int64_t i = 0; i < 2000; ++i) {
    std::int64_t best = 0;
    for (std::int64_t c = 1; c < 50; ++c) best = zs(2 * i, c) > zs(2 * i, best) ? c : best;
    ok = ok && tops(i) == best;
  }
  const auto cs = centered.compute();
  ok = ok && std::abs(cs(0, 0) -
                      (xs(0, 0) - x(da::slice(0, 500), da::slice(0, 100)).mean().item())) < 1e-12;
  const auto rs = r.compute();
  double row0 = 0;
  for (std::int64_t k = 0; k < 1000; ++k) row0 += xs.data()[k];
  ok = ok && std::abs(rs(0) - row0) < 1e-9;
  std::cout << "standardized columns, argmax of 2000 rows, block centering, reshape + tree sum: "
            << (ok ? "all match the sequential reference" : "MISMATCH") << '\n';
  return ok ? 0 : 1;
}
