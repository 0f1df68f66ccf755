#include "service/metrics.h"

#include <CivetServer.h>
#include <civetweb.h>
#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "engine/common/log.h"
#include "engine/common/strings.h"
#include "prometheus/exposer.h"
#include "prometheus/text_serializer.h"

namespace redlink::service {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

constexpr engine::ErrorStep kSteps[] = {
    engine::ErrorStep::kConnect,  engine::ErrorStep::kPing,  engine::ErrorStep::kAuth,
    engine::ErrorStep::kReplconf, engine::ErrorStep::kPsync, engine::ErrorStep::kTransfer,
    engine::ErrorStep::kStream,
};

constexpr LogLevel kLogLevels[] = {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarning,
                                   LogLevel::kError};

MetricFamily Family(std::string name, std::string help, MetricType type, size_t reserve = 0) {
  MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  f.metric.reserve(reserve);
  return f;
}

// Adds one sample; `labels` are (name, value) pairs.
void Add(MetricFamily* f, std::vector<ClientMetric::Label> labels, double value) {
  ClientMetric m;
  m.label = std::move(labels);
  if (f->type == MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  f->metric.push_back(std::move(m));
}

double SecondsSince(absl::Time then, absl::Time now) {
  if (then == absl::InfinitePast() || then > now) return 0;
  return absl::ToDoubleSeconds(now - then);
}

// /proc/stat's btime: the boot time in seconds since the epoch.
double BootTimeSeconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  while (in >> key) {
    if (key == "btime") {
      double t = 0;
      in >> t;
      return t;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

// Fields of /proc/self/stat after "(comm)": index 0 is field 3 (state).
bool ReadStatFields(std::vector<std::string>* fields) {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return false;
  size_t close = line.rfind(')');  // comm may hold spaces and parentheses
  if (close == std::string::npos) return false;
  std::istringstream rest(line.substr(close + 1));
  std::string f;
  while (rest >> f) fields->push_back(f);
  return fields->size() >= 22;
}

int CountOpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  int n = 0;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n > 0 ? n - 1 : 0;  // minus the directory's own fd
}

// gzip (RFC 1952) of `in`, as the Exposer would send it.
std::string Gzip(std::string_view in) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, MAX_WBITS + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return std::string();
  }
  std::string out(deflateBound(&zs, static_cast<uLong>(in.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  out.resize(rc == Z_STREAM_END ? zs.total_out : 0);
  deflateEnd(&zs);
  return out;
}

// civetweb knows its servers by their mg_context; StartMetrics registers each one from the
// init_context callback, which civetweb runs in the starting thread before it serves.
std::mutex g_servers_mu;
absl::flat_hash_map<const mg_context*, MetricsServer*>* g_servers =
    new absl::flat_hash_map<const mg_context*, MetricsServer*>();
thread_local MetricsServer* t_starting = nullptr;

void RegisterContext(const mg_context* ctx) {
  if (t_starting == nullptr) return;
  std::lock_guard<std::mutex> lock(g_servers_mu);
  (*g_servers)[ctx] = t_starting;
}

MetricsServer* ServerOf(const mg_connection* conn) {
  std::lock_guard<std::mutex> lock(g_servers_mu);
  auto it = g_servers->find(mg_get_context(conn));
  return it == g_servers->end() ? nullptr : it->second;
}

// civetweb's begin_request: GET /metrics is answered from the server's page cache; anything
// else goes on to the Exposer's handlers (returning 0).
int ServeMetricsPage(mg_connection* conn) {
  const mg_request_info* req = mg_get_request_info(conn);
  if (req == nullptr || req->request_method == nullptr || req->local_uri == nullptr ||
      std::strcmp(req->request_method, "GET") != 0 ||
      std::strcmp(req->local_uri, "/metrics") != 0) {
    return 0;
  }
  MetricsServer* server = ServerOf(conn);
  if (server == nullptr) return 0;
  const char* accept = mg_get_header(conn, "Accept-Encoding");
  bool gzip = accept != nullptr && std::strstr(accept, "gzip") != nullptr;
  std::shared_ptr<const std::string> page = server->Page(gzip);
  if (gzip && page->empty()) {  // compression failed: send it plain
    gzip = false;
    page = server->Page(false);
  }
  mg_printf(conn,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
            "%sContent-Length: %zu\r\n\r\n",
            gzip ? "Content-Encoding: gzip\r\n" : "", page->size());
  mg_write(conn, page->data(), page->size());
  return 200;
}

// "host:port" → civetweb's listening_ports syntax.
absl::StatusOr<std::string> CivetAddress(const std::string& address) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(StrCat("--metrics_addr=", address, ": expected host:port"));
  }
  std::string host = address.substr(0, colon);
  std::string port = address.substr(colon + 1);
  int p = 0;
  if (!SimpleAtoi(port, &p) || p < 0 || p > 65535) {
    return absl::InvalidArgumentError(StrCat("--metrics_addr=", address, ": bad port"));
  }
  if (host.empty() || host == "*") return StrCat(p);  // every address
  if (host == "localhost") host = "127.0.0.1";
  if (host.front() == '[') return StrCat(host, ":", p);  // IPv6 literal, civetweb syntax
  return StrCat(host, ":", p);
}

}  // namespace

bool ReadProcessStats(ProcessStats* out) {
  std::vector<std::string> f;
  if (!ReadStatFields(&f)) return false;
  // Field numbers as in proc(5): utime 14, stime 15, starttime 22, vsize 23, rss 24; f[0] is 3.
  auto field = [&](int number) {
    double v = 0;
    SimpleAtod(f[number - 3], &v);
    return v;
  };
  double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  out->cpu_seconds = (field(14) + field(15)) / ticks;
  out->start_time_seconds = BootTimeSeconds() + field(22) / ticks;
  out->virtual_memory_bytes = field(23);
  out->resident_memory_bytes = field(24) * page;
  out->open_fds = CountOpenFds();
  rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    out->max_fds = limit.rlim_cur == RLIM_INFINITY ? 0 : static_cast<double>(limit.rlim_cur);
  }
  return true;
}

