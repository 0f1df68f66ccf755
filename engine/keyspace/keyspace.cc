// The key space core: databases, accounting, the write API.
#include "engine/keyspace/keyspace.h"

#include <algorithm>
#include <atomic>

#include "engine/keyspace/keyspace_impl.h"

namespace redlink::engine {

uint64_t FastRandom() {
  // xorshift64*, seeded per thread from its address and a counter.
  static std::atomic<uint64_t> seq{0x9E3779B97F4A7C15ULL};
  thread_local uint64_t s = 0;
  if (s == 0) {
    s = reinterpret_cast<uintptr_t>(&s) ^ seq.fetch_add(0x9E3779B97F4A7C15ULL) ^
        0x2545F4914F6CDD1DULL;
    if (s == 0) s = 1;
  }
  s ^= s >> 12;
  s ^= s << 25;
  s ^= s >> 27;
  return s * 0x2545F4914F6CDD1DULL;
}

KeyEntry* Db::FindLive(std::string_view key, int64_t now_ms) {
  KeyEntry* e = table_.Find(key);
  if (e == nullptr) return nullptr;
  int64_t exp = obj::Expire(e);
  if (exp != obj::kNoExpire && now_ms > exp) return nullptr;  // Redis: now > when
  return e;
}

Keyspace::Keyspace() : impl_(std::make_unique<KeyspaceImpl>()) {
  static std::atomic<uint64_t> next_uid{1};
  impl_->dbs.resize(16);
  impl_->uid = next_uid.fetch_add(1, std::memory_order_relaxed);
}

uint64_t Keyspace::uid() const { return impl_->uid; }
uint64_t Keyspace::changes() const { return impl_->changes; }

Keyspace::~Keyspace() { Clear(); }

uint64_t Keyspace::KeyCount(int db) const {
  const Db* d = FindDb(db);
  return d == nullptr ? 0 : d->size();
}

uint64_t Keyspace::ExpiresCount(int db) const {
  const Db* d = FindDb(db);
  return d == nullptr ? 0 : d->expires();
}

int Keyspace::num_dbs() const { return static_cast<int>(impl_->dbs.size()); }

uint64_t Keyspace::DatasetBytes() const {
  uint64_t b = impl_->bytes;
  for (const Db& d : impl_->dbs) b += d.TableBytes();
  return b;
}

void Keyspace::Clear() {
  for (size_t i = 0; i < impl_->dbs.size(); ++i) FlushDb(static_cast<int>(i));
  impl_->dbs.resize(16);
  impl_->functions.clear();
  impl_->bytes = 0;
  impl_->rdb_version = 0;
}

void Keyspace::FlushAllData() {
  for (size_t i = 0; i < impl_->dbs.size(); ++i) FlushDb(static_cast<int>(i));
}

Db& Keyspace::db(int index) {
  if (static_cast<size_t>(index) >= impl_->dbs.size()) impl_->dbs.resize(index + 1);
  return impl_->dbs[index];
}

Db* Keyspace::FindDb(int index) {
  if (index < 0 || static_cast<size_t>(index) >= impl_->dbs.size()) return nullptr;
  return &impl_->dbs[index];
}

const Db* Keyspace::FindDb(int index) const {
  if (index < 0 || static_cast<size_t>(index) >= impl_->dbs.size()) return nullptr;
  return &impl_->dbs[index];
}

void Keyspace::Add(int index, KeyEntry* e) {
  ++impl_->changes;
  Db& d = db(index);
  d.table_.Insert(e);
  if (obj::HasExpire(e)) ++d.expires_;
  impl_->bytes += obj::Bytes(e);
}

void Keyspace::Put(int index, KeyEntry* e) {
  ++impl_->changes;
  Db& d = db(index);
  KeyEntry* old = d.table_.Upsert(e);
  if (obj::HasExpire(e)) ++d.expires_;
  impl_->bytes += obj::Bytes(e);
  if (old != nullptr) {
    if (obj::HasExpire(old)) --d.expires_;
    impl_->bytes -= obj::Bytes(old);
    obj::Free(old);
  }
}

bool Keyspace::Delete(int index, std::string_view key) {
  KeyEntry* e = Detach(index, key);
  if (e == nullptr) return false;
  obj::Free(e);
  return true;
}

KeyEntry* Keyspace::Detach(int index, std::string_view key) {
  Db* d = FindDb(index);
  if (d == nullptr) return nullptr;
  KeyEntry* e = d->table_.Unlink(key);
  if (e == nullptr) return nullptr;
  ++impl_->changes;
  if (obj::HasExpire(e)) --d->expires_;
  impl_->bytes -= obj::Bytes(e);
  return e;
}

void Keyspace::Relink(int index, KeyEntry* e, KeyEntry* replacement, bool free_old) {
  ++impl_->changes;
  Db& d = db(index);
  d.table_.Replace(e, replacement);
  if (obj::HasExpire(e)) --d.expires_;
  if (obj::HasExpire(replacement)) ++d.expires_;
  impl_->bytes -= obj::Bytes(e);
  impl_->bytes += obj::Bytes(replacement);
  if (free_old) obj::Free(e);
}

KeyEntry* Keyspace::SetExpire(int index, KeyEntry* e, int64_t expire_ms) {
  ++impl_->changes;
  Db& d = db(index);
  bool had = obj::HasExpire(e);
  size_t before = obj::Bytes(e);
  // SetExpire may move the block: unlink first by key, relink the result.
  d.table_.Unlink(obj::Key(e));
  KeyEntry* n = obj::SetExpire(e, expire_ms);
  d.table_.Insert(n);
  if (had) --d.expires_;
  if (obj::HasExpire(n)) ++d.expires_;
  impl_->bytes += obj::Bytes(n) - before;
  return n;
}

KeyEntry* Keyspace::SetString(int index, KeyEntry* e, std::string_view value) {
  KeyEntry* n = obj::NewString(obj::Key(e), value, obj::Expire(e));
  Relink(index, e, n, true);
  return n;
}

KeyEntry* Keyspace::MakeRawString(int index, KeyEntry* e, size_t min_capacity) {
  if (obj::Enc(e) == Encoding::kRaw) {
    size_t t = BeginEdit(e);
    obj::RawReserve(e, min_capacity);
    EndEdit(e, t);
    return e;
  }
  char buf[24];
  std::string_view v = obj::StringValue(e, buf);
  KeyEntry* n = obj::NewRawString(obj::Key(e), v, obj::Expire(e));
  obj::RawReserve(n, min_capacity);
  Relink(index, e, n, true);
  return n;
}

void Keyspace::EndEdit(const KeyEntry* e, size_t token) {
  ++impl_->changes;
  impl_->bytes += obj::Bytes(e);
  impl_->bytes -= token;
}

void Keyspace::AdjustBytes(int64_t delta) { impl_->bytes += static_cast<uint64_t>(delta); }

void Keyspace::FlushDb(int index) {
  ++impl_->changes;
  Db* d = FindDb(index);
  if (d == nullptr) return;
  uint64_t freed = 0;
  d->table_.Clear([&](KeyEntry* e) {
    freed += obj::Bytes(e);
    obj::Free(e);
  });
  d->expires_ = 0;
  impl_->bytes -= freed;
}

void Keyspace::SwapDb(int a, int b) {
  ++impl_->changes;
  db(std::max(a, b));
  std::swap(impl_->dbs[a], impl_->dbs[b]);
}

void Keyspace::Reserve(int index, uint64_t keys) { db(index).table_.Reserve(keys); }

const std::vector<FunctionLibrary>& Keyspace::functions() const { return impl_->functions; }

absl::Status Keyspace::AddFunctionLibrary(FunctionLibrary lib, bool replace) {
  for (FunctionLibrary& l : impl_->functions) {
    if (l.name == lib.name) {
      if (!replace) return absl::AlreadyExistsError("Library '" + lib.name + "' already exists");
      l = std::move(lib);
      return absl::OkStatus();
    }
  }
  impl_->functions.push_back(std::move(lib));
  return absl::OkStatus();
}

bool Keyspace::DeleteFunctionLibrary(std::string_view name) {
  auto& v = impl_->functions;
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (it->name == name) {
      v.erase(it);
      return true;
    }
  }
  return false;
}

void Keyspace::ClearFunctions() { impl_->functions.clear(); }

int Keyspace::rdb_version() const { return impl_->rdb_version; }
void Keyspace::set_rdb_version(int v) { impl_->rdb_version = v; }

}  // namespace redlink::engine
