#include "engine/server/resp_server.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "engine/common/glob.h"
#include "engine/common/log.h"
#include "engine/common/string_map.h"
#include "engine/common/strings.h"
#include "engine/encoding/listpack.h"
#include "engine/engine.h"
#include "engine/io/io_buffer.h"
#include "engine/io/socket.h"
#include "engine/keyspace/keyspace.h"
#include "engine/protocol/resp_parser.h"
#include "engine/protocol/resp_writer.h"
#include "engine/replication/command_applier.h"
#include "engine/replication/replica_link.h"

namespace redlink::engine {
namespace {

constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kMaxQueryBuffer = 1ull << 30;  // Redis client-query-buffer-limit
constexpr size_t kPauseReadingAbove = 1 << 20;  // stop reading while this much is unsent
constexpr int kMaxAcceptsPerEvent = 64;
constexpr const char* kCompatVersion = "7.0.15";  // the Redis whose replies we reproduce

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Redis 7.0's arity of every command the endpoint knows beyond the read commands of the keyspace
// (CheckReadCommand): positive = exactly that many arguments with the name, negative = at least.
// Containers list their subcommands as "container|sub".
struct CommandTables {
  absl::flat_hash_map<std::string, int> server;  // answered here
  absl::flat_hash_map<std::string, int> writes;  // a replica answers -READONLY
  absl::flat_hash_set<std::string> containers;   // of `server` and `writes` entries
};

const CommandTables& Tables() {
  static const CommandTables* tables = [] {
    auto* t = new CommandTables();
    t->server = {
        {"quit", -1},
        {"auth", -2},
        {"hello", -1},
        {"reset", 1},
        {"ping", -1},
        {"echo", 2},
        {"select", 2},
        {"info", -1},
        {"role", 1},
        {"subscribe", -2},
        {"psubscribe", -2},
        {"unsubscribe", -1},
        {"punsubscribe", -1},
        {"publish", 3},
        {"multi", 1},
        {"exec", 1},
        {"discard", 1},
        {"watch", -2},
        {"unwatch", 1},
        {"time", 1},
        {"readonly", 1},
        {"readwrite", 1},
        {"asking", 1},
        {"command", -1},
        {"command|count", 2},
        {"command|docs", -2},
        {"command|info", -2},
        {"command|list", -2},
        {"command|help", 2},
        {"command|getkeys", -3},
        {"command|getkeysandflags", -3},
        {"client", -2},
        {"client|id", 2},
        {"client|getname", 2},
        {"client|setname", 3},
        {"client|info", 2},
        {"client|help", 2},
        {"client|no-evict", 3},
        {"client|setinfo", 4},
        {"client|list", -2},
        {"client|kill", -3},
        {"client|pause", -3},
        {"client|unpause", 2},
        {"client|reply", 3},
        {"client|getredir", 2},
    };
    t->writes = {
        {"set", -3},
        {"setnx", 3},
        {"setex", 4},
        {"psetex", 4},
        {"append", 3},
        {"del", -2},
        {"unlink", -2},
        {"incr", 2},
        {"decr", 2},
        {"incrby", 3},
        {"decrby", 3},
        {"incrbyfloat", 3},
        {"getset", 3},
        {"getdel", 2},
        {"getex", -2},
        {"mset", -3},
        {"msetnx", -3},
        {"setrange", 4},
        {"setbit", 4},
        {"bitfield", -2},
        {"bitop", -4},
        {"expire", -3},
        {"pexpire", -3},
        {"expireat", -3},
        {"pexpireat", -3},
        {"persist", 2},
        {"rename", 3},
        {"renamenx", 3},
        {"move", 3},
        {"copy", -3},
        {"restore", -4},
        {"restore-asking", -4},
        {"migrate", -6},
        {"sort", -2},
        {"swapdb", 3},
        {"flushall", -1},
        {"flushdb", -1},
        {"lpush", -3},
        {"rpush", -3},
        {"lpushx", -3},
        {"rpushx", -3},
        {"linsert", 5},
        {"lset", 4},
        {"lrem", 4},
        {"ltrim", 4},
        {"lpop", -2},
        {"rpop", -2},
        {"rpoplpush", 3},
        {"lmove", 5},
        {"blpop", -3},
        {"brpop", -3},
        {"brpoplpush", 4},
        {"blmove", 6},
        {"lmpop", -4},
        {"blmpop", -5},
        {"sadd", -3},
        {"srem", -3},
        {"smove", 4},
        {"spop", -2},
        {"sinterstore", -3},
        {"sunionstore", -3},
        {"sdiffstore", -3},
        {"zadd", -4},
        {"zincrby", 4},
        {"zrem", -3},
        {"zremrangebyscore", 4},
        {"zremrangebyrank", 4},
        {"zremrangebylex", 4},
        {"zunionstore", -4},
        {"zinterstore", -4},
        {"zdiffstore", -4},
        {"zrangestore", -5},
        {"zpopmin", -2},
        {"zpopmax", -2},
        {"bzpopmin", -3},
        {"bzpopmax", -3},
        {"zmpop", -4},
        {"bzmpop", -5},
        {"hset", -4},
        {"hsetnx", 4},
        {"hmset", -4},
        {"hdel", -3},
        {"hincrby", 4},
        {"hincrbyfloat", 4},
        {"hexpire", -6},
        {"hpexpire", -6},
        {"hexpireat", -6},
        {"hpexpireat", -6},
        {"hpersist", -5},
        {"pfadd", -2},
        {"pfmerge", -2},
        {"pfdebug", 3},
        {"geoadd", -5},
        {"georadius", -6},
        {"georadiusbymember", -5},
        {"geosearchstore", -8},
        {"xadd", -5},
        {"xdel", -3},
        {"xtrim", -4},
        {"xsetid", -3},
        {"xack", -4},
        {"xclaim", -6},
        {"xautoclaim", -6},
        {"xreadgroup", -7},
        {"spublish", 3},
        {"xgroup", -2},
        {"xgroup|create", -5},
        {"xgroup|setid", -5},
        {"xgroup|destroy", 4},
        {"xgroup|createconsumer", 5},
        {"xgroup|delconsumer", 5},
        {"xgroup|help", 2},
        {"function|load", -3},
        {"function|delete", 3},
        {"function|flush", -2},
        {"function|restore", -3},
    };
    t->containers = {"command", "client", "xgroup"};
    return t;
  }();
  return *tables;
}

// Redis's texts for a malformed request (the parser's own name the bad length, which the
// links' last_error keeps).
std::string_view RequestProtocolError(std::string_view msg) {
  if (msg.starts_with("Protocol error: invalid multibulk length")) {
    return "Protocol error: invalid multibulk length";
  }
  if (msg.starts_with("Protocol error: invalid bulk length") ||
      (msg.starts_with("Protocol error: bulk length ") &&
       msg.find("exceeds") != std::string_view::npos)) {
    return "Protocol error: invalid bulk length";
  }
  return msg;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return absl::EqualsIgnoreCase(ToAbsl(a), ToAbsl(b));
}

bool ArityOk(int arity, size_t argc) {
  return arity > 0 ? static_cast<size_t>(arity) == argc : argc >= static_cast<size_t>(-arity);
}

// sprintf's "%.128s" of a Redis argument: the bytes up to a NUL, at most `max`.
std::string_view CString(std::string_view s, size_t max = 128) {
  return s.substr(0, s.find('\0')).substr(0, max);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

const char* RoleState(LinkPhase phase, bool connected) {
  switch (phase) {
    case LinkPhase::kConnecting:
      return "connecting";
    case LinkPhase::kAwaitPong:
    case LinkPhase::kAwaitAuth:
    case LinkPhase::kAwaitReplconf:
    case LinkPhase::kAwaitPsync:
      return "handshake";
    case LinkPhase::kAwaitRdbPreamble:
    case LinkPhase::kLoadingRdb:
      return "sync";
    case LinkPhase::kStreaming:
      return "connected";
    case LinkPhase::kPaused:
      return connected ? "connected" : "connect";
    default:
      return "connect";
  }
}

}  // namespace

// Subscribers of one link's channels on the link's loop.
class LinkPubSub : public PubSubSink {
 public:
  void Publish(std::string_view channel, std::string_view message) override;
  // Returns the number of clients that received it.
  int Deliver(std::string_view channel, std::string_view message);
  StringMap<absl::flat_hash_set<RespServer::Client*>> channels;
  StringMap<absl::flat_hash_set<RespServer::Client*>> patterns;
};

class RespServer::Client : public IoHandler {
 public:
  struct Carry {  // what moves with a client to its link's loop
    int protocol = 2;
    std::string name;
    std::string pending_input;
    std::string link_id;
    std::string pending_reply;  // replies not yet sent when it moved
    // The reply of the AUTH / HELLO that moved it, written first on the new loop.
    enum class AuthReply { kNone, kOk, kHello } auth_reply = AuthReply::kNone;
  };

