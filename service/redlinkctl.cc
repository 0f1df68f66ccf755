// redlinkctl: the operator's command line over redlinkd's gRPC API (redlink.v1.LinkService).
// One process per command, single-threaded: parse the arguments, make one call (or one stream
// for `watch`, or a few pages for `list`), print a table or JSON, exit with a code scripts can
// use. Passwords come from a file or stdin, never from the command line.

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "engine/common/status_macros.h"
#include "engine/common/strings.h"
#include "redlink/v1/link_service.grpc.pb.h"

namespace redlink::ctl {
namespace {

namespace v1 = redlink::v1;

// Exit codes (documented in --help).
constexpr int kExitOk = 0;
constexpr int kExitUsage = 1;     // bad arguments, unreadable password or token file
constexpr int kExitRpc = 2;       // the RPC failed (any other gRPC code)
constexpr int kExitNotFound = 3;  // NOT_FOUND: no such link
constexpr int kExitExists = 4;    // ALREADY_EXISTS: the link id is taken

constexpr const char* kGeneralHelp =
    R"(redlinkctl: drive a redlinkd (Redis replica links) over its gRPC API.

Usage: redlinkctl [global flags] <command> [arguments] [flags]

Commands:
  create <link-id> --master HOST:PORT [credentials] [options]   create a link (REPLICAOF)
  get <link-id>                          show one link
  list [--state STATE] [--page-size N]   list links (every page, unless --page-token is given)
  update <link-id> [--master HOST:PORT] [options]   re-point a link or change its options
  auth <link-id> [--username U] (--password-file F | --password-stdin | --clear)
                                         set or clear the credentials used with the master
  pause <link-id>                        stop applying at a command boundary (idempotent)
  resume <link-id>                       continue a paused link, retry a FAILED one
  delete <link-id>                       delete a link (returns once it is gone)
  watch [<link-id>] [--count N]          stream state changes (all links, or one)
  help [<command>]                       this text, or a command's

Global flags (anywhere on the line):
  --addr HOST:PORT      redlinkd's gRPC address (env REDLINK_ADDR; default 127.0.0.1:50051)
  --token-file PATH     file with the API token, sent as 'authorization: Bearer <token>'
                        (env REDLINK_TOKEN_FILE)
  -o, --output FORMAT   table (default) or json (protobuf JSON, snake_case field names)
  --timeout SECONDS     deadline of each call (default 10; watch has none)
  -h, --help            help (after a command: that command's help)

Exit codes:
  0  success
  1  usage error (bad flag or argument, unreadable password or token file)
  2  the RPC failed; the message names the gRPC code (e.g. UNAVAILABLE (14))
  3  NOT_FOUND: no such link
  4  ALREADY_EXISTS: a link with that id exists

Passwords are never taken on the command line (they would show in ps and in shell history):
use --password-file PATH or --password-stdin (one trailing newline is stripped).
)";

constexpr const char* kOptionsHelp =
    R"(Link options:
  --repl-timeout SECONDS        silence after which the master connection is dropped (default 60)
  --handshake-timeout SECONDS   wait for each handshake reply (default 5)
  --connect-timeout SECONDS     TCP connect timeout (default 5)
  --drop-before-load            drop the old dataset before loading a full sync
  --unsupported-commands FAIL|SKIP   a command the link cannot apply stops it (FAIL, default)
                                or is skipped and counted (SKIP)
  (update replaces all options: the ones not given take their defaults)
)";

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> values;  // --flag value
  std::set<std::string> switches;             // --flag
  bool Has(const std::string& f) const { return values.count(f) || switches.count(f); }
  std::string Get(const std::string& f, std::string def = "") const {
    auto it = values.find(f);
    return it == values.end() ? def : it->second;
  }
};

struct Global {
  std::string addr = "127.0.0.1:50051";
  std::string token_file;
  bool json = false;
  int timeout_seconds = 10;
};

// A usage error (exit code 1): bad flags or arguments, unreadable files.
absl::Status Usage(std::string_view message) { return absl::InvalidArgumentError(ToAbsl(message)); }

