// The Python "Real-World Integration Example" in C++: the three facades in one pipeline.
//
//   df = dd.read_csv(data_path)
//   features = df.dropna().query('target >= 0').select_dtypes(include=[np.number]).compute()
//   ray_futures = [train_model_ray.remote(params, features) for params in param_grid]
//   best_params = select_best_params(ray.get(ray_futures))
//   ensemble = joblib.Parallel(n_jobs=-1)(joblib.delayed(train_model_joblib)(seed)
//                                          for seed in range(n_models))
//
// The model is a small ridge regression solved with Eigen; the hyper-parameter is its penalty.
#include <loom/loom.hpp>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <vector>

#include <Eigen/Dense>

namespace dd = loom::dataframe;

namespace {

// Features x1..x3 (one sometimes missing), a text column, and target = 2 x1 - x2 + 0.5 x3 + noise
// (a few rows have a negative "invalid" marker).
void write_data(const char* path) {
  std::ofstream out(path);
  out << "id,x1,x2,x3,segment,target\n";
  std::uint64_t s = 11;
  auto uniform = [&s] {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(s >> 11) * 0x1.0p-53;
  };
  for (int i = 0; i < 20000; ++i) {
    const double x1 = uniform();
    const double x2 = uniform();
    const double x3 = uniform();
    const double target = i % 97 == 0 ? -1.0 : 2 * x1 - x2 + 0.5 * x3 + 0.1 * (uniform() - 0.5) + 1;
    out << i << ',' << x1 << ',' << x2 << ',';
    if (i % 50 != 0) out << x3;
    out << ",seg" << i % 3 << ',' << target << '\n';
  }
}

// Ridge regression on rows [0, split) of X (with an intercept), scored on the rest: the weights
// and the validation mean squared error.
struct Fit {
  Eigen::VectorXd w;
  double mse = 0;
};
Fit ridge(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, double penalty,
          const std::vector<Eigen::Index>& rows) {
  const Eigen::Index n = static_cast<Eigen::Index>(rows.size());
  const Eigen::Index p = x.cols() + 1;
  Eigen::MatrixXd a(n, p);
  Eigen::VectorXd b(n);
  for (Eigen::Index r = 0; r < n; ++r) {
    a(r, 0) = 1;
    a.row(r).tail(p - 1) = x.row(rows[static_cast<std::size_t>(r)]);
    b(r) = y(rows[static_cast<std::size_t>(r)]);
  }
  Eigen::MatrixXd gram = a.transpose() * a;
  gram.diagonal().tail(p - 1).array() += penalty;
  Fit f;
  f.w = gram.ldlt().solve(a.transpose() * b);
  return f;
}
double mse(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, const Eigen::VectorXd& w,
           Eigen::Index from) {
  double total = 0;
  for (Eigen::Index r = from; r < x.rows(); ++r) {
    const double e = w(0) + x.row(r).dot(w.tail(w.size() - 1)) - y(r);
    total += e * e;
  }
  return total / static_cast<double>(x.rows() - from);
}

// The Ray part: one remote task per penalty, scoring on a held-out fifth.
double score_penalty(const dd::Table& features, double penalty) {
  const Eigen::MatrixXd x = features.to_eigen({"x1", "x2", "x3"});
  const Eigen::VectorXd y = features.to_eigen({"target"}).col(0);
  const Eigen::Index split = x.rows() * 4 / 5;
  std::vector<Eigen::Index> rows(static_cast<std::size_t>(split));
  for (Eigen::Index r = 0; r < split; ++r) rows[static_cast<std::size_t>(r)] = r;
  return mse(x, y, ridge(x, y, penalty, rows).w, split);
}
LOOM_REMOTE(score_penalty);

}  // namespace

int main() {
  write_data("ml_data.csv");
  // 1. loom::dataframe for the preprocessing.
  const dd::Table features = dd::read_csv("ml_data.csv", {.blocksize = "256kB"})
                                 .dropna()
                                 .query("target >= 0")
                                 .select_dtypes({.include = {dd::number}})
                                 .compute();
  std::cout << "features: " << features.num_rows() << " rows, columns";
  for (const auto& c : features.column_names()) std::cout << ' ' << c;
  std::cout << '\n';

  // 2. Remote tasks for the hyper-parameter search (the table goes to the store once).
  const std::vector<double> penalties{0.001, 0.01, 0.1, 1.0, 10.0, 100.0};
  double best_penalty = 0;
  double best_mse = 0;
  {
    loom::Runtime runtime;
    const loom::ObjectRef<dd::Table> data = loom::put(features);
    std::vector<loom::ObjectRef<double>> futures;
    for (double p : penalties) futures.push_back(loom::task(score_penalty).remote(data, p));
    const std::vector<double> scores = loom::get(futures);
    for (std::size_t k = 0; k < scores.size(); ++k) {
      std::cout << "  penalty " << penalties[k] << ": validation MSE " << scores[k] << '\n';
      if (k == 0 || scores[k] < best_mse) {
        best_mse = scores[k];
        best_penalty = penalties[k];
      }
    }
  }
  std::cout << "best penalty " << best_penalty << '\n';

  // 3. Parallel for the ensemble: each model on a bootstrap sample of the training rows.
  const Eigen::MatrixXd x = features.to_eigen({"x1", "x2", "x3"});
  const Eigen::VectorXd y = features.to_eigen({"target"}).col(0);
  const Eigen::Index split = x.rows() * 4 / 5;
  auto train = [&](int seed) {
    std::uint64_t s = static_cast<std::uint64_t>(seed) * 7919 + 1;
    std::vector<Eigen::Index> rows(static_cast<std::size_t>(split));
    for (auto& r : rows) {
      s = s * 6364136223846793005ULL + 1442695040888963407ULL;
      r = static_cast<Eigen::Index>((s >> 33) % static_cast<std::uint64_t>(split));
    }
    return ridge(x, y, best_penalty, rows).w;
  };
  std::vector<int> seeds(16);
  for (int k = 0; k < 16; ++k) seeds[static_cast<std::size_t>(k)] = k;
  const std::vector<Eigen::VectorXd> models = loom::Parallel({.n_jobs = -1})(seeds, train);
  Eigen::VectorXd average = Eigen::VectorXd::Zero(4);
  for (const auto& w : models) average += w / static_cast<double>(models.size());
  const double ensemble_mse = mse(x, y, average, split);
  std::cout << "ensemble of " << models.size() << " models: validation MSE " << ensemble_mse
            << ", weights " << average.transpose() << '\n';

  // Checks: the same ensemble sequentially; the weights near the truth (1, 2, -1, 0.5).
  bool ok = features.column_names().size() == 5 && features.num_rows() < 20000;
  for (int k = 0; k < 16; ++k) ok = ok && models[static_cast<std::size_t>(k)].isApprox(train(k));
  ok = ok && std::abs(average(1) - 2) < 0.05 && std::abs(average(2) + 1) < 0.05 &&
       std::abs(average(3) - 0.5) < 0.05 && ensemble_mse < 2 * best_mse;
  std::cout << (ok ? "matches the sequential results\n" : "MISMATCH\n");
  return ok ? 0 : 1;
}
