// KeyspaceLoader: RDB records -> keyspace entries.
#include <algorithm>
#include <cstdlib>

#include "engine/common/strings.h"
#include "engine/encoding/listpack.h"
#include "engine/keyspace/hash.h"
#include "engine/keyspace/intset.h"
#include "engine/keyspace/keyspace.h"
#include "engine/keyspace/list.h"
#include "engine/keyspace/set.h"
#include "engine/keyspace/stream.h"
#include "engine/keyspace/zset.h"

namespace redlink::engine {
namespace lp = listpack;

namespace {
// Never trust a count the file announces for up-front allocation (PRODUCT.md: no allocation
// sized by what the peer only announced).
constexpr uint64_t kMaxReserve = 1 << 16;
constexpr uint64_t kMaxDbIndex = 1 << 16;
}  // namespace

class KeyspaceLoader::State {
 public:
  ~State() { Reset(); }
  void Reset() {
    obj::Free(entry);
    entry = nullptr;
    pending_type = ObjType::kString;
    building = false;
  }

  uint64_t db = 0;
  bool building = false;  // between Begin<Type> and End<Type>
  ObjType pending_type = ObjType::kString;
  std::string key;
  int64_t expire = obj::kNoExpire;
  uint64_t size_hint = 0;
  KeyEntry* entry = nullptr;  // built value, not yet in the keyspace
  // Streams: the last consumer received (for StreamConsumerPending) and the last group.
  engine::StreamGroup* group = nullptr;
  engine::StreamConsumer* consumer = nullptr;
};

KeyspaceLoader::KeyspaceLoader(Keyspace* target)
    : target_(target), state_(std::make_unique<State>()) {}

KeyspaceLoader::~KeyspaceLoader() {
  if (started_ && !finished_) Abort();
}

void KeyspaceLoader::Abort() {
  state_->Reset();
  target_->Clear();
  started_ = false;
  finished_ = false;
}

absl::Status KeyspaceLoader::Fail(absl::Status s) {
  Abort();
  return s;
}

absl::Status KeyspaceLoader::OnHeader(int rdb_version) {
  state_->Reset();
  target_->Clear();
  started_ = true;
  finished_ = false;
  rdb_version_ = rdb_version;
  target_->set_rdb_version(rdb_version);
  return absl::OkStatus();
}

absl::Status KeyspaceLoader::OnAux(std::string_view key, std::string_view value) {
  if (key == "repl-stream-db") {
    int v;
    if (SimpleAtoi(value, &v)) repl_stream_db_ = v;
  } else if (key == "repl-id") {
    repl_id_ = std::string(value);
  } else if (key == "repl-offset") {
    int64_t v;
    if (SimpleAtoi(value, &v)) repl_offset_ = v;
  }
  return absl::OkStatus();
}

absl::Status KeyspaceLoader::OnSelectDb(uint64_t db) {
  if (db >= kMaxDbIndex) {
    return Fail(absl::DataLossError(StrCat("RDB selects database ", db, ", beyond ", kMaxDbIndex)));
  }
  state_->db = db;
  target_->db(static_cast<int>(db));
  return absl::OkStatus();
}

absl::Status KeyspaceLoader::OnResizeDb(uint64_t db_size, uint64_t expires_size) {
  target_->Reserve(static_cast<int>(state_->db), std::min<uint64_t>(db_size, 1 << 20));
  return absl::OkStatus();
}

absl::Status KeyspaceLoader::OnFunction(std::string_view code) {
  FunctionLibrary lib;
  absl::Status s = ParseFunctionLibrary(code, &lib);
  if (!s.ok()) return Fail(absl::DataLossError(StrCat("function library: ", s.message())));
  s = target_->AddFunctionLibrary(std::move(lib), /*replace=*/false);
  if (!s.ok()) return Fail(absl::DataLossError(s.message()));
  return absl::OkStatus();
}

absl::Status KeyspaceLoader::OnEnd() {
  if (state_->building) return Fail(absl::DataLossError("RDB ended inside a value"));
  finished_ = true;
  return absl::OkStatus();
}

absl::Status KeyspaceLoader::OnString(std::string_view key, const rdb::KeyMeta& meta,
                                      std::string_view value) {
  if (state_->building) return Fail(absl::DataLossError("string inside another value"));
  target_->Put(static_cast<int>(meta.db), obj::NewString(key, value, meta.expire_ms));
  return absl::OkStatus();
}

namespace {

absl::Status BeginCommon(KeyspaceLoader::State* st, std::string_view key, const rdb::KeyMeta& meta,
                         uint64_t size_hint, ObjType type) {
  if (st->building) return absl::DataLossError("value begins inside another value");
  st->building = true;
  st->pending_type = type;
  st->key = std::string(key);
  st->db = meta.db;
  st->expire = meta.expire_ms;
  st->size_hint = size_hint;
  st->entry = nullptr;
  return absl::OkStatus();
}

}  // namespace

// Finishes the value under construction: empty containers are dropped, as Redis does.
#define REDLINK_END_VALUE(EMPTY_CHECK)                                         \
  do {                                                                         \
    if (!state_->building) return Fail(absl::DataLossError("unbalanced End")); \
    KeyEntry* e = state_->entry;                                               \
    state_->entry = nullptr;                                                   \
    state_->building = false;                                                  \
    if (e == nullptr) return absl::OkStatus();                                 \
    if (EMPTY_CHECK) {                                                         \
      obj::Free(e);                                                            \
      return absl::OkStatus();                                                 \
    }                                                                          \
    target_->Put(static_cast<int>(state_->db), e);                             \
    return absl::OkStatus();                                                   \
  } while (0)

// ---- Lists ------------------------------------------------------------------------------------

absl::Status KeyspaceLoader::BeginList(std::string_view key, const rdb::KeyMeta& meta,
                                       uint64_t size_hint) {
  absl::Status s = BeginCommon(state_.get(), key, meta, size_hint, ObjType::kList);
  if (!s.ok()) return Fail(s);
  state_->entry =
      obj::NewContainer(key, ObjType::kList, Encoding::kListpack, lp::NewEmpty(), meta.expire_ms);
  return absl::OkStatus();
}

absl::Status KeyspaceLoader::ListElement(std::string_view value) {
  if (state_->entry == nullptr || state_->pending_type != ObjType::kList) {
    return Fail(absl::DataLossError("list element outside a list"));
  }
  list::PushBack(state_->entry, value);
  return absl::OkStatus();
}

absl::Status KeyspaceLoader::EndList() {
  if (state_->entry != nullptr) list::Normalize(state_->entry);
  REDLINK_END_VALUE(list::Length(e) == 0);
}

// ---- Sets -------------------------------------------------------------------------------------

absl::Status KeyspaceLoader::BeginSet(std::string_view key, const rdb::KeyMeta& meta,
                                      uint64_t size_hint) {
  absl::Status s = BeginCommon(state_.get(), key, meta, size_hint, ObjType::kSet);
  if (!s.ok()) return Fail(s);
  return absl::OkStatus();
}

absl::Status KeyspaceLoader::SetMember(std::string_view member) {
  State* st = state_.get();
  if (!st->building || st->pending_type != ObjType::kSet) {
    return Fail(absl::DataLossError("set member outside a set"));
  }
  if (st->entry == nullptr) {
    auto [enc, ptr] = set::NewFor(member, std::min(st->size_hint, kMaxReserve));
    st->entry = obj::NewContainer(st->key, ObjType::kSet, enc, ptr, st->expire);
  }
  set::Add(st->entry, member);
  return absl::OkStatus();
}

absl::Status KeyspaceLoader::EndSet() { REDLINK_END_VALUE(set::Size(e) == 0); }

// ---- Sorted sets ------------------------------------------------------------------------------

absl::Status KeyspaceLoader::BeginZset(std::string_view key, const rdb::KeyMeta& meta,
                                       uint64_t size_hint) {
  absl::Status s = BeginCommon(state_.get(), key, meta, size_hint, ObjType::kZset);
  if (!s.ok()) return Fail(s);
  return absl::OkStatus();
}

absl::Status KeyspaceLoader::ZsetMember(std::string_view member, double score) {
  State* st = state_.get();
  if (!st->building || st->pending_type != ObjType::kZset) {
    return Fail(absl::DataLossError("zset member outside a zset"));
  }
  if (std::isnan(score)) return Fail(absl::DataLossError("zset score is NaN"));
  if (st->entry == nullptr) {
    auto [enc, ptr] = zset::NewFor(std::min(st->size_hint, kMaxReserve), member.size());
    st->entry = obj::NewContainer(st->key, ObjType::kZset, enc, ptr, st->expire);
  }
  if (!zset::Set(st->entry, member, score)) {
    return Fail(absl::DataLossError(StrCat("duplicate zset member in key ", st->key)));
  }
  return absl::OkStatus();
}

absl::Status KeyspaceLoader::EndZset() { REDLINK_END_VALUE(zset::Size(e) == 0); }

// ---- Hashes -----------------------------------------------------------------------------------

absl::Status KeyspaceLoader::BeginHash(std::string_view key, const rdb::KeyMeta& meta,
                                       uint64_t size_hint) {
  absl::Status s = BeginCommon(state_.get(), key, meta, size_hint, ObjType::kHash);
  if (!s.ok()) return Fail(s);
  return absl::OkStatus();
}

absl::Status KeyspaceLoader::HashField(std::string_view field, std::string_view value,
                                       int64_t expire_ms) {
  State* st = state_.get();
  if (!st->building || st->pending_type != ObjType::kHash) {
    return Fail(absl::DataLossError("hash field outside a hash"));
  }
  if (st->entry == nullptr) {
    auto [enc, ptr] = hash::NewFor(std::min(st->size_hint, kMaxReserve),
                                   std::max(field.size(), value.size()), false);
    st->entry = obj::NewContainer(st->key, ObjType::kHash, enc, ptr, st->expire);
  }
  if (!hash::Set(st->entry, field, value)) {
    return Fail(absl::DataLossError(StrCat("duplicate hash field in key ", st->key)));
  }
  if (expire_ms != rdb::kNoExpire) hash::SetFieldExpire(st->entry, field, expire_ms);
  return absl::OkStatus();
}

absl::Status KeyspaceLoader::EndHash() { REDLINK_END_VALUE(hash::Length(e) == 0); }

// ---- Streams ----------------------------------------------------------------------------------

absl::Status KeyspaceLoader::BeginStream(std::string_view key, const rdb::KeyMeta& meta) {
  absl::Status s = BeginCommon(state_.get(), key, meta, 0, ObjType::kStream);
  if (!s.ok()) return Fail(s);
  state_->entry =
      obj::NewContainer(key, ObjType::kStream, Encoding::kStream, new Stream(), meta.expire_ms);
  state_->group = nullptr;
  state_->consumer = nullptr;
  return absl::OkStatus();
}

namespace {
Stream* BuildingStream(KeyspaceLoader::State* st) {
  if (st->entry == nullptr || st->pending_type != ObjType::kStream) return nullptr;
  return static_cast<Stream*>(obj::Ptr(st->entry));
}
}  // namespace

absl::Status KeyspaceLoader::StreamEntry(rdb::StreamId id,
                                         std::span<const std::string_view> fields_and_values) {
  Stream* s = BuildingStream(state_.get());
  if (s == nullptr) return Fail(absl::DataLossError("stream entry outside a stream"));
  if (fields_and_values.empty() || fields_and_values.size() % 2 != 0) {
    return Fail(absl::DataLossError("stream entry with an odd number of fields and values"));
  }
  if (s->length > 0 && !(s->last_id < id)) {
    return Fail(absl::DataLossError("stream entries out of order"));
  }
  s->Append(id, fields_and_values);
  return absl::OkStatus();
}

absl::Status KeyspaceLoader::StreamInfo(const rdb::StreamMeta& meta) {
  Stream* s = BuildingStream(state_.get());
  if (s == nullptr) return Fail(absl::DataLossError("stream metadata outside a stream"));
  s->length = meta.length;
  s->last_id = meta.last_id;
  s->first_id = meta.first_id;
  s->max_deleted_id = meta.max_deleted_id;
  s->entries_added = meta.entries_added;
  if (rdb_version_ > 0 && rdb_version_ < 10) {
    // Type 15 carries no first ID: Redis takes the first live entry (streamGetEdgeID), or the
    // maximal ID for an empty stream.
    if (!s->FirstEntry(&s->first_id)) s->first_id = kStreamIdMax;
  } else if (s->first_id == StreamId{} && meta.length > 0) {
    s->FirstEntry(&s->first_id);
  }
  return absl::OkStatus();
}

absl::Status KeyspaceLoader::StreamGroup(const rdb::StreamGroupMeta& group) {
  Stream* s = BuildingStream(state_.get());
  if (s == nullptr) return Fail(absl::DataLossError("consumer group outside a stream"));
  if (s->FindGroup(group.name) != nullptr) {
    return Fail(absl::DataLossError("duplicated consumer group name"));
  }
  int64_t entries_read = group.entries_read;
  if (rdb_version_ > 0 && rdb_version_ < 10) {
    entries_read = s->EstimateEntriesRead(group.last_delivered_id);  // as Redis loads type 15
  }
  state_->group = s->CreateGroup(group.name, group.last_delivered_id, entries_read);
  state_->consumer = nullptr;
  return absl::OkStatus();
}

absl::Status KeyspaceLoader::StreamGroupPending(const rdb::StreamPendingEntry& pending) {
  engine::StreamGroup* g = state_->group;
  if (BuildingStream(state_.get()) == nullptr || g == nullptr) {
    return Fail(absl::DataLossError("pending entry outside a consumer group"));
  }
  auto pe = std::make_unique<StreamPending>();
  pe->delivery_time_ms = pending.delivery_time_ms;
  pe->delivery_count = pending.delivery_count;
  if (!g->pel.emplace(pending.id, std::move(pe)).second) {
    return Fail(absl::DataLossError("duplicated global PEL entry"));
  }
  return absl::OkStatus();
}

absl::Status KeyspaceLoader::StreamConsumer(const rdb::StreamConsumerMeta& consumer) {
  engine::StreamGroup* g = state_->group;
  if (BuildingStream(state_.get()) == nullptr || g == nullptr) {
    return Fail(absl::DataLossError("consumer outside a consumer group"));
  }
  auto c = std::make_unique<engine::StreamConsumer>();
  c->name = std::string(consumer.name);
  c->seen_time_ms = consumer.seen_time_ms;
  c->active_time_ms = consumer.active_time_ms;
  state_->consumer = c.get();
  if (!g->consumers.emplace(c->name, std::move(c)).second) {
    return Fail(absl::DataLossError("duplicated consumer name"));
  }
  return absl::OkStatus();
}

absl::Status KeyspaceLoader::StreamConsumerPending(rdb::StreamId id) {
  engine::StreamGroup* g = state_->group;
  engine::StreamConsumer* c = state_->consumer;
  if (g == nullptr || c == nullptr) {
    return Fail(absl::DataLossError("consumer pending entry outside a consumer"));
  }
  auto it = g->pel.find(id);
  if (it == g->pel.end()) {
    return Fail(absl::DataLossError("consumer PEL entry not found in the group PEL"));
  }
  if (it->second->consumer != nullptr) {
    return Fail(absl::DataLossError("PEL entry owned by two consumers"));
  }
  it->second->consumer = c;
  c->pel.emplace(id, it->second.get());
  return absl::OkStatus();
}

absl::Status KeyspaceLoader::EndStream() {
  state_->group = nullptr;
  state_->consumer = nullptr;
  // Streams are kept even when empty (an emptied stream with groups is still a key).
  REDLINK_END_VALUE(false);
}

// ---- Raw listpacks ----------------------------------------------------------------------------

bool KeyspaceLoader::AcceptsListpack(rdb::ListpackKind kind) const { return true; }

absl::Status KeyspaceLoader::OnListpack(rdb::ListpackKind kind, std::string_view listpack,
                                        rdb::StreamId master_id) {
  State* st = state_.get();
  if (!st->building) return Fail(absl::DataLossError("listpack outside a value"));
  uint32_t n = lp::Length(listpack);
  auto max_len = [&]() {
    size_t m = 0;
    lp::Reader r(listpack);
    lp::Entry en;
    while (r.Next(&en)) {
      if (!en.is_int) m = std::max(m, en.sval.size());
    }
    return m;
  };
  switch (kind) {
    case rdb::ListpackKind::kListNode: {
      if (st->pending_type != ObjType::kList || st->entry == nullptr) break;
      if (n == 0) return absl::OkStatus();
      KeyEntry* e = st->entry;
      if (obj::Enc(e) == Encoding::kListpack) {
        char* cur = static_cast<char*>(obj::Ptr(e));
        if (lp::Length(lp::View(cur)) == 0) {
          // First node: keep it as the list's listpack for now (EndList normalizes).
          auto* q = new Quicklist();
          std::free(cur);
          q->AppendNode(lp::CopyOf(listpack));
          obj::SetPtr(e, Encoding::kQuicklist, q);
          return absl::OkStatus();
        }
        auto* q = new Quicklist();
        q->AppendNode(cur);
        obj::SetPtr(e, Encoding::kQuicklist, q);
      }
      static_cast<Quicklist*>(obj::Ptr(e))->AppendNode(lp::CopyOf(listpack));
      return absl::OkStatus();
    }
    case rdb::ListpackKind::kSet: {
      if (st->pending_type != ObjType::kSet || st->entry != nullptr) break;
      if (n == 0) return absl::OkStatus();
      if (n <= set::kMaxListpackEntries && max_len() <= set::kMaxListpackValue) {
        st->entry = obj::NewContainer(st->key, ObjType::kSet, Encoding::kListpack,
                                      lp::CopyOf(listpack), st->expire);
        return absl::OkStatus();
      }
      auto* s = new BigSet();
      s->Reserve(n);
      lp::Reader r(listpack);
      lp::Entry en;
      char buf[24];
      while (r.Next(&en)) {
        if (!s->Add(en.AsString(buf))) {
          delete s;
          return Fail(absl::DataLossError(StrCat("duplicate set member in key ", st->key)));
        }
      }
      st->entry = obj::NewContainer(st->key, ObjType::kSet, Encoding::kHashtable, s, st->expire);
      return absl::OkStatus();
    }
    case rdb::ListpackKind::kZset: {
      if (st->pending_type != ObjType::kZset || st->entry != nullptr) break;
      if (n % 2 != 0) return Fail(absl::DataLossError("zset listpack with an odd count"));
      if (n == 0) return absl::OkStatus();
      if (n / 2 <= zset::kMaxListpackEntries && max_len() <= zset::kMaxListpackValue + 24) {
        // Scores are short strings; members are checked here.
        bool small = true;
        lp::Reader r(listpack);
        lp::Entry m, sc;
        while (r.Next(&m) && r.Next(&sc)) {
          if (!m.is_int && m.sval.size() > zset::kMaxListpackValue) small = false;
        }
        if (small) {
          st->entry = obj::NewContainer(st->key, ObjType::kZset, Encoding::kListpack,
                                        lp::CopyOf(listpack), st->expire);
          return absl::OkStatus();
        }
      }
      auto [enc, ptr] = zset::NewFor(n / 2, zset::kMaxListpackValue + 1);
      st->entry = obj::NewContainer(st->key, ObjType::kZset, enc, ptr, st->expire);
      lp::Reader r(listpack);
      lp::Entry m, sc;
      char buf[24];
      while (r.Next(&m) && r.Next(&sc)) {
        double score = zset::LpScore(sc.sval.data(), sc.sval.size(), sc.is_int, sc.ival);
        if (!zset::Set(st->entry, m.AsString(buf), score)) {
          return Fail(absl::DataLossError(StrCat("duplicate zset member in key ", st->key)));
        }
      }
      return absl::OkStatus();
    }
    case rdb::ListpackKind::kHash:
    case rdb::ListpackKind::kHashWithTtl: {
      if (st->pending_type != ObjType::kHash || st->entry != nullptr) break;
      bool ttl = kind == rdb::ListpackKind::kHashWithTtl;
      uint32_t stride = ttl ? 3 : 2;
      if (n % stride != 0) return Fail(absl::DataLossError("hash listpack with a bad count"));
      if (n == 0) return absl::OkStatus();
      if (n / stride <= hash::kMaxListpackEntries && max_len() <= hash::kMaxListpackValue) {
        st->entry = obj::NewContainer(st->key, ObjType::kHash,
                                      ttl ? Encoding::kListpackEx : Encoding::kListpack,
                                      lp::CopyOf(listpack), st->expire);
        return absl::OkStatus();
      }
      auto* h = new BigHash();
      h->Reserve(n / stride);
      lp::Reader r(listpack);
      lp::Entry f, v, t;
      char fb[24], vb[24];
      while (r.Next(&f) && r.Next(&v)) {
        int64_t exp = obj::kNoExpire;
        if (ttl && r.Next(&t) && t.is_int && t.ival != 0) exp = t.ival;
        if (!h->Set(f.AsString(fb), v.AsString(vb), exp)) {
          delete h;
          return Fail(absl::DataLossError(StrCat("duplicate hash field in key ", st->key)));
        }
      }
      st->entry = obj::NewContainer(st->key, ObjType::kHash, Encoding::kHashtable, h, st->expire);
      return absl::OkStatus();
    }
    case rdb::ListpackKind::kStreamNode: {
      Stream* s = BuildingStream(st);
      if (s == nullptr) break;
      if (n == 0) return absl::OkStatus();
      // A node whose entries are all deleted carries no data: skip it as Redis does.
      lp::Entry c;
      lp::EntryAt(listpack, lp::kHeaderSize, &c);
      if (c.is_int && c.ival == 0) return absl::OkStatus();
      s->AdoptNode(master_id, lp::CopyOf(listpack));
      return absl::OkStatus();
    }
  }
  return Fail(absl::DataLossError("listpack of the wrong kind for the value"));
}

}  // namespace redlink::engine
