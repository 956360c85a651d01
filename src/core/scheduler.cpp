// The task-graph scheduler: claims the nodes a compute needs, runs them on oneTBB, and lets
// each finished node release its dependents through atomic counters (no central loop).
//
// A compute call owns a tbb::task_group; ready nodes become tasks of that group. A node that is
// claimed but still waits for dependencies is not a TBB task yet, so the compute also counts
// such nodes (`waiting`) and holds one deferred task (`guard`) that it releases when the count
// reaches zero: task_group::wait() therefore returns exactly when every claimed node finished,
// whoever made it ready. A finished node runs one ready successor itself, in a loop (chains
// run without spawning and without recursion), and spawns the others. A wait inside a task
// helps run other tasks, so nested computes never idle or deadlock a thread.

#include <atomic>
#include <chrono>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>

#include "core/suspend_latch.hpp"
#include "loom/core/current_task.hpp"
#include "loom/core/detail/assert.hpp"
#include "loom/core/detail/node.hpp"
#include "loom/core/detail/progress_work.hpp"
#include "loom/core/error.hpp"
#include "loom/core/executor.hpp"
#include "loom/core/trace.hpp"
#include "tsan.hpp"

namespace loom::detail {

namespace {
struct ComputeContext;
Edge* const kClosed = reinterpret_cast<Edge*>(std::uintptr_t{1});  // NOLINT: sentinel address
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
  static Edge* edges(NodeBase* n) { return n->edges_; }
  static void invoke(NodeBase* n) { n->invoke(); }
  static void release_inputs(NodeBase* n) { n->release_inputs(); }
};

namespace {

using A = NodeAccess;

// `waiting` starts with this bias, so that it cannot reach zero while the claiming traversal
// still runs; the traversal takes the bias back out when it is done.
constexpr std::int64_t kTraversalBias = std::int64_t{1} << 40;

void run_from(NodeBase* first);

struct NodeTask {
  NodeBase* node;
  void operator()() const { run_from(node); }
};

struct ComputeContext {
  explicit ComputeContext(bool inline_mode)
      : inline_mode(inline_mode), progress(progress_enabled() ? current_progress() : nullptr) {
    if (!inline_mode) {
      group.emplace();
      guard = group->defer([] {});
    }
  }

  // Pool mode: ready nodes are tasks of `group`; `guard` keeps wait() waiting.
  std::optional<tbb::task_group> group;
  tbb::task_handle guard;
  // Inline mode (forked workers, the sequential backend): ready nodes queue here and the
  // calling thread runs them; nothing touches oneTBB.
  const bool inline_mode;
  std::mutex ready_mutex;
  std::vector<NodeBase*> ready;
  std::atomic<std::uint32_t> signal{0};

  std::atomic<std::int64_t> waiting{kTraversalBias};
  // A compute that waits suspended (from inside a task) counts its unfinished claimed nodes
  // and awaited roots, and is resumed by whoever finishes the last one.
  bool suspends = false;
  SuspendLatch unfinished{kTraversalBias};
  std::atomic<bool> cancelled{false};
  std::atomic<bool> has_error{false};
  std::exception_ptr first_error;  // written once, before `cancelled` is set
  std::stop_source stop;
  std::vector<Edge> sink_edges;                 // edges onto roots that another compute is running
  std::shared_ptr<ProgressWorkState> progress;  // the work a ProgressBar draws, if any

  void fail(std::exception_ptr error) {
    bool expected = false;
    if (has_error.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) {
      first_error = std::move(error);
      cancelled.store(true, std::memory_order_release);
      stop.request_stop();
    }
  }

  /// One unfinished node (or awaited root) fewer; the last one resumes the suspended compute.
  /// Nothing touches `this` after the last one.
  void done_unfinished(std::int64_t count = 1) { unfinished.arrive(count); }

  /// One waiting node (or awaited root) fewer; the last one releases the guard task.
  void done_waiting(std::int64_t count = 1) {
    if (inline_mode) {
      // Under the mutex: once drain() saw the end under it, no other thread touches `this`.
      std::lock_guard lock(ready_mutex);
      if (waiting.fetch_sub(count, std::memory_order_acq_rel) == count) wake();
      return;
    }
    if (waiting.fetch_sub(count, std::memory_order_acq_rel) == count) group->run(std::move(guard));
  }

