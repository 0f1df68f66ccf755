// Generic key commands: DEL/UNLINK, the EXPIRE family, PERSIST, RENAME[NX], MOVE, COPY, SWAPDB,
// FLUSHDB, FLUSHALL, RESTORE and SORT ... STORE (Redis db.c, expire.c, cluster.c, sort.c).
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "engine/common/strings.h"
#include "engine/protocol/resp_parser.h"
#include "engine/protocol/resp_writer.h"
#include "engine/rdb/crc64.h"
#include "engine/rdb/rdb_decoder.h"
#include "engine/replication/apply_internal.h"

namespace redlink::engine::apply {
namespace {

// The RDB version this replica can load (RESTORE refuses newer payloads, verifyDumpPayload).
constexpr int kMaxRdbVersion = 12;

// expire.c EXPIRE_* flags.
constexpr int kExpireNx = 1, kExpireXx = 2, kExpireGt = 4, kExpireLt = 8;

// parseExtendedExpireArgumentsOrReply.
absl::Status ParseExpireFlags(const Call& c, int* flags) {
  for (size_t j = 3; j < c.argc(); ++j) {
    std::string_view opt = c[j];
    if (EqCase(opt, "nx")) {
      *flags |= kExpireNx;
    } else if (EqCase(opt, "xx")) {
      *flags |= kExpireXx;
    } else if (EqCase(opt, "gt")) {
      *flags |= kExpireGt;
    } else if (EqCase(opt, "lt")) {
      *flags |= kExpireLt;
    } else {
      return Err(StrCat("ERR Unsupported option ", opt));
    }
  }
  int f = *flags;
  if ((f & kExpireNx) && (f & (kExpireXx | kExpireGt | kExpireLt))) {
    return Err("ERR NX and XX, GT or LT options at the same time are not compatible");
  }
  if ((f & kExpireGt) && (f & kExpireLt)) {
    return Err("ERR GT and LT options at the same time are not compatible");
  }
  return absl::OkStatus();
}

// expireGenericCommand. A master sends "PEXPIREAT k <abs ms> [NX|XX|GT|LT]" (and DEL when the
// time has passed); a replica sets whatever time arrives (checkAlreadyExpired is false there).
absl::Status ExpireGeneric(Call& c, int64_t basetime, bool seconds) {
  int flags = 0;
  if (absl::Status s = ParseExpireFlags(c, &flags); !s.ok()) return s;
  int64_t when;
  if (absl::Status s = GetLL(c[2], &when); !s.ok()) return s;
  absl::Status bad = Err(StrCat("ERR invalid expire time in '", c.name, "' command"));
  if (seconds) {
    if (when > INT64_MAX / 1000 || when < INT64_MIN / 1000) return bad;
    when *= 1000;
  }
  if (when > INT64_MAX - basetime) return bad;
  when += basetime;
  KeyEntry* e = c.Find(c[1]);
  if (e == nullptr) return absl::OkStatus();
  if (flags != 0) {
    int64_t current = obj::Expire(e);  // kNoExpire (-1) when none, as getExpire
    if ((flags & kExpireNx) && current != obj::kNoExpire) return absl::OkStatus();
    if ((flags & kExpireXx) && current == obj::kNoExpire) return absl::OkStatus();
    if ((flags & kExpireGt) && (when <= current || current == obj::kNoExpire)) {
      return absl::OkStatus();
    }
    if ((flags & kExpireLt) && current != obj::kNoExpire && when >= current) {
      return absl::OkStatus();
    }
  }
  // A time before the epoch only means "already expired": keep it distinct from kNoExpire.
  if (when < 0) when = 0;
  c.ks.SetExpire(c.db(), e, when);
  return absl::OkStatus();
}

// Appends an RDB length (rdbSaveLen).
void AppendRdbLen(std::string* out, uint64_t len) {
  if (len < (1 << 6)) {
    out->push_back(static_cast<char>(len));
  } else if (len < (1 << 14)) {
    out->push_back(static_cast<char>(((len >> 8) & 0xff) | 0x40));
    out->push_back(static_cast<char>(len & 0xff));
  } else if (len <= UINT32_MAX) {
    out->push_back(static_cast<char>(0x80));
    for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>((len >> (8 * i)) & 0xff));
  } else {
    out->push_back(static_cast<char>(0x81));
    for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((len >> (8 * i)) & 0xff));
  }
}