  Client(RespServer* server, LoopState* state, int fd, uint64_t id, Carry carry);
  ~Client() override;

  void Begin();  // watch and process carried input
  void OnIo(uint32_t events) override;
  void Close(const char* why);
  void PushMessage(std::initializer_list<std::string_view> parts);
  uint64_t id() const { return id_; }
  const std::string& link_id() const { return link_id_; }
  size_t subscriptions() const { return channels_.size() + patterns_.size(); }

 private:
  friend class RespServer::LoopState;
  void ReadInput();
  void ProcessInput();
  // Returns false if the client must stop processing (closed or moved to another loop).
  bool Execute(std::span<const std::string_view> args);
  // commandCheckExistence + commandCheckArity; false after answering the rejection.
  bool CheckCommand(std::span<const std::string_view> args, const std::string& cmd,
                    std::string* fullname, bool* is_write);
  void Reject(std::string_view error);  // rejectCommand: inside MULTI, EXEC will abort
  void ClientCmd(std::span<const std::string_view> args, const std::string& sub);
  void CommandCmd(std::span<const std::string_view> args, const std::string& sub);
  void Watch(ReplicaLink* link);  // the whole dataset: see watching_
  void Unwatch() { watching_ = false; }
  bool WatchedKeysTouched();
  std::string ClientInfoLine() const;
  void ReplyHelpLines(std::string_view command, std::span<const char* const> lines);
  bool ExecuteAuth(std::string_view user, std::string_view pass, bool hello, int protocol,
                   std::string_view setname);
  void ReplyHello();
  void Info(std::span<const std::string_view> args, ReplicaLink* link);
  void Role(ReplicaLink* link);
  void Subscribe(std::span<const std::string_view> args, bool pattern);
  void Unsubscribe(std::span<const std::string_view> args, bool pattern);
  void UnsubscribeAll();
  void Flush();
  void UpdateInterest();
  LinkPubSub* PubSub();
  ReplicaLink* Link();

  RespServer* server_;
  LoopState* state_;
  EventLoop* loop_;
  int fd_;
  uint64_t id_;
  IoBuffer in_;
  std::string out_;
  size_t out_sent_ = 0;
  RespParser parser_;
  std::vector<std::string_view> args_;
  ReplyWriter reply_;
  CommandContext ctx_;
  std::string link_id_;
  std::string name_;
  bool closing_ = false;
  bool close_after_reply_ = false;
  uint32_t interest_ = 0;
  absl::flat_hash_set<std::string> channels_;
  absl::flat_hash_set<std::string> patterns_;
  bool in_multi_ = false;
  std::vector<std::vector<std::string>> multi_queue_;
  bool multi_error_ = false;  // a command was rejected inside MULTI: EXEC aborts
  // WATCH (conservative: any change to the link's dataset after WATCH aborts the EXEC).
  bool watching_ = false;
  uint64_t watch_uid_ = 0;
  uint64_t watch_changes_ = 0;
  // CLIENT REPLY: OFF drops replies until ON; SKIP drops the next command's.
  enum class ReplyMode { kOn, kOff, kSkipNext } reply_mode_ = ReplyMode::kOn;
  bool force_reply_ = false;  // CLIENT REPLY ON answers even while OFF
};

class RespServer::LoopState : public IoHandler {
 public:
  LoopState(RespServer* server, EventLoop* loop, int listen_fd)
      : server_(server), loop_(loop), listen_fd_(listen_fd) {}

  void Start() {
    if (auto s = loop_->Watch(listen_fd_, EPOLLIN | EPOLLEXCLUSIVE, this); !s.ok()) {
      LOG(Error) << "RESP endpoint: " << s.message();
    }
  }

  void Stop() {
    loop_->Unwatch(listen_fd_);  // the socket itself is closed by ~RespServer
    listen_fd_ = -1;
    auto clients = std::move(clients_);
    clients_.clear();
    for (auto& [id, c] : clients) c->closing_ = true;
    clients.clear();
  }

