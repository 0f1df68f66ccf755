#include "engine/replication/replica_link.h"

#include <sys/epoll.h>

#include <algorithm>
#include <cstring>

#include "engine/common/log.h"
#include "engine/common/strings.h"
#include "engine/io/socket.h"
#include "engine/protocol/resp_writer.h"

namespace redlink::engine {
namespace {

constexpr size_t kReadChunk = 256 * 1024;  // bytes read per readiness event (R5)
constexpr size_t kMinReadRoom = 16 * 1024;
constexpr int kMaxBackoffSeconds = 30;
constexpr size_t kMaxPreambleLine = 1024;  // Redis reads the $ line into 1024 bytes
const std::string kZeroReplid(40, '0');

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

// The step a connection loss belongs to.
ErrorStep StepForPhase(LinkPhase phase) {
  switch (phase) {
    case LinkPhase::kResolving:
    case LinkPhase::kConnecting:
      return ErrorStep::kConnect;
    case LinkPhase::kAwaitPong:
      return ErrorStep::kPing;
    case LinkPhase::kAwaitAuth:
      return ErrorStep::kAuth;
    case LinkPhase::kAwaitReplconf:
      return ErrorStep::kReplconf;
    case LinkPhase::kAwaitPsync:
      return ErrorStep::kPsync;
    case LinkPhase::kAwaitRdbPreamble:
    case LinkPhase::kLoadingRdb:
      return ErrorStep::kTransfer;
    default:
      return ErrorStep::kStream;
  }
}

RespLimits HandshakeLimits() {
  RespLimits limits;
  limits.max_bulk_len = 64 * 1024;  // replies to PING/AUTH/REPLCONF/PSYNC are single lines
  limits.max_inline_len = 64 * 1024;
  limits.max_array_len = 1024;
  limits.max_depth = 4;
  return limits;
}

RespLimits StreamLimits(uint64_t max_bulk_len) {
  RespLimits limits;
  limits.max_bulk_len = max_bulk_len;
  return limits;
}

int64_t NowMs() { return absl::ToUnixMillis(absl::Now()); }

}  // namespace

ReplicaLink::ReplicaLink(EventLoop* loop, LinkSpec spec, std::shared_ptr<LinkSlot> slot,
                         const LinkEnvironment* env)
    : loop_(loop),
      spec_(std::move(spec)),
      slot_(std::move(slot)),
      env_(env),
      input_(std::max<uint64_t>(env->max_bulk_len * 2 + (1 << 20), 64 << 20)),
      reply_parser_(HandshakeLimits()),
      stream_parser_(StreamLimits(env->max_bulk_len)),
      keyspace_(std::make_unique<Keyspace>()) {
  if (spec_.create_time == absl::InfinitePast()) spec_.create_time = absl::Now();
}

ReplicaLink::~ReplicaLink() {
  if (phase_ != LinkPhase::kStopped) Stop();
}

void ReplicaLink::Start() {
  DCHECK(loop_->IsInLoopThread());
  cron_timer_ = loop_->RunAfter(std::chrono::seconds(1), [this] { Cron(); });
  LINK_LOG(Info, spec_.id) << "created in state " << (spec_.paused ? "PAUSED" : "CONNECTING")
                           << ": master " << spec_.host << ":" << spec_.port;
  if (spec_.paused) {
    TransitionTo(LinkPhase::kPaused);
    Publish(true);
    return;
  }
  Publish(true);
  Connect();
}

void ReplicaLink::Stop() {
  DCHECK(loop_->IsInLoopThread());
  *alive_ = false;
  CloseConnection();
  for (auto* t : {&phase_timer_, &retry_timer_, &cron_timer_, &publish_timer_, &ack_nudge_timer_}) {
    if (*t) loop_->CancelTimer(*t);
    *t = 0;
  }
  phase_ = LinkPhase::kStopped;
  auto waiters = std::move(pause_waiters_);
  pause_waiters_.clear();
  for (auto& w : waiters) {
    w(absl::UnavailableError(StrCat("link '", spec_.id, "' stopped before it could pause")));
  }
}

// ---------------------------------------------------------------------------------------------
// Transitions and the one failure path.

void ReplicaLink::TransitionTo(LinkPhase next) {
  if (next == phase_) return;
  LinkState before = PublicState(phase_);
  LinkPhase old = phase_;
  phase_ = next;
  LinkState after = PublicState(next);
  if (before != after || old == LinkPhase::kIdle) {
    phase_since_ = absl::Now();
    if (before != after) {
      LINK_LOG(Info, spec_.id) << "state " << LinkStateName(before) << " -> "
                               << LinkStateName(after);
    }
    Publish(true);
  } else {
    MarkDirty();
  }
}

void ReplicaLink::Fail(ErrorStep step, std::string message, bool retryable) {
  if (phase_ == LinkPhase::kStopped) return;
  LINK_LOG(Warning, spec_.id) << "step " << ErrorStepName(step) << " failed: " << message
                              << (retryable ? "" : " (not retrying)");
  last_error_ = LinkError{step, std::move(message), absl::Now()};
  errors_by_step_[static_cast<int>(step)]++;
  bool was_loading = phase_ == LinkPhase::kLoadingRdb || phase_ == LinkPhase::kAwaitRdbPreamble;
  CloseConnection();
  if (was_loading && spec_.options.drop_before_load) has_dataset_ = false;
  if (pause_requested_) {
    EnterPaused();
    return;
  }
  if (retryable) {
    ScheduleRetry();
  } else {
    TransitionTo(LinkPhase::kFailed);
  }
  Publish(false);  // last_error changed even if the state did not
}

void ReplicaLink::CloseConnection() {
  ++connection_generation_;
  CancelPhaseTimer();
  if (ack_nudge_timer_) loop_->CancelTimer(ack_nudge_timer_);
  ack_nudge_timer_ = 0;
  if (fd_ >= 0) {
    loop_->Unwatch(fd_);
    CloseFd(fd_);
    fd_ = -1;
  }
  interest_ = 0;
  input_.Clear();
  input_.ReleaseIfEmpty();
  output_.clear();
  output_.shrink_to_fit();
  output_sent_ = 0;
  reply_parser_.Reset();
  stream_parser_.Reset();
  // A transaction cut by a disconnect is dropped: the next PSYNC resumes before its MULTI.
  in_multi_ = false;
  multi_bytes_ = 0;
  multi_queue_.clear();
  multi_getack_ = false;
  // A transfer cut short leaves the previous dataset as it was.
  decoder_.reset();
  loader_.reset();
  if (loading_keyspace_) {
    if (env_->dispose) {
      env_->dispose(std::move(loading_keyspace_));
    } else {
      loading_keyspace_.reset();
    }
  }
  rdb_expected_ = rdb_received_ = 0;
}

void ReplicaLink::ScheduleRetry() {
  if (retry_timer_) loop_->CancelTimer(retry_timer_);
  ++backoff_attempt_;
  // Capped exponential backoff with jitter; the first retry comes within a second.
  double base = std::min<double>(kMaxBackoffSeconds, 1 << std::min(backoff_attempt_ - 1, 10));
  double delay = base * absl::Uniform<double>(rng_, 0.5, 1.0);
  TransitionTo(LinkPhase::kBackoff);
  retry_timer_ =
      loop_->RunAfter(std::chrono::microseconds(static_cast<int64_t>(delay * 1e6)), [this] {
        retry_timer_ = 0;
        Connect();
      });
}

void ReplicaLink::RetryNow() {
  if (retry_timer_) loop_->CancelTimer(retry_timer_);
  retry_timer_ = 0;
  Connect();
}

// ---------------------------------------------------------------------------------------------
// Connection and handshake (steps 2-6).

void ReplicaLink::Connect() {
  CloseConnection();
  ++connect_attempts_;
  TransitionTo(LinkPhase::kResolving);
  uint64_t generation = connection_generation_;
  std::weak_ptr<bool> alive = alive_;
  // Resolved again at every attempt: a restarted Kubernetes pod has a new address.
  env_->resolver->Resolve(
      spec_.host, spec_.port, loop_,
      [this, alive, generation](absl::StatusOr<SocketAddress> address) {
        auto a = alive.lock();
        if (!a || !*a || generation != connection_generation_ || phase_ != LinkPhase::kResolving) {
          return;
        }
        OnResolved(std::move(address));
      });
}

void ReplicaLink::OnResolved(absl::StatusOr<SocketAddress> address) {
  if (!address.ok()) {
    Fail(ErrorStep::kConnect, std::string(address.status().message()));
    return;
  }
  address_ = *address;
  address_text_ = address_.ToString();
  auto fd = StartConnect(address_);
  if (!fd.ok()) {
    Fail(ErrorStep::kConnect, std::string(fd.status().message()));
    return;
  }
  fd_ = *fd;
  interest_ = EPOLLOUT;
  if (auto s = loop_->Watch(fd_, interest_, this); !s.ok()) {
    Fail(ErrorStep::kConnect, std::string(s.message()));
    return;
  }
  TransitionTo(LinkPhase::kConnecting);
  ArmPhaseTimer(spec_.options.connect_timeout_seconds, ErrorStep::kConnect, "connect timed out");
}

void ReplicaLink::OnConnected() {
  CancelPhaseTimer();
  last_io_ = loop_->now();
  last_io_wall_ = absl::Now();
  LINK_LOG(Debug, spec_.id) << "connected to " << address_text_;
  // PING goes alone: its reply decides whether AUTH is needed (Redis syncWithMaster).
  TransitionTo(LinkPhase::kAwaitPong);
  Send("*1\r\n$4\r\nPING\r\n");
  UpdateInterest();
  ArmPhaseTimer(spec_.options.handshake_timeout_seconds, ErrorStep::kPing, "no reply to PING");
}

void ReplicaLink::SendHandshake() {
  // AUTH and the REPLCONFs in one write; their replies are read in order (Redis pipelines them
  // the same way). PSYNC waits until every reply is in (protocol doc §2.2).
  std::string out;
  auth_sent_ = !spec_.password.empty();
  if (auth_sent_) {
    if (spec_.username.empty()) {
      AppendCommand(&out, {"AUTH", spec_.password});
    } else {
      AppendCommand(&out, {"AUTH", spec_.username, spec_.password});
    }
  }
  std::string port = StrCat(env_->announce_port);
  AppendCommand(&out, {"REPLCONF", "listening-port", port});
  AppendCommand(&out, {"REPLCONF", "capa", "eof", "capa", "psync2"});
  pending_replies_ = 2;
  if (auth_sent_) {
    TransitionTo(LinkPhase::kAwaitAuth);
  } else {
    TransitionTo(LinkPhase::kAwaitReplconf);
  }
  Send(out);
  ArmPhaseTimer(spec_.options.handshake_timeout_seconds,
                auth_sent_ ? ErrorStep::kAuth : ErrorStep::kReplconf,
                auth_sent_ ? "no reply to AUTH" : "no reply to REPLCONF");
}

void ReplicaLink::SendPsync() {
  std::string out;
  if (has_dataset_ && !replid_.empty() && offset_ >= 0) {
    std::string next = StrCat(offset_ + 1);
    AppendCommand(&out, {"PSYNC", replid_, next});
    LINK_LOG(Debug, spec_.id) << "PSYNC " << replid_ << " " << next;
  } else {
    AppendCommand(&out, {"PSYNC", "?", "-1"});
  }
  TransitionTo(LinkPhase::kAwaitPsync);
  // The reply may take long (diskless delay, a busy BGSAVE): repl-timeout of silence applies
  // (checked by Cron), keep-alive newlines count as I/O.
  CancelPhaseTimer();
  Send(out);
}

void ReplicaLink::ArmPhaseTimer(int seconds, ErrorStep step, const char* what) {
  CancelPhaseTimer();
  if (seconds <= 0) seconds = 5;
  phase_timer_ = loop_->RunAfter(std::chrono::seconds(seconds), [this, step, what, seconds] {
    phase_timer_ = 0;
    Fail(step, StrCat(what, " within ", seconds, " s"));
  });
}

void ReplicaLink::CancelPhaseTimer() {
  if (phase_timer_) loop_->CancelTimer(phase_timer_);
  phase_timer_ = 0;
}

// ---------------------------------------------------------------------------------------------
// I/O.

void ReplicaLink::OnIo(uint32_t events) {
  if (fd_ < 0) return;
  if (phase_ == LinkPhase::kConnecting) {
    if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) {
      absl::Status err = SocketError(fd_);
      if (!err.ok()) {
        Fail(ErrorStep::kConnect, StrCat("connect to ", address_text_, ": ", err.message()));
      } else {
        OnConnected();
      }
    }
    return;
  }
  if (events & EPOLLOUT) {
    FlushOutput();
    if (fd_ < 0) return;
  }
  if (phase_ == LinkPhase::kPaused) {
    // Not reading while paused: only a hang-up reaches here. The link stays PAUSED.
    if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
      LINK_LOG(Info, spec_.id) << "master closed the connection while paused";
      CloseConnection();
      MarkDirty();
    }
    return;
  }
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) ReadAvailable();
}

