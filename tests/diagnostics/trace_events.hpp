#pragma once
// Reading a Chrome trace file back in the tests: Python's json module parses it (a malformed
// file fails the test) and hands over one tab-separated line per event.

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace loom::test {

struct TraceEvent {
  std::string ph;    // "X" (a span) or "M" (lane names)
  std::string cat;   // X: the category
  std::string name;  // X: the event's name; M: "process_name" or "thread_name"
  long long pid = 0;
  long long tid = 0;
  std::map<std::string, std::string> args;  // values as text (strings without quotes)
};

/// The events of the trace at `path`; empty when Python could not parse it.
inline std::vector<TraceEvent> read_trace(const std::filesystem::path& path) {
  const std::string command =
      "python3 -c \"import json,sys\n"
      "d=json.load(open(sys.argv[1]))\n"
      "for e in d['traceEvents']:\n"
      "  a=e.get('args',{})\n"
      "  if e['ph']=='X': assert e['dur']>=0 and e['ts']>=0, e\n"
      "  print('\\t'.join([e['ph'],e.get('cat',''),e['name'],str(e['pid']),str(e['tid'])]+"
      "[k+'='+str(v) for k,v in sorted(a.items())]))\n"
      "\" " +
      path.string();
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), &::pclose);
  std::vector<TraceEvent> events;
  if (!pipe) return events;
  std::string text;
  char buffer[4096];
  while (const std::size_t n = std::fread(buffer, 1, sizeof(buffer), pipe.get())) {
    text.append(buffer, n);
  }
  if (::pclose(pipe.release()) != 0) return {};
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<std::string> fields;
    std::istringstream cells(line);
    std::string cell;
    while (std::getline(cells, cell, '\t')) fields.push_back(cell);
    if (fields.size() < 5) continue;
    TraceEvent e{fields[0], fields[1], fields[2], std::stoll(fields[3]), std::stoll(fields[4]), {}};
    for (std::size_t i = 5; i < fields.size(); ++i) {
      const auto eq = fields[i].find('=');
      e.args[fields[i].substr(0, eq)] = eq == std::string::npos ? "" : fields[i].substr(eq + 1);
    }
    events.push_back(std::move(e));
  }
  return events;
}

}  // namespace loom::test