MetricsCollector::MetricsCollector(engine::Engine* engine, const GrpcMetrics* grpc)
    : engine_(engine), grpc_(grpc) {
  ProcessStats p;
  if (ReadProcessStats(&p)) start_time_seconds_ = p.start_time_seconds;
}

void MetricsCollector::CollectLinks(const std::vector<engine::LinkStatusPtr>& links, absl::Time now,
                                    std::vector<MetricFamily>* out) {
  const size_t n = links.size();
  auto state = Family("redlink_link_state",
                      "1 for the link's current state, 0 for the others (API.md LinkState).",
                      MetricType::Gauge, n * engine::kNumLinkStates);
  auto state_age =
      Family("redlink_link_state_age_seconds", "Seconds since the link entered its current state.",
             MetricType::Gauge, n);
  auto info = Family("redlink_link_info", "Always 1; the link's master address (host:port).",
                     MetricType::Gauge, n);
  auto offset = Family("redlink_link_repl_offset_bytes",
                       "The replication offset the link has applied and ACKs (0 before its first "
                       "sync).",
                       MetricType::Gauge, n);
  auto io_age = Family("redlink_link_last_io_age_seconds",
                       "Seconds since the link last read from its master (since its creation "
                       "if it never did).",
                       MetricType::Gauge, n);
  auto full = Family("redlink_link_full_syncs_total", "Full syncs completed (RDB loaded).",
                     MetricType::Counter, n);
  auto partial =
      Family("redlink_link_partial_syncs_total",
             "Partial resyncs accepted by the master (+CONTINUE).", MetricType::Counter, n);
  auto connects = Family("redlink_link_connect_attempts_total",
                         "Connections attempted to the master.", MetricType::Counter, n);
  auto errors = Family("redlink_link_errors_total",
                       "Errors by the step of the replication handshake or stream where they "
                       "happened (API.md last_error.step).",
                       MetricType::Counter, n * std::size(kSteps));
  auto rdb_total =
      Family("redlink_link_rdb_bytes_received_total",
             "RDB payload bytes received over all full syncs.", MetricType::Counter, n);
  auto rdb_expected =
      Family("redlink_link_rdb_transfer_expected_bytes",
             "Size of the RDB being transferred (0 when none, or diskless).", MetricType::Gauge, n);
  auto rdb_received =
      Family("redlink_link_rdb_transfer_received_bytes",
             "Bytes received of the RDB being transferred (0 when none).", MetricType::Gauge, n);
  auto applied =
      Family("redlink_link_commands_applied_total",
             "Commands of the replication stream applied to the dataset.", MetricType::Counter, n);
  auto skipped = Family("redlink_link_commands_skipped_total",
                        "Commands of the replication stream skipped (option "
                        "unsupported_commands=SKIP).",
                        MetricType::Counter, n);
  auto keys =
      Family("redlink_link_keys", "Keys in the link's dataset, by database.", MetricType::Gauge, n);
  auto dataset = Family("redlink_link_dataset_bytes", "Memory used by the link's dataset.",
                        MetricType::Gauge, n);
  auto full_sync_duration = Family("redlink_link_last_full_sync_duration_seconds",
                                   "Duration of the last full sync, from +FULLRESYNC to the "
                                   "dataset loaded (0 before the first).",
                                   MetricType::Gauge, n);
  uint64_t per_state[engine::kNumLinkStates] = {};

  for (const auto& s : links) {
    const std::string& id = s->id;
    for (int i = 0; i < engine::kNumLinkStates; ++i) {
      auto st = static_cast<engine::LinkState>(i);
      Add(&state, {{"link", id}, {"state", engine::LinkStateName(st)}}, st == s->state ? 1 : 0);
    }
    int current = static_cast<int>(s->state);
    if (current >= 0 && current < engine::kNumLinkStates) ++per_state[current];
    Add(&state_age, {{"link", id}}, SecondsSince(s->state_since, now));
    Add(&info, {{"link", id}, {"master", StrCat(s->host, ":", s->port)}}, 1);
    Add(&offset, {{"link", id}}, s->repl_offset < 0 ? 0 : static_cast<double>(s->repl_offset));
    absl::Time last_io = s->last_io_at != absl::InfinitePast() ? s->last_io_at : s->create_time;
    Add(&io_age, {{"link", id}}, SecondsSince(last_io, now));
    Add(&full, {{"link", id}}, static_cast<double>(s->full_syncs));
    Add(&partial, {{"link", id}}, static_cast<double>(s->partial_syncs));
    Add(&connects, {{"link", id}}, static_cast<double>(s->connect_attempts));
    for (engine::ErrorStep step : kSteps) {
      Add(&errors, {{"link", id}, {"step", engine::ErrorStepName(step)}},
          static_cast<double>(s->errors_by_step[static_cast<int>(step)]));
    }
    Add(&rdb_total, {{"link", id}}, static_cast<double>(s->rdb_bytes_received_total));
    Add(&rdb_expected, {{"link", id}}, static_cast<double>(s->rdb_bytes_expected));
    Add(&rdb_received, {{"link", id}}, static_cast<double>(s->rdb_bytes_received));
    Add(&applied, {{"link", id}}, static_cast<double>(s->commands_applied));
    Add(&skipped, {{"link", id}}, static_cast<double>(s->commands_skipped));
    // Database 0 always has a series, so a link's key count never vanishes when it empties.
    bool db0 = false;
    for (const auto& db : s->keys) db0 = db0 || db.db == 0;
    if (!db0) Add(&keys, {{"link", id}, {"db", "0"}}, 0);
    for (const auto& db : s->keys) {
      Add(&keys, {{"link", id}, {"db", StrCat(db.db)}}, static_cast<double>(db.keys));
    }
    Add(&dataset, {{"link", id}}, static_cast<double>(s->dataset_bytes));
    Add(&full_sync_duration, {{"link", id}}, s->last_full_sync_duration_seconds);
  }

  auto by_state =
      Family("redlink_links", "Links by state.", MetricType::Gauge, engine::kNumLinkStates);
  for (int i = 0; i < engine::kNumLinkStates; ++i) {
    Add(&by_state, {{"state", engine::LinkStateName(static_cast<engine::LinkState>(i))}},
        static_cast<double>(per_state[i]));
  }
  for (auto* f : {&by_state, &state, &state_age, &info, &offset, &io_age, &full, &partial,
                  &connects, &errors, &rdb_total, &rdb_expected, &rdb_received, &applied, &skipped,
                  &keys, &dataset, &full_sync_duration}) {
    out->push_back(std::move(*f));
  }
}