// A command: its flags and its handler.
struct Command {
  std::string name;
  std::string help;
  std::set<std::string> value_flags;
  std::set<std::string> switch_flags;
  int min_positional = 0;
  int max_positional = 0;
  // Returns the exit code, or a usage error.
  std::function<absl::StatusOr<int>(const Args&, const Global&, v1::LinkService::Stub&)> run;
};

// ---- output ----------------------------------------------------------------------------------

std::string ToJson(const google::protobuf::Message& m, bool pretty) {
  google::protobuf::util::JsonPrintOptions o;
  o.add_whitespace = pretty;
  o.preserve_proto_field_names = true;
  o.always_print_primitive_fields = true;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(m, &out, o);
  if (!pretty) return out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

std::string FormatTime(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "-";
  absl::Time at = FromTimestamp(t);
  absl::Duration ago = absl::Trunc(absl::Now() - at, absl::Seconds(1));
  return StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", at, absl::UTCTimeZone()), " (",
                absl::FormatDuration(ago < absl::ZeroDuration() ? absl::ZeroDuration() : ago),
                " ago)");
}

std::string Short(v1::LinkState s) {
  std::string name = v1::LinkState_Name(s);
  return name.rfind("LINK_STATE_", 0) == 0 ? name.substr(11) : name;
}

std::string MasterText(const v1::Link& l) {
  const std::string& h = l.master().host();
  return StrCat(h.find(':') != std::string::npos ? StrCat("[", h, "]") : h, ":", l.master().port());
}

std::string ErrorText(const v1::Link& l) {
  if (!l.has_last_error() || l.last_error().step().empty()) return "-";
  return StrCat(l.last_error().step(), ": ", l.last_error().message());
}

uint64_t TotalKeys(const v1::Link& l) {
  uint64_t n = 0;
  for (const auto& k : l.keys()) n += k.keys();
  return n;
}

void PrintLinkDetail(const v1::Link& l) {
  auto row = [](std::string_view k, const std::string& v) {
    std::cout << k << std::string(k.size() < 20 ? 20 - k.size() : 1, ' ') << v << "\n";
  };
  row("link_id:", l.link_id());
  row("state:", StrCat(Short(l.state()), ", since ", FormatTime(l.state_since())));
  row("master:", MasterText(l) + (l.master_address().empty()
                                      ? ""
                                      : StrCat(" (last resolved to ", l.master_address(), ")")));
  row("auth:", StrCat("username ", l.auth().username().empty() ? "(default)" : l.auth().username(),
                      ", password ", l.auth().password_set() ? "set" : "not set"));
  const auto& o = l.options();
  row("options:",
      StrCat("repl_timeout ", o.repl_timeout_seconds(), "s, handshake_timeout ",
             o.handshake_timeout_seconds(), "s, connect_timeout ", o.connect_timeout_seconds(),
             "s, drop_before_load ", o.drop_before_load() ? "yes" : "no", ", unsupported_commands ",
             o.unsupported_commands() == v1::UNSUPPORTED_COMMAND_POLICY_SKIP ? "SKIP" : "FAIL"));
  row("last_error:", l.has_last_error() && !l.last_error().step().empty()
                         ? StrCat(ErrorText(l), " (at ", FormatTime(l.last_error().at()), ")")
                         : "-");
  row("master_replid:", l.master_replid().empty() ? "-" : l.master_replid());
  row("repl_offset:", StrCat(l.master_repl_offset()));
  row("syncs:", StrCat(l.full_syncs(), " full, ", l.partial_syncs(), " partial, ",
                       l.connect_attempts(), " connect attempts"));
  if (l.state() == v1::LINK_STATE_TRANSFERRING) {
    row("rdb:",
        StrCat(l.rdb().bytes_received(), " of ",
               l.rdb().bytes_expected() ? StrCat(l.rdb().bytes_expected()) : "?", " bytes"));
  }
  row("commands:", StrCat(l.commands_applied(), " applied, ", l.commands_skipped(), " skipped"));
  std::string keys;
  for (const auto& k : l.keys()) {
    StrAppend(&keys, keys.empty() ? "" : ", ", "db", k.db(), "=", k.keys());
  }
  row("keys:", keys.empty() ? "0" : keys);
  row("dataset_bytes:", StrCat(l.dataset_bytes()));
  row("last_io_at:", FormatTime(l.last_io_at()));
  row("created:", FormatTime(l.create_time()) + (l.declared() ? " (from --links_file)" : ""));
}

void PrintTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& r : rows) {
    widths.resize(std::max(widths.size(), r.size()));
    for (size_t i = 0; i < r.size(); ++i) widths[i] = std::max(widths[i], r[i].size());
  }
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(widths[i] - r[i].size() + 2, ' ');
    }
    std::cout << line << "\n";
  }
}

