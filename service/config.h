#pragma once
// redlinkd's flags (API.md's table plus logging), parsed with Abseil flags. Every flag can also
// come from the environment as REDLINK_<FLAG> (upper case); a flag on the command line wins.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace redlink::service {

struct Config {
  std::string grpc_addr;
  std::string metrics_addr;
  std::string resp_addr;
  std::string data_dir;
  int threads = 1;
  std::string auth_token_file;
  std::string links_file;
  int max_links = 10000;
  uint64_t max_bulk_len = 512ull * 1024 * 1024;
  std::string log_format;
  std::string log_level;
};

// Parses argv (after folding in REDLINK_* environment variables) and validates the values.
// Exits the process for --help/--version as Abseil does.
absl::StatusOr<Config> ParseConfig(int argc, char** argv);

// The names of redlinkd's own flags, in the order of --help.
const std::vector<std::string>& FlagNames();

}  // namespace redlink::service