std::vector<MetricFamily> MetricsCollector::Collect() const {
  std::vector<MetricFamily> out;
  out.reserve(48);
  CollectLinks(engine_->ListLinks(), absl::Now(), &out);

  // The event loops: utilisation = rate(redlink_loop_busy_seconds_total).
  engine::LoopPool& pool = engine_->loops();
  const size_t loops = static_cast<size_t>(pool.size());
  auto tasks = Family("redlink_loop_tasks_run_total",
                      "Tasks run by the event loop (posted, deferred and timers).",
                      MetricType::Counter, loops);
  auto io_events = Family("redlink_loop_io_events_total", "File descriptor events dispatched.",
                          MetricType::Counter, loops);
  auto busy = Family("redlink_loop_busy_seconds_total",
                     "Time the event loop spent outside epoll_wait (its utilisation is the "
                     "rate of this).",
                     MetricType::Counter, loops);
  auto loop_links =
      Family("redlink_loop_links", "Links pinned to the event loop.", MetricType::Gauge, loops);
  auto clients = Family("redlink_loop_clients", "RESP read-endpoint clients served by the loop.",
                        MetricType::Gauge, loops);
  auto rejected =
      Family("redlink_loop_posts_rejected_total",
             "Work refused because the loop's task queue was full.", MetricType::Counter, loops);
  for (size_t i = 0; i < loops; ++i) {
    const engine::LoopStats& st = pool.loop(static_cast<int>(i))->stats();
    std::vector<ClientMetric::Label> label = {{"loop", StrCat(i)}};
    Add(&tasks, label, static_cast<double>(st.tasks_run.load(std::memory_order_relaxed)));
    Add(&io_events, label, static_cast<double>(st.io_events.load(std::memory_order_relaxed)));
    Add(&busy, label, static_cast<double>(st.busy_ns.load(std::memory_order_relaxed)) / 1e9);
    Add(&loop_links, label, static_cast<double>(st.links.load(std::memory_order_relaxed)));
    Add(&clients, label, static_cast<double>(st.clients.load(std::memory_order_relaxed)));
    Add(&rejected, label, static_cast<double>(st.posts_rejected.load(std::memory_order_relaxed)));
  }
  for (auto* f : {&tasks, &io_events, &busy, &loop_links, &clients, &rejected}) {
    out.push_back(std::move(*f));
  }

  // The logger.
  auto dropped =
      Family("redlink_log_lines_dropped_total",
             "Log lines dropped because the log writer's queue was full.", MetricType::Counter, 1);
  Add(&dropped, {}, static_cast<double>(LogLinesDropped()));
  out.push_back(std::move(dropped));
  auto lines = Family("redlink_log_lines_total", "Log lines written, by level.",
                      MetricType::Counter, std::size(kLogLevels));
  for (LogLevel level : kLogLevels) {
    Add(&lines, {{"level", LogLevelName(level)}}, static_cast<double>(LogLinesEmitted(level)));
  }
  out.push_back(std::move(lines));

  if (grpc_ != nullptr) grpc_->Collect(&out);

  // The process, as client libraries name these figures.
  ProcessStats p;
  ReadProcessStats(&p);
  struct {
    const char* name;
    const char* help;
    MetricType type;
    double value;
  } process[] = {
      {"process_resident_memory_bytes", "Resident memory size in bytes.", MetricType::Gauge,
       p.resident_memory_bytes},
      {"process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::Gauge,
       p.virtual_memory_bytes},
      {"process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
       MetricType::Counter, p.cpu_seconds},
      {"process_open_fds", "Number of open file descriptors.", MetricType::Gauge, p.open_fds},
      {"process_max_fds", "Maximum number of open file descriptors.", MetricType::Gauge, p.max_fds},
      {"process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
       MetricType::Gauge, start_time_seconds_},
  };
  for (const auto& m : process) {
    auto f = Family(m.name, m.help, m.type, 1);
    Add(&f, {}, m.value);
    out.push_back(std::move(f));
  }
  return out;
}