std::vector<std::string> ListRow(const v1::Link& l) {
  return {l.link_id(),
          Short(l.state()),
          MasterText(l),
          StrCat(l.master_repl_offset()),
          StrCat(l.full_syncs(), "/", l.partial_syncs()),
          StrCat(TotalKeys(l)),
          ErrorText(l)};
}

void PrintLink(const v1::Link& l, const Global& g) {
  if (g.json) {
    std::cout << ToJson(l, true) << "\n";
  } else {
    PrintLinkDetail(l);
  }
}

// ---- calls -----------------------------------------------------------------------------------

absl::StatusOr<std::string> ReadTokenFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Usage(StrCat("cannot read the token file ", path, ": ", strerror(errno)));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string t = ss.str();
  while (!t.empty() &&
         (t.back() == '\n' || t.back() == '\r' || t.back() == ' ' || t.back() == '\t')) {
    t.pop_back();
  }
  if (t.empty()) return Usage(StrCat("the token file ", path, " is empty"));
  return t;
}

absl::StatusOr<std::unique_ptr<grpc::ClientContext>> MakeContext(const Global& g,
                                                                 bool deadline = true) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (deadline) {
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(g.timeout_seconds));
  }
  if (!g.token_file.empty()) {
    ASSIGN_OR_RETURN(std::string token, ReadTokenFile(g.token_file));
    ctx->AddMetadata("authorization", "Bearer " + token);
  }
  return ctx;
}

int Fail(const std::string& command, const grpc::Status& s, const Global& g) {
  static const char* kNames[] = {"OK",
                                 "CANCELLED",
                                 "UNKNOWN",
                                 "INVALID_ARGUMENT",
                                 "DEADLINE_EXCEEDED",
                                 "NOT_FOUND",
                                 "ALREADY_EXISTS",
                                 "PERMISSION_DENIED",
                                 "RESOURCE_EXHAUSTED",
                                 "FAILED_PRECONDITION",
                                 "ABORTED",
                                 "OUT_OF_RANGE",
                                 "UNIMPLEMENTED",
                                 "INTERNAL",
                                 "UNAVAILABLE",
                                 "DATA_LOSS",
                                 "UNAUTHENTICATED"};
  int c = static_cast<int>(s.error_code());
  std::string code = c >= 0 && c <= 16 ? kNames[c] : "UNKNOWN";
  std::string hint;
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE &&
      s.error_message().find("shutting") == std::string::npos) {
    hint = StrCat(" (is redlinkd running at ", g.addr, "? see --addr / REDLINK_ADDR)");
  }
  if (s.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
    hint = " (see --token-file / REDLINK_TOKEN_FILE)";
  }
  std::cerr << "redlinkctl " << command << ": " << code << " (" << c << "): " << s.error_message()
            << hint << "\n";
  switch (s.error_code()) {
    case grpc::StatusCode::NOT_FOUND:
      return kExitNotFound;
    case grpc::StatusCode::ALREADY_EXISTS:
      return kExitExists;
    default:
      return kExitRpc;
  }
}

absl::Status ParseInt(const Args& a, const std::string& flag, int lo, int hi, int* out) {
  if (!a.values.count(flag)) return absl::OkStatus();
  if (!SimpleAtoi(a.Get(flag), out) || *out < lo || *out > hi) {
    return Usage(
        StrCat("--", flag, " must be an integer ", lo, "..", hi, ": got '", a.Get(flag), "'"));
  }
  return absl::OkStatus();
}