void ReplicaLink::ReadAvailable() {
  if (!input_.Reserve(kMinReadRoom, kReadChunk)) {
    Fail(StepForPhase(phase_), StrCat("protocol error: a command from the master exceeds ",
                                      input_.max_capacity(), " buffered bytes"));
    return;
  }
  size_t n = 0;
  int err = 0;
  IoResult r = ReadSome(fd_, &input_, kReadChunk, &n, &err);
  switch (r) {
    case IoResult::kOk:
      last_io_ = loop_->now();
      last_io_wall_ = absl::Now();
      ProcessInput();
      return;
    case IoResult::kAgain:
      return;
    case IoResult::kClosed: {
      ErrorStep step = StepForPhase(phase_);
      if (phase_ == LinkPhase::kLoadingRdb && decoder_) {
        absl::Status s = decoder_->Finish();
        Fail(step, StrCat("connection closed by master during the RDB transfer after ",
                          rdb_received_, " bytes", s.ok() ? "" : ": ", s.message()));
      } else {
        Fail(step, "connection closed by master");
      }
      return;
    }
    case IoResult::kError:
      if (phase_ == LinkPhase::kLoadingRdb) {
        Fail(ErrorStep::kTransfer,
             StrCat("connection to master lost during the RDB transfer after ", rdb_received_,
                    " bytes: ", strerror(err)));
      } else {
        Fail(StepForPhase(phase_), StrCat("read from ", address_text_, ": ", strerror(err)));
      }
      return;
  }
}

