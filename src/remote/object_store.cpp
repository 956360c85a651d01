// Object entries and the store's accounting, spilling and restoring.

#include "object_store.hpp"

#include <unistd.h>

#include <chrono>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "core/temp_folder.hpp"
#include "loom/core/detail/assert.hpp"
#include "loom/core/detail/trace_span.hpp"
#include "loom/core/error.hpp"
#include "loom/core/trace.hpp"

namespace loom::detail {

namespace {

std::atomic<std::uint64_t> next_object_id{1};

struct Store {
  std::atomic<std::int64_t> objects_alive{0};
  std::atomic<std::int64_t> bytes_in_memory{0};
  std::atomic<std::int64_t> bytes_spilled{0};
  std::atomic<std::int64_t> spill_count{0};
  std::atomic<std::int64_t> restore_count{0};
  std::atomic<std::int64_t> spill_above{0};
  std::atomic<std::int64_t> pause_above{0};

  std::mutex mutex;  // guards the fields below and every entry's lru links and `tracked_`
  std::filesystem::path spill_base;         // where the spill folder goes (empty: no spilling)
  std::filesystem::path spill_dir;          // made on the first spill
  std::shared_ptr<const void> spill_owner;  // keeps the folder while spilled objects live
  ObjectEntry* head = nullptr;              // least recently used
  ObjectEntry* tail = nullptr;
  std::mutex spill_mutex;  // one spilling pass at a time
};

// The trace event of a spill or a restore (object id, bytes).
void trace_object(const char* what, std::uint64_t id, std::size_t bytes,
                  std::chrono::steady_clock::time_point begin) noexcept {
  if (!trace::enabled()) return;
  std::string args;
  try {
    args = fmt::format("\"object\":{},\"bytes\":{}", id, bytes);
  } catch (...) {
    return;
  }
  trace::detail::record_span("store", what, std::move(args), begin, std::chrono::steady_clock::now());
}

Store& store() {
  static Store s;
  return s;
}

}  // namespace

struct StoreAccess {
  static void link(ObjectEntry* e) {
    LOOM_ASSERT(!e->tracked_, "an object linked into the spill list twice");
    Store& s = store();
    e->lru_prev_ = s.tail;
    e->lru_next_ = nullptr;
    (s.tail != nullptr ? s.tail->lru_next_ : s.head) = e;
    s.tail = e;
    e->tracked_ = true;
  }
  static void unlink(ObjectEntry* e) {
    LOOM_ASSERT(e->tracked_, "an object unlinked from the spill list it is not in");
    Store& s = store();
    (e->lru_prev_ != nullptr ? e->lru_prev_->lru_next_ : s.head) = e->lru_next_;
    (e->lru_next_ != nullptr ? e->lru_next_->lru_prev_ : s.tail) = e->lru_prev_;
    e->lru_prev_ = e->lru_next_ = nullptr;
    e->tracked_ = false;
  }
  // Counts a value that came into memory; large spillable ones join the spill list.
  static void account_in(ObjectEntry* e) {
    Store& s = store();
    s.bytes_in_memory.fetch_add(static_cast<std::int64_t>(e->nbytes_), std::memory_order_relaxed);
    if (e->ops_ != nullptr && e->ops_->spillable && e->nbytes_ >= kSpillMinBytes) {
      std::lock_guard lock(s.mutex);
      if (!s.spill_base.empty()) link(e);
    }
  }
  // Moves a large object to the most recently used end.
  static void touch(ObjectEntry* e) {
    if (e->nbytes_ < kSpillMinBytes) return;
    std::lock_guard lock(store().mutex);
    if (e->tracked_) {
      unlink(e);
      link(e);
    }
  }
  static void untrack(ObjectEntry* e) {
    if (e->nbytes_ < kSpillMinBytes) return;
    std::lock_guard lock(store().mutex);
    if (e->tracked_) unlink(e);
  }
  // Writes one entry out when nothing uses it; true when it spilled.
  static bool spill(ObjectEntry* e, const std::filesystem::path& folder,
                    const std::shared_ptr<const void>& owner) {
    std::lock_guard lock(e->mutex_);
    if (!e->value_ || e->value_.use_count() != 1 || e->value_->shared_outside()) return false;
    LOOM_ASSERT(e->ops_ != nullptr && e->ops_->spillable, "a value without spill support spills");
    const std::filesystem::path path =
        folder / fmt::format("object-{}{}", e->id_, e->ops_->extension);
    const auto begin = std::chrono::steady_clock::now();
    try {
      e->value_->spill(path);
    } catch (...) {
      // A full disk or an unwritable folder: the object stays in memory, nothing is lost.
      std::error_code ignored;
      std::filesystem::remove(path, ignored);
      return false;
    }
    e->value_.reset();
    trace_object("spill", e->id_, e->nbytes_, begin);
    e->spill_path_ = path;
    e->spill_owner_ = owner;
    untrack(e);
    Store& s = store();
    const auto n = static_cast<std::int64_t>(e->nbytes_);
    s.bytes_in_memory.fetch_sub(n, std::memory_order_relaxed);
    s.bytes_spilled.fetch_add(n, std::memory_order_relaxed);
    s.spill_count.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  static void maybe_spill() {
    Store& s = store();
    const std::int64_t above = s.spill_above.load(std::memory_order_relaxed);
    if (above <= 0 || s.bytes_in_memory.load(std::memory_order_relaxed) <= above) return;
    std::lock_guard pass(s.spill_mutex);
    std::vector<ObjectEntry*> candidates;
    std::filesystem::path folder;
    std::shared_ptr<const void> owner;
    {
      std::lock_guard lock(s.mutex);
      if (!s.spill_owner && !s.spill_base.empty()) {
        try {
          auto made = std::make_shared<TempFolder>("spill", s.spill_base);
          s.spill_dir = made->path();
          s.spill_owner = std::move(made);
        } catch (const std::exception&) {
          // No folder, no spilling: the objects stay in memory and nothing is lost.
        }
      }
      folder = s.spill_dir;
      owner = s.spill_owner;
      for (ObjectEntry* e = s.head; e != nullptr; e = e->lru_next_) {
        if (e->try_retain()) candidates.push_back(e);
      }
    }
    for (ObjectEntry* e : candidates) {
      if (!folder.empty() && s.bytes_in_memory.load(std::memory_order_relaxed) > above) {
        spill(e, folder, owner);
      }
      e->release();
    }
  }
};

// ---- ObjectEntry ----

ObjectEntry::ObjectEntry() : id_(next_object_id.fetch_add(1, std::memory_order_relaxed)) {
  store().objects_alive.fetch_add(1, std::memory_order_relaxed);
}

ObjectEntry::~ObjectEntry() = default;

ObjectEntry* ObjectEntry::create() { return new ObjectEntry(); }

ObjectEntry* ObjectEntry::create_ready(std::shared_ptr<StoredValue> value, const ValueOps* ops) {
  auto* entry = new ObjectEntry();
  entry->set_value(std::move(value), ops);
  return entry;
}

bool ObjectEntry::try_retain() noexcept {
  std::int32_t n = refs_.load(std::memory_order_relaxed);
  while (n > 0) {
    if (refs_.compare_exchange_weak(n, n + 1, std::memory_order_acq_rel)) return true;
  }
  return false;
}

void ObjectEntry::destroy() noexcept {
  Store& s = store();
  StoreAccess::untrack(this);
  if (value_) s.bytes_in_memory.fetch_sub(static_cast<std::int64_t>(nbytes_));
  if (!spill_path_.empty()) {
    std::error_code ignored;
    std::filesystem::remove(spill_path_, ignored);
    s.bytes_spilled.fetch_sub(static_cast<std::int64_t>(nbytes_));
    spill_owner_.reset();
  }
  if (producer_ != nullptr) producer_->release();
  s.objects_alive.fetch_sub(1, std::memory_order_relaxed);
  delete this;
}

Waiter* ObjectEntry::store_outcome(std::shared_ptr<StoredValue> value, const ValueOps* ops,
                                   std::exception_ptr error) noexcept {
  const bool has_value = static_cast<bool>(value) && !error;
  {
    std::lock_guard lock(mutex_);
    if (state() != ObjectState::pending) return nullptr;  // only the first outcome counts
    LOOM_ASSERT(!value_ && !error_ && spill_path_.empty(), "a pending object holds an outcome");
    if (error) {
      error_ = std::move(error);
      state_.store(ObjectState::failed, std::memory_order_release);
    } else {
      nbytes_ = has_value ? value->nbytes() : 0;
      value_ = std::move(value);
      ops_ = ops;
      state_.store(ObjectState::ready, std::memory_order_release);
    }
  }
  if (has_value) {
    StoreAccess::account_in(this);
    StoreAccess::maybe_spill();
  }
  std::lock_guard lock(mutex_);
  return std::exchange(waiters_, nullptr);
}

void ObjectEntry::notify_list(Waiter* list) noexcept {
  while (list != nullptr) {
    Waiter* next = list->next;  // read first: notify may end the waiter's life
    list->notify();
    list = next;
  }
}

void ObjectEntry::set_value(std::shared_ptr<StoredValue> value, const ValueOps* ops) {
  notify_list(store_outcome(std::move(value), ops, nullptr));
}

void ObjectEntry::set_error(std::exception_ptr error) {
  notify_list(store_outcome(nullptr, nullptr, std::move(error)));
}

void ObjectEntry::publish(EntryRef self, std::shared_ptr<StoredValue> value, const ValueOps* ops,
                          std::exception_ptr error) noexcept {
  Waiter* list = self->store_outcome(std::move(value), ops, std::move(error));
  self = EntryRef();  // each waiter holds a reference of its own until it has been woken
  notify_list(list);
}

void ObjectEntry::set_producer(Cancellable* producer) noexcept {
  producer->retain();
  std::lock_guard lock(mutex_);
  LOOM_ASSERT(producer_ == nullptr, "an object gets a second producer (the first would leak)");
  producer_ = producer;
}

void ObjectEntry::clear_producer() noexcept {
  Cancellable* producer = nullptr;
  {
    std::lock_guard lock(mutex_);
    producer = std::exchange(producer_, nullptr);
  }
  if (producer != nullptr) producer->release();
}

bool ObjectEntry::cancel_producer() noexcept {
  Cancellable* producer = nullptr;
  {
    std::lock_guard lock(mutex_);
    producer = producer_;
    if (producer != nullptr) producer->retain();
  }
  if (producer == nullptr) return false;
  producer->cancel();
  producer->release();
  return true;
}

bool ObjectEntry::add_waiter(Waiter* waiter) noexcept {
  std::lock_guard lock(mutex_);
  if (state() != ObjectState::pending) return false;
  waiter->next = waiters_;
  waiters_ = waiter;
  return true;
}

bool ObjectEntry::remove_waiter(Waiter* waiter) noexcept {
  std::lock_guard lock(mutex_);
  for (Waiter** link = &waiters_; *link != nullptr; link = &(*link)->next) {
    if (*link == waiter) {
      *link = waiter->next;
      return true;
    }
  }
  return false;
}

std::exception_ptr ObjectEntry::error() const noexcept {
  if (state() != ObjectState::failed) return nullptr;
  std::lock_guard lock(mutex_);
  return error_;
}

std::shared_ptr<StoredValue> ObjectEntry::value() {
  std::shared_ptr<StoredValue> out;
  bool restored = false;
  {
    std::lock_guard lock(mutex_);
    LOOM_ASSERT(state() != ObjectState::pending, "the value of an object read before it is there");
    if (state() == ObjectState::failed) std::rethrow_exception(error_);
    if (!value_ && !spill_path_.empty()) {
      const auto begin = std::chrono::steady_clock::now();
      try {
        value_ = ops_->restore(spill_path_);
      } catch (const std::exception& e) {
        throw ObjectLost(fmt::format("object #{} ({}) spilled to '{}' cannot be read back: {}", id_,
                                     ops_->type_name(), spill_path_.string(), e.what()));
      }
      trace_object("restore", id_, nbytes_, begin);
      std::error_code ignored;
      std::filesystem::remove(spill_path_, ignored);
      spill_path_.clear();
      spill_owner_.reset();
      Store& s = store();
      s.bytes_spilled.fetch_sub(static_cast<std::int64_t>(nbytes_));
      s.restore_count.fetch_add(1, std::memory_order_relaxed);
      restored = true;
    }
    out = value_;
  }
  if (restored) {
    StoreAccess::account_in(this);
    StoreAccess::maybe_spill();  // others may go out to make room (not this one: `out` holds it)
  } else {
    StoreAccess::touch(this);
  }
  return out;
}

// ---- the store ----

void configure_store(const StoreLimits& limits) {
  Store& s = store();
  {
    std::lock_guard lock(s.mutex);
    s.spill_base = limits.spill_base;
    s.spill_dir.clear();
    s.spill_owner.reset();  // spilled objects keep the old folder until they go
    if (s.spill_base.empty()) {
      while (s.head != nullptr) StoreAccess::unlink(s.head);
    }
  }
  s.spill_above.store(limits.spill_above, std::memory_order_relaxed);
  s.pause_above.store(limits.pause_above, std::memory_order_relaxed);
  s.spill_count.store(0, std::memory_order_relaxed);
  s.restore_count.store(0, std::memory_order_relaxed);
}

ObjectStoreStats store_stats() noexcept {
  const Store& s = store();
  return {s.objects_alive.load(), s.bytes_in_memory.load(), s.bytes_spilled.load(),
          s.spill_count.load(), s.restore_count.load()};
}

bool store_over_pause() noexcept {
  const Store& s = store();
  const std::int64_t pause = s.pause_above.load(std::memory_order_relaxed);
  return pause > 0 && s.bytes_in_memory.load(std::memory_order_relaxed) > pause;
}

void throw_empty_ref() {
  throw Error("an empty ObjectRef was used (default-constructed or moved from)");
}

}  // namespace loom::detail
