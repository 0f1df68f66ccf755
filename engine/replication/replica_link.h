#pragma once
// ReplicaLink: one replica of one Redis master. It owns its socket, buffers, parsers, RDB loader
// and keyspace, and runs the whole replication protocol (connect, PING, AUTH, REPLCONF, PSYNC,
// RDB transfer, command stream, ACKs, partial resync) as a state machine on one event loop.
// Every method is loop thread only, except where stated. Other threads reach a link by posting
// a task that looks it up by id in its loop's link map (engine.cc); nothing outside the loop
// holds a pointer to it. See engine/README.md for the state diagram.

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "engine/engine_types.h"
#include "engine/io/event_loop.h"
#include "engine/io/io_buffer.h"
#include "engine/io/resolver.h"
#include "engine/keyspace/keyspace.h"
#include "engine/protocol/resp_parser.h"
#include "engine/rdb/rdb_decoder.h"
#include "engine/replication/command_applier.h"
#include "engine/replication/link_state.h"

namespace redlink::engine {

// Where a link publishes its status snapshots. The slot is shared with the engine's registry;
// the link stores into it on its loop, any thread loads from it.
struct LinkSlot {
  std::string id;
  EventLoop* loop = nullptr;
  std::atomic<std::shared_ptr<const LinkStatus>> status;
};

// Told about every state change (WatchLinks), from the link's loop thread. Must not block.
class LinkObserver {
 public:
  virtual ~LinkObserver() = default;
  virtual void OnLinkStateChange(const LinkStatusPtr& status) = 0;
};

// Process-wide things a link uses. Outlive every link.
struct LinkEnvironment {
  Resolver* resolver = nullptr;
  LinkObserver* observer = nullptr;  // may be null
  int announce_port = 0;             // REPLCONF listening-port (the RESP endpoint's port)
  uint64_t max_bulk_len = 512ull * 1024 * 1024;
  // Frees a replaced dataset off the loop (a big keyspace takes long to destroy).
  std::function<void(std::unique_ptr<Keyspace>)> dispose;
};

class ReplicaLink : public IoHandler {
 public:
  ReplicaLink(EventLoop* loop, LinkSpec spec, std::shared_ptr<LinkSlot> slot,
              const LinkEnvironment* env);
  ~ReplicaLink() override;
  ReplicaLink(const ReplicaLink&) = delete;
  ReplicaLink& operator=(const ReplicaLink&) = delete;

  // Starts connecting (or stays PAUSED if the spec says so).
  void Start();
  // Closes the connection, cancels timers and callbacks. The link must be destroyed next.
  void Stop();

  // Operator actions (from posted tasks).
  void SetAuth(std::string username, std::string password);
  // Pauses at the next command boundary (never inside MULTI/EXEC); `done` runs with OK once
  // PAUSED, or with UNAVAILABLE if the link is stopped first.
  void Pause(absl::AnyInvocable<void(absl::Status)> done);
  void Resume();
  void Update(const LinkUpdate& update);

  const std::string& id() const { return spec_.id; }
  LinkPhase phase() const { return phase_; }
  Keyspace& keyspace() { return *keyspace_; }
  const LinkSpec& spec() const { return spec_; }
  // The latest published snapshot (for INFO on the read endpoint).
  LinkStatusPtr status() const { return slot_->status.load(); }
  int64_t repl_offset() const { return offset_; }
  int rdb_version() const { return rdb_version_; }
  bool connected() const { return fd_ >= 0 && phase_ != LinkPhase::kConnecting; }
  // Seconds since the last byte from the master, -1 when not connected.
  int64_t last_io_seconds_ago() const;
  void set_pubsub(PubSubSink* pubsub) { apply_ctx_.pubsub = pubsub; }

  void OnIo(uint32_t events) override;

 private:
  // ---- transitions and failure (one place each) ----
  void TransitionTo(LinkPhase next);
  // The one failure path: closes the socket, drops a transfer in progress, records last_error,
  // counts it, and moves to BACKOFF (retryable) or FAILED.
  void Fail(ErrorStep step, std::string message, bool retryable = true);
  void CloseConnection();
  void ScheduleRetry();
  void RetryNow();

  // ---- connection and handshake ----
  void Connect();
  void OnResolved(absl::StatusOr<SocketAddress> address);
  void OnConnected();
  void SendHandshake();
  void SendPsync();
  void ArmPhaseTimer(int seconds, ErrorStep step, const char* what);
  void CancelPhaseTimer();