void ReplicaLink::ProcessInput() {
  uint64_t generation = connection_generation_;
  // Each step consumes what it can and returns false when it needs more bytes or the link left
  // the connection (failed, paused); a phase change makes the next step pick up the rest.
  for (;;) {
    if (fd_ < 0 || generation != connection_generation_) return;
    bool progressed = false;
    switch (phase_) {
      case LinkPhase::kAwaitPong:
      case LinkPhase::kAwaitAuth:
      case LinkPhase::kAwaitReplconf:
      case LinkPhase::kAwaitPsync:
        progressed = ProcessHandshakeReply();
        break;
      case LinkPhase::kAwaitRdbPreamble:
        progressed = ProcessRdbPreamble();
        break;
      case LinkPhase::kLoadingRdb:
        progressed = ProcessRdbPayload();
        break;
      case LinkPhase::kStreaming:
        progressed = ProcessStream();
        break;
      default:
        return;
    }
    if (!progressed || input_.empty()) return;
  }
}

void ReplicaLink::SkipNewlines() {
  // Keep-alive newlines before +FULLRESYNC and before the $ preamble (replicationCron on the
  // master); they are not part of any offset.
  std::string_view data = input_.Readable();
  size_t n = 0;
  while (n < data.size() && data[n] == '\n') ++n;
  if (n) input_.Consume(n);
}

