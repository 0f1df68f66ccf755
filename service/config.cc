#include "service/config.h"

#include <cstdlib>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/ascii.h"
#include "engine/common/log.h"
#include "engine/common/strings.h"
#include "engine/io/socket.h"

ABSL_FLAG(std::string, grpc_addr, "127.0.0.1:50051",
          "gRPC address (LinkService, grpc.health.v1.Health, server reflection)");
ABSL_FLAG(std::string, metrics_addr, "127.0.0.1:9121", "Prometheus metrics address (GET /metrics)");
ABSL_FLAG(std::string, resp_addr, "127.0.0.1:6380",
          "RESP read endpoint address (AUTH <link-id> <token> picks a link's dataset)");
ABSL_FLAG(std::string, data_dir, "./redlink-data",
          "data directory (link registry, snapshots); created if missing");
ABSL_FLAG(int, threads, 0, "engine threads (event loops); 0 = number of cores");
ABSL_FLAG(std::string, auth_token_file, "",
          "file holding the API token; when set every LinkService RPC needs "
          "'authorization: Bearer <token>' and the RESP endpoint needs it as password");
ABSL_FLAG(std::string, links_file, "",
          "links declared at start (YAML or JSON, the CreateLink fields)");
ABSL_FLAG(int, max_links, 10000, "most links this process accepts (RESOURCE_EXHAUSTED beyond)");
ABSL_FLAG(uint64_t, max_bulk_len, 536870912,
          "largest bulk string accepted from a master's stream, in bytes (Redis "
          "proto-max-bulk-len; the RDB of a full sync is exempt)");
ABSL_FLAG(std::string, log_format, "text", "log line format: text or json");
ABSL_FLAG(std::string, log_level, "info", "lowest level logged: debug, info, warning, error");

namespace redlink::service {

const std::vector<std::string>& FlagNames() {
  static const auto* names = new std::vector<std::string>{
      "grpc_addr", "metrics_addr", "resp_addr", "data_dir", "threads",
      "auth_token_file", "links_file", "max_links", "max_bulk_len", "log_format",
      "log_level"};
  return *names;
}

absl::StatusOr<Config> ParseConfig(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "redlinkd hosts Redis replica links, controlled over gRPC.\n"
      "Every flag may also be set as REDLINK_<FLAG> in the environment; the command line wins.");
  absl::FlagsUsageConfig usage;
  usage.version_string = [] { return std::string("redlinkd 0.1.0\n"); };
  absl::SetFlagsUsageConfig(usage);

  // Environment first, so that the same flag on the command line (parsed later) wins.
  std::vector<std::string> storage;
  for (const auto& name : FlagNames()) {
    std::string env = "REDLINK_" + absl::AsciiStrToUpper(name);
    if (const char* v = getenv(env.c_str())) storage.push_back(StrCat("--", name, "=", v));
  }
  std::vector<char*> args;
  args.push_back(argv[0]);
  for (auto& s : storage) args.push_back(s.data());
  for (int i = 1; i < argc; ++i) args.push_back(argv[i]);
  std::vector<char*> positional = absl::ParseCommandLine(static_cast<int>(args.size()), args.data());
  if (positional.size() > 1) {
    return absl::InvalidArgumentError(
        StrCat("unexpected argument '", positional[1], "' (flags look like --name=value)"));
  }

  Config c;
  c.grpc_addr = absl::GetFlag(FLAGS_grpc_addr);
  c.metrics_addr = absl::GetFlag(FLAGS_metrics_addr);
  c.resp_addr = absl::GetFlag(FLAGS_resp_addr);
  c.data_dir = absl::GetFlag(FLAGS_data_dir);
  c.threads = absl::GetFlag(FLAGS_threads);
  c.auth_token_file = absl::GetFlag(FLAGS_auth_token_file);
  c.links_file = absl::GetFlag(FLAGS_links_file);
  c.max_links = absl::GetFlag(FLAGS_max_links);
  c.max_bulk_len = absl::GetFlag(FLAGS_max_bulk_len);
  c.log_format = absl::GetFlag(FLAGS_log_format);
  c.log_level = absl::GetFlag(FLAGS_log_level);

  if (c.threads < 0 || c.threads > 1024) {
    return absl::InvalidArgumentError(StrCat("--threads must be 0..1024: got ", c.threads));
  }
  if (c.threads == 0) c.threads = std::max(1u, std::thread::hardware_concurrency());
  if (c.max_links < 1) {
    return absl::InvalidArgumentError(StrCat("--max_links must be at least 1: got ", c.max_links));
  }
  if (c.max_bulk_len < 1) return absl::InvalidArgumentError("--max_bulk_len must be at least 1");
  for (auto [name, value] : {std::pair<const char*, std::string*>{"grpc_addr", &c.grpc_addr},
                             {"metrics_addr", &c.metrics_addr},
                             {"resp_addr", &c.resp_addr}}) {
    std::string host;
    int port;
    if (auto s = engine::SplitHostPort(*value, &host, &port); !s.ok()) {
      return absl::InvalidArgumentError(StrCat("--", name, ": ", s.message()));
    }
  }
  LogFormat format;
  if (!ParseLogFormat(c.log_format, &format)) {
    return absl::InvalidArgumentError(
        StrCat("--log_format must be text or json: got '", c.log_format, "'"));
  }
  LogLevel level;
  if (!ParseLogLevel(c.log_level, &level)) {
    return absl::InvalidArgumentError(StrCat(
        "--log_level must be debug, info, warning or error: got '", c.log_level, "'"));
  }
  return c;
}

}  // namespace redlink::service