  // ---- input processing ----
  void ReadAvailable();
  void ProcessInput();
  // Each returns false when it cannot go on (needs more bytes, or the link failed/paused).
  bool ProcessHandshakeReply();
  bool ProcessPsyncReply(const std::string& line);
  bool ProcessRdbPreamble();
  bool ProcessRdbPayload();
  bool ProcessStream();
  void OnFullSyncLoaded();
  void NudgeAck(int64_t loaded_offset);  // the post-load ACK again in 100 ms (diskless)
  // Applies one command of the stream; returns false if the link stopped (FAILED).
  bool ApplyStreamCommand(std::span<const std::string_view> args, size_t bytes);
  bool ApplyTransaction(size_t exec_bytes);
  void SkipNewlines();

  // ---- output ----
  void Send(std::string_view bytes);
  void FlushOutput();
  void SendAck();
  void UpdateInterest();

  // ---- periodic work (1 Hz, like replicationCron) ----
  void Cron();

  // ---- status ----
  void MarkDirty();
  void Publish(bool state_changed);
  void EnterPaused();

  EventLoop* const loop_;
  LinkSpec spec_;
  std::shared_ptr<LinkSlot> slot_;
  const LinkEnvironment* env_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for callbacks (weak refs)

  LinkPhase phase_ = LinkPhase::kIdle;
  absl::Time phase_since_ = absl::Now();
  LinkError last_error_;
  uint64_t errors_by_step_[kNumErrorSteps] = {};

  // Connection.
  int fd_ = -1;
  uint32_t interest_ = 0;
  SocketAddress address_;
  std::string address_text_;
  IoBuffer input_;
  std::string output_;
  size_t output_sent_ = 0;
  Clock::time_point last_io_ = {};
  absl::Time last_io_wall_ = absl::InfinitePast();
  RespParser reply_parser_;
  RespParser stream_parser_;
  int pending_replies_ = 0;  // handshake replies still expected in kAwaitReplconf
  bool auth_sent_ = false;

  // Timers.
  EventLoop::TimerId phase_timer_ = 0;
  EventLoop::TimerId retry_timer_ = 0;
  EventLoop::TimerId cron_timer_ = 0;
  EventLoop::TimerId publish_timer_ = 0;
  EventLoop::TimerId ack_nudge_timer_ = 0;
  int ack_nudges_left_ = 0;
  int backoff_attempt_ = 0;
  absl::BitGen rng_;

  // Replication position (what PSYNC asks for and ACK reports).
  std::string replid_;
  std::string replid2_;
  int64_t offset_ = -1;
  int64_t second_offset_ = -1;
  bool has_dataset_ = false;  // the keyspace matches (replid_, offset_)
  int rdb_version_ = 10;

  // Full sync in progress.
  std::string pending_replid_;
  int64_t pending_offset_ = -1;
  bool eof_mode_ = false;
  std::string eof_mark_;
  uint64_t rdb_expected_ = 0;
  uint64_t rdb_received_ = 0;
  uint64_t rdb_received_total_ = 0;
  Clock::time_point transfer_started_ = {};
  double last_full_sync_seconds_ = 0;
  std::unique_ptr<Keyspace> loading_keyspace_;
  std::unique_ptr<KeyspaceLoader> loader_;
  std::unique_ptr<rdb::RdbDecoder> decoder_;

  // Stream.
  std::unique_ptr<Keyspace> keyspace_;
  ApplyContext apply_ctx_;
  std::vector<std::string_view> args_;
  bool in_multi_ = false;
  size_t multi_bytes_ = 0;
  std::vector<std::vector<std::string>> multi_queue_;
  bool multi_getack_ = false;
  uint64_t commands_applied_ = 0;
  uint64_t commands_skipped_ = 0;
  uint64_t full_syncs_ = 0;
  uint64_t partial_syncs_ = 0;
  uint64_t connect_attempts_ = 0;

  // Operator.
  bool pause_requested_ = false;
  std::vector<absl::AnyInvocable<void(absl::Status)>> pause_waiters_;
  bool dirty_ = false;
  uint64_t connection_generation_ = 0;
  uint64_t publish_version_ = 0;
};

}  // namespace redlink::engine