bool ReplicaLink::ProcessHandshakeReply() {
  if (phase_ == LinkPhase::kAwaitPsync) SkipNewlines();
  if (input_.empty()) return false;
  RespValue reply;
  size_t consumed = 0;
  switch (reply_parser_.ParseReply(input_.Readable(), &reply, &consumed)) {
    case ParseResult::kNeedMore:
      return false;
    case ParseResult::kError:
      Fail(StepForPhase(phase_),
           StrCat("bad reply from master: ", reply_parser_.error().message()));
      return false;
    case ParseResult::kOk:
      break;
  }
  // The reply's views stay valid until the bytes are consumed, so consume only after use.
  std::string text(reply.str);
  bool is_error = reply.IsError();
  input_.Consume(consumed);

  switch (phase_) {
    case LinkPhase::kAwaitPong:
      CancelPhaseTimer();
      if (is_error) {
        // -NOAUTH / -NOPERM / "-ERR operation not permitted" mean "go on to AUTH" (Redis
        // treats them as success); any other error aborts the attempt.
        bool auth_needed = StartsWith(text, "NOAUTH") || StartsWith(text, "NOPERM") ||
                           StartsWith(text, "ERR operation not permitted");
        if (!auth_needed) {
          Fail(ErrorStep::kPing, text);
          return false;
        }
        if (spec_.password.empty()) {
          Fail(ErrorStep::kAuth, text);
          return false;
        }
      }
      SendHandshake();
      return true;
    case LinkPhase::kAwaitAuth:
      if (is_error) {
        Fail(ErrorStep::kAuth, text);
        return false;
      }
      TransitionTo(LinkPhase::kAwaitReplconf);
      ArmPhaseTimer(spec_.options.handshake_timeout_seconds, ErrorStep::kReplconf,
                    "no reply to REPLCONF");
      return true;
    case LinkPhase::kAwaitReplconf:
      if (is_error) {
        // Non-critical, as for the real replica ("Master does not understand REPLCONF").
        LINK_LOG(Warning, spec_.id) << "(non critical) master rejected REPLCONF: " << text;
      }
      if (--pending_replies_ > 0) return true;
      CancelPhaseTimer();
      SendPsync();
      return true;
    case LinkPhase::kAwaitPsync:
      if (is_error) {
        // -LOADING / -NOMASTERLINK are transient; every error is retried with backoff.
        Fail(ErrorStep::kPsync, text);
        return false;
      }
      return ProcessPsyncReply(reply.type == RespType::kSimpleString ? text : std::string());
    default:
      return false;
  }
}

bool ReplicaLink::ProcessPsyncReply(const std::string& line) {
  std::string_view s = line;
  if (StartsWith(s, "FULLRESYNC ")) {
    std::string_view rest = s.substr(11);
    size_t space = rest.find(' ');
    int64_t offset;
    if (space != 40 || !SimpleAtoi(rest.substr(space + 1), &offset) || offset < 0) {
      Fail(ErrorStep::kPsync, StrCat("wrong +FULLRESYNC syntax: '", line, "'"));
      return false;
    }
    pending_replid_ = std::string(rest.substr(0, 40));
    pending_offset_ = offset;
    transfer_started_ = loop_->now();
    LINK_LOG(Info, spec_.id) << "full sync: master replid " << pending_replid_ << " offset "
                             << pending_offset_;
    TransitionTo(LinkPhase::kAwaitRdbPreamble);
    return true;
  }
  if (s == "CONTINUE" || StartsWith(s, "CONTINUE ")) {
    if (!has_dataset_) {
      Fail(ErrorStep::kPsync, "master answered +CONTINUE to a full sync request");
      return false;
    }
    std::string_view id = s.size() > 9 ? s.substr(9) : std::string_view();
    while (!id.empty() && (id.back() == ' ' || id.back() == '\r')) id.remove_suffix(1);
    if (id.size() == 40 && id != replid_) {
      // The master switched history (failover): the old id becomes replid2, valid up to our
      // offset + 1 (slaveTryPartialResynchronization, protocol doc §3.5).
      replid2_ = replid_;
      second_offset_ = offset_ + 1;
      replid_ = std::string(id);
      LINK_LOG(Info, spec_.id) << "master replid changed to " << replid_ << " (replid2 " << replid2_
                               << " up to " << second_offset_ << ")";
    }
    ++partial_syncs_;
    backoff_attempt_ = 0;
    LINK_LOG(Info, spec_.id) << "partial resync accepted at offset " << offset_ + 1;
    TransitionTo(LinkPhase::kStreaming);
    SendAck();
    return true;
  }
  Fail(ErrorStep::kPsync, StrCat("unexpected reply to PSYNC: '", line.substr(0, 128), "'"));
  return false;
}