  /// A claimed node whose dependencies are done: a task of this compute now. The order keeps
  /// `this` alive: a pool compute's wait() cannot return while the new task is pending, and a
  /// suspended compute cannot resume before the new node has finished.
  void make_ready(NodeBase* n) {
    if (suspends) {
      done_waiting();
      spawn(n);
    } else {
      spawn(n);
      done_waiting();
    }
  }

  /// Makes a ready node a task of this compute.
  void spawn(NodeBase* n) {
    LOOM_TSAN_RELEASE(n);
    if (inline_mode) {
      std::lock_guard lock(ready_mutex);
      ready.push_back(n);
      wake();
      return;
    }
    group->run(NodeTask{n});
  }

  /// Inline mode: runs queued nodes on this thread until every claimed node has finished.
  void drain() {
    for (;;) {
      std::uint32_t seen = 0;
      NodeBase* n = nullptr;
      {
        std::lock_guard lock(ready_mutex);
        if (ready.empty() && waiting.load(std::memory_order_acquire) == 0) return;
        seen = signal.load(std::memory_order_relaxed);
        if (!ready.empty()) {
          n = ready.back();
          ready.pop_back();
        }
      }
      if (n != nullptr) {
        run_from(n);
      } else {
        signal.wait(seen, std::memory_order_acquire);  // another thread runs what we wait for
      }
    }
  }

