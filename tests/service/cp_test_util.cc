#include "tests/service/cp_test_util.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "tests/testing/test_util.h"

namespace redlink::testing {

std::string RedlinkctlPath() { return BinDir() + "/service/redlinkctl"; }

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int FileMode(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return -1;
  return st.st_mode & 0777;
}

CtlResult RunCtl(const std::vector<std::string>& args, const std::string& stdin_data,
                 const std::map<std::string, std::string>& env, std::chrono::milliseconds timeout) {
  TempDir dir;
  std::string in_path = dir.File("stdin"), out_path = dir.File("stdout"),
              err_path = dir.File("stderr");
  std::ofstream(in_path, std::ios::binary) << stdin_data;
  std::vector<std::string> argv = {RedlinkctlPath()};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_t pid = fork();
  if (pid == 0) {
    int in = open(in_path.c_str(), O_RDONLY);
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    // A caller's REDLINK_* must not leak into tests that set none.
    unsetenv("REDLINK_ADDR");
    unsetenv("REDLINK_TOKEN_FILE");
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    execv(cargv[0], cargv.data());
    _exit(127);
  }
  CtlResult r;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  for (;;) {
    pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    usleep(5000);
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = ReadFileOrEmpty(out_path);
  r.err = ReadFileOrEmpty(err_path);
  return r;
}

WatchCollector::WatchCollector(std::shared_ptr<grpc::Channel> channel, const std::string& link_id,
                               const std::string& token)
    : stub_(redlink::v1::LinkService::NewStub(channel)) {
  if (!token.empty()) ctx_.AddMetadata("authorization", "Bearer " + token);
  redlink::v1::WatchLinksRequest req;
  req.set_link_id(link_id);
  thread_ = std::thread([this, req] {
    auto reader = stub_->WatchLinks(&ctx_, req);
    redlink::v1::LinkEvent e;
    while (reader->Read(&e)) {
      std::lock_guard<std::mutex> lock(mu_);
      events_.push_back(e);
    }
    grpc::Status s = reader->Finish();
    std::lock_guard<std::mutex> lock(mu_);
    status_ = s;
    finished_ = true;
  });
}

WatchCollector::~WatchCollector() { Stop(); }

void WatchCollector::Stop() {
  if (!thread_.joinable()) return;
  ctx_.TryCancel();
  thread_.join();
}

std::vector<redlink::v1::LinkEvent> WatchCollector::events() const {
  std::lock_guard<std::mutex> lock(mu_);
  return events_;
}

std::vector<std::string> WatchCollector::states() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& e : events_) {
    out.push_back(e.deleted() ? "DELETED" : ShortState(e.link().state()));
  }
  return out;
}

grpc::Status WatchCollector::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

std::string ShortState(redlink::v1::LinkState state) {
  std::string name = redlink::v1::LinkState_Name(state);
  return name.rfind("LINK_STATE_", 0) == 0 ? name.substr(11) : name;
}

std::vector<std::string> LoggedStates(const std::string& log, const std::string& link_id) {
  std::vector<std::string> out;
  std::istringstream in(log);
  std::string line;
  const std::string tag = "link=" + link_id + " state ";
  while (std::getline(in, line)) {
    size_t at = line.find(tag);
    if (at == std::string::npos) continue;
    size_t arrow = line.find(" -> ", at);
    if (arrow == std::string::npos) continue;
    std::string to = line.substr(arrow + 4);
    while (!to.empty() && (to.back() == ' ' || to.back() == '\r')) to.pop_back();
    // The first line also names the state the link was created in.
    if (out.empty()) out.push_back(line.substr(at + tag.size(), arrow - at - tag.size()));
    if (out.back() != to) out.push_back(to);
  }
  return out;
}

}  // namespace redlink::testing