bool ReplicaLink::ProcessRdbPreamble() {
  SkipNewlines();
  std::string_view data = input_.Readable();
  size_t eol = data.find("\r\n");
  if (eol == std::string_view::npos) {
    if (data.size() > kMaxPreambleLine) {
      Fail(ErrorStep::kTransfer, "bad protocol from master: preamble line too long");
    }
    return false;
  }
  std::string line(data.substr(0, eol));
  input_.Consume(eol + 2);
  if (StartsWith(line, "-")) {
    Fail(ErrorStep::kTransfer, StrCat("master aborted replication: ", line.substr(1)));
    return false;
  }
  if (!StartsWith(line, "$")) {
    Fail(ErrorStep::kTransfer,
         StrCat("bad protocol from master: expected '$', got '", line.substr(0, 64), "'"));
    return false;
  }
  if (StartsWith(line, "$EOF:")) {
    if (line.size() < 5 + 40) {
      Fail(ErrorStep::kTransfer, StrCat("bad protocol from master: short EOF mark '", line, "'"));
      return false;
    }
    eof_mode_ = true;
    eof_mark_ = line.substr(5, 40);
    rdb_expected_ = 0;
  } else {
    uint64_t len;
    if (!SimpleAtoi(std::string_view(line).substr(1), &len)) {
      Fail(ErrorStep::kTransfer, StrCat("bad protocol from master: bad length '", line, "'"));
      return false;
    }
    eof_mode_ = false;
    rdb_expected_ = len;
  }
  rdb_received_ = 0;
  if (spec_.options.drop_before_load) {
    // The operator prefers memory to availability: the old dataset goes now.
    has_dataset_ = false;
    auto old = std::move(keyspace_);
    keyspace_ = std::make_unique<Keyspace>();
    if (env_->dispose) env_->dispose(std::move(old));
  }
  loading_keyspace_ = std::make_unique<Keyspace>();
  loader_ = std::make_unique<KeyspaceLoader>(loading_keyspace_.get());
  decoder_ = std::make_unique<rdb::RdbDecoder>(loader_.get());
  LINK_LOG(Info, spec_.id) << "receiving RDB: "
                           << (eof_mode_ ? std::string("diskless (EOF-marked)")
                                         : StrCat(rdb_expected_, " bytes"));
  TransitionTo(LinkPhase::kLoadingRdb);
  return true;
}

bool ReplicaLink::ProcessRdbPayload() {
  std::string_view data = input_.Readable();
  if (!decoder_->done()) {
    if (!eof_mode_) {
      uint64_t left = rdb_expected_ - rdb_received_;
      if (data.size() > left) data = data.substr(0, left);
    }
    if (data.empty()) return false;
    auto consumed = decoder_->Feed(data);
    if (!consumed.ok()) {
      // A module type or anything else the link cannot represent stops it (FAILED); a corrupt
      // payload is retried.
      bool retryable = consumed.status().code() != absl::StatusCode::kUnimplemented &&
                       consumed.status().code() != absl::StatusCode::kFailedPrecondition;
      Fail(ErrorStep::kTransfer, StrCat("RDB: ", consumed.status().message()), retryable);
      return false;
    }
    rdb_received_ += *consumed;
    rdb_received_total_ += *consumed;
    input_.Consume(*consumed);
    MarkDirty();
    if (!eof_mode_ && rdb_received_ == rdb_expected_ && !decoder_->done()) {
      absl::Status s = decoder_->Finish();
      Fail(ErrorStep::kTransfer,
           StrCat("RDB payload of ", rdb_expected_, " bytes ended early: ", s.message()));
      return false;
    }
    if (!decoder_->done()) return !input_.empty();
  }
  if (!eof_mode_) {
    if (rdb_received_ != rdb_expected_) {
      Fail(ErrorStep::kTransfer,
           StrCat("RDB ended after ", rdb_received_, " of ", rdb_expected_, " announced bytes"));
      return false;
    }
  } else {
    // Diskless: the same 40-byte mark follows the RDB (rdbSaveRioWithEOFMark).
    data = input_.Readable();
    if (data.size() < eof_mark_.size()) return false;
    if (data.substr(0, eof_mark_.size()) != eof_mark_) {
      Fail(ErrorStep::kTransfer, "RDB not followed by the EOF mark the master announced");
      return false;
    }
    input_.Consume(eof_mark_.size());
  }
  OnFullSyncLoaded();
  return true;
}

void ReplicaLink::OnFullSyncLoaded() {
  auto old = std::move(keyspace_);
  keyspace_ = std::move(loading_keyspace_);
  if (env_->dispose) env_->dispose(std::move(old));
  replid_ = pending_replid_;
  offset_ = pending_offset_;
  replid2_ = kZeroReplid;
  second_offset_ = -1;
  apply_ctx_.db = loader_->repl_stream_db() >= 0 ? loader_->repl_stream_db() : 0;
  rdb_version_ = decoder_->rdb_version();
  decoder_.reset();
  loader_.reset();
  has_dataset_ = true;
  ++full_syncs_;
  backoff_attempt_ = 0;
  last_full_sync_seconds_ = std::chrono::duration<double>(loop_->now() - transfer_started_).count();
  LINK_LOG(Info, spec_.id) << "full sync done: " << rdb_received_ << " bytes in "
                           << last_full_sync_seconds_ << " s, dataset " << keyspace_->DatasetBytes()
                           << " bytes";
  rdb_received_ = rdb_expected_ = 0;
  // A diskless master holds the stream until this first ACK (protocol doc §4.4).
  SendAck();
  TransitionTo(LinkPhase::kStreaming);
  // ... but only counts an ACK that arrives after it has reaped its RDB child, which it notices
  // up to a cron tick (100 ms at hz 10) after the payload ended: an ACK that early is ignored
  // and the stream would wait for the next periodic one, a second later. Repeat the ACK every
  // 100 ms for a second, until the stream flows.
  if (eof_mode_) {
    ack_nudges_left_ = 10;
    NudgeAck(offset_);
  }
}