 private:
  void wake() {  // with ready_mutex held
    signal.fetch_add(1, std::memory_order_release);
    signal.notify_all();
  }
};

/// Registers `edge` as a waiter of `dep`; false when `dep` has already finished.
bool add_waiter(NodeBase* dep, Edge* edge) {
  auto& waiters = A::waiters(dep);
  Edge* head = waiters.load(std::memory_order_acquire);
  for (;;) {
    if (head == kClosed) {
      if (dep->finished()) return false;
      // A cancelled node is being claimed again and its list is about to reopen.
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
  if (A::dep_failed(successor).compare_exchange_strong(expected, true, std::memory_order_acq_rel)) {
    A::dep_error(successor) = dep->error();
  }
}

/// Claims an idle (or cancelled, to compute it again) node for `ctx`. Only one compute wins.
bool try_claim(NodeBase* n, ComputeContext* ctx) {
  auto& state = A::state(n);
  NodeState s = state.load(std::memory_order_acquire);
  if (s != NodeState::idle && s != NodeState::cancelled) return false;
  if (!state.compare_exchange_strong(s, NodeState::claimed, std::memory_order_acq_rel)) {
    return false;
  }
  if (s == NodeState::cancelled) {
    // Computed again: its error is overwritten if it fails again, and read only when it did.
    A::dep_failed(n).store(false, std::memory_order_relaxed);
    A::waiters(n).store(nullptr, std::memory_order_release);
  }
  A::context(n) = ctx;
  return true;
}

/// Closes the waiter list of `n` (its state is final) and releases the waiters. Returns one
/// successor of `ctx` that became ready, for the caller to run next; spawns the others.
NodeBase* notify(NodeBase* n, ComputeContext* ctx, bool failed) {
  Edge* edge = A::waiters(n).exchange(kClosed, std::memory_order_acq_rel);
  LOOM_ASSERT(edge != kClosed, "a node's waiter list is closed once");
  NodeBase* next = nullptr;
  while (edge != nullptr) {
    Edge* following = edge->next;  // the edge lives in its waiter, which may go once released
    if (NodeBase* s = edge->successor) {
      if (failed) note_failed_dep(s, n);
      const std::int32_t pending = A::join(s).fetch_sub(1, std::memory_order_acq_rel);
      LOOM_ASSERT(pending >= 1, "a successor is released by each dependency once");
      if (pending == 1) {
        ComputeContext* owner = A::context(s);
        if (next == nullptr && owner == ctx) {
          next = s;  // runs in this task, which keeps the group waiting meanwhile
          owner->done_waiting();
        } else {
          owner->make_ready(s);
        }
      }
    } else {
      auto* waiter = static_cast<ComputeContext*>(edge->sink);
      if (waiter->suspends) {
        waiter->done_unfinished();
      } else {
        waiter->done_waiting();
      }
    }
    edge = following;
  }
  return next;
}

void record_failure(NodeBase* n, ComputeContext* ctx) {
  const std::string what = current_exception_message();
  const std::string message =
      fmt::format("task '{}' failed: {}{}{}", n->label(), current_exception_type_name(),
                  what.empty() ? "" : ": ", what);
  // Made inside the catch block, so the exception being handled becomes the nested one.
  A::error(n) = std::make_exception_ptr(TaskError(n->label(), message));
  ctx->fail(A::error(n));
}

/// Runs (or fails, or cancels) `n`, then the ready successor it hands on, and so on.
void run_from(NodeBase* first) {
  for (NodeBase* n = first; n != nullptr;) {
    LOOM_TSAN_ACQUIRE(n);
    ComputeContext* ctx = A::context(n);
    LOOM_ASSERT(A::state(n).load(std::memory_order_relaxed) == NodeState::claimed,
                "only a claimed node runs");
    LOOM_ASSERT(ctx != nullptr, "a claimed node has the compute that claimed it");
    LOOM_ASSERT(A::join(n).load(std::memory_order_relaxed) == 0,
                "a node runs only once all its dependencies are final");
    NodeState final_state = NodeState::done;
    if (A::dep_failed(n).load(std::memory_order_acquire)) {
      A::error(n) = A::dep_error(n);
      final_state = NodeState::failed;
    } else if (ctx->cancelled.load(std::memory_order_acquire)) {
      A::error(n) = ctx->first_error;
      final_state = NodeState::cancelled;
    } else {
      A::state(n).store(NodeState::running, std::memory_order_relaxed);
      const bool tracing = trace::enabled();
      const auto begin =
          tracing ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
      {
        const TaskContext here(n->name(), n->id(), &ctx->stop);
        const TaskScope scope(&here);
        try {
          A::invoke(n);
        } catch (...) {
          record_failure(n, ctx);
          final_state = NodeState::failed;
        }
      }
      if (tracing) trace::record(n->label(), n->id(), begin, std::chrono::steady_clock::now());
      A::release_inputs(n);
    }
    A::context(n) = nullptr;
    A::state(n).store(final_state, std::memory_order_release);
    NodeBase* next = notify(n, ctx, final_state != NodeState::done);
    n->release();  // the reference taken when n was claimed
    if (ctx->progress) progress_add_done(ctx->progress.get(), 1);
    if (ctx->suspends) ctx->done_unfinished();  // last: ctx may be gone right after
    n = next;
  }
}

/// Claims everything `roots` needs that nobody computes yet; starts each node as soon as its
/// subgraph has been visited and its dependencies are done.
void activate(ComputeContext* ctx, std::span<NodeBase* const> roots) {
  enum class Visit : std::uint8_t { claim, expand, after_deps };
  struct Step {
    NodeBase* node;
    std::int64_t root;  // index in `roots` for a first visit from there, else -1
    Visit visit;
  };
  std::vector<Step> stack;
  std::vector<bool> root_claimed(roots.size(), false);
  std::int64_t waiting = 0;
  std::int64_t claimed = 0;
  for (std::size_t i = roots.size(); i-- > 0;) {
    NodeBase* root = roots[i];
    if (!try_claim(root, ctx)) continue;
    root_claimed[i] = true;
    ++claimed;
    root->retain();
    if (root->deps().empty()) {
      ctx->spawn(root);  // independent tasks (a fan-out) start at once, without the stack
    } else {
      stack.push_back({root, -1, Visit::expand});
    }
  }

  while (!stack.empty()) {
    const Step step = stack.back();
    stack.pop_back();
    NodeBase* n = step.node;
    if (step.visit == Visit::after_deps) {
      // The guard count kept n from starting (and dropping the inputs that hold its
      // dependencies alive) until its whole subgraph was visited.
      if (A::join(n).fetch_sub(1, std::memory_order_acq_rel) == 1) ctx->make_ready(n);
      continue;
    }
    if (step.visit == Visit::claim) {
      if (!try_claim(n, ctx)) continue;
      ++claimed;
      n->retain();
    }
    const auto deps = n->deps();
    if (deps.empty()) {
      ctx->spawn(n);
      continue;
    }
    ++waiting;
    A::join(n).store(static_cast<std::int32_t>(deps.size()) + 1, std::memory_order_relaxed);
    stack.push_back({n, -1, Visit::after_deps});
    Edge* edges = A::edges(n);
    std::int32_t finished = 0;
    for (std::size_t i = 0; i < deps.size(); ++i) {
      NodeBase* dep = deps[i];
      // A dependency cancelled by an earlier failed compute is computed again.
      bool reclaimed = false;
      if (dep->state() == NodeState::cancelled && try_claim(dep, ctx)) {
        reclaimed = true;
        ++claimed;
        dep->retain();
      }
      if (add_waiter(dep, &edges[i])) {
        stack.push_back({dep, -1, reclaimed ? Visit::expand : Visit::claim});
      } else {
        ++finished;
        if (dep->state() != NodeState::done) note_failed_dep(n, dep);
      }
    }
    if (finished > 0) A::join(n).fetch_sub(finished, std::memory_order_acq_rel);
  }

  // Roots another compute is running: wait for them too.
  std::size_t external = 0;
  for (std::size_t i = 0; i < roots.size(); ++i) {
    external += (!root_claimed[i] && !roots[i]->finished()) ? 1 : 0;
  }
  if (external > 0) {
    ctx->sink_edges.resize(external);
    std::size_t k = 0;
    for (std::size_t i = 0; i < roots.size(); ++i) {
      if (root_claimed[i] || roots[i]->finished()) continue;
      Edge* edge = &ctx->sink_edges[k++];
      edge->sink = ctx;
      if (ctx->suspends) {
        ctx->unfinished.add(1);
        if (!add_waiter(roots[i], edge)) ctx->unfinished.arrive(1);  // the bias keeps it > 0
      } else {
        ctx->waiting.fetch_add(1, std::memory_order_relaxed);
        if (!add_waiter(roots[i], edge)) ctx->waiting.fetch_sub(1, std::memory_order_relaxed);
      }
    }
  }
  progress_add_total(ctx->progress.get(), claimed);
  // Take the biases back, counting what is still to come.
  if (ctx->suspends) ctx->done_unfinished(kTraversalBias - claimed);
  ctx->done_waiting(kTraversalBias - waiting);
}

void compute_in_arena(std::span<NodeBase* const> roots) {
  ComputeContext ctx(/*inline_mode=*/false);
  activate(&ctx, roots);
  ctx.group->wait();
}

// From inside a task: suspend this task until everything is done, so that the thread goes on
// with other work meanwhile (a helping wait could pick up a task that needs a node running
// lower on this very stack, and never return).
void compute_suspended(std::span<NodeBase* const> roots) {
  ComputeContext ctx(/*inline_mode=*/false);
  ctx.suspends = true;
  activate(&ctx, roots);
  ctx.unfinished.wait();
  // Every claimed node has finished; what is left are tasks returning. The isolated wait runs
  // nothing else meanwhile.
  tbb::this_task_arena::isolate([&ctx] { ctx.group->wait(); });
}

void compute_inline(std::span<NodeBase* const> roots) {
  ComputeContext ctx(/*inline_mode=*/true);
  activate(&ctx, roots);
  ctx.drain();
}

thread_local int inline_depth = 0;
std::atomic<bool> process_inline{false};

}  // namespace

void compute_nodes(std::span<NodeBase* const> roots) {
  bool all_done = true;
  for (NodeBase* root : roots) {
    if (root == nullptr) throw_empty_delayed();
    all_done = all_done && root->state() == NodeState::done;
  }
  if (!all_done) {
    const ProgressWork progress;  // a ProgressBar draws the outermost compute
    if (inline_depth > 0 || process_inline.load(std::memory_order_relaxed)) {
      compute_inline(roots);
    } else if (in_task()) {
      compute_suspended(roots);  // nested: stay in the arena we are in, the task suspended
    } else if (in_executor()) {
      compute_in_arena(roots);  // already inside an arena (Executor::run): use it
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

InlineScope::InlineScope() noexcept { ++inline_depth; }
InlineScope::~InlineScope() { --inline_depth; }
void set_process_inline() noexcept { process_inline.store(true, std::memory_order_relaxed); }
bool computes_inline() noexcept {
  return inline_depth > 0 || process_inline.load(std::memory_order_relaxed);
}

}  // namespace loom::detail
