#pragma once
// loom::Client: Dask's client API on a cluster (docs/cluster.md).
//
//   loom::LocalCluster cluster({.n_workers = 2, .processes = true});
//   loom::Client client(cluster);                       // the default client from now on
//   auto r = client.submit(square, 3);                  // = loom::task(square).remote(3)
//   auto rs = client.map(square, std::vector{1, 2, 3});
//   std::vector<int> vs = client.gather(rs);
//   auto pids = client.run([] { return static_cast<long>(getpid()); });   // one per worker
//
// While a client is current (the newest one, or one made current by `as_current()`),
// `loom::task(f).remote(...)`, `put`, `get`, `wait` and `cancel` work on its cluster.

#include <concepts>
#include <functional>
#include <map>
#include <memory>
#include <ranges>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "loom/cluster/local_cluster.hpp"
#include "loom/remote/runtime.hpp"
#include "loom/remote/task.hpp"

namespace loom {

namespace detail {
/// The ref that `task(f).remote(args...)` returns (for a generic callable, the result of the
/// parameters these arguments make).
template <class F, class... Args>
using remote_ref_t = decltype(loom::task(std::declval<F>()).remote(std::declval<Args>()...));
template <class R>
struct RunResultImpl {
  using type = std::map<int, R>;
};
template <>
struct RunResultImpl<void> {
  using type = void;
};
/// Client::run's result: one value per worker id (nothing for a void function).
template <class R>
using RunResult = typename RunResultImpl<R>::type;

/// While it lives, tasks submitted on this thread go to worker `id` (Client::run).
class PinToWorker {
 public:
  explicit PinToWorker(int id) noexcept;
  ~PinToWorker();
  PinToWorker(const PinToWorker&) = delete;
  PinToWorker& operator=(const PinToWorker&) = delete;

 private:
  int previous_;
};
}  // namespace detail

struct ClientOptions {
  bool set_as_default = true;  // Dask: the newest Client is the default
};
struct ScatterOptions {
  bool broadcast = false;  // true: a copy on every worker (see docs/cluster.md)
};

class Client {
 public:
  /// Owns a LocalCluster({}) (Dask's Client()).
  Client();
  /// ConfigError when the runtime from loom::init() runs.
  explicit Client(Cluster& cluster, ClientOptions options = {});
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client();  // restores the previous default

  /// Dask's submit: `task(f).remote(args...)` on this client's cluster.
  template <class F, class... Args>
  [[nodiscard]] auto submit(F&& f, Args&&... args)
      -> detail::remote_ref_t<F, Args...> {
    const Use use(*this);
    return loom::task(std::forward<F>(f)).remote(std::forward<Args>(args)...);
  }

  /// One task per input, in order.
  template <class F, std::ranges::input_range R>
  [[nodiscard]] auto map(F&& f, R&& inputs)
      -> std::vector<detail::remote_ref_t<F, std::ranges::range_reference_t<R>>> {
    const Use use(*this);
    const auto fn = loom::task(std::forward<F>(f));
    std::vector<detail::remote_ref_t<F, std::ranges::range_reference_t<R>>> out;
    if constexpr (std::ranges::sized_range<R>) out.reserve(std::ranges::size(inputs));
    for (auto&& x : inputs) out.push_back(fn.remote(std::forward<decltype(x)>(x)));
    return out;
  }

  template <class T>
  [[nodiscard]] T gather(const ObjectRef<T>& ref) {
    return loom::get(ref);
  }
  template <class T>
  [[nodiscard]] std::vector<T> gather(const std::vector<ObjectRef<T>>& refs) {
    return loom::get(refs);
  }

  /// Stores a value for tasks to use (Dask's scatter).
  template <class T>
  [[nodiscard]] ObjectRef<std::decay_t<T>> scatter(T&& value, ScatterOptions options = {}) {
    (void)options;  // every worker reads the one stored object already (docs/cluster.md)
    const Use use(*this);
    return loom::put(std::forward<T>(value));
  }

  /// Runs `f()` once on every worker; the results by worker id (void F: nothing).
  template <class F>
  auto run(F&& f) -> detail::RunResult<std::invoke_result_t<F&>> {
    using R = std::invoke_result_t<F&>;
    const Use use(*this);
    const auto fn = loom::task(std::forward<F>(f));
    std::vector<std::pair<int, detail::ResultRef<R>>> refs;
    for (const WorkerInfo& w : cluster_->workers()) {
      const detail::PinToWorker pin(w.id);
      refs.emplace_back(w.id, fn.remote());
    }
    if constexpr (std::is_void_v<R>) {
      for (auto& [id, ref] : refs) loom::get(ref);
    } else {
      std::map<int, R> out;
      for (auto& [id, ref] : refs) out.emplace(id, loom::get(ref));
      return out;
    }
  }

  /// Restarts every worker of the cluster.
  void restart();
  [[nodiscard]] Cluster& cluster() noexcept { return *cluster_; }
  /// "" when no dashboard is served.
  [[nodiscard]] std::string dashboard_link() const;
  /// The default client (nullptr: none, tasks run in the remote runtime's threads).
  [[nodiscard]] static Client* current() noexcept;

  /// RAII: makes this client current until it ends.
  class Scope {
   public:
    explicit Scope(Client& c);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    Client* client_;
  };
  [[nodiscard]] Scope as_current() { return Scope(*this); }

 private:
  // Makes this client current for one call unless it already is.
  class Use {
   public:
    explicit Use(Client& c);
    ~Use();
    Use(const Use&) = delete;
    Use& operator=(const Use&) = delete;

   private:
    Client* pushed_ = nullptr;
  };
  void check_no_runtime() const;

  std::unique_ptr<LocalCluster> owned_;
  Cluster* cluster_ = nullptr;
  bool is_default_ = false;
};

}  // namespace loom
