// Throughput of the RDB decoder: rdb_decoder_bench [--raw] [--chunk=N] [--repeat=N] file.rdb...
// Decodes each file (already in memory) in socket-sized chunks into a counting sink and prints
// MB/s for the element path (and the raw-listpack path with --raw), next to CRC64 alone. Build it
// in a Release tree: it is not a test.

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "engine/rdb/crc64.h"
#include "engine/rdb/rdb_decoder.h"
#include "tests/engine/rdb/counting_sink.h"

using redlink::engine::rdb::Crc64;
using redlink::engine::rdb::RdbDecoder;
using redlink::engine::rdb::testing::CountingSink;

static double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
  bool raw = false;
  size_t chunk = 64 * 1024;
  int repeat = 5;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--raw") {
      raw = true;
    } else if (a.rfind("--chunk=", 0) == 0) {
      chunk = std::stoul(a.substr(8));
    } else if (a.rfind("--repeat=", 0) == 0) {
      repeat = std::stoi(a.substr(9));
    } else {
      files.push_back(a);
    }
  }
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary | std::ios::ate);
    std::string rdb(static_cast<size_t>(in.tellg()), '\0');
    in.seekg(0);
    in.read(rdb.data(), static_cast<std::streamsize>(rdb.size()));
    double best = 1e30, best_cpu = 1e30;
    CountingSink last(raw);
    for (int r = 0; r < repeat; ++r) {
      CountingSink sink(raw);
      auto t0 = std::chrono::steady_clock::now();
      double c0 = CpuSeconds();
      RdbDecoder dec(&sink);
      for (size_t pos = 0; pos < rdb.size(); pos += chunk) {
        auto res = dec.Feed(std::string_view(rdb).substr(pos, chunk));
        if (!res.ok()) {
          std::fprintf(stderr, "%s: %s\n", f.c_str(), res.status().ToString().c_str());
          return 1;
        }
      }
      if (!dec.Finish().ok()) {
        std::fprintf(stderr, "%s: incomplete\n", f.c_str());
        return 1;
      }
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (s < best) best = s;
      best_cpu = std::min(best_cpu, CpuSeconds() - c0);
      last = sink;
    }
    auto t0 = std::chrono::steady_clock::now();
    volatile uint64_t crc = Crc64(0, rdb.data(), rdb.size());
    (void)crc;
    double crc_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double mb = rdb.size() / 1e6;
    std::printf(
        "%-50s %7.1f MB  %7.1f MB/s wall  %7.1f MB/s cpu  (%llu keys, %llu elements, %llu raw)  "
        "crc64 alone %.0f MB/s\n",
        f.c_str(), mb, mb / best, mb / best_cpu, static_cast<unsigned long long>(last.keys),
        static_cast<unsigned long long>(last.elements), static_cast<unsigned long long>(last.raw),
        mb / crc_s);
  }
  return 0;
}