// verifyDumpPayload: 2-byte version (<= ours) and CRC64 footer. Returns the version or -1.
int VerifyDumpPayload(std::string_view p) {
  if (p.size() < 10) return -1;
  const auto* footer = reinterpret_cast<const unsigned char*>(p.data()) + p.size() - 10;
  int version = footer[0] | (footer[1] << 8);
  if (version > kMaxRdbVersion) return -1;
  uint64_t crc = rdb::Crc64(0, p.data(), p.size() - 8);
  uint64_t stored = 0;
  for (int i = 7; i >= 0; --i) stored = (stored << 8) | footer[2 + i];
  if (crc != stored) return -1;
  return version;
}

// Decodes a DUMP payload into a detached entry named `key` (no TTL): the payload's object is
// wrapped into a one-key RDB of its version (checksum 0 = not verified again) and run through
// the RDB decoder and the keyspace loader into a scratch keyspace. nullptr on bad data (Redis:
// rdbLoadObject failed, including empty containers).
KeyEntry* DecodeDumpPayload(std::string_view key, std::string_view payload, int version) {
  std::string rdb;
  rdb.reserve(payload.size() + key.size() + 32);
  char header[16];
  std::snprintf(header, sizeof(header), "REDIS%04d", version);
  rdb.append(header, 9);
  rdb.push_back(static_cast<char>(0xFE));  // SELECTDB 0
  rdb.push_back(0);
  rdb.push_back(payload[0]);  // object type
  AppendRdbLen(&rdb, key.size());
  rdb.append(key);
  rdb.append(payload.substr(1, payload.size() - 11));
  rdb.push_back(static_cast<char>(0xFF));  // EOF
  rdb.append(8, '\0');                     // checksum disabled
  Keyspace scratch;
  KeyspaceLoader loader(&scratch);
  rdb::RdbDecoder decoder(&loader);
  absl::StatusOr<size_t> fed = decoder.Feed(rdb);
  if (!fed.ok() || !decoder.done() || !decoder.Finish().ok() || !loader.finished()) {
    return nullptr;
  }
  if (scratch.KeyCount(0) != 1) return nullptr;
  return scratch.Detach(0, key);
}

}  // namespace

absl::Status DelCmd(Call& c) {
  for (size_t j = 1; j < c.argc(); ++j) c.ks.Delete(c.db(), c[j]);
  return absl::OkStatus();
}

absl::Status ExpireCmd(Call& c) { return ExpireGeneric(c, c.ctx.now_ms, true); }
absl::Status PexpireCmd(Call& c) { return ExpireGeneric(c, c.ctx.now_ms, false); }
absl::Status ExpireatCmd(Call& c) { return ExpireGeneric(c, 0, true); }
absl::Status PexpireatCmd(Call& c) { return ExpireGeneric(c, 0, false); }

absl::Status PersistCmd(Call& c) {
  KeyEntry* e = c.Find(c[1]);
  if (e != nullptr && obj::HasExpire(e)) c.ks.SetExpire(c.db(), e, obj::kNoExpire);
  return absl::OkStatus();
}

namespace {

// renameGenericCommand: the TTL moves with the value; an existing destination is replaced
// (RENAME) or left alone (RENAMENX).
absl::Status RenameGeneric(Call& c, bool nx) {
  std::string_view src = c[1], dst = c[2];
  KeyEntry* e = c.Find(src);
  if (e == nullptr) return Err(kNoSuchKeyErr);
  if (src == dst) return absl::OkStatus();
  if (c.Find(dst) != nullptr) {
    if (nx) return absl::OkStatus();
    c.ks.Delete(c.db(), dst);
  }
  KeyEntry* moved = c.ks.Detach(c.db(), src);
  c.ks.Add(c.db(), obj::Rekey(moved, dst));
  return absl::OkStatus();
}

}  // namespace

