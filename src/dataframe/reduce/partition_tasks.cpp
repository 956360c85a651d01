// The shared partition reads of reductions (partition_tasks.hpp): a graph node per partition,
// found again through a cache that does not own it.
#include "dataframe/reduce/partition_tasks.hpp"

#include <algorithm>
#include <mutex>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

#include "dataframe/plan.hpp"
#include "loom/core/detail/delayed_access.hpp"
#include "loom/core/detail/node.hpp"
#include "loom/core/detail/type_name.hpp"

namespace loom::dataframe::detail {

class PartitionTask;

/// The cache: partition -> its pending read node, if one lives. Nodes remove themselves when
/// they die; a lookup revives one only while its count is above zero (try_retain).
struct PartitionTasks {
  std::mutex mutex;
  std::unordered_map<std::int64_t, PartitionTask*> nodes;
};

class PartitionTask final : public loom::detail::ValueNode<Table> {
 public:
  PartitionTask(std::shared_ptr<PartitionTasks> tasks, PlanPtr plan, std::int64_t p,
                std::vector<std::string> columns)
      : ValueNode<Table>(fmt::format("read partition {}", p)),
        tasks_(std::move(tasks)),
        plan_(std::move(plan)),
        p_(p),
        columns_(std::move(columns)) {}
  ~PartitionTask() override {
    const std::lock_guard lock(tasks_->mutex);
    auto it = tasks_->nodes.find(p_);
    if (it != tasks_->nodes.end() && it->second == this) tasks_->nodes.erase(it);
  }
  PartitionTask(const PartitionTask&) = delete;
  PartitionTask& operator=(const PartitionTask&) = delete;

  [[nodiscard]] const std::string& result_type() const noexcept override {
    return loom::detail::type_name<Table>();
  }

  /// Whether a consumer wanting `columns` can share this node (under the cache's lock): before
  /// it runs it takes them on; once run, only if it read them and succeeded.
  bool take(const std::vector<std::string>& columns) {
    auto has = [&](const std::string& c) {
      return std::find(columns_.begin(), columns_.end(), c) != columns_.end();
    };
    if (!started_) {
      for (const auto& c : columns) {
        if (!has(c)) columns_.push_back(c);
      }
      return true;
    }
    if (state() != loom::detail::NodeState::done) return false;
    return std::all_of(columns.begin(), columns.end(), has);
  }

 protected:
  void invoke() override {
    std::vector<std::string> names;
    {
      const std::lock_guard lock(tasks_->mutex);
      started_ = true;
      names = columns_;
    }
    plan_->prepare();
    value_.emplace(select(plan_->partition(p_, names), names));
  }
  void release_inputs() noexcept override { plan_.reset(); }

 private:
  std::shared_ptr<PartitionTasks> tasks_;
  PlanPtr plan_;
  std::int64_t p_;
  std::vector<std::string> columns_;  // guarded by tasks_->mutex
  bool started_ = false;              // guarded by tasks_->mutex
};

Delayed<Table> partition_task(const PlanPtr& plan, std::int64_t p,
                              const std::vector<std::string>& columns) {
  const std::shared_ptr<PartitionTasks> tasks = plan->partition_tasks();
  loom::detail::NodeRef found;  // released after the lock: its destructor takes the lock
  const std::lock_guard lock(tasks->mutex);
  auto it = tasks->nodes.find(p);
  if (it != tasks->nodes.end() && it->second->try_retain()) {
    found = loom::detail::NodeRef::adopt(it->second);
    if (it->second->take(columns)) return loom::detail::DelayedAccess::wrap<Table>(found);
  }
  auto* node = new PartitionTask(tasks, plan, p, columns);  // NOLINT: adopted just below
  loom::detail::NodeRef ref = loom::detail::NodeRef::adopt(node);
  tasks->nodes[p] = node;
  return loom::detail::DelayedAccess::wrap<Table>(std::move(ref));
}

}  // namespace loom::dataframe::detail

namespace loom::dataframe::detail {

std::shared_ptr<PartitionTasks> PlanNode::partition_tasks() const {
  const std::lock_guard lock(tasks_mutex_);
  if (!tasks_) tasks_ = std::make_shared<PartitionTasks>();
  return tasks_;
}

}  // namespace loom::dataframe::detail
