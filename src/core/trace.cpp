#include "loom/core/trace.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "loom/core/error.hpp"

namespace loom::trace {

namespace detail {
std::atomic<bool> recording{false};
}  // namespace detail

namespace {

using Clock = std::chrono::steady_clock;

struct Event {
  std::string name;
  std::uint64_t id;
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

struct Registry {
  std::mutex mutex;
  std::vector<std::shared_ptr<Buffer>> buffers;
  Clock::time_point epoch = Clock::now();
};

Registry& registry() {
  static Registry r;
  return r;
}

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
  r.epoch = Clock::now();
  detail::recording.store(true, std::memory_order_release);
}

void record(std::string_view name, std::uint64_t id, Clock::time_point begin,
            Clock::time_point end) {
  if (!enabled()) return;
  Buffer& b = this_thread_buffer();
  std::lock_guard lock(b.mutex);
  b.events.push_back({std::string(name), id, begin, end});
}

void stop(const std::filesystem::path& path) {
  detail::recording.store(false, std::memory_order_release);
  auto& r = registry();
  std::string out = "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[";
  const int pid = static_cast<int>(getpid());
  bool first = true;
  {
    std::lock_guard lock(r.mutex);
    for (auto& b : r.buffers) {
      std::lock_guard buffer_lock(b->mutex);
      if (b->events.empty()) continue;
      out += fmt::format(
          "{}{{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":{},\"tid\":{},"
          "\"args\":{{\"name\":\"loom thread {}\"}}}}",
          first ? "" : ",", pid, b->tid, b->tid);
      first = false;
      for (const Event& e : b->events) {
        using std::chrono::duration;
        const double ts = duration<double, std::micro>(e.begin - r.epoch).count();
        const double dur = duration<double, std::micro>(e.end - e.begin).count();
        out += ",{\"name\":";
        append_json_string(out, e.name);
        out += fmt::format(
            ",\"cat\":\"task\",\"ph\":\"X\",\"ts\":{:.3f},\"dur\":{:.3f},\"pid\":{},\"tid\":{},"
            "\"args\":{{\"id\":{}}}}}",
            ts, dur, pid, b->tid, e.id);
      }
      b->events.clear();
    }
  }
  out += "]}\n";
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file || !file.write(out.data(), static_cast<std::streamsize>(out.size())) || !file.flush()) {
    throw Error(fmt::format("loom::trace::stop: cannot write '{}'", path.string()));
  }
}

}  // namespace loom::trace