void ReplicaLink::NudgeAck(int64_t loaded_offset) {
  ack_nudge_timer_ = loop_->RunAfter(std::chrono::milliseconds(100), [this, loaded_offset] {
    ack_nudge_timer_ = 0;
    if (phase_ != LinkPhase::kStreaming || offset_ != loaded_offset || !input_.empty()) return;
    SendAck();
    if (--ack_nudges_left_ > 0) NudgeAck(loaded_offset);
  });
}

// ---------------------------------------------------------------------------------------------
// Step 7: the command stream.

bool ReplicaLink::ProcessStream() {
  bool applied_any = false;
  for (;;) {
    if (pause_requested_ && !in_multi_) {
      EnterPaused();
      return false;
    }
    size_t consumed = 0;
    ParseResult r = stream_parser_.ParseCommand(input_.Readable(), &args_, &consumed,
                                                /*allow_inline=*/true);
    if (r == ParseResult::kNeedMore) break;
    if (r == ParseResult::kError) {
      Fail(ErrorStep::kStream, StrCat("protocol error in the stream at offset ", offset_ + 1, ": ",
                                      stream_parser_.error().message()));
      return false;
    }
    applied_any = true;
    bool ok = ApplyStreamCommand(args_, consumed);
    if (fd_ < 0 || phase_ != LinkPhase::kStreaming) return false;
    input_.Consume(consumed);
    if (!ok) return false;
  }
  if (applied_any) MarkDirty();
  return false;
}

bool ReplicaLink::ApplyStreamCommand(std::span<const std::string_view> args, size_t bytes) {
  if (args.empty()) {
    // A bare newline in the stream: skipped, but its byte counts (as on a real replica).
    if (!in_multi_)
      offset_ += static_cast<int64_t>(bytes);
    else
      multi_bytes_ += bytes;
    return true;
  }
  std::string_view name = args[0];
  if (EqualsIgnoreCase(name, "multi")) {
    in_multi_ = true;
    multi_bytes_ = bytes;
    multi_queue_.clear();
    multi_getack_ = false;
    return true;
  }
  if (EqualsIgnoreCase(name, "exec") && in_multi_) return ApplyTransaction(bytes);
  if (in_multi_) {
    // Queued until EXEC; the offset stays frozen (commandProcessed does not move reploff
    // inside MULTI).
    multi_bytes_ += bytes;
    if (EqualsIgnoreCase(name, "replconf") && args.size() >= 2 &&
        EqualsIgnoreCase(args[1], "getack")) {
      multi_getack_ = true;
      return true;
    }
    multi_queue_.emplace_back(args.begin(), args.end());
    return true;
  }
  if (EqualsIgnoreCase(name, "ping") || EqualsIgnoreCase(name, "exec")) {
    offset_ += static_cast<int64_t>(bytes);
    return true;
  }
  if (EqualsIgnoreCase(name, "select")) {
    int db;
    if (args.size() != 2 || !SimpleAtoi(args[1], &db) || db < 0 || db > (1 << 20)) {
      Fail(ErrorStep::kStream, StrCat("bad SELECT in the stream at offset ", offset_ + 1),
           /*retryable=*/false);
      return false;
    }
    apply_ctx_.db = db;
    offset_ += static_cast<int64_t>(bytes);
    return true;
  }
  if (EqualsIgnoreCase(name, "replconf")) {
    // GETACK is answered with the offset before the GETACK itself (protocol doc §5.4).
    if (args.size() >= 2 && EqualsIgnoreCase(args[1], "getack")) SendAck();
    offset_ += static_cast<int64_t>(bytes);
    return true;
  }
  apply_ctx_.now_ms = NowMs();
  absl::Status s = ApplyCommand(*keyspace_, apply_ctx_, args);
  if (s.ok()) {
    ++commands_applied_;
    offset_ += static_cast<int64_t>(bytes);
    return true;
  }
  if (spec_.options.unsupported_commands == UnsupportedCommandPolicy::kSkip) {
    ++commands_skipped_;
    LINK_LOG(Warning, spec_.id) << "skipped '" << name << "' at offset " << offset_ + 1 << ": "
                                << s.message();
    offset_ += static_cast<int64_t>(bytes);
    return true;
  }
  Fail(ErrorStep::kStream,
       StrCat("cannot apply '", name, "' at offset ", offset_ + 1, ": ", s.message()),
       /*retryable=*/false);
  return false;
}