absl::Status ParseMaster(const std::string& text, v1::Master* m) {
  std::string host, port;
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Usage(StrCat("--master must be HOST:PORT or [IPv6]:PORT: got '", text, "'"));
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string::npos || text.find(':') != colon) {
      return Usage(StrCat("--master must be HOST:PORT (IPv6: [ADDR]:PORT): got '", text, "'"));
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  int p;
  if (host.empty() || !SimpleAtoi(port, &p) || p < 1 || p > 65535) {
    return Usage(StrCat("--master must be HOST:PORT with a port 1..65535: got '", text, "'"));
  }
  m->set_host(host);
  m->set_port(p);
  return absl::OkStatus();
}

bool HasOptions(const Args& a) {
  for (const char* f :
       {"repl-timeout", "handshake-timeout", "connect-timeout", "unsupported-commands"}) {
    if (a.values.count(f)) return true;
  }
  return a.switches.count("drop-before-load") > 0;
}

absl::Status ParseOptions(const Args& a, v1::LinkOptions* o) {
  int repl = 0, handshake = 0, connect = 0;
  RETURN_IF_ERROR(ParseInt(a, "repl-timeout", 0, 86400, &repl));
  RETURN_IF_ERROR(ParseInt(a, "handshake-timeout", 0, 86400, &handshake));
  RETURN_IF_ERROR(ParseInt(a, "connect-timeout", 0, 86400, &connect));
  o->set_repl_timeout_seconds(repl);
  o->set_handshake_timeout_seconds(handshake);
  o->set_connect_timeout_seconds(connect);
  o->set_drop_before_load(a.switches.count("drop-before-load") > 0);
  if (a.values.count("unsupported-commands")) {
    std::string p = a.Get("unsupported-commands");
    for (auto& c : p) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
    if (p == "FAIL") {
      o->set_unsupported_commands(v1::UNSUPPORTED_COMMAND_POLICY_FAIL);
    } else if (p == "SKIP") {
      o->set_unsupported_commands(v1::UNSUPPORTED_COMMAND_POLICY_SKIP);
    } else {
      return Usage(StrCat("--unsupported-commands must be FAIL or SKIP: got '",
                          a.Get("unsupported-commands"), "'"));
    }
  }
  return absl::OkStatus();
}

std::string StripOneNewline(std::string s) {
  if (!s.empty() && s.back() == '\n') {
    s.pop_back();
    if (!s.empty() && s.back() == '\r') s.pop_back();
  }
  return s;
}

// The password from --password-file or --password-stdin; nullopt when neither is given.
absl::StatusOr<std::optional<std::string>> ReadPassword(const Args& a) {
  if (a.values.count("password-file") && a.switches.count("password-stdin")) {
    return Usage("give --password-file or --password-stdin, not both");
  }
  if (a.values.count("password-file")) {
    std::string path = a.Get("password-file");
    std::ifstream in(path, std::ios::binary);
    if (!in) return Usage(StrCat("cannot read --password-file ", path, ": ", strerror(errno)));
    std::stringstream ss;
    ss << in.rdbuf();
    std::string p = StripOneNewline(ss.str());
    if (p.empty()) return Usage(StrCat("--password-file ", path, " is empty"));
    return std::optional<std::string>(std::move(p));
  }
  if (a.switches.count("password-stdin")) {
    std::stringstream ss;
    ss << std::cin.rdbuf();
    std::string p = StripOneNewline(ss.str());
    if (p.empty()) return Usage("--password-stdin: stdin was empty");
    return std::optional<std::string>(std::move(p));
  }
  return std::optional<std::string>();
}

// ---- commands --------------------------------------------------------------------------------

