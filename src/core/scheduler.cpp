// The task-graph scheduler: claims the nodes a compute needs, runs them on oneTBB, and lets
// each finished node release its dependents through atomic counters.
//
// A compute call owns a tbb::task_group. Every node it claims gets a deferred task in that group
// (tbb::task_group::defer), so task_group::wait() returns exactly when every claimed node has
// finished, whoever made it ready. A finished node hands one ready successor straight back to
// TBB (task bypass: chains run in a loop, not a recursion) and spawns the others. A wait inside
// a task helps run other tasks, so nested computes never idle or deadlock a thread.

// Task bypass: a task_group functor that returns a task_handle runs that task next.
#define TBB_PREVIEW_TASK_GROUP_EXTENSIONS 1  // NOLINT(cppcoreguidelines-macro-usage)

#include <atomic>
#include <chrono>
#include <exception>
#include <new>
#include <stop_token>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <oneapi/tbb/task_group.h>

#include "loom/core/current_task.hpp"
#include "loom/core/detail/node.hpp"
#include "loom/core/error.hpp"
#include "loom/core/executor.hpp"
#include "loom/core/trace.hpp"
#include "tsan.hpp"

namespace loom::detail {

namespace {

Edge* const kClosed = reinterpret_cast<Edge*>(std::uintptr_t{1});  // NOLINT: sentinel address

struct ComputeContext;

}  // namespace

struct NodeAccess {
  static std::atomic<NodeState>& state(NodeBase* n) { return n->state_; }
  static std::atomic<std::int32_t>& join(NodeBase* n) { return n->join_; }
  static std::atomic<Edge*>& waiters(NodeBase* n) { return n->waiters_; }
  static std::atomic<bool>& dep_failed(NodeBase* n) { return n->dep_failed_; }
  static std::exception_ptr& error(NodeBase* n) { return n->error_; }
  static std::exception_ptr& dep_error(NodeBase* n) { return n->dep_error_; }
  static ComputeContext*& context(NodeBase* n) {
    return reinterpret_cast<ComputeContext*&>(n->context_);
  }
  static tbb::task_handle& task(NodeBase* n) {
    return *std::launder(reinterpret_cast<tbb::task_handle*>(n->task_));
  }
  static void* task_storage(NodeBase* n) { return n->task_; }
  static Edge* edges(NodeBase* n) { return n->edges_; }
  static void invoke(NodeBase* n) { n->invoke(); }
  static void release_inputs(NodeBase* n) { n->release_inputs(); }
};

static_assert(sizeof(tbb::task_handle) == sizeof(void*));
static_assert(alignof(tbb::task_handle) <= alignof(void*));

namespace {

using A = NodeAccess;

struct ComputeContext {
  tbb::task_group group;
  std::atomic<bool> cancelled{false};
  std::atomic<bool> has_error{false};
  std::exception_ptr first_error;  // written once, before `cancelled` is set
  std::stop_source stop;
  // Roots claimed by another compute: a deferred task that runs when the last of them finishes.
  std::vector<Edge> sink_edges;
  std::atomic<std::int32_t> sink_pending{1};
  tbb::task_handle sink;

  void fail(std::exception_ptr error) {
    bool expected = false;
    if (has_error.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) {
      first_error = std::move(error);
      cancelled.store(true, std::memory_order_release);
      stop.request_stop();
    }
  }

