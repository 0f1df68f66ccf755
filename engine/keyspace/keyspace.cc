// Placeholder until the keyspace lands: an always-empty keyspace.
#include "engine/keyspace/keyspace.h"

namespace redlink::engine {

class KeyspaceImpl {};
class KeyspaceLoader::State {};

Keyspace::Keyspace() : impl_(std::make_unique<KeyspaceImpl>()) {}
Keyspace::~Keyspace() = default;
uint64_t Keyspace::KeyCount(int) const { return 0; }
uint64_t Keyspace::ExpiresCount(int) const { return 0; }
int Keyspace::num_dbs() const { return 16; }
uint64_t Keyspace::DatasetBytes() const { return 0; }
void Keyspace::Clear() {}

KeyspaceLoader::KeyspaceLoader(Keyspace* target) : target_(target) {}
KeyspaceLoader::~KeyspaceLoader() = default;
absl::Status KeyspaceLoader::OnHeader(int) { return absl::OkStatus(); }
absl::Status KeyspaceLoader::OnAux(std::string_view, std::string_view) { return absl::OkStatus(); }
absl::Status KeyspaceLoader::OnSelectDb(uint64_t) { return absl::OkStatus(); }
absl::Status KeyspaceLoader::OnResizeDb(uint64_t, uint64_t) { return absl::OkStatus(); }
absl::Status KeyspaceLoader::OnFunction(std::string_view) { return absl::OkStatus(); }
absl::Status KeyspaceLoader::OnEnd() { return absl::OkStatus(); }
absl::Status KeyspaceLoader::OnString(std::string_view, const rdb::KeyMeta&, std::string_view) {
  return absl::OkStatus();
}
absl::Status KeyspaceLoader::BeginList(std::string_view, const rdb::KeyMeta&, uint64_t) {
  return absl::OkStatus();
}
absl::Status KeyspaceLoader::ListElement(std::string_view) { return absl::OkStatus(); }
absl::Status KeyspaceLoader::EndList() { return absl::OkStatus(); }
absl::Status KeyspaceLoader::BeginSet(std::string_view, const rdb::KeyMeta&, uint64_t) {
  return absl::OkStatus();
}
absl::Status KeyspaceLoader::SetMember(std::string_view) { return absl::OkStatus(); }
absl::Status KeyspaceLoader::EndSet() { return absl::OkStatus(); }
absl::Status KeyspaceLoader::BeginZset(std::string_view, const rdb::KeyMeta&, uint64_t) {
  return absl::OkStatus();
}
absl::Status KeyspaceLoader::ZsetMember(std::string_view, double) { return absl::OkStatus(); }
absl::Status KeyspaceLoader::EndZset() { return absl::OkStatus(); }
absl::Status KeyspaceLoader::BeginHash(std::string_view, const rdb::KeyMeta&, uint64_t) {
  return absl::OkStatus();
}
absl::Status KeyspaceLoader::HashField(std::string_view, std::string_view, int64_t) {
  return absl::OkStatus();
}
absl::Status KeyspaceLoader::EndHash() { return absl::OkStatus(); }
absl::Status KeyspaceLoader::BeginStream(std::string_view, const rdb::KeyMeta&) {
  return absl::OkStatus();
}
absl::Status KeyspaceLoader::StreamEntry(rdb::StreamId, std::span<const std::string_view>) {
  return absl::OkStatus();
}
absl::Status KeyspaceLoader::StreamInfo(const rdb::StreamMeta&) { return absl::OkStatus(); }
absl::Status KeyspaceLoader::StreamGroup(const rdb::StreamGroupMeta&) { return absl::OkStatus(); }
absl::Status KeyspaceLoader::StreamGroupPending(const rdb::StreamPendingEntry&) {
  return absl::OkStatus();
}
absl::Status KeyspaceLoader::StreamConsumer(const rdb::StreamConsumerMeta&) {
  return absl::OkStatus();
}
absl::Status KeyspaceLoader::StreamConsumerPending(rdb::StreamId) { return absl::OkStatus(); }
absl::Status KeyspaceLoader::EndStream() { return absl::OkStatus(); }

CommandOutcome ExecuteReadCommand(Keyspace&, CommandContext&, std::span<const std::string_view>,
                                  ReplyWriter&) {
  return CommandOutcome::kUnknown;
}

}  // namespace redlink::engine