absl::StatusOr<int> RunCreate(const Args& a, const Global& g, v1::LinkService::Stub& stub) {
  if (!a.values.count("master")) return Usage("create needs --master HOST:PORT");
  v1::CreateLinkRequest req;
  req.set_link_id(a.positional[0]);
  RETURN_IF_ERROR(ParseMaster(a.Get("master"), req.mutable_master()));
  ASSIGN_OR_RETURN(std::optional<std::string> password, ReadPassword(a));
  if (a.values.count("username") && !password) {
    return Usage("--username needs --password-file or --password-stdin");
  }
  if (password) {
    req.mutable_auth()->set_username(a.Get("username"));
    req.mutable_auth()->set_password(*password);
  }
  if (HasOptions(a)) RETURN_IF_ERROR(ParseOptions(a, req.mutable_options()));
  v1::Link link;
  ASSIGN_OR_RETURN(auto ctx, MakeContext(g));
  grpc::Status s = stub.CreateLink(ctx.get(), req, &link);
  if (!s.ok()) return Fail("create", s, g);
  PrintLink(link, g);
  return kExitOk;
}

absl::StatusOr<int> RunGet(const Args& a, const Global& g, v1::LinkService::Stub& stub) {
  v1::GetLinkRequest req;
  req.set_link_id(a.positional[0]);
  v1::Link link;
  ASSIGN_OR_RETURN(auto ctx, MakeContext(g));
  grpc::Status s = stub.GetLink(ctx.get(), req, &link);
  if (!s.ok()) return Fail("get", s, g);
  PrintLink(link, g);
  return kExitOk;
}

