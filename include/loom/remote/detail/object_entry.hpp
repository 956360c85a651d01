#pragma once
// One object of the object store: a value that may not exist yet (a task's result), its error,
// who waits for it, and where it went when it spilled. Reference counted by ObjectRef and by the
// tasks that hold it; the store's bookkeeping is src/remote/object_store.cpp.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "loom/core/detail/assert.hpp"
#include "loom/core/detail/intrusive_ref.hpp"
#include "loom/core/detail/small_alloc.hpp"
#include "loom/core/detail/spin_lock.hpp"

namespace loom::detail {

/// A stored value, type-erased. Immutable once stored.
class StoredValue {
 public:
  StoredValue() = default;
  StoredValue(const StoredValue&) = delete;
  StoredValue& operator=(const StoredValue&) = delete;
  virtual ~StoredValue() = default;
  /// What the value occupies in memory (the store's accounting).
  [[nodiscard]] virtual std::size_t nbytes() const noexcept = 0;
  /// Whether memory of the value is shared outside the store (an NDArray returned by `get`).
  [[nodiscard]] virtual bool shared_outside() const noexcept = 0;
  /// Writes the value to `path` (throws when it cannot).
  virtual void spill(const std::filesystem::path& path) const = 0;
};

/// What the store needs to know about a value type.
struct ValueOps {
  /// Whether values of the type can be written out and read back.
  bool spillable = false;
  /// The spill file's extension (".npy" for arrays).
  const char* extension = ".loom";
  /// Reads a spilled value back.
  std::shared_ptr<StoredValue> (*restore)(const std::filesystem::path&) = nullptr;
  /// The type's readable name, for messages.
  const std::string& (*type_name)() = nullptr;
};

/// Something to tell when an object is finished (a task waiting for its arguments, a `get`).
struct Waiter {
  Waiter* next = nullptr;
  virtual void notify() noexcept = 0;

 protected:
  ~Waiter() = default;
};

/// The task (or actor call) that produces an entry, so that `cancel` can reach it.
class Cancellable {
 public:
  virtual void retain() noexcept = 0;
  virtual void release() noexcept = 0;
  virtual void cancel() noexcept = 0;

 protected:
  ~Cancellable() = default;
};

enum class ObjectState : std::uint8_t { pending, ready, failed };

class ObjectEntry;
/// An owning reference to an entry.
using EntryRef = IntrusiveRef<ObjectEntry>;

class ObjectEntry {
 public:
  /// A new pending entry with one reference.
  static ObjectEntry* create();
  /// A new ready entry holding `value`, with one reference.
  static ObjectEntry* create_ready(std::shared_ptr<StoredValue> value, const ValueOps* ops);

  ObjectEntry(const ObjectEntry&) = delete;
  ObjectEntry& operator=(const ObjectEntry&) = delete;
  static void* operator new(std::size_t size) { return small_allocate(size); }
  static void operator delete(void* pointer) noexcept { small_deallocate(pointer); }

  void retain() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept {
    const std::int32_t before = refs_.fetch_sub(1, std::memory_order_acq_rel);
    LOOM_ASSERT(before > 0, "an object entry released more often than retained");
    if (before == 1) destroy();
  }
  /// Takes a reference unless the entry is already dying (for the store's spill list).
  bool try_retain() noexcept;

  [[nodiscard]] std::uint64_t id() const noexcept { return id_; }
  [[nodiscard]] ObjectState state() const noexcept {
    return state_.load(std::memory_order_acquire);
  }
  [[nodiscard]] bool finished() const noexcept { return state() != ObjectState::pending; }

  // ---- the producer ----
  /// Stores the value and tells the waiters. Only the first of set_value/set_error counts.
  void set_value(std::shared_ptr<StoredValue> value, const ValueOps* ops);
  void set_error(std::exception_ptr error);
  /// set_value (or set_error when `error` is set) that drops the producer's reference `self`
  /// before it wakes the waiters (each of which holds its own).
  static void publish(EntryRef self, std::shared_ptr<StoredValue> value, const ValueOps* ops,
                      std::exception_ptr error) noexcept;
  /// The task that produces this entry (retained until it finishes).
  void set_producer(Cancellable* producer) noexcept;
  /// Drops the producer link (the task finished or gave up).
  void clear_producer() noexcept;
  /// Asks the producer to stop (false when there is none left).
  bool cancel_producer() noexcept;

  // ---- consumers ----
  /// Registers `waiter` to be notified when the entry finishes; false (not registered) when it
  /// already has.
  bool add_waiter(Waiter* waiter) noexcept;
  /// Unregisters a waiter that gave up (a timeout); false when it was already notified.
  bool remove_waiter(Waiter* waiter) noexcept;
  /// The value of a finished entry: restores it when it spilled; rethrows a failure.
  /// ObjectLost when the spill file is gone.
  [[nodiscard]] std::shared_ptr<StoredValue> value();
  /// The error of a failed entry (null otherwise).
  [[nodiscard]] std::exception_ptr error() const noexcept;

  // ---- where it lives (a cluster's locality) ----
  /// The cluster worker whose task made the object (-1: the driver or no cluster).
  [[nodiscard]] int home() const noexcept { return home_.load(std::memory_order_relaxed); }
  void set_home(int worker) noexcept { home_.store(worker, std::memory_order_relaxed); }
  /// The bytes the store counts for the value (0 while pending).
  [[nodiscard]] std::size_t stored_bytes() const noexcept {
    std::lock_guard lock(mutex_);
    return nbytes_;
  }

 private:
  friend struct StoreAccess;  // src/remote/object_store.cpp
  ObjectEntry();
  ~ObjectEntry();
  void destroy() noexcept;
  // Stores the outcome; returns the waiters to notify (nothing when it was already set).
  Waiter* store_outcome(std::shared_ptr<StoredValue> value, const ValueOps* ops,
                        std::exception_ptr error) noexcept;
  static void notify_list(Waiter* list) noexcept;

  std::atomic<std::int32_t> refs_{1};
  std::atomic<ObjectState> state_{ObjectState::pending};
  std::atomic<std::int32_t> home_{-1};
  std::uint64_t id_;
  mutable SpinLock mutex_;
  std::shared_ptr<StoredValue> value_;  // null while pending, failed or spilled
  const ValueOps* ops_ = nullptr;
  std::exception_ptr error_;
  Waiter* waiters_ = nullptr;
  Cancellable* producer_ = nullptr;
  std::size_t nbytes_ = 0;
  std::filesystem::path spill_path_;         // set while spilled
  std::shared_ptr<const void> spill_owner_;  // keeps the spill folder while spilled
  bool tracked_ = false;                     // in the store's spill list
  ObjectEntry* lru_prev_ = nullptr;          // the spill list (the store's mutex guards these)
  ObjectEntry* lru_next_ = nullptr;
};

/// Throws loom::Error: an empty (default-made) ObjectRef was used.
[[noreturn]] void throw_empty_ref();

}  // namespace loom::detail