  // Accepts new connections.
  void OnIo(uint32_t) override {
    for (int i = 0; i < kMaxAcceptsPerEvent; ++i) {
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          LOG(Warning) << "RESP endpoint accept: " << strerror(errno);
        }
        return;
      }
      if (server_->TotalClients() >= server_->engine_->options().resp_max_clients) {
        const char kErr[] = "-ERR max number of clients reached\r\n";
        ssize_t n = send(fd, kErr, sizeof(kErr) - 1, MSG_NOSIGNAL);
        (void)n;
        CloseFd(fd);
        continue;
      }
      SetNoDelay(fd);
      Adopt(fd, Client::Carry{});
    }
  }

  Client* Adopt(int fd, Client::Carry carry) {
    uint64_t id = server_->next_client_id_.fetch_add(1);
    auto client = std::make_unique<Client>(server_, this, fd, id, std::move(carry));
    Client* raw = client.get();
    clients_[id] = std::move(client);
    loop_->stats().clients.fetch_add(1);
    raw->Begin();
    return raw;
  }

  // Removes a client after its current callback returns.
  void Remove(Client* c) {
    uint64_t id = c->id();
    loop_->Defer([this, id] {
      if (clients_.erase(id)) loop_->stats().clients.fetch_sub(1);
    });
  }

  // Takes the client's fd away without closing it (it moves to another loop).
  std::unique_ptr<Client> Detach(Client* c) {
    auto it = clients_.find(c->id());
    if (it == clients_.end()) return nullptr;
    auto owned = std::move(it->second);
    clients_.erase(it);
    loop_->stats().clients.fetch_sub(1);
    return owned;
  }

  EventLoop* loop() const { return loop_; }
  absl::flat_hash_map<uint64_t, std::unique_ptr<Client>>& clients() { return clients_; }
  StringMap<std::unique_ptr<LinkPubSub>>& pubsub() { return pubsub_; }

 private:
  RespServer* server_;
  EventLoop* loop_;
  int listen_fd_;
  absl::flat_hash_map<uint64_t, std::unique_ptr<Client>> clients_;
  StringMap<std::unique_ptr<LinkPubSub>> pubsub_;
};

int LinkPubSub::Deliver(std::string_view channel, std::string_view message) {
  int receivers = 0;
  auto it = channels.find(channel);
  if (it != channels.end()) {
    for (RespServer::Client* c : it->second) {
      c->PushMessage({"message", channel, message});
      ++receivers;
    }
  }
  for (auto& [pattern, clients] : patterns) {
    if (!GlobMatch(pattern, channel)) continue;
    for (RespServer::Client* c : clients) {
      c->PushMessage({"pmessage", pattern, channel, message});
      ++receivers;
    }
  }
  return receivers;
}

void LinkPubSub::Publish(std::string_view channel, std::string_view message) {
  Deliver(channel, message);
}

// ---------------------------------------------------------------------------------------------

RespServer::Client::Client(RespServer* server, LoopState* state, int fd, uint64_t id, Carry carry)
    : server_(server),
      state_(state),
      loop_(state->loop()),
      fd_(fd),
      id_(id),
      in_(kMaxQueryBuffer),
      reply_(&out_, carry.protocol),
      link_id_(std::move(carry.link_id)),
      name_(std::move(carry.name)) {
  ctx_.protocol = carry.protocol;
  if (!carry.pending_input.empty()) in_.Append(carry.pending_input);
  out_ = std::move(carry.pending_reply);
  if (carry.auth_reply == Carry::AuthReply::kOk) reply_.Ok();
  if (carry.auth_reply == Carry::AuthReply::kHello) ReplyHello();
}

RespServer::Client::~Client() {
  UnsubscribeAll();
  if (fd_ >= 0) {
    loop_->Unwatch(fd_);
    CloseFd(fd_);
  }
}

void RespServer::Client::Begin() {
  interest_ = EPOLLIN | EPOLLRDHUP;
  if (auto s = loop_->Watch(fd_, interest_, this); !s.ok()) {
    LOG(Warning) << "RESP client: " << s.message();
    Close("watch failed");
    return;
  }
  if (!in_.empty()) ProcessInput();
  Flush();
}

void RespServer::Client::Close(const char* why) {
  if (closing_) return;
  closing_ = true;
  LOG(Debug) << "RESP client " << id_ << " closed: " << why;
  UnsubscribeAll();
  if (fd_ >= 0) {
    loop_->Unwatch(fd_);
    CloseFd(fd_);
    fd_ = -1;
  }
  state_->Remove(this);
}

void RespServer::Client::OnIo(uint32_t events) {
  if (closing_) return;
  if (events & EPOLLOUT) {
    Flush();
    if (closing_) return;
    if (out_.empty() && !in_.empty()) ProcessInput();
  }
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) ReadInput();
}

void RespServer::Client::ReadInput() {
  if (!in_.Reserve(4096, kReadChunk)) {
    Close("query buffer limit");
    return;
  }
  size_t n = 0;
  int err = 0;
  switch (ReadSome(fd_, &in_, kReadChunk, &n, &err)) {
    case IoResult::kOk:
      ProcessInput();
      return;
    case IoResult::kAgain:
      return;
    case IoResult::kClosed:
      Close("closed by peer");
      return;
    case IoResult::kError:
      Close("read error");
      return;
  }
}

void RespServer::Client::ProcessInput() {
  while (!closing_ && !in_.empty()) {
    if (out_.size() - out_sent_ > kPauseReadingAbove) break;  // let the client drain first
    size_t consumed = 0;
    ParseResult r = parser_.ParseCommand(in_.Readable(), &args_, &consumed, /*allow_inline=*/true);
    if (r == ParseResult::kNeedMore) break;
    if (r == ParseResult::kError) {
      // Redis replies with the protocol error and closes the connection.
      reply_.Error(StrCat("ERR ", RequestProtocolError(FromAbsl(parser_.error().message()))));
      close_after_reply_ = true;
      break;
    }
    if (args_.empty()) {
      in_.Consume(consumed);
      continue;
    }
    // Execute before consuming: args_ point into in_.
    size_t mark = out_.size();
    bool skip = reply_mode_ != ReplyMode::kOn;
    if (reply_mode_ == ReplyMode::kSkipNext) reply_mode_ = ReplyMode::kOn;
    force_reply_ = false;
    bool go_on = Execute(args_);
    if (closing_) return;
    if (!go_on) return;  // moved to another loop: this object is gone from this loop
    if (skip && !force_reply_ && out_.size() > mark) out_.resize(mark);
    in_.Consume(consumed);
    if (close_after_reply_) break;
  }
  if (!closing_) {
    if (in_.empty()) in_.ReleaseIfEmpty();
    Flush();
  }
}