absl::Status RenameCmd(Call& c) { return RenameGeneric(c, false); }
absl::Status RenamenxCmd(Call& c) { return RenameGeneric(c, true); }

absl::Status MoveCmd(Call& c) {
  int dst;
  if (absl::Status s = GetDbIndex(c[2], &dst); !s.ok()) return s;
  if (dst == c.db()) return Err(kSameObjectErr);
  std::string_view key = c[1];
  if (c.Find(key) == nullptr) return absl::OkStatus();
  if (c.FindIn(dst, key) != nullptr) return absl::OkStatus();
  KeyEntry* e = c.ks.Detach(c.db(), key);
  c.ks.Add(dst, e);
  return absl::OkStatus();
}

// COPY src dst [DB n] [REPLACE]: a deep copy with the TTL.
absl::Status CopyCmd(Call& c) {
  int dst_db = c.db();
  bool replace = false;
  for (size_t j = 3; j < c.argc(); ++j) {
    if (EqCase(c[j], "replace")) {
      replace = true;
    } else if (EqCase(c[j], "db") && j + 1 < c.argc()) {
      if (absl::Status s = GetDbIndex(c[j + 1], &dst_db); !s.ok()) return s;
      ++j;
    } else {
      return Syntax();
    }
  }
  std::string_view src = c[1], dst = c[2];
  if (dst_db == c.db() && src == dst) return Err(kSameObjectErr);
  KeyEntry* e = c.Find(src);
  if (e == nullptr) return absl::OkStatus();
  if (c.FindIn(dst_db, dst) != nullptr && !replace) return absl::OkStatus();
  c.ks.Put(dst_db, obj::Clone(e, dst));
  return absl::OkStatus();
}

absl::Status SwapdbCmd(Call& c) {
  int a, b;
  if (absl::Status s = GetInt(c[1], &a, "ERR invalid first DB index"); !s.ok()) return s;
  if (absl::Status s = GetInt(c[2], &b, "ERR invalid second DB index"); !s.ok()) return s;
  if (a < 0 || a > kMaxDbIndex || b < 0 || b > kMaxDbIndex) return Err(kDbIndexErr);
  if (a != b) c.ks.SwapDb(a, b);
  return absl::OkStatus();
}

namespace {

// getFlushCommandFlags: FLUSHDB/FLUSHALL [ASYNC|SYNC].
absl::Status CheckFlushArgs(const Call& c) {
  if (c.argc() == 1) return absl::OkStatus();
  if (c.argc() == 2 && (EqCase(c[1], "sync") || EqCase(c[1], "async"))) return absl::OkStatus();
  return Syntax();
}

}  // namespace

absl::Status FlushdbCmd(Call& c) {
  if (absl::Status s = CheckFlushArgs(c); !s.ok()) return s;
  c.ks.FlushDb(c.db());
  return absl::OkStatus();
}

// FLUSHALL empties every database; function libraries stay (FUNCTION FLUSH removes those).
absl::Status FlushallCmd(Call& c) {
  if (absl::Status s = CheckFlushArgs(c); !s.ok()) return s;
  for (int i = 0; i < c.ks.num_dbs(); ++i) c.ks.FlushDb(i);
  return absl::OkStatus();
}

// RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f] (restoreCommand). A master
// sends an absolute TTL with ABSTTL; a replica keeps a TTL that has already passed.
absl::Status RestoreCmd(Call& c) {
  bool replace = false, absttl = false;
  int64_t idle = -1, freq = -1;
  for (size_t j = 4; j < c.argc(); ++j) {
    size_t more = c.argc() - j - 1;
    if (EqCase(c[j], "replace")) {
      replace = true;
    } else if (EqCase(c[j], "absttl")) {
      absttl = true;
    } else if (EqCase(c[j], "idletime") && more >= 1 && freq == -1) {
      if (absl::Status s = GetLL(c[j + 1], &idle); !s.ok()) return s;
      if (idle < 0) return Err("ERR Invalid IDLETIME value, must be >= 0");
      ++j;
    } else if (EqCase(c[j], "freq") && more >= 1 && idle == -1) {
      if (absl::Status s = GetLL(c[j + 1], &freq); !s.ok()) return s;
      if (freq < 0 || freq > 255) return Err("ERR Invalid FREQ value, must be >= 0 and <= 255");
      ++j;
    } else {
      return Syntax();
    }
  }
  std::string_view key = c[1];
  if (!replace && c.Find(key) != nullptr) {
    return Refuse("BUSYKEY Target key name already exists.");
  }
  int64_t ttl;
  if (absl::Status s = GetLL(c[2], &ttl); !s.ok()) return s;
  if (ttl < 0) return Err("ERR Invalid TTL value, must be >= 0");
  std::string_view payload = c[3];
  int version = VerifyDumpPayload(payload);
  if (version < 0) return Err("ERR DUMP payload version or checksum are wrong");
  KeyEntry* e = DecodeDumpPayload(key, payload, version);
  if (e == nullptr) return Err("ERR Bad data format");
  if (ttl != 0 && !absttl) ttl += c.ctx.now_ms;
  if (ttl != 0) e = obj::SetExpire(e, ttl);
  c.ks.Put(c.db(), e);  // replaces the old value when REPLACE was given
  return absl::OkStatus();
}

// SORT key [BY p] [LIMIT o n] [GET p ...] [ASC|DESC] [ALPHA] STORE dest. The sorting is the
// keyspace's SORT_RO (byte-compatible with Redis's); the STORE option is taken out and the
// resulting list stored, or dest deleted when it is empty (sortCommand). Without STORE, SORT
// writes nothing.
absl::Status SortCmd(Call& c) {
  std::vector<std::string_view> args;
  args.reserve(c.argc() + 1);
  args.push_back("SORT_RO");
  args.push_back(c[1]);
  std::string_view store;
  bool has_store = false, dontsort = false, has_by = false;
  size_t by_pos = 0;
  for (size_t j = 2; j < c.argc(); ++j) {
    size_t left = c.argc() - j - 1;
    std::string_view a = c[j];
    if (EqCase(a, "store") && left >= 1) {
      store = c[++j];
      has_store = true;
      continue;
    }
    if (EqCase(a, "limit") && left >= 2) {
      args.push_back(a);
      args.push_back(c[++j]);
      args.push_back(c[++j]);
      continue;
    }
    if ((EqCase(a, "by") || EqCase(a, "get")) && left >= 1) {
      if (EqCase(a, "by")) {
        std::string_view pat = c[j + 1];
        pat = pat.substr(0, pat.find('\0'));
        dontsort = pat.find('*') == std::string_view::npos;
        has_by = true;
        by_pos = args.size();
      }
      args.push_back(a);
      args.push_back(c[++j]);
      continue;
    }
    args.push_back(a);
  }
  if (!has_store) {
    // Nothing is stored; the errors SORT would report (type, syntax) still come back.
    RespValue ignored;
    return RunRead(c, args, &ignored);
  }
  // sortCommand: a set sorted with a BY pattern without '*' (no sorting) is sorted ALPHA when
  // storing, so the stored order is deterministic for replicas.
  KeyEntry* src = c.Find(c[1]);
  if (dontsort && has_by && src != nullptr && obj::Type(src) == ObjType::kSet) {
    args.erase(args.begin() + static_cast<ptrdiff_t>(by_pos),
               args.begin() + static_cast<ptrdiff_t>(by_pos) + 2);
    args.push_back("ALPHA");
  }
  RespValue v;
  if (absl::Status s = RunRead(c, args, &v); !s.ok()) return s;
  if (v.type != RespType::kArray) return absl::InternalError("SORT produced a non-array reply");
  if (v.elements.empty()) {
    c.ks.Delete(c.db(), store);
    return absl::OkStatus();
  }
  KeyEntry* list = NewList(store);
  for (const RespValue& el : v.elements) {
    // A GET pattern that finds nothing stores an empty string.
    list::PushBack(list, el.type == RespType::kNull ? std::string_view() : el.str);
  }
  c.ks.Put(c.db(), list);
  return absl::OkStatus();
}

}  // namespace redlink::engine::apply
