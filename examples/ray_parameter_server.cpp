// The Python snippet "Actor Patterns for Stateful Computation" in C++: a parameter server and
// workers that compute gradients, with Eigen vectors.
//
//   ps = ParameterServer.remote(dim=1000)
//   workers = [Worker.remote(i) for i in range(4)]
//   for epoch in range(100):
//       current_params = ray.get(ps.get_params.remote())
//       gradient_futures = [worker.compute_gradients.remote(current_params, data_batch)
//                           for worker, data_batch in zip(workers, data_batches)]
//       gradients = ray.get(gradient_futures)
//       avg_gradients = np.mean(gradients, axis=0)
//       ps.update_params.remote(avg_gradients)
//
// Actor methods run one at a time, so the server needs no lock.
#include <loom/loom.hpp>

#include <Eigen/Core>
#include <iostream>
#include <random>
#include <vector>

class ParameterServer {
 public:
  explicit ParameterServer(int dim) : params_(Eigen::VectorXd::Zero(dim)) {}
  [[nodiscard]] Eigen::VectorXd get_params() const { return params_; }
  Eigen::VectorXd update_params(const Eigen::VectorXd& gradients) {
    params_ += gradients;
    return params_;
  }

 private:
  Eigen::VectorXd params_;
};
LOOM_REMOTE(ParameterServer);

class Worker {
 public:
  explicit Worker(int worker_id) : worker_id_(worker_id) {}
  // Simulated gradients, from a generator seeded by the worker and the batch (reproducible).
  [[nodiscard]] Eigen::VectorXd compute_gradients(const Eigen::VectorXd& params,
                                                  int data_batch) const {
    std::mt19937_64 rng(static_cast<std::uint64_t>(worker_id_) * 1000003 + data_batch);
    std::normal_distribution<double> normal;
    Eigen::VectorXd g(params.size());
    for (Eigen::Index i = 0; i < g.size(); ++i) g(i) = normal(rng) * 0.01;
    return g;
  }

 private:
  int worker_id_;
};
LOOM_REMOTE(Worker);

int main() {
  constexpr int kDim = 1000;
  constexpr int kWorkers = 4;
  constexpr int kEpochs = 100;
  loom::Runtime runtime;
  auto ps = loom::actor<ParameterServer>().remote(kDim);
  std::vector<loom::ActorHandle<Worker>> workers;
  for (int i = 0; i < kWorkers; ++i) workers.push_back(loom::actor<Worker>().remote(i));

  Eigen::VectorXd reference = Eigen::VectorXd::Zero(kDim);  // the same loop, sequentially
  for (int epoch = 0; epoch < kEpochs; ++epoch) {
    const Eigen::VectorXd current_params = loom::get(ps.task(&ParameterServer::get_params).remote());
    std::vector<loom::ObjectRef<Eigen::VectorXd>> gradient_futures;
    for (int w = 0; w < kWorkers; ++w) {
      gradient_futures.push_back(
          workers[w].task(&Worker::compute_gradients).remote(current_params, epoch));
    }
    Eigen::VectorXd avg_gradients = Eigen::VectorXd::Zero(kDim);
    for (const auto& g : loom::get(gradient_futures)) avg_gradients += g;
    avg_gradients /= kWorkers;
    (void)ps.task(&ParameterServer::update_params).remote(avg_gradients);

    Eigen::VectorXd avg = Eigen::VectorXd::Zero(kDim);
    for (int w = 0; w < kWorkers; ++w) avg += Worker(w).compute_gradients(reference, epoch);
    reference += avg / kWorkers;
  }
  const Eigen::VectorXd final_params = loom::get(ps.task(&ParameterServer::get_params).remote());
  std::cout << "after " << kEpochs << " epochs: |params| = " << final_params.norm()
            << ", first values " << final_params.head(3).transpose() << '\n';
  return final_params.isApprox(reference, 1e-12) ? 0 : 1;
}