void RespServer::Client::Flush() {
  if (closing_ || fd_ < 0) return;
  if (out_sent_ < out_.size()) {
    size_t n = 0;
    int err = 0;
    IoResult r = WriteSome(fd_, std::string_view(out_).substr(out_sent_), &n, &err);
    out_sent_ += n;
    if (r == IoResult::kError) {
      Close("write error");
      return;
    }
  }
  if (out_sent_ == out_.size()) {
    out_.clear();
    out_sent_ = 0;
    if (out_.capacity() > (1 << 20)) out_.shrink_to_fit();
    if (close_after_reply_) {
      Close("quit");
      return;
    }
  } else if (out_.size() - out_sent_ > server_->engine_->options().resp_max_output_bytes) {
    LOG(Warning) << "RESP client " << id_ << " dropped: output buffer over "
                 << server_->engine_->options().resp_max_output_bytes << " bytes";
    Close("output buffer limit");
    return;
  }
  UpdateInterest();
}

void RespServer::Client::UpdateInterest() {
  uint32_t want = EPOLLRDHUP;
  bool backlog = out_.size() - out_sent_ > kPauseReadingAbove;
  if (!backlog) want |= EPOLLIN;
  if (out_sent_ < out_.size()) want |= EPOLLOUT;
  if (want != interest_ && loop_->Modify(fd_, want).ok()) interest_ = want;
}

void RespServer::Client::PushMessage(std::initializer_list<std::string_view> parts) {
  if (closing_) return;
  reply_.PushHeader(parts.size());
  for (auto p : parts) reply_.Bulk(p);
  Flush();
}

ReplicaLink* RespServer::Client::Link() {
  if (link_id_.empty()) return nullptr;
  return server_->engine_->context(loop_->index()).FindLink(link_id_);
}

LinkPubSub* RespServer::Client::PubSub() {
  auto it = state_->pubsub().find(link_id_);
  return it == state_->pubsub().end() ? nullptr : it->second.get();
}

