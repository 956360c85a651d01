// Tracing in the Chrome trace event format: per-thread event buffers, the events forked
// workers ship to their parent (one process lane per worker), and the JSON writer.

#include "loom/core/trace.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "core/frame_codec.hpp"
#include "core/trace_workers.hpp"
#include "core/worker_process.hpp"
#include "loom/core/detail/trace_span.hpp"
#include "loom/core/error.hpp"

namespace loom::trace {

namespace detail {
std::atomic<bool> recording{false};
}  // namespace detail

namespace {

using Clock = std::chrono::steady_clock;

struct Event {
  std::string category;
  std::string name;
  std::string args;  // JSON members, without braces
  Clock::time_point begin;
  Clock::time_point end;
};

// One buffer per thread; the registry keeps buffers after their thread exits so that a late
// stop() still sees their events. A buffer's own mutex is only contended by start()/stop().
struct Buffer {
  std::mutex mutex;
  std::vector<Event> events;
  int tid = 0;
};

// Events a worker process recorded, as it shipped them.
struct WorkerEvent {
  std::int64_t pid;
  std::int32_t tid;
  Event event;
};

struct Registry {
  std::mutex mutex;
  std::vector<std::shared_ptr<Buffer>> buffers;
  std::vector<WorkerEvent> worker_events;
  Clock::time_point epoch = Clock::now();
};

Registry& registry() {
  static Registry r;
  return r;
}

// In a forked worker: its events, apart from the parent's buffers (whose locks another thread
// of the parent may have held at fork time). Only ever locked in a worker.
std::atomic<bool> in_worker{false};
std::mutex worker_mutex;
std::vector<Event> worker_list;

Buffer& this_thread_buffer() {
  thread_local std::shared_ptr<Buffer> buffer = [] {
    auto b = std::make_shared<Buffer>();
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    b->tid = static_cast<int>(r.buffers.size()) + 1;
    r.buffers.push_back(b);
    return b;
  }();
  return *buffer;
}

void add_event(Event&& e) {
  if (in_worker.load(std::memory_order_relaxed)) {
    std::lock_guard lock(worker_mutex);
    worker_list.push_back(std::move(e));
    return;
  }
  Buffer& b = this_thread_buffer();
  std::lock_guard lock(b.mutex);
  b.events.push_back(std::move(e));
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<int>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void append_event(std::string& out, const Event& e, Clock::time_point epoch, std::int64_t pid,
                  int tid) {
  using std::chrono::duration;
  const double ts = duration<double, std::micro>(e.begin - epoch).count();
  const double dur = duration<double, std::micro>(e.end - e.begin).count();
  out += ",{\"name\":";
  append_json_string(out, e.name);
  out += ",\"cat\":";
  append_json_string(out, e.category);
  out += fmt::format(",\"ph\":\"X\",\"ts\":{:.3f},\"dur\":{:.3f},\"pid\":{},\"tid\":{},\"args\":{{",
                     ts, dur, pid, tid);
  out += e.args;
  out += "}}";
}

void append_metadata(std::string& out, const char* what, std::int64_t pid, int tid,
                     std::string_view name) {
  out += fmt::format(
      ",{{\"name\":\"{}\",\"ph\":\"M\",\"pid\":{},\"tid\":{},\"args\":{{\"name\":", what, pid, tid);
  append_json_string(out, name);
  out += "}}";
}

// LOOM_TRACE=path: record from start-up and write the file at exit.
struct EnvironmentTrace {
  std::string path;
  EnvironmentTrace() {
    if (const char* p = std::getenv("LOOM_TRACE"); p != nullptr && *p != '\0') {
      path = p;
      start();
    }
  }
  ~EnvironmentTrace() {
    if (path.empty() || !enabled()) return;
    try {
      stop(path);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "loom: LOOM_TRACE: %s\n", e.what());
    }
  }
};
const EnvironmentTrace environment_trace;

}  // namespace

void start() {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  for (auto& b : r.buffers) {
    std::lock_guard buffer_lock(b->mutex);
    b->events.clear();
  }
  r.worker_events.clear();
  r.epoch = Clock::now();
  detail::recording.store(true, std::memory_order_release);
}

void record(std::string_view name, std::uint64_t id, Clock::time_point begin,
            Clock::time_point end) {
  if (!enabled()) return;
  add_event({"task", std::string(name), fmt::format("\"id\":{}", id), begin, end});
}

void stop(const std::filesystem::path& path) {
  detail::recording.store(false, std::memory_order_release);
  auto& r = registry();
  const auto pid = static_cast<std::int64_t>(getpid());
  // The leading comma of the first entry is dropped below.
  std::string out;
  {
    std::lock_guard lock(r.mutex);
    bool named = false;  // the driver's lane is named when it has events
    for (auto& b : r.buffers) {
      std::lock_guard buffer_lock(b->mutex);
      if (b->events.empty()) continue;
      if (!named) {
        append_metadata(out, "process_name", pid, 0, fmt::format("loom driver (pid {})", pid));
        named = true;
      }
      append_metadata(out, "thread_name", pid, b->tid, fmt::format("loom thread {}", b->tid));
      for (const Event& e : b->events) append_event(out, e, r.epoch, pid, b->tid);
      b->events.clear();
    }
    // One lane per worker process, named once.
    std::map<std::int64_t, std::vector<std::int32_t>> lanes;
    for (const WorkerEvent& w : r.worker_events) {
      auto& tids = lanes[w.pid];
      if (std::find(tids.begin(), tids.end(), w.tid) == tids.end()) tids.push_back(w.tid);
    }
    for (const auto& [worker_pid, tids] : lanes) {
      append_metadata(out, "process_name", worker_pid, 0,
                      fmt::format("loom worker process {}", worker_pid));
      for (std::int32_t tid : tids) {
        append_metadata(out, "thread_name", worker_pid, tid,
                        fmt::format("worker {} thread {}", worker_pid, tid));
      }
    }
    for (const WorkerEvent& w : r.worker_events) {
      append_event(out, w.event, r.epoch, w.pid, w.tid);
    }
    r.worker_events.clear();
  }
  out = "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[" + (out.empty() ? out : out.substr(1)) +
        "]}\n";
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file || !file.write(out.data(), static_cast<std::streamsize>(out.size())) || !file.flush()) {
    throw Error(fmt::format("loom::trace::stop: cannot write '{}'", path.string()));
  }
}