  void release_sink() {
    if (sink_pending.fetch_sub(1, std::memory_order_acq_rel) == 1) group.run(std::move(sink));
  }
};

/// Registers `edge` as a waiter of `dep`; false when `dep` has already finished.
bool add_waiter(NodeBase* dep, Edge* edge) {
  auto& waiters = A::waiters(dep);
  Edge* head = waiters.load(std::memory_order_acquire);
  for (;;) {
    if (head == kClosed) {
      if (dep->finished()) return false;
      // A cancelled node is being re-claimed and its list is about to reopen.
      std::this_thread::yield();
      head = waiters.load(std::memory_order_acquire);
      continue;
    }
    edge->next = head;
    if (waiters.compare_exchange_weak(head, edge, std::memory_order_acq_rel,
                                      std::memory_order_acquire)) {
      return true;
    }
  }
}

/// Marks `successor` as having a failed dependency (the first failure's error is kept).
void note_failed_dep(NodeBase* successor, NodeBase* dep) {
  bool expected = false;
  if (A::dep_failed(successor).compare_exchange_strong(expected, true,
                                                       std::memory_order_acq_rel)) {
    A::dep_error(successor) = dep->error();
  }
}

/// Claims an idle (or cancelled, to compute it again) node for `ctx`. Only one compute wins.
bool try_claim(NodeBase* n, ComputeContext* ctx) {
  auto& state = A::state(n);
  NodeState s = state.load(std::memory_order_acquire);
  if (s == NodeState::idle) {
    if (!state.compare_exchange_strong(s, NodeState::claimed, std::memory_order_acq_rel)) {
      return false;
    }
  } else if (s == NodeState::cancelled) {
    if (!state.compare_exchange_strong(s, NodeState::claimed, std::memory_order_acq_rel)) {
      return false;
    }
    A::error(n) = nullptr;
    A::dep_error(n) = nullptr;
    A::dep_failed(n).store(false, std::memory_order_relaxed);
    A::waiters(n).store(nullptr, std::memory_order_release);
  } else {
    return false;
  }
  A::context(n) = ctx;
  return true;
}

tbb::task_handle execute(NodeBase* n);

struct NodeTask {
  NodeBase* node;
  tbb::task_handle operator()() const { return execute(node); }
};

/// Finishes `n` (its state is already final): closes its waiter list and releases the waiters.
/// Returns one successor that became ready and belongs to `ctx`, to run next; spawns the rest.
NodeBase* notify(NodeBase* n, ComputeContext* ctx, bool failed) {
  Edge* edge = A::waiters(n).exchange(kClosed, std::memory_order_acq_rel);
  NodeBase* next = nullptr;
  while (edge != nullptr) {
    Edge* following = edge->next;  // the edge lives in its waiter, which may go once released
    if (NodeBase* s = edge->successor) {
      if (failed) note_failed_dep(s, n);
      if (A::join(s).fetch_sub(1, std::memory_order_acq_rel) == 1) {
        ComputeContext* owner = A::context(s);
        if (next == nullptr && owner == ctx) {
          next = s;
        } else {
          LOOM_TSAN_RELEASE(s);
          owner->group.run(std::move(A::task(s)));
        }
      }
    } else {
      static_cast<ComputeContext*>(edge->sink)->release_sink();
    }
    edge = following;
  }
  return next;
}

void record_failure(NodeBase* n, ComputeContext* ctx) {
  std::string what = detail::current_exception_message();
  std::string message =
      fmt::format("task '{}' failed: {}{}{}", n->label(), detail::current_exception_type_name(),
                  what.empty() ? "" : ": ", what);
  A::error(n) = std::make_exception_ptr(TaskError(n->label(), message));
  // make_exception_ptr copies the TaskError made inside this catch block, nested one included.
  ctx->fail(A::error(n));
}

tbb::task_handle execute(NodeBase* n) {
  LOOM_TSAN_ACQUIRE(n);
  ComputeContext* ctx = A::context(n);
  NodeState final_state = NodeState::done;
  bool ran = false;
  if (A::dep_failed(n).load(std::memory_order_acquire)) {
    A::error(n) = A::dep_error(n);
    final_state = NodeState::failed;
  } else if (ctx->cancelled.load(std::memory_order_acquire)) {
    A::error(n) = ctx->first_error;
    final_state = NodeState::cancelled;
  } else {
    A::state(n).store(NodeState::running, std::memory_order_relaxed);
    const bool tracing = trace::enabled();
    const auto begin = tracing ? std::chrono::steady_clock::now()
                               : std::chrono::steady_clock::time_point{};
    {
      TaskContext here(n->name(), n->id(), &ctx->stop);
      TaskScope scope(&here);
      try {
        A::invoke(n);
      } catch (...) {
        record_failure(n, ctx);
        final_state = NodeState::failed;
      }
    }
    if (tracing) trace::record(n->label(), n->id(), begin, std::chrono::steady_clock::now());
    ran = true;
  }
  if (ran) A::release_inputs(n);
  A::context(n) = nullptr;
  A::state(n).store(final_state, std::memory_order_release);
  NodeBase* next = notify(n, ctx, final_state != NodeState::done);
  n->release();  // the reference the scheduler took when it claimed n
  if (next == nullptr) return {};
  LOOM_TSAN_RELEASE(next);
  return std::move(A::task(next));
}

/// Claims everything `roots` needs that nobody computes yet, and starts what is ready.
void activate(ComputeContext* ctx, std::span<NodeBase* const> roots) {
  struct Step {
    NodeBase* node;
    bool after_deps;  // second visit: its dependencies are registered and claimed
    std::int64_t root = -1;  // index in `roots` for a first visit from there
  };
  std::vector<Step> stack;
  std::vector<NodeBase*> ready;
  std::vector<bool> root_claimed(roots.size(), false);
  stack.reserve(roots.size() * 2);
  for (std::size_t i = roots.size(); i-- > 0;) {
    stack.push_back({roots[i], false, static_cast<std::int64_t>(i)});
  }

  while (!stack.empty()) {
    const Step step = stack.back();
    stack.pop_back();
    NodeBase* n = step.node;
    if (step.after_deps) {
      // The guard count keeps n from starting (and dropping the inputs that hold its
      // dependencies alive) until its whole subgraph was visited.
      if (A::join(n).fetch_sub(1, std::memory_order_acq_rel) == 1) ready.push_back(n);
      continue;
    }
    if (!try_claim(n, ctx)) continue;
    if (step.root >= 0) root_claimed[static_cast<std::size_t>(step.root)] = true;
    n->retain();
    new (A::task_storage(n)) tbb::task_handle(ctx->group.defer(NodeTask{n}));
    const auto deps = n->deps();
    A::join(n).store(static_cast<std::int32_t>(deps.size()) + 1, std::memory_order_relaxed);
    stack.push_back({n, true});
    Edge* edges = A::edges(n);
    std::int32_t finished = 0;
    for (std::size_t i = 0; i < deps.size(); ++i) {
      NodeBase* dep = deps[i];
      if (add_waiter(dep, &edges[i])) {
        stack.push_back({dep, false});
      } else {
        ++finished;
        if (dep->state() != NodeState::done) note_failed_dep(n, dep);
      }
    }
    if (finished > 0) A::join(n).fetch_sub(finished, std::memory_order_acq_rel);
  }

  // Roots another compute is running: wait for them through the sink. (A root this compute
  // claimed as another root's dependency may be listed too: waiting twice is harmless.)
  std::vector<NodeBase*> external_roots;
  for (std::size_t i = 0; i < roots.size(); ++i) {
    if (!root_claimed[i] && !roots[i]->finished()) external_roots.push_back(roots[i]);
  }
  if (!external_roots.empty()) {
    ctx->sink = ctx->group.defer([] {});
    ctx->sink_edges.resize(external_roots.size());
    for (std::size_t i = 0; i < external_roots.size(); ++i) {
      ctx->sink_edges[i].sink = ctx;
      ctx->sink_pending.fetch_add(1, std::memory_order_relaxed);
      if (!add_waiter(external_roots[i], &ctx->sink_edges[i])) {
        ctx->sink_pending.fetch_sub(1, std::memory_order_relaxed);
      }
    }
    ctx->release_sink();
  }
  for (NodeBase* n : ready) {
    LOOM_TSAN_RELEASE(n);
    ctx->group.run(std::move(A::task(n)));
  }
}

void compute_in_arena(std::span<NodeBase* const> roots) {
  ComputeContext ctx;
  activate(&ctx, roots);
  ctx.group.wait();
}

}  // namespace

void compute_nodes(std::span<NodeBase* const> roots) {
  bool all_done = true;
  for (NodeBase* root : roots) {
    if (root == nullptr) throw_empty_delayed();
    all_done = all_done && root->state() == NodeState::done;
  }
  if (!all_done) {
    if (in_task()) {
      compute_in_arena(roots);  // nested: stay in the arena (and on the thread) we are in
    } else {
      Executor::global().run([&] { compute_in_arena(roots); });
    }
  }
  for (NodeBase* root : roots) {
    if (root->state() == NodeState::done) continue;
    if (root->error()) std::rethrow_exception(root->error());
    throw Error(fmt::format("task '{}' did not finish", root->label()));
  }
}

}  // namespace loom::detail