bool RespServer::Client::Execute(std::span<const std::string_view> args) {
  std::string cmd = Lower(args[0]);
  size_t argc = args.size();

  // processCommand's order: the command must exist and get a valid number of arguments, the
  // client must be authenticated, a write is refused (we are a read-only replica), a subscribed
  // RESP2 client may only (un)subscribe, PING, QUIT or RESET; then MULTI queues it. A rejection
  // inside MULTI makes its EXEC fail.
  std::string fullname;
  bool is_write = false;
  if (!CheckCommand(args, cmd, &fullname, &is_write)) return true;
  if (link_id_.empty() && cmd != "auth" && cmd != "hello" && cmd != "quit" && cmd != "reset") {
    Reject("NOAUTH Authentication required.");
    return true;
  }
  if (is_write) {
    Reject("READONLY You can't write against a read only replica.");
    return true;
  }
  if (subscriptions() > 0 && ctx_.protocol == 2 && cmd != "subscribe" && cmd != "unsubscribe" &&
      cmd != "psubscribe" && cmd != "punsubscribe" && cmd != "ping" && cmd != "quit" &&
      cmd != "reset") {
    Reject(StrCat("ERR Can't execute '", fullname,
                  "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in "
                  "this context"));
    return true;
  }
  if (in_multi_ && cmd != "exec" && cmd != "discard" && cmd != "multi" && cmd != "watch" &&
      cmd != "quit" && cmd != "reset") {
    multi_queue_.emplace_back(args.begin(), args.end());
    reply_.Simple("QUEUED");
    return true;
  }

  if (cmd == "quit") {
    reply_.Ok();
    close_after_reply_ = true;
    return true;
  }
  if (cmd == "auth") {
    if (argc == 3) return ExecuteAuth(args[1], args[2], false, ctx_.protocol, "");
    if (argc == 2) {
      reply_.Error(
          "ERR AUTH needs the link id as the user name: AUTH <link-id> <token> "
          "(redis-cli --user <link-id> --pass <token>)");
      return true;
    }
    reply_.Error("ERR syntax error");  // more than user and password
    return true;
  }
  if (cmd == "hello") {
    int protocol = ctx_.protocol;
    size_t i = 1;
    if (argc >= 2) {
      int64_t v;
      if (!SimpleAtoi(args[1], &v)) {
        reply_.Error("ERR Protocol version is not an integer or out of range");
        return true;
      }
      if (v < 2 || v > 3) {
        reply_.Error("NOPROTO unsupported protocol version");
        return true;
      }
      protocol = static_cast<int>(v);
      i = 2;
    }
    std::string_view user, pass, setname;
    bool auth = false;
    for (; i < argc; ++i) {
      std::string opt = Lower(args[i]);
      if (opt == "auth" && i + 2 < argc) {
        user = args[i + 1];
        pass = args[i + 2];
        auth = true;
        i += 2;
      } else if (opt == "setname" && i + 1 < argc) {
        setname = args[i + 1];
        i += 1;
      } else {
        reply_.Error(StrCat("ERR Syntax error in HELLO option '", args[i], "'"));
        return true;
      }
    }
    if (auth) return ExecuteAuth(user, pass, true, protocol, setname);
    if (link_id_.empty()) {
      reply_.Error(
          "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO "
          "<proto> AUTH <user> <pass> option can be used to authenticate the client and select the "
          "RESP protocol version at the same time");
      return true;
    }
    ctx_.protocol = protocol;
    reply_.set_protocol(protocol);
    if (!setname.empty()) name_ = std::string(setname);
    ReplyHello();
    return true;
  }
  if (cmd == "reset") {
    in_multi_ = false;
    multi_error_ = false;
    multi_queue_.clear();
    Unwatch();
    UnsubscribeAll();
    ctx_.protocol = 2;
    reply_.set_protocol(2);
    ctx_.db = 0;
    link_id_.clear();
    reply_.Simple("RESET");
    return true;
  }

  ReplicaLink* link = Link();
  if (!link) {
    reply_.Error("ERR this link was deleted");
    close_after_reply_ = true;
    return true;
  }

  if (cmd == "ping") {
    if (argc > 2) {
      reply_.Error("ERR wrong number of arguments for 'ping' command");
    } else if (subscriptions() > 0 && ctx_.protocol == 2) {
      reply_.ArrayHeader(2);
      reply_.Bulk("pong");
      reply_.Bulk(argc == 2 ? args[1] : "");
    } else if (argc == 2) {
      reply_.Bulk(args[1]);
    } else {
      reply_.Simple("PONG");
    }
    return true;
  }
  if (cmd == "echo") {
    if (argc != 2) {
      reply_.Error("ERR wrong number of arguments for 'echo' command");
    } else {
      reply_.Bulk(args[1]);
    }
    return true;
  }
  if (cmd == "select") {
    int64_t db;
    if (!listpack::StringToInt64Strict(args[1], &db)) {
      reply_.Error("ERR value is not an integer or out of range");
    } else if (db < INT32_MIN || db > INT32_MAX) {
      reply_.Error("ERR value is out of range, value must between -2147483648 and 2147483647");
    } else if (db < 0 || db >= link->keyspace().num_dbs()) {
      reply_.Error("ERR DB index is out of range");
    } else {
      ctx_.db = static_cast<int>(db);
      reply_.Ok();
    }
    return true;
  }
  if (cmd == "info") {
    Info(args, link);
    return true;
  }
  if (cmd == "role") {
    Role(link);
    return true;
  }
  if (cmd == "subscribe" || cmd == "psubscribe") {
    Subscribe(args.subspan(1), cmd == "psubscribe");
    return true;
  }
  if (cmd == "unsubscribe" || cmd == "punsubscribe") {
    Unsubscribe(args.subspan(1), cmd == "punsubscribe");
    return true;
  }
  if (cmd == "publish") {
    LinkPubSub* ps = PubSub();
    reply_.Integer(ps ? ps->Deliver(args[1], args[2]) : 0);
    return true;
  }
  if (cmd == "multi") {
    if (in_multi_) {
      reply_.Error("ERR MULTI calls can not be nested");
    } else {
      in_multi_ = true;
      multi_error_ = false;
      multi_queue_.clear();
      reply_.Ok();
    }
    return true;
  }
  if (cmd == "discard") {
    if (!in_multi_) {
      reply_.Error("ERR DISCARD without MULTI");
    } else {
      in_multi_ = false;
      multi_error_ = false;
      multi_queue_.clear();
      Unwatch();
      reply_.Ok();
    }
    return true;
  }
  if (cmd == "watch") {
    if (in_multi_) {
      reply_.Error("ERR WATCH inside MULTI is not allowed");
    } else {
      Watch(link);
      reply_.Ok();
    }
    return true;
  }
  if (cmd == "unwatch") {
    Unwatch();
    reply_.Ok();
    return true;
  }
  if (cmd == "exec") {
    if (!in_multi_) {
      reply_.Error("ERR EXEC without MULTI");
      return true;
    }
    in_multi_ = false;
    auto queue = std::move(multi_queue_);
    multi_queue_.clear();
    bool touched = WatchedKeysTouched();
    Unwatch();
    if (multi_error_) {
      multi_error_ = false;
      reply_.Error("EXECABORT Transaction discarded because of previous errors.");
      return true;
    }
    if (touched) {
      reply_.NullArray();
      return true;
    }
    reply_.ArrayHeader(queue.size());
    for (const auto& q : queue) {
      std::vector<std::string_view> views(q.begin(), q.end());
      if (!Execute(views)) return false;
      if (closing_) return true;
    }
    return true;
  }
  if (cmd == "command") {
    CommandCmd(args, argc >= 2 ? Lower(args[1]) : "");
    return true;
  }
  if (cmd == "client") {
    ClientCmd(args, Lower(args[1]));
    return true;
  }
  if (cmd == "time") {
    int64_t us = absl::ToUnixMicros(absl::Now());
    reply_.ArrayHeader(2);
    reply_.Bulk(StrCat(us / 1000000));
    reply_.Bulk(StrCat(us % 1000000));
    return true;
  }
  if (cmd == "readonly" || cmd == "readwrite" || cmd == "asking") {
    reply_.Error("ERR This instance has cluster support disabled");
    return true;
  }

  ctx_.now_ms = absl::ToUnixMillis(absl::Now());
  ctx_.rdb_version = link->rdb_version();
  ExecuteReadCommand(link->keyspace(), ctx_, args, reply_);  // CheckCommand found it
  return true;
}

bool RespServer::Client::CheckCommand(std::span<const std::string_view> args,
                                      const std::string& cmd, std::string* fullname,
                                      bool* is_write) {
  const CommandTables& t = Tables();
  *fullname = cmd;
  *is_write = false;
  auto arity_error = [&](const std::string& name) {
    Reject(StrCat("ERR wrong number of arguments for '", name, "' command"));
    return false;
  };
  const absl::flat_hash_map<std::string, int>* table = nullptr;
  if (t.server.contains(cmd)) {
    table = &t.server;
  } else if (t.writes.contains(cmd)) {
    table = &t.writes;
  } else if (cmd == "function" && args.size() >= 2 &&
             t.writes.contains(StrCat("function|", Lower(args[1])))) {
    table = &t.writes;  // the writing subcommands of FUNCTION; the others are reads
  }
  if (table != nullptr) {
    *is_write = table == &t.writes;
    auto it = table->find(cmd);
    if (it != table->end() && !t.containers.contains(cmd)) {
      return ArityOk(it->second, args.size()) || arity_error(cmd);
    }
    if (args.size() < 2) {  // the container alone: COMMAND may be, CLIENT and XGROUP may not
      return (it != table->end() && ArityOk(it->second, args.size())) || arity_error(cmd);
    }
    std::string full = StrCat(cmd, "|", Lower(args[1]));
    auto sub = table->find(full);
    if (sub == table->end()) {
      std::string upper(CString(args[0]));
      for (char& ch : upper) ch = absl::ascii_toupper(static_cast<unsigned char>(ch));
      Reject(StrCat("ERR unknown subcommand '", CString(args[1]), "'. Try ", upper, " HELP."));
      return false;
    }
    *fullname = full;
    return ArityOk(sub->second, args.size()) || arity_error(full);
  }
  switch (CheckReadCommand(args, reply_)) {
    case CommandCheck::kOk:
      return true;
    case CommandCheck::kRejected:
      if (in_multi_) multi_error_ = true;
      return false;
    case CommandCheck::kUnknown:
      break;
  }
  // commandCheckExistence's text: sprintf("%.128s") of the name and of the first arguments.
  std::string tail;
  for (size_t i = 1; i < args.size() && tail.size() < 128; ++i) {
    StrAppend(&tail, "'", CString(args[i], 128 - tail.size()), "' ");
  }
  Reject(StrCat("ERR unknown command '", CString(args[0]), "', with args beginning with: ", tail));
  return false;
}

