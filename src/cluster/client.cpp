// loom::Client (cluster/client.hpp): the default client and its cluster.

#include "loom/cluster/client.hpp"

#include <algorithm>
#include <mutex>
#include <vector>

#include "cluster/cluster_state.hpp"
#include "loom/core/error.hpp"

namespace loom {

namespace {

// The clients that were made default (and the scopes), newest last: the current one is the
// last; a client that dies leaves, whatever its place.
struct Defaults {
  std::mutex mutex;
  std::vector<Client*> stack;
  std::atomic<Client*> current{nullptr};
};

Defaults& defaults() {
  static Defaults d;
  return d;
}

// The stack changed (its mutex held): publish the current client and its cluster.
void publish(Defaults& d) {
  Client* top = d.stack.empty() ? nullptr : d.stack.back();
  d.current.store(top, std::memory_order_release);
  detail::set_cluster_backend(top == nullptr ? nullptr
                                             : &detail::backend_of_cluster(top->cluster()));
}

void push(Client* c) {
  Defaults& d = defaults();
  const std::lock_guard lock(d.mutex);
  d.stack.push_back(c);
  publish(d);
}

void pop(Client* c, bool all) {
  Defaults& d = defaults();
  const std::lock_guard lock(d.mutex);
  if (all) {
    d.stack.erase(std::remove(d.stack.begin(), d.stack.end(), c), d.stack.end());
  } else {
    const auto it = std::find(d.stack.rbegin(), d.stack.rend(), c);
    if (it != d.stack.rend()) d.stack.erase(std::next(it).base());
  }
  publish(d);
}

}  // namespace

namespace detail {

PinToWorker::PinToWorker(int id) noexcept
    : previous_(std::exchange(ClusterState::pinned_worker(), id)) {}
PinToWorker::~PinToWorker() { ClusterState::pinned_worker() = previous_; }

}  // namespace detail

void Client::check_no_runtime() const {
  if (is_initialized()) {
    throw ConfigError(
        "loom::Client: the remote runtime from loom::init() is running (loom::shutdown() it "
        "first: remote tasks run either there or on a client's cluster)");
  }
}

Client::Client() {
  check_no_runtime();
  owned_ = std::make_unique<LocalCluster>();
  cluster_ = owned_.get();
  detail::add_live_client(1);
  is_default_ = true;
  push(this);
}

Client::Client(Cluster& cluster, ClientOptions options) : cluster_(&cluster) {
  check_no_runtime();
  detail::add_live_client(1);
  is_default_ = options.set_as_default;
  if (is_default_) push(this);
}

Client::~Client() {
  pop(this, /*all=*/true);
  detail::add_live_client(-1);
  if (owned_) owned_->close();
}

void Client::restart() { cluster_->restart(); }

std::string Client::dashboard_link() const { return {}; }

Client* Client::current() noexcept { return defaults().current.load(std::memory_order_acquire); }

Client::Scope::Scope(Client& c) : client_(&c) { push(client_); }
Client::Scope::~Scope() { pop(client_, /*all=*/false); }

Client::Use::Use(Client& c) {
  if (current() != &c) {
    pushed_ = &c;
    push(pushed_);
  }
}
Client::Use::~Use() {
  if (pushed_ != nullptr) pop(pushed_, /*all=*/false);
}

}  // namespace loom