bool ReplicaLink::ApplyTransaction(size_t exec_bytes) {
  in_multi_ = false;
  auto queue = std::move(multi_queue_);
  multi_queue_.clear();
  bool skip = spec_.options.unsupported_commands == UnsupportedCommandPolicy::kSkip;
  auto is_control = [](std::string_view n) {
    return EqualsIgnoreCase(n, "select") || EqualsIgnoreCase(n, "ping");
  };
  if (!skip) {
    for (const auto& cmd : queue) {
      if (!is_control(cmd[0]) && !IsSupportedCommand(cmd[0])) {
        Fail(ErrorStep::kStream,
             StrCat("cannot apply '", cmd[0], "' in the transaction at offset ", offset_ + 1,
                    ": unsupported command"),
             /*retryable=*/false);
        return false;
      }
    }
  }
  // Applied in one go: readers on this loop see all of it or none of it.
  std::vector<std::string_view> argv;
  apply_ctx_.now_ms = NowMs();
  for (const auto& cmd : queue) {
    if (EqualsIgnoreCase(cmd[0], "ping")) continue;
    if (EqualsIgnoreCase(cmd[0], "select")) {
      int db;
      if (cmd.size() == 2 && SimpleAtoi(cmd[1], &db) && db >= 0) apply_ctx_.db = db;
      continue;
    }
    argv.assign(cmd.begin(), cmd.end());
    absl::Status s = ApplyCommand(*keyspace_, apply_ctx_, argv);
    if (s.ok()) {
      ++commands_applied_;
    } else if (skip) {
      ++commands_skipped_;
      LINK_LOG(Warning, spec_.id) << "skipped '" << cmd[0] << "' in the transaction at offset "
                                  << offset_ + 1 << ": " << s.message();
    } else {
      Fail(ErrorStep::kStream,
           StrCat("cannot apply '", cmd[0], "' in the transaction at offset ", offset_ + 1, ": ",
                  s.message()),
           /*retryable=*/false);
      return false;
    }
  }
  if (multi_getack_) SendAck();
  multi_getack_ = false;
  offset_ += static_cast<int64_t>(multi_bytes_ + exec_bytes);
  multi_bytes_ = 0;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Output.

void ReplicaLink::Send(std::string_view bytes) {
  if (fd_ < 0) return;
  output_.append(bytes);
  FlushOutput();
}

void ReplicaLink::FlushOutput() {
  if (fd_ < 0 || output_sent_ >= output_.size()) return;
  size_t n = 0;
  int err = 0;
  IoResult r = WriteSome(fd_, std::string_view(output_).substr(output_sent_), &n, &err);
  output_sent_ += n;
  if (output_sent_ == output_.size()) {
    output_.clear();
    output_sent_ = 0;
  }
  if (r == IoResult::kError) {
    // Failing here could pull the connection from under a caller in the middle of a parse loop;
    // the failure runs right after the current callback instead.
    uint64_t generation = connection_generation_;
    std::string message = StrCat("write to ", address_text_, ": ", strerror(err));
    loop_->Defer([this, generation, message, alive = std::weak_ptr<bool>(alive_)] {
      auto a = alive.lock();
      if (!a || !*a || generation != connection_generation_) return;
      Fail(StepForPhase(phase_), message);
    });
    return;
  }
  UpdateInterest();
}

void ReplicaLink::SendAck() {
  int64_t offset = phase_ == LinkPhase::kLoadingRdb || phase_ == LinkPhase::kAwaitRdbPreamble
                       ? pending_offset_
                       : offset_;
  if (offset < 0) return;
  std::string out;
  std::string off = StrCat(offset);
  AppendCommand(&out, {"REPLCONF", "ACK", off});
  Send(out);
}

void ReplicaLink::UpdateInterest() {
  if (fd_ < 0) return;
  uint32_t want;
  if (phase_ == LinkPhase::kConnecting) {
    want = EPOLLOUT;
  } else {
    want = EPOLLRDHUP;
    if (phase_ != LinkPhase::kPaused) want |= EPOLLIN;
    if (output_sent_ < output_.size()) want |= EPOLLOUT;
  }
  if (want == interest_) return;
  if (loop_->Modify(fd_, want).ok()) interest_ = want;
}

// ---------------------------------------------------------------------------------------------
// Periodic work, once a second (Redis's replicationCron).

void ReplicaLink::Cron() {
  cron_timer_ = loop_->RunAfter(std::chrono::seconds(1), [this] { Cron(); });
  bool connected_for_stream =
      fd_ >= 0 && has_dataset_ && (phase_ == LinkPhase::kStreaming || phase_ == LinkPhase::kPaused);
  // ACK every second: while streaming, while paused (the frozen offset keeps our place), and
  // from +FULLRESYNC on through the whole transfer, so the master never times us out while a
  // large RDB loads.
  if (connected_for_stream || phase_ == LinkPhase::kLoadingRdb) SendAck();
  if (fd_ < 0) return;
  // repl-timeout of silence drops the connection (not while paused: we stopped reading).
  bool silence_checked = phase_ == LinkPhase::kAwaitPsync ||
                         phase_ == LinkPhase::kAwaitRdbPreamble ||
                         phase_ == LinkPhase::kLoadingRdb || phase_ == LinkPhase::kStreaming;
  int timeout = spec_.options.repl_timeout_seconds > 0 ? spec_.options.repl_timeout_seconds : 60;
  if (silence_checked && loop_->now() - last_io_ > std::chrono::seconds(timeout)) {
    Fail(StepForPhase(phase_), StrCat("no data from master for ", timeout, " s (repl-timeout)"));
  }
}

int64_t ReplicaLink::last_io_seconds_ago() const {
  if (fd_ < 0 || last_io_ == Clock::time_point{}) return -1;
  return std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - last_io_).count();
}

// ---------------------------------------------------------------------------------------------
// Operator actions.

void ReplicaLink::SetAuth(std::string username, std::string password) {
  spec_.username = std::move(username);
  spec_.password = std::move(password);
  LINK_LOG(Info, spec_.id) << "credentials updated (username "
                           << (spec_.username.empty() ? "<default>" : spec_.username)
                           << ", password " << (spec_.password.empty() ? "cleared" : "set") << ")";
  Publish(false);
  // A link waiting after an error retries at once with the new credentials.
  if (phase_ == LinkPhase::kBackoff) RetryNow();
}