void RespServer::Client::Reject(std::string_view error) {
  reply_.Error(error);
  if (in_multi_) multi_error_ = true;
}

void RespServer::Client::Watch(ReplicaLink* link) {
  if (watching_) return;  // the first WATCH's view is the one EXEC compares with
  watching_ = true;
  watch_uid_ = link->keyspace().uid();
  watch_changes_ = link->keyspace().changes();
}

bool RespServer::Client::WatchedKeysTouched() {
  if (!watching_) return false;
  ReplicaLink* link = Link();
  return link == nullptr || link->keyspace().uid() != watch_uid_ ||
         link->keyspace().changes() != watch_changes_;
}

std::string RespServer::Client::ClientInfoLine() const {
  return StrCat("id=", id_, " name=", name_, " db=", ctx_.db, " user=", link_id_,
                " resp=", ctx_.protocol, "\n");
}

void RespServer::Client::CommandCmd(std::span<const std::string_view> args,
                                    const std::string& sub) {
  if (sub.empty() || sub == "info") {
    reply_.ArrayHeader(0);  // no command metadata: clients (redis-cli) work without it
  } else if (sub == "docs") {
    reply_.MapHeader(0);  // redis-cli asks for its hints and works without them
  } else if (sub == "count" || sub == "list") {
    std::vector<std::string> names = ReadCommandNames();
    const CommandTables& t = Tables();
    for (const auto* table : {&t.server, &t.writes}) {
      for (const auto& [name, arity] : *table) {
        if (name.find('|') == std::string::npos) names.push_back(name);
      }
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    if (sub == "count") {
      reply_.Integer(static_cast<int64_t>(names.size()));
    } else {
      reply_.ArrayHeader(names.size());
      for (const auto& n : names) reply_.Bulk(n);
    }
  } else if (sub == "help") {
    static const char* const kHelp[] = {
        "(no subcommand)",
        "    Return details about all Redis commands.",
        "COUNT",
        "    Return the total number of commands in this Redis server.",
        "LIST",
        "    Return a list of all commands in this Redis server.",
        "INFO [<command-name> ...]",
        "    Return details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "DOCS [<command-name> ...]",
        "    Return documentation details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "GETKEYS <full-command>",
        "    Return the keys from a full Redis command.",
        "GETKEYSANDFLAGS <full-command>",
        "    Return the keys and the access flags from a full Redis command.",
    };
    ReplyHelpLines("COMMAND", kHelp);
  } else {  // getkeys, getkeysandflags
    (void)args;
    reply_.Error("ERR Invalid command specified");
  }
}

void RespServer::Client::ClientCmd(std::span<const std::string_view> args, const std::string& sub) {
  size_t argc = args.size();
  if (sub == "id") {
    reply_.Integer(static_cast<int64_t>(id_));
  } else if (sub == "getname") {
    if (name_.empty()) {
      reply_.Null();
    } else {
      reply_.Bulk(name_);
    }
  } else if (sub == "setname") {
    for (char ch : args[2]) {
      if (ch < '!' || ch > '~') {
        reply_.Error("ERR Client names cannot contain spaces, newlines or special characters.");
        return;
      }
    }
    name_ = std::string(args[2]);
    reply_.Ok();
  } else if (sub == "info") {
    reply_.Verbatim(ClientInfoLine());
  } else if (sub == "list") {
    reply_.Bulk(ClientInfoLine());  // the clients of other links are not this client's business
  } else if (sub == "no-evict") {
    if (EqualsIgnoreCase(args[2], "on") || EqualsIgnoreCase(args[2], "off")) {
      reply_.Ok();
    } else {
      reply_.Error("ERR syntax error");
    }
  } else if (sub == "setinfo") {
    reply_.Ok();  // (Redis 7.2's; clients send it and ignore an error, so accepting is kinder)
  } else if (sub == "reply") {
    if (EqualsIgnoreCase(args[2], "on")) {
      reply_mode_ = ReplyMode::kOn;
      force_reply_ = true;
      reply_.Ok();
    } else if (EqualsIgnoreCase(args[2], "off")) {
      reply_mode_ = ReplyMode::kOff;
    } else if (EqualsIgnoreCase(args[2], "skip")) {
      if (reply_mode_ == ReplyMode::kOn) reply_mode_ = ReplyMode::kSkipNext;
    } else {
      reply_.Error("ERR syntax error");
    }
  } else if (sub == "getredir") {
    reply_.Integer(-1);
  } else if (sub == "kill") {
    if (argc == 3) {
      reply_.Error("ERR No such client");
    } else {
      reply_.Integer(0);  // no other client of this endpoint is ours to kill
    }
  } else if (sub == "pause" || sub == "unpause") {
    reply_.Ok();  // nothing writes through this endpoint
  } else if (sub == "help") {
    static const char* const kHelp[] = {
        "GETREDIR",
        "    Return the client ID we are redirecting to when tracking is enabled.",
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "LIST [options ...]",
        "    Return information about client connections.",
        "REPLY (ON|OFF|SKIP)",
        "    Control the replies sent to the current connection.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "NO-EVICT (ON|OFF)",
        "    Protect current client connection from eviction.",
    };
    ReplyHelpLines("CLIENT", kHelp);
  }
}

void RespServer::Client::ReplyHelpLines(std::string_view command,
                                        std::span<const char* const> lines) {
  reply_.ArrayHeader(lines.size() + 3);
  reply_.Simple(StrCat(command, " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"));
  for (const char* l : lines) reply_.Simple(l);
  reply_.Simple("HELP");
  reply_.Simple("    Prints this help.");
}

bool RespServer::Client::ExecuteAuth(std::string_view user, std::string_view pass, bool hello,
                                     int protocol, std::string_view setname) {
  const std::string& token = server_->engine_->options().resp_password;
  EventLoop* target = server_->engine_->LoopOf(user);
  bool ok = target != nullptr && (token.empty() || ConstantTimeEquals(pass, token));
  if (!ok) {
    LOG(Info) << "RESP endpoint: authentication failed for user '" << user.substr(0, 64) << "'";
    reply_.Error("WRONGPASS invalid username-password pair or user is disabled.");
    return true;
  }
  // Unsubscribe from the previous link's channels before switching datasets.
  UnsubscribeAll();
  ctx_.db = 0;
  if (!setname.empty()) name_ = std::string(setname);
  if (target == loop_) {
    link_id_ = std::string(user);
    if (hello) {
      ctx_.protocol = protocol;
      reply_.set_protocol(protocol);
      ReplyHello();
    } else {
      reply_.Ok();
    }
    return true;
  }
  // Move to the link's loop: every later command runs where the data lives.
  Carry carry;
  carry.protocol = hello ? protocol : ctx_.protocol;
  carry.name = name_;
  carry.link_id = std::string(user);
  // The AUTH/HELLO command itself is consumed by the caller after Execute returns; since this
  // object goes away, take the input after the current command ourselves.
  std::string_view rest = in_.Readable();
  size_t consumed = 0;
  RespParser probe(parser_.limits());
  std::vector<std::string_view> tmp;
  if (probe.ParseCommand(rest, &tmp, &consumed, true) == ParseResult::kOk) {
    rest.remove_prefix(consumed);
  }
  carry.pending_input = std::string(rest);
  carry.pending_reply = std::string(out_.substr(out_sent_));
  carry.auth_reply = hello ? Carry::AuthReply::kHello : Carry::AuthReply::kOk;
  int fd = fd_;
  loop_->Unwatch(fd_);
  fd_ = -1;  // ownership of the socket moves with the task
  std::unique_ptr<Client> self = state_->Detach(this);
  RespServer* server = server_;
  absl::Status posted = target->Post([server, target, fd, carry = std::move(carry)]() mutable {
    server->states_[target->index()]->Adopt(fd, std::move(carry));
  });
  if (!posted.ok()) CloseFd(fd);
  // `self` (this) is destroyed when this function returns to ProcessInput, which returns at once.
  loop_->Defer([s = std::shared_ptr<Client>(std::move(self))] {});
  return false;
}

void RespServer::Client::ReplyHello() {
  reply_.MapHeader(7);
  reply_.Bulk("server");
  reply_.Bulk("redis");
  reply_.Bulk("version");
  reply_.Bulk(kCompatVersion);
  reply_.Bulk("proto");
  reply_.Integer(ctx_.protocol);
  reply_.Bulk("id");
  reply_.Integer(static_cast<int64_t>(id_));
  reply_.Bulk("mode");
  reply_.Bulk("standalone");
  reply_.Bulk("role");
  reply_.Bulk("replica");
  reply_.Bulk("modules");
  reply_.ArrayHeader(0);
}

void RespServer::Client::Info(std::span<const std::string_view> args, ReplicaLink* link) {
  absl::flat_hash_set<std::string> wanted;
  for (size_t i = 1; i < args.size(); ++i) wanted.insert(Lower(args[i]));
  bool all = wanted.empty() || wanted.contains("all") || wanted.contains("everything") ||
             wanted.contains("default");
  auto want = [&](const char* s) { return all || wanted.contains(s); };
  LinkStatusPtr st = link->status();
  std::string out;
  if (want("server")) {
    static const int64_t start_s = absl::ToUnixSeconds(absl::Now());
    int64_t uptime = absl::ToUnixSeconds(absl::Now()) - start_s;
    StrAppend(&out, "# Server\r\nredis_version:", kCompatVersion,
              "\r\nredis_mode:standalone\r\nredlink_link:", link->id(),
              "\r\narch_bits:64\r\nmultiplexing_api:epoll\r\nprocess_id:", getpid(),
              "\r\ntcp_port:", server_->port(), "\r\nuptime_in_seconds:", uptime,
              "\r\nuptime_in_days:", uptime / 86400, "\r\n\r\n");
  }
  if (want("clients")) {
    StrAppend(&out, "# Clients\r\nconnected_clients:", server_->TotalClients(), "\r\n\r\n");
  }
  if (want("memory")) {
    uint64_t used = link->keyspace().DatasetBytes();
    StrAppend(&out, "# Memory\r\nused_memory:", used, "\r\nused_memory_dataset:", used, "\r\n\r\n");
  }
  if (want("replication")) {
    LinkPhase phase = link->phase();
    bool up = phase == LinkPhase::kStreaming || (phase == LinkPhase::kPaused && link->connected());
    bool syncing = phase == LinkPhase::kAwaitRdbPreamble || phase == LinkPhase::kLoadingRdb;
    int64_t offset = link->repl_offset() < 0 ? 0 : link->repl_offset();
    StrAppend(&out, "# Replication\r\nrole:slave\r\nmaster_host:", link->spec().host,
              "\r\nmaster_port:", link->spec().port, "\r\nmaster_link_status:", up ? "up" : "down",
              "\r\nmaster_last_io_seconds_ago:", link->last_io_seconds_ago(),
              "\r\nmaster_sync_in_progress:", syncing ? 1 : 0);
    if (syncing && st) {
      uint64_t total = st->rdb_bytes_expected, read = st->rdb_bytes_received;
      StrAppend(&out, "\r\nmaster_sync_total_bytes:", total, "\r\nmaster_sync_read_bytes:", read,
                "\r\nmaster_sync_left_bytes:", total > read ? total - read : 0);
    }
    StrAppend(&out, "\r\nslave_read_repl_offset:", offset, "\r\nslave_repl_offset:", offset);
    if (!up && st) {
      int64_t down = st->state_since == absl::InfinitePast()
                         ? -1
                         : absl::ToInt64Seconds(absl::Now() - st->state_since);
      StrAppend(&out, "\r\nmaster_link_down_since_seconds:", down);
    }
    StrAppend(&out,
              "\r\nslave_priority:0\r\nslave_read_only:1\r\nreplica_announced:1\r\n"
              "connected_slaves:0\r\nmaster_failover_state:no-failover\r\nmaster_replid:",
              st && !st->master_replid.empty() ? st->master_replid : std::string(40, '0'),
              "\r\nmaster_replid2:",
              st && !st->master_replid2.empty() ? st->master_replid2 : std::string(40, '0'),
              "\r\nmaster_repl_offset:", offset,
              "\r\nsecond_repl_offset:", st ? st->second_repl_offset : -1,
              "\r\nrepl_backlog_active:0\r\nrepl_backlog_size:0\r\n"
              "repl_backlog_first_byte_offset:0\r\nrepl_backlog_histlen:0\r\n\r\n");
  }
  if (want("cluster")) out.append("# Cluster\r\ncluster_enabled:0\r\n\r\n");
  if (want("keyspace")) {
    out.append("# Keyspace\r\n");
    Keyspace& ks = link->keyspace();
    for (int db = 0; db < ks.num_dbs(); ++db) {
      uint64_t keys = ks.KeyCount(db);
      if (keys == 0) continue;
      StrAppend(&out, "db", db, ":keys=", keys, ",expires=", ks.ExpiresCount(db), ",avg_ttl=0\r\n");
    }
    out.append("\r\n");
  }
  // Sections are separated by a blank line; Redis ends the text without one.
  if (out.size() >= 4 && out.compare(out.size() - 4, 4, "\r\n\r\n") == 0) {
    out.resize(out.size() - 2);
  }
  reply_.Verbatim(out);
}

void RespServer::Client::Role(ReplicaLink* link) {
  reply_.ArrayHeader(5);
  reply_.Bulk("slave");
  reply_.Bulk(link->spec().host);
  reply_.Integer(link->spec().port);
  const char* state = RoleState(link->phase(), link->connected());
  reply_.Bulk(state);
  reply_.Integer(std::string_view(state) == "connected" ? link->repl_offset() : -1);
}

void RespServer::Client::Subscribe(std::span<const std::string_view> names, bool pattern) {
  LinkPubSub* ps = PubSub();
  for (auto name : names) {
    std::string n(name);
    auto& mine = pattern ? patterns_ : channels_;
    if (mine.insert(n).second && ps) {
      (pattern ? ps->patterns : ps->channels)[n].insert(this);
    }
    reply_.PushHeader(3);
    reply_.Bulk(pattern ? "psubscribe" : "subscribe");
    reply_.Bulk(name);
    reply_.Integer(static_cast<int64_t>(subscriptions()));
  }
}

void RespServer::Client::Unsubscribe(std::span<const std::string_view> names, bool pattern) {
  LinkPubSub* ps = PubSub();
  auto& mine = pattern ? patterns_ : channels_;
  std::vector<std::string> targets;
  if (names.empty()) {
    targets.assign(mine.begin(), mine.end());
    std::sort(targets.begin(), targets.end());
  } else {
    for (auto n : names) targets.emplace_back(n);
  }
  const char* kind = pattern ? "punsubscribe" : "unsubscribe";
  if (targets.empty()) {
    reply_.PushHeader(3);
    reply_.Bulk(kind);
    reply_.Null();
    reply_.Integer(static_cast<int64_t>(subscriptions()));
    return;
  }
  for (const auto& n : targets) {
    if (mine.erase(n) && ps) {
      auto& table = pattern ? ps->patterns : ps->channels;
      auto it = table.find(n);
      if (it != table.end()) {
        it->second.erase(this);
        if (it->second.empty()) table.erase(it);
      }
    }
    reply_.PushHeader(3);
    reply_.Bulk(kind);
    reply_.Bulk(n);
    reply_.Integer(static_cast<int64_t>(subscriptions()));
  }
}

void RespServer::Client::UnsubscribeAll() {
  if (channels_.empty() && patterns_.empty()) return;
  LinkPubSub* ps = link_id_.empty() ? nullptr : PubSub();
  if (ps) {
    for (const auto& n : channels_) {
      auto it = ps->channels.find(n);
      if (it != ps->channels.end()) {
        it->second.erase(this);
        if (it->second.empty()) ps->channels.erase(it);
      }
    }
    for (const auto& n : patterns_) {
      auto it = ps->patterns.find(n);
      if (it != ps->patterns.end()) {
        it->second.erase(this);
        if (it->second.empty()) ps->patterns.erase(it);
      }
    }
  }
  channels_.clear();
  patterns_.clear();
}

// ---------------------------------------------------------------------------------------------

RespServer::RespServer(Engine* engine) : engine_(engine) {}

RespServer::~RespServer() {
  for (int fd : listen_fds_) CloseFd(fd);
}

absl::Status RespServer::Bind(std::string_view addr) {
  // One listening socket, watched by every loop with EPOLLEXCLUSIVE: the kernel wakes one loop
  // per connection. (SO_REUSEPORT would let a second process bind the same port silently.)
  auto fd = ListenTcp(addr, /*reuse_port=*/false);
  if (!fd.ok()) {
    return absl::UnavailableError(
        StrCat("RESP endpoint --resp_addr=", addr, ": ", fd.status().message()));
  }
  port_ = LocalPort(*fd);
  listen_fds_.push_back(*fd);
  return absl::OkStatus();
}

void RespServer::Start() {
  for (int i = 0; i < engine_->loops().size(); ++i) {
    states_.push_back(std::make_unique<LoopState>(this, engine_->loops().loop(i), listen_fds_[0]));
  }
  for (auto& st : states_) {
    LoopState* s = st.get();
    (void)s->loop()->Post([s] { s->Start(); });
  }
}

void RespServer::Stop() {
  std::mutex mu;
  std::condition_variable cv;
  int pending = 0;
  for (auto& st : states_) {
    LoopState* s = st.get();
    ++pending;
    absl::Status posted = s->loop()->Post([s, &mu, &cv, &pending] {
      s->Stop();
      std::lock_guard<std::mutex> lock(mu);
      --pending;
      cv.notify_all();
    });
    if (!posted.ok()) {
      std::lock_guard<std::mutex> lock(mu);
      --pending;
    }
  }
  std::unique_lock<std::mutex> lock(mu);
  cv.wait_for(lock, std::chrono::seconds(5), [&] { return pending == 0; });
}

int RespServer::TotalClients() const {
  int total = 0;
  for (int i = 0; i < engine_->loops().size(); ++i) {
    total += static_cast<int>(engine_->loops().loop(i)->stats().clients.load());
  }
  return total;
}

void RespServer::OnLinkCreated(int loop_index, ReplicaLink* link) {
  if (loop_index >= static_cast<int>(states_.size())) return;
  auto& ps = states_[loop_index]->pubsub()[link->id()];
  if (!ps) ps = std::make_unique<LinkPubSub>();
  link->set_pubsub(ps.get());
}

void RespServer::OnLinkDeleted(int loop_index, ReplicaLink* link) {
  if (loop_index >= static_cast<int>(states_.size())) return;
  LoopState* st = states_[loop_index].get();
  for (auto& [id, c] : st->clients()) {
    if (c->link_id() == link->id()) c->Close("link deleted");
  }
  link->set_pubsub(nullptr);
  st->pubsub().erase(link->id());
}

}  // namespace redlink::engine