absl::StatusOr<int> RunList(const Args& a, const Global& g, v1::LinkService::Stub& stub) {
  v1::ListLinksRequest req;
  if (a.values.count("state")) {
    std::string name = a.Get("state");
    for (auto& c : name) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
    if (name.rfind("LINK_STATE_", 0) != 0) name = "LINK_STATE_" + name;
    v1::LinkState state;
    if (!v1::LinkState_Parse(name, &state) || state == v1::LINK_STATE_UNSPECIFIED) {
      return Usage(
          StrCat("--state must be a link state (CONNECTING, STREAMING, PAUSED, BACKOFF, "
                 "FAILED, ...): got '",
                 a.Get("state"), "'"));
    }
    req.set_state(state);
  }
  int page_size = 0;
  RETURN_IF_ERROR(ParseInt(a, "page-size", 0, 1000, &page_size));
  req.set_page_size(page_size);
  // With --page-token: exactly that page (scripts paging themselves). Without: every page.
  bool one_page = a.values.count("page-token") > 0;
  req.set_page_token(a.Get("page-token"));
  v1::ListLinksResponse all;
  for (;;) {
    v1::ListLinksResponse resp;
    ASSIGN_OR_RETURN(auto ctx, MakeContext(g));
    grpc::Status s = stub.ListLinks(ctx.get(), req, &resp);
    if (!s.ok()) return Fail("list", s, g);
    for (auto& l : *resp.mutable_links()) *all.add_links() = std::move(l);
    if (one_page || resp.next_page_token().empty()) {
      all.set_next_page_token(resp.next_page_token());
      break;
    }
    req.set_page_token(resp.next_page_token());
  }
  if (g.json) {
    std::cout << ToJson(all, true) << "\n";
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows = {
      {"LINK_ID", "STATE", "MASTER", "OFFSET", "FULL/PARTIAL", "KEYS", "LAST_ERROR"}};
  for (const auto& l : all.links()) rows.push_back(ListRow(l));
  PrintTable(rows);
  if (!all.next_page_token().empty()) {
    std::cout << "next page: --page-token " << all.next_page_token() << "\n";
  }
  return kExitOk;
}

absl::StatusOr<int> RunUpdate(const Args& a, const Global& g, v1::LinkService::Stub& stub) {
  v1::UpdateLinkRequest req;
  req.set_link_id(a.positional[0]);
  if (a.values.count("master")) RETURN_IF_ERROR(ParseMaster(a.Get("master"), req.mutable_master()));
  if (HasOptions(a)) RETURN_IF_ERROR(ParseOptions(a, req.mutable_options()));
  if (!req.has_master() && !req.has_options()) {
    return Usage("update needs --master and/or an option (see redlinkctl update --help)");
  }
  v1::Link link;
  ASSIGN_OR_RETURN(auto ctx, MakeContext(g));
  grpc::Status s = stub.UpdateLink(ctx.get(), req, &link);
  if (!s.ok()) return Fail("update", s, g);
  PrintLink(link, g);
  return kExitOk;
}

absl::StatusOr<int> RunAuth(const Args& a, const Global& g, v1::LinkService::Stub& stub) {
  v1::SetLinkAuthRequest req;
  req.set_link_id(a.positional[0]);
  bool clear = a.switches.count("clear") > 0;
  ASSIGN_OR_RETURN(std::optional<std::string> password, ReadPassword(a));
  if (clear == password.has_value()) {
    return Usage("auth needs exactly one of --password-file, --password-stdin and --clear");
  }
  if (clear && a.values.count("username")) return Usage("--clear takes no --username");
  req.mutable_auth()->set_username(a.Get("username"));
  req.mutable_auth()->set_password(password.value_or(""));
  v1::Link link;
  ASSIGN_OR_RETURN(auto ctx, MakeContext(g));
  grpc::Status s = stub.SetLinkAuth(ctx.get(), req, &link);
  if (!s.ok()) return Fail("auth", s, g);
  PrintLink(link, g);
  return kExitOk;
}

template <typename Req>
absl::StatusOr<int> RunSimple(const char* name, const Args& a, const Global& g,
                              grpc::Status (v1::LinkService::Stub::*call)(grpc::ClientContext*,
                                                                          const Req&, v1::Link*),
                              v1::LinkService::Stub& stub) {
  Req req;
  req.set_link_id(a.positional[0]);
  v1::Link link;
  ASSIGN_OR_RETURN(auto ctx, MakeContext(g));
  grpc::Status s = (stub.*call)(ctx.get(), req, &link);
  if (!s.ok()) return Fail(name, s, g);
  PrintLink(link, g);
  return kExitOk;
}

absl::StatusOr<int> RunDelete(const Args& a, const Global& g, v1::LinkService::Stub& stub) {
  v1::DeleteLinkRequest req;
  req.set_link_id(a.positional[0]);
  google::protobuf::Empty empty;
  ASSIGN_OR_RETURN(auto ctx, MakeContext(g));
  grpc::Status s = stub.DeleteLink(ctx.get(), req, &empty);
  if (!s.ok()) return Fail("delete", s, g);
  if (g.json) {
    std::cout << "{}\n";
  } else {
    std::cout << "link '" << req.link_id() << "' deleted\n";
  }
  return kExitOk;
}

absl::StatusOr<int> RunWatch(const Args& a, const Global& g, v1::LinkService::Stub& stub) {
  v1::WatchLinksRequest req;
  if (!a.positional.empty()) req.set_link_id(a.positional[0]);
  int count = 0;
  RETURN_IF_ERROR(ParseInt(a, "count", 0, 1 << 30, &count));
  ASSIGN_OR_RETURN(auto ctx, MakeContext(g, /*deadline=*/false));
  auto reader = stub.WatchLinks(ctx.get(), req);
  v1::LinkEvent event;
  int seen = 0;
  if (!g.json) {
    std::cout << "TIME                  LINK_ID  STATE  DETAIL\n" << std::flush;
  }
  while (reader->Read(&event)) {
    if (g.json) {
      std::cout << ToJson(event, false) << "\n" << std::flush;
    } else {
      const v1::Link& l = event.link();
      std::string detail = event.deleted() ? "deleted" : ErrorText(l);
      std::cout << absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone()) << "  "
                << l.link_id() << "  " << Short(l.state()) << "  " << (detail == "-" ? "" : detail)
                << "\n"
                << std::flush;
    }
    if (count > 0 && ++seen >= count) {
      ctx->TryCancel();
      reader->Finish();
      return kExitOk;
    }
  }
  grpc::Status s = reader->Finish();
  if (!s.ok()) return Fail("watch", s, g);
  return kExitOk;
}

