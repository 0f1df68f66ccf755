#pragma once
// Small helpers shared by the benchmarks in bench/ (header only; each benchmark is one
// executable): environment knobs, /proc readings, INFO parsing, percentiles, running a command.

#include <benchmark/benchmark.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/testing/test_util.h"

namespace redlink::bench {

using Clock = std::chrono::steady_clock;

inline int64_t EnvInt64(const char* name, int64_t fallback) {
  const char* v = getenv(name);
  return v && *v ? atoll(v) : fallback;
}

inline std::string EnvString(const char* name, const std::string& fallback) {
  const char* v = getenv(name);
  return v && *v ? std::string(v) : fallback;
}

inline double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// A "Vm...:" line of /proc/<pid>/status (VmRSS, VmHWM), in bytes; 0 if unknown.
inline int64_t ProcStatusBytes(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, field.size() + 1, field + ":") == 0) {
      return atoll(line.c_str() + field.size() + 1) * 1024;  // "VmRSS:   1234 kB"
    }
  }
  return 0;
}

// INFO text (any section) as field -> value.
inline std::map<std::string, std::string> ParseInfo(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    out[line.substr(0, colon)] = line.substr(colon + 1);
  }
  return out;
}

// INFO <section> over `client`, parsed.
inline std::map<std::string, std::string> Info(redlink::testing::RespClient& client,
                                               const std::string& section) {
  return ParseInfo(client.Command({"INFO", section}));
}

// A numeric INFO field, -1 when missing.
inline int64_t InfoInt(const std::map<std::string, std::string>& info, const std::string& field) {
  auto it = info.find(field);
  return it == info.end() ? -1 : atoll(it->second.c_str());
}

// The p-quantile (0..1) of `v` (nearest rank); 0 for an empty vector.
inline double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(p * static_cast<double>(v.size()));
  return v[std::min(v.size() - 1, rank)];
}

// Runs a shell command; its stdout+stderr.
inline std::string RunCommand(const std::string& cmd) {
  std::string out;
  if (FILE* p = popen((cmd + " 2>&1").c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
    pclose(p);
  }
  return out;
}

// The first line of `cmd`'s output (e.g. a version string).
inline std::string FirstLine(const std::string& cmd) {
  std::string out = RunCommand(cmd);
  return out.substr(0, out.find('\n'));
}

// The main() of every benchmark: the build and source directories default to this build's
// (REDLINK_BIN_DIR / REDLINK_SOURCE_DIR override them), then Google Benchmark; `teardown` stops
// what the benchmarks left running (their shared processes) before exit.
inline int BenchMain(int argc, char** argv, void (*teardown)() = nullptr) {
  setenv("REDLINK_BIN_DIR", REDLINK_DEFAULT_BIN_DIR, /*overwrite=*/0);
  setenv("REDLINK_SOURCE_DIR", REDLINK_DEFAULT_SOURCE_DIR, /*overwrite=*/0);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (teardown != nullptr) teardown();
  return 0;
}

}  // namespace redlink::bench
