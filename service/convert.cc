#include "service/convert.h"

#include <google/protobuf/timestamp.pb.h>

namespace redlink::service {
namespace {

void SetTime(absl::Time t, google::protobuf::Timestamp* out) {
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) return;
  int64_t ns = absl::ToUnixNanos(t);
  out->set_seconds(ns / 1000000000);
  out->set_nanos(static_cast<int32_t>(ns % 1000000000));
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // The canonical codes are the same numbers in Abseil and gRPC.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

redlink::v1::LinkState ToProto(engine::LinkState state) {
  return static_cast<redlink::v1::LinkState>(static_cast<int>(state));
}

engine::LinkState FromProto(redlink::v1::LinkState state) {
  return static_cast<engine::LinkState>(static_cast<int>(state));
}

engine::LinkOptions FromProto(const redlink::v1::LinkOptions& o) {
  engine::LinkOptions out;
  out.drop_before_load = o.drop_before_load();
  out.unsupported_commands = o.unsupported_commands() == redlink::v1::UNSUPPORTED_COMMAND_POLICY_SKIP
                                 ? engine::UnsupportedCommandPolicy::kSkip
                                 : engine::UnsupportedCommandPolicy::kFail;
  if (o.repl_timeout_seconds() > 0) out.repl_timeout_seconds = o.repl_timeout_seconds();
  if (o.handshake_timeout_seconds() > 0) {
    out.handshake_timeout_seconds = o.handshake_timeout_seconds();
  }
  if (o.connect_timeout_seconds() > 0) out.connect_timeout_seconds = o.connect_timeout_seconds();
  return out;
}

void ToProto(const engine::LinkOptions& o, redlink::v1::LinkOptions* out) {
  out->set_drop_before_load(o.drop_before_load);
  out->set_unsupported_commands(o.unsupported_commands == engine::UnsupportedCommandPolicy::kSkip
                                    ? redlink::v1::UNSUPPORTED_COMMAND_POLICY_SKIP
                                    : redlink::v1::UNSUPPORTED_COMMAND_POLICY_FAIL);
  out->set_repl_timeout_seconds(o.repl_timeout_seconds);
  out->set_handshake_timeout_seconds(o.handshake_timeout_seconds);
  out->set_connect_timeout_seconds(o.connect_timeout_seconds);
}

void ToProto(const engine::LinkStatus& s, redlink::v1::Link* out) {
  out->set_link_id(s.id);
  out->mutable_master()->set_host(s.host);
  out->mutable_master()->set_port(s.port);
  out->mutable_auth()->set_username(s.username);
  out->mutable_auth()->set_password_set(s.password_set);
  ToProto(s.options, out->mutable_options());
  out->set_state(ToProto(s.state));
  SetTime(s.state_since, out->mutable_state_since());
  if (s.last_error.step != engine::ErrorStep::kNone) {
    auto* e = out->mutable_last_error();
    e->set_step(engine::ErrorStepName(s.last_error.step));
    e->set_message(s.last_error.message);
    SetTime(s.last_error.at, e->mutable_at());
  }
  out->set_master_replid(s.master_replid);
  out->set_master_replid2(s.master_replid2);
  out->set_master_repl_offset(s.repl_offset);
  out->set_second_repl_offset(s.second_repl_offset);
  out->set_full_syncs(s.full_syncs);
  out->set_partial_syncs(s.partial_syncs);
  out->set_connect_attempts(s.connect_attempts);
  if (s.state == engine::LinkState::kTransferring) {
    out->mutable_rdb()->set_bytes_expected(s.rdb_bytes_expected);
    out->mutable_rdb()->set_bytes_received(s.rdb_bytes_received);
  }
  out->set_commands_applied(s.commands_applied);
  out->set_commands_skipped(s.commands_skipped);
  for (const auto& k : s.keys) {
    auto* d = out->add_keys();
    d->set_db(k.db);
    d->set_keys(k.keys);
    d->set_expires(k.expires);
  }
  out->set_dataset_bytes(s.dataset_bytes);
  SetTime(s.last_io_at, out->mutable_last_io_at());
  SetTime(s.create_time, out->mutable_create_time());
  out->set_master_address(s.master_address);
  out->set_declared(s.declared);
  out->set_last_full_sync_duration_seconds(s.last_full_sync_duration_seconds);
  out->set_rdb_bytes_received_total(s.rdb_bytes_received_total);
}

}  // namespace redlink::service