std::vector<Command> Commands() {
  const std::set<std::string> kOptionValues = {"repl-timeout", "handshake-timeout",
                                               "connect-timeout", "unsupported-commands"};
  auto with = [](std::set<std::string> a, const std::set<std::string>& b) {
    a.insert(b.begin(), b.end());
    return a;
  };
  std::vector<Command> c;
  c.push_back({"create",
               StrCat("Usage: redlinkctl create <link-id> --master HOST:PORT [--username USER]\n"
                      "         [--password-file PATH | --password-stdin] [options]\n\n"
                      "Creates a link: redlinkd becomes a replica of the master (REPLICAOF).\n"
                      "Returns at once; follow the link with `get` or `watch`.\n"
                      "<link-id>: 1-63 characters of [a-z0-9-], starting and ending with a "
                      "letter or digit.\n\n",
                      kOptionsHelp),
               with({"master", "username", "password-file"}, kOptionValues),
               {"password-stdin", "drop-before-load"},
               1,
               1,
               RunCreate});
  c.push_back(
      {"get", "Usage: redlinkctl get <link-id>\n\nShows one link.\n", {}, {}, 1, 1, RunGet});
  c.push_back({"list",
               "Usage: redlinkctl list [--state STATE] [--page-size N] [--page-token TOKEN]\n\n"
               "Lists links, sorted by id. Without --page-token every page is fetched; with it,\n"
               "exactly that page (its next token is printed after the table, or in the JSON).\n"
               "STATE: CONNECTING, PINGING, AUTHENTICATING, ANNOUNCING, SYNCING, TRANSFERRING,\n"
               "STREAMING, PAUSED, BACKOFF, FAILED.\n",
               {"state", "page-size", "page-token"},
               {},
               0,
               0,
               RunList});
  c.push_back({"update",
               StrCat("Usage: redlinkctl update <link-id> [--master HOST:PORT] [options]\n\n"
                      "Re-points a link (after a failover) or changes its options, keeping its\n"
                      "dataset and replication position (it asks PSYNC with its replid and "
                      "offset).\n\n",
                      kOptionsHelp),
               with({"master"}, kOptionValues),
               {"drop-before-load"},
               1,
               1,
               RunUpdate});
  c.push_back({"auth",
               "Usage: redlinkctl auth <link-id> [--username USER] (--password-file PATH | "
               "--password-stdin | --clear)\n\n"
               "Sets the credentials the link sends with AUTH, or clears them. A link waiting\n"
               "after an auth error retries at once.\n",
               {"username", "password-file"},
               {"password-stdin", "clear"},
               1,
               1,
               RunAuth});
  c.push_back({"pause",
               "Usage: redlinkctl pause <link-id>\n\n"
               "Stops reading and applying at a command boundary (never inside MULTI/EXEC). The\n"
               "dataset stays readable and the position is kept. Idempotent.\n",
               {},
               {},
               1,
               1,
               [](const Args& a, const Global& g, v1::LinkService::Stub& s) {
                 return RunSimple<v1::PauseLinkRequest>("pause", a, g,
                                                        &v1::LinkService::Stub::PauseLink, s);
               }});
  c.push_back({"resume",
               "Usage: redlinkctl resume <link-id>\n\n"
               "Continues a paused link (by partial resync when the master still has the\n"
               "bytes), or retries a FAILED one. Idempotent.\n",
               {},
               {},
               1,
               1,
               [](const Args& a, const Global& g, v1::LinkService::Stub& s) {
                 return RunSimple<v1::ResumeLinkRequest>("resume", a, g,
                                                         &v1::LinkService::Stub::ResumeLink, s);
               }});
  c.push_back({"delete",
               "Usage: redlinkctl delete <link-id>\n\n"
               "Deletes a link; returns once its connection is closed and its dataset freed.\n",
               {},
               {},
               1,
               1,
               RunDelete});
  c.push_back({"watch",
               "Usage: redlinkctl watch [<link-id>] [--count N]\n\n"
               "Streams link events: first the current state of each link (or of <link-id>,\n"
               "which need not exist yet), then one line per state change, and 'deleted' when\n"
               "a link goes. --count N stops after N events. With -o json, one JSON object\n"
               "(a LinkEvent) per line.\n",
               {"count"},
               {},
               0,
               1,
               RunWatch});
  return c;
}

