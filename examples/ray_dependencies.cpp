// The Python snippet "Dynamic Task Dependencies" in C++:
//
//   raw_data_refs = [ray.put(data) for data in raw_datasets]
//   processed_refs = [preprocess_data.remote(data) for data in raw_data_refs]
//   model_refs = [train_model.remote(data) for data in processed_refs]
//   metric_refs = [evaluate_model.remote(model, test_data) for model in model_refs]
//   final_results = ray.get(metric_refs)
//
// Passing a ref where the function takes the value makes a dependency: each task starts when
// its inputs exist, and every chain runs in parallel with the others.
#include <loom/loom.hpp>

#include <Eigen/Dense>
#include <cmath>
#include <iostream>
#include <vector>

using Data = loom::NDArray<double>;  // rows of (x, y)

struct Model {
  double slope = 0;
  double intercept = 0;
  template <class Archive>
  void serialize(Archive& archive) {
    archive(slope, intercept);
  }
};

// Clean and prepare: drop rows with a non-finite value.
Data preprocess_data(const Data& raw) {
  std::vector<double> kept;
  for (std::int64_t r = 0; r < raw.shape()[0]; ++r) {
    if (std::isfinite(raw(r, 0)) && std::isfinite(raw(r, 1))) {
      kept.push_back(raw(r, 0));
      kept.push_back(raw(r, 1));
    }
  }
  return Data(loom::Shape{static_cast<std::int64_t>(kept.size() / 2), 2}, kept);
}

// Least squares fit of y = slope * x + intercept.
Model train_model(const Data& data) {
  const auto m = data.matrix();
  Eigen::MatrixXd a(m.rows(), 2);
  a.col(0) = m.col(0);
  a.col(1).setOnes();
  const Eigen::Vector2d beta = a.colPivHouseholderQr().solve(m.col(1));
  return {beta(0), beta(1)};
}

// Mean squared error on the test data.
double evaluate_model(const Model& model, const Data& test) {
  const auto m = test.matrix();
  return ((m.col(0).array() * model.slope + model.intercept) - m.col(1).array())
      .square()
      .mean();
}

Data make_line(int n, double slope, double intercept, bool with_gaps) {
  Data d(loom::Shape{n, 2});
  for (int i = 0; i < n; ++i) {
    d.mut(i, 0) = i;
    d.mut(i, 1) = with_gaps && i % 10 == 3 ? std::nan("") : slope * i + intercept;
  }
  return d;
}

int main() {
  loom::Runtime runtime;
  std::vector<Data> raw_datasets;
  for (int k = 1; k <= 4; ++k) raw_datasets.push_back(make_line(1000, k, 0.5, true));
  const Data test_data = make_line(100, 2, 0.5, false);

  auto preprocess = loom::task(preprocess_data);
  auto train = loom::task(train_model);
  auto evaluate = loom::task(evaluate_model);
  std::vector<loom::ObjectRef<Data>> raw_data_refs;
  for (auto& data : raw_datasets) raw_data_refs.push_back(loom::put(std::move(data)));
  std::vector<loom::ObjectRef<double>> metric_refs;
  for (const auto& raw : raw_data_refs) {
    metric_refs.push_back(evaluate.remote(train.remote(preprocess.remote(raw)), test_data));
  }
  const std::vector<double> final_results = loom::get(metric_refs);

  bool ok = true;
  for (std::size_t k = 0; k < final_results.size(); ++k) {
    // Dataset k+1 has slope k+1; the test line has slope 2: the error is known exactly.
    double expected = 0;
    for (int i = 0; i < 100; ++i) expected += std::pow((static_cast<double>(k) + 1 - 2) * i, 2);
    expected /= 100;
    ok = ok && std::abs(final_results[k] - expected) <= 1e-6 * (1 + expected);
    std::cout << "model " << k << ": test MSE " << final_results[k] << '\n';
  }
  return ok ? 0 : 1;
}
