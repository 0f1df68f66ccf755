#include "tests/testing/redlinkd_process.h"

#include <signal.h>

#include <fstream>
#include <thread>

#include "grpc/health/v1/health.grpc.pb.h"

namespace redlink::testing {

std::string RedlinkdPath() { return BinDir() + "/service/redlinkd"; }

std::string StateName(redlink::v1::LinkState state) { return redlink::v1::LinkState_Name(state); }

RedlinkdProcess::RedlinkdProcess() : RedlinkdProcess(Options{}) {}

RedlinkdProcess::RedlinkdProcess(Options options) : options_(std::move(options)) {
  dir_ = std::make_unique<TempDir>();
  data_dir_ = options_.data_dir.empty() ? dir_->File("data") : options_.data_dir;
  if (!options_.token.empty()) {
    token_file_ = dir_->File("token");
    std::ofstream(token_file_) << options_.token << "\n";
  }
  grpc_port_ = FreePort();
  resp_port_ = FreePort();
  metrics_port_ = FreePort();
  ok_ = Start();
}

RedlinkdProcess::~RedlinkdProcess() {
  if (proc_) proc_->Kill();
}

bool RedlinkdProcess::Start() {
  std::vector<std::string> argv = {RedlinkdPath(),
                                   "--grpc_addr=127.0.0.1:" + std::to_string(grpc_port_),
                                   "--resp_addr=127.0.0.1:" + std::to_string(resp_port_),
                                   "--metrics_addr=127.0.0.1:" + std::to_string(metrics_port_),
                                   "--data_dir=" + data_dir_,
                                   "--threads=" + std::to_string(options_.threads)};
  if (!token_file_.empty()) argv.push_back("--auth_token_file=" + token_file_);
  argv.insert(argv.end(), options_.extra_args.begin(), options_.extra_args.end());
  proc_ = std::make_unique<Process>(argv, dir_->File("redlinkd.log"), options_.env);
  // Short reconnect backoff: the first attempts race with the server's start, and gRPC's default
  // backoff (1 s growing) would make every test wait seconds for nothing.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 200);
  channel_ = grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(grpc_port_),
                                       grpc::InsecureChannelCredentials(), args);
  stub_ = redlink::v1::LinkService::NewStub(channel_);
  auto health = grpc::health::v1::Health::NewStub(channel_);
  return WaitFor(
             [&] {
               if (!proc_->running()) return true;  // exited: fail below
               grpc::ClientContext ctx;
               ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
               ctx.set_wait_for_ready(true);  // wait for the connection instead of failing fast
               grpc::health::v1::HealthCheckRequest req;
               grpc::health::v1::HealthCheckResponse resp;
               return health->Check(&ctx, req, &resp).ok() &&
                      resp.status() == grpc::health::v1::HealthCheckResponse::SERVING;
             },
             std::chrono::seconds(20)) &&
         proc_->running();
}

bool RedlinkdProcess::Restart() {
  if (proc_) proc_->Kill();
  ok_ = Start();
  return ok_;
}

int RedlinkdProcess::Terminate(std::chrono::milliseconds timeout) {
  return proc_ ? proc_->Stop(SIGTERM, timeout) : -1;
}

std::unique_ptr<grpc::ClientContext> RedlinkdProcess::Context(
    std::chrono::milliseconds deadline) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + deadline);
  ctx->set_wait_for_ready(true);
  if (!options_.token.empty()) ctx->AddMetadata("authorization", "Bearer " + options_.token);
  return ctx;
}

grpc::Status RedlinkdProcess::CreateLink(const std::string& id, int master_port,
                                         const std::string& password, const std::string& username,
                                         redlink::v1::Link* out,
                                         const redlink::v1::LinkOptions* options) {
  redlink::v1::CreateLinkRequest req;
  req.set_link_id(id);
  req.mutable_master()->set_host("127.0.0.1");
  req.mutable_master()->set_port(master_port);
  if (!password.empty()) {
    req.mutable_auth()->set_password(password);
    req.mutable_auth()->set_username(username);
  }
  if (options) *req.mutable_options() = *options;
  redlink::v1::Link link;
  auto ctx = Context();
  grpc::Status s = stub_->CreateLink(ctx.get(), req, out ? out : &link);
  return s;
}

grpc::Status RedlinkdProcess::GetLink(const std::string& id, redlink::v1::Link* out) {
  redlink::v1::GetLinkRequest req;
  req.set_link_id(id);
  auto ctx = Context();
  return stub_->GetLink(ctx.get(), req, out);
}

bool RedlinkdProcess::WaitLink(const std::string& id,
                               const std::function<bool(const redlink::v1::Link&)>& pred,
                               redlink::v1::Link* last, std::chrono::milliseconds timeout) {
  redlink::v1::Link link;
  bool ok = WaitFor(
      [&] {
        link.Clear();
        return GetLink(id, &link).ok() && pred(link);
      },
      timeout);
  if (last) *last = link;
  return ok;
}

bool RedlinkdProcess::WaitState(const std::string& id, redlink::v1::LinkState state,
                                std::chrono::milliseconds timeout, redlink::v1::Link* last) {
  return WaitLink(
      id, [state](const redlink::v1::Link& l) { return l.state() == state; }, last, timeout);
}

RespClient RedlinkdProcess::ReadClient(const std::string& link_id) {
  RespClient c;
  c.Connect("127.0.0.1", resp_port_);
  c.Command({"AUTH", link_id, options_.token.empty() ? "any" : options_.token});
  return c;
}

}  // namespace redlink::testing