MetricsServer::~MetricsServer() {
  exposer_.reset();  // stops civetweb: no request runs after this
  std::lock_guard<std::mutex> lock(g_servers_mu);
  absl::erase_if(*g_servers, [this](const auto& entry) { return entry.second == this; });
}

std::shared_ptr<const std::string> MetricsServer::Page(bool gzip) {
  std::lock_guard<std::mutex> lock(render_mu_);
  absl::Time now = absl::Now();
  uint64_t link_set = engine_->link_set_changes();
  if (page_.plain == nullptr || now - page_.at >= page_max_age_ || link_set != page_.link_set) {
    prometheus::TextSerializer serializer;
    page_.plain = std::make_shared<const std::string>(serializer.Serialize(collector_->Collect()));
    page_.gzip.reset();
    page_.at = now;
    page_.link_set = link_set;
  }
  if (!gzip) return page_.plain;
  if (page_.gzip == nullptr) page_.gzip = std::make_shared<const std::string>(Gzip(*page_.plain));
  return page_.gzip;
}

absl::StatusOr<std::unique_ptr<MetricsServer>> StartMetrics(const std::string& address,
                                                            engine::Engine* engine,
                                                            const GrpcMetrics* grpc,
                                                            absl::Duration page_max_age) {
  auto civet = CivetAddress(address);
  if (!civet.ok()) return civet.status();
  std::unique_ptr<MetricsServer> server(new MetricsServer());
  server->collector_ = std::make_shared<MetricsCollector>(engine, grpc);
  server->page_max_age_ = page_max_age;
  server->engine_ = engine;
  CivetCallbacks callbacks;  // copied by civetweb at start
  callbacks.init_context = &RegisterContext;
  callbacks.begin_request = &ServeMetricsPage;
  t_starting = server.get();
  try {
    // Two civetweb worker threads: at most two scrapes are served at once, whatever scrapes,
    // and the page cache makes a burst of them cost one render per kPageMaxAge. They run at the
    // loops' priority, so a scrape under load is still served in milliseconds.
    server->exposer_ = std::make_unique<prometheus::Exposer>(
        std::vector<std::string>{"listening_ports", *civet, "num_threads", "2"}, &callbacks);
  } catch (const std::exception& e) {
    t_starting = nullptr;
    return absl::UnavailableError(
        StrCat("cannot serve metrics on --metrics_addr=", address, ": ", e.what()));
  }
  t_starting = nullptr;
  server->exposer_->RegisterCollectable(server->collector_);
  auto ports = server->exposer_->GetListeningPorts();
  server->port_ = ports.empty() ? 0 : ports.front();
  return server;
}

}  // namespace redlink::service