// Splits argv into the global flags, the command and the command's arguments, then runs the
// command. Flags are --name VALUE, --name=VALUE or --switch, anywhere; "--" ends the flags.
absl::StatusOr<int> Run(int argc, char** argv) {
  std::vector<Command> commands = Commands();
  Global g;
  if (const char* v = getenv("REDLINK_ADDR"); v && *v) g.addr = v;
  if (const char* v = getenv("REDLINK_TOKEN_FILE"); v && *v) g.token_file = v;

  std::vector<std::string> args(argv + 1, argv + argc);
  const Command* cmd = nullptr;
  Args a;
  bool help = false;
  bool flags_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!flags_done && arg == "--") {
      flags_done = true;
      continue;
    }
    if (flags_done || arg.empty() || arg[0] != '-' || arg == "-") {
      if (!cmd) {
        if (arg == "help") {
          help = true;
          continue;
        }
        for (const auto& c : commands) {
          if (c.name == arg) cmd = &c;
        }
        if (!cmd) return Usage(StrCat("unknown command '", arg, "' (see redlinkctl --help)"));
        continue;
      }
      a.positional.push_back(arg);
      continue;
    }
    std::string name, value;
    bool has_value = false;
    if (arg == "-o" || arg == "-h") {
      name = arg == "-o" ? "output" : "help";
    } else if (arg.rfind("--", 0) == 0) {
      name = arg.substr(2);
      if (size_t eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        has_value = true;
      }
    } else {
      return Usage(StrCat("unknown flag '", arg, "' (flags look like --name VALUE)"));
    }
    if (name == "password") {
      return Usage(
          "passwords are never taken on the command line (they would show in ps and in the "
          "shell history): use --password-file PATH or --password-stdin");
    }
    if (name == "help") {
      help = true;
      continue;
    }
    if (!has_value && (name == "addr" || name == "token-file" || name == "output" ||
                       name == "timeout" || (cmd && cmd->value_flags.count(name)))) {
      if (i + 1 >= args.size()) return Usage(StrCat("--", name, " needs a value"));
      value = args[++i];
      has_value = true;
    }
    if (name == "addr") {
      g.addr = value;
    } else if (name == "token-file") {
      g.token_file = value;
    } else if (name == "output") {
      if (value != "json" && value != "table") {
        return Usage(StrCat("-o/--output must be table or json: got '", value, "'"));
      }
      g.json = value == "json";
    } else if (name == "timeout") {
      if (!SimpleAtoi(value, &g.timeout_seconds) || g.timeout_seconds < 1) {
        return Usage(StrCat("--timeout must be a positive number of seconds: got '", value, "'"));
      }
    } else if (cmd && cmd->value_flags.count(name)) {
      a.values[name] = value;
    } else if (cmd && cmd->switch_flags.count(name)) {
      if (has_value) return Usage(StrCat("--", name, " takes no value"));
      a.switches.insert(name);
    } else if (!cmd) {
      return Usage(StrCat("unknown flag --", name,
                          " (command flags go after the command; see redlinkctl --help)"));
    } else {
      return Usage(StrCat("unknown flag --", name, " for '", cmd->name, "' (see redlinkctl ",
                          cmd->name, " --help)"));
    }
  }
  if (help) {
    std::cout << (cmd ? cmd->help : kGeneralHelp);
    return kExitOk;
  }
  if (!cmd) return Usage("no command given (see redlinkctl --help)");
  int n = static_cast<int>(a.positional.size());
  if (n < cmd->min_positional || n > cmd->max_positional) {
    return Usage(StrCat("wrong number of arguments for '", cmd->name, "'\n", cmd->help));
  }
  auto channel = grpc::CreateChannel(g.addr, grpc::InsecureChannelCredentials());
  auto stub = v1::LinkService::NewStub(channel);
  return cmd->run(a, g, *stub);
}

int Main(int argc, char** argv) {
  absl::StatusOr<int> code = Run(argc, argv);
  if (!code.ok()) {
    std::cerr << "redlinkctl: " << code.status().message() << "\n";
    return kExitUsage;
  }
  return *code;
}

}  // namespace
}  // namespace redlink::ctl

int main(int argc, char** argv) { return redlink::ctl::Main(argc, argv); }