namespace detail {

void record_span(std::string_view category, std::string_view name, std::string args,
                 TraceClock::time_point begin, TraceClock::time_point end) noexcept {
  if (!enabled()) return;
  try {
    add_event({std::string(category), std::string(name), std::move(args), begin, end});
  } catch (...) {  // a diagnostic: the work goes on without this event
  }
}

namespace {
std::atomic<std::int64_t> cached_pid{0};
}  // namespace

std::int64_t process_id() noexcept {
  std::int64_t pid = cached_pid.load(std::memory_order_relaxed);
  if (pid == 0) {
    pid = static_cast<std::int64_t>(::getpid());
    cached_pid.store(pid, std::memory_order_relaxed);
  }
  return pid;
}

void enter_worker_process() noexcept {
  cached_pid.store(static_cast<std::int64_t>(::getpid()), std::memory_order_relaxed);
  // worker_mutex is only ever locked in a worker, so it was free when this one was forked.
  worker_list.clear();
  in_worker.store(true, std::memory_order_relaxed);
}

bool send_worker_events(int fd) {
  std::vector<Event> events;
  {
    std::lock_guard lock(worker_mutex);
    events.swap(worker_list);
  }
  if (events.empty()) return true;
  loom::detail::FrameWriter w;
  w.put(static_cast<std::uint32_t>(events.size()));
  for (const Event& e : events) {
    w.put_bytes(e.category).put_bytes(e.name).put_bytes(e.args);
    w.put(static_cast<std::int64_t>(e.begin.time_since_epoch().count()));
    w.put(static_cast<std::int64_t>(e.end.time_since_epoch().count()));
  }
  return loom::detail::write_frame(fd, kTraceFrame, 0, w.take());
}

void merge_worker_events(std::int64_t pid, std::string_view payload) noexcept {
  try {
    loom::detail::FrameReader reader(payload, "trace events frame");
    const auto count = reader.get<std::uint32_t>();
    std::vector<WorkerEvent> events;
    for (std::uint32_t i = 0; i < count; ++i) {
      WorkerEvent w{pid, 1, {}};
      w.event.category = std::string(reader.get_bytes());
      w.event.name = std::string(reader.get_bytes());
      w.event.args = std::string(reader.get_bytes());
      w.event.begin = Clock::time_point(Clock::duration(reader.get<std::int64_t>()));
      w.event.end = Clock::time_point(Clock::duration(reader.get<std::int64_t>()));
      events.push_back(std::move(w));
    }
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    for (auto& w : events) r.worker_events.push_back(std::move(w));
  } catch (...) {  // malformed, or out of memory: this worker's events are dropped
  }
}

}  // namespace detail

}  // namespace loom::trace