void ReplicaLink::Pause(absl::AnyInvocable<void(absl::Status)> done) {
  if (phase_ == LinkPhase::kStopped) {
    done(absl::UnavailableError(StrCat("link '", spec_.id, "' is stopped")));
    return;
  }
  if (phase_ == LinkPhase::kPaused) {
    done(absl::OkStatus());
    return;
  }
  pause_waiters_.push_back(std::move(done));
  pause_requested_ = true;
  if (phase_ == LinkPhase::kStreaming) {
    // At a command boundary now, unless a transaction is open: then after its EXEC.
    if (!in_multi_) EnterPaused();
    return;
  }
  // Handshake, transfer, backoff or failed: stop the attempt; a transfer is abandoned and the
  // previous dataset stays.
  if (retry_timer_) loop_->CancelTimer(retry_timer_);
  retry_timer_ = 0;
  bool was_loading = phase_ == LinkPhase::kLoadingRdb || phase_ == LinkPhase::kAwaitRdbPreamble;
  CloseConnection();
  if (was_loading && spec_.options.drop_before_load) has_dataset_ = false;
  EnterPaused();
}

void ReplicaLink::EnterPaused() {
  pause_requested_ = false;
  spec_.paused = true;
  TransitionTo(LinkPhase::kPaused);
  UpdateInterest();
  auto waiters = std::move(pause_waiters_);
  pause_waiters_.clear();
  for (auto& w : waiters) w(absl::OkStatus());
}

void ReplicaLink::Resume() {
  spec_.paused = false;
  if (phase_ == LinkPhase::kPaused) {
    if (fd_ >= 0 && has_dataset_) {
      // The connection survived: carry on where we stopped, starting with buffered bytes.
      TransitionTo(LinkPhase::kStreaming);
      UpdateInterest();
      uint64_t generation = connection_generation_;
      loop_->Defer([this, generation, alive = std::weak_ptr<bool>(alive_)] {
        auto a = alive.lock();
        if (a && *a && generation == connection_generation_) ProcessInput();
      });
      return;
    }
    backoff_attempt_ = 0;
    Connect();
    return;
  }
  if (phase_ == LinkPhase::kFailed) {
    // Retry from the last good offset (a partial resync brings the same command again).
    backoff_attempt_ = 0;
    Connect();
  }
}

void ReplicaLink::Update(const LinkUpdate& update) {
  bool moved = false;
  if (update.host && *update.host != spec_.host) {
    spec_.host = *update.host;
    moved = true;
  }
  if (update.port && *update.port != spec_.port) {
    spec_.port = *update.port;
    moved = true;
  }
  if (update.options) spec_.options = *update.options;
  Publish(false);
  if (phase_ == LinkPhase::kPaused || phase_ == LinkPhase::kStopped) return;
  if (moved || phase_ == LinkPhase::kFailed || phase_ == LinkPhase::kBackoff) {
    // Re-point: reconnect now and ask PSYNC with our replid and offset, so a promoted replica
    // continues by partial resync.
    LINK_LOG(Info, spec_.id) << "master is now " << spec_.host << ":" << spec_.port;
    backoff_attempt_ = 0;
    Connect();
  }
}

// ---------------------------------------------------------------------------------------------
// Status snapshots.

void ReplicaLink::MarkDirty() {
  dirty_ = true;
  if (publish_timer_ || phase_ == LinkPhase::kStopped) return;
  publish_timer_ = loop_->RunAfter(std::chrono::milliseconds(100), [this] {
    publish_timer_ = 0;
    if (dirty_) Publish(false);
  });
}

void ReplicaLink::Publish(bool state_changed) {
  if (phase_ == LinkPhase::kStopped) return;
  auto s = std::make_shared<LinkStatus>();
  s->id = spec_.id;
  s->host = spec_.host;
  s->port = spec_.port;
  s->username = spec_.username;
  s->password_set = !spec_.password.empty();
  s->options = spec_.options;
  s->declared = spec_.declared;
  s->state = PublicState(phase_);
  s->state_since = phase_since_;
  s->last_error = last_error_;
  s->master_address = address_text_;
  s->master_replid = replid_;
  s->master_replid2 = replid2_;
  s->repl_offset = offset_;
  s->second_repl_offset = second_offset_;
  s->full_syncs = full_syncs_;
  s->partial_syncs = partial_syncs_;
  s->connect_attempts = connect_attempts_;
  s->commands_applied = commands_applied_;
  s->commands_skipped = commands_skipped_;
  s->rdb_bytes_expected = rdb_expected_;
  s->rdb_bytes_received = rdb_received_;
  s->rdb_bytes_received_total = rdb_received_total_;
  s->last_full_sync_duration_seconds = last_full_sync_seconds_;
  std::copy(std::begin(errors_by_step_), std::end(errors_by_step_), s->errors_by_step);
  for (int db = 0; db < keyspace_->num_dbs(); ++db) {
    uint64_t keys = keyspace_->KeyCount(db);
    if (keys) s->keys.push_back(DbKeyCount{db, keys, keyspace_->ExpiresCount(db)});
  }
  s->dataset_bytes = keyspace_->DatasetBytes();
  s->last_io_at = last_io_wall_;
  s->create_time = spec_.create_time;
  s->version = ++publish_version_;
  LinkStatusPtr ptr = std::move(s);
  slot_->status.store(ptr);
  dirty_ = false;
  if (state_changed && env_->observer) env_->observer->OnLinkStateChange(ptr);
}

}  // namespace redlink::engine
