// Generic key commands: DEL/UNLINK, the EXPIRE family, PERSIST, RENAME[NX], MOVE, COPY, SWAPDB,
// FLUSHDB, FLUSHALL, RESTORE and SORT ... STORE (Redis db.c, expire.c, cluster.c, sort.c).
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "engine/common/pqsort.h"
#include "engine/common/strings.h"
#include "engine/keyspace/sort_pattern.h"
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

namespace {

// sort.c lookupKeyByPattern (commands from the master see expired keys and fields).
bool LookupByPattern(Call& c, std::string_view pattern, std::string_view subst, std::string* out) {
  std::string& key = Scratch(2);
  std::string_view field;
  SortPatternKind kind = ResolveSortPattern(pattern, subst, &key, &field);
  if (kind == SortPatternKind::kSelf) {
    out->assign(subst);
    return true;
  }
  if (kind == SortPatternKind::kNone) return false;
  KeyEntry* e = c.Find(key);
  if (e == nullptr) return false;
  if (kind == SortPatternKind::kHashField) {
    if (obj::Type(e) != ObjType::kHash) return false;
    bool found;
    c.ks.Edit(
        e, [&] { found = hash::Get(e, field, INT64_MIN, out, nullptr) != hash::Lookup::kMissing; });
    return found;
  }
  if (obj::Type(e) != ObjType::kString) return false;
  char buf[24];
  out->assign(obj::StringValue(e, buf));
  return true;
}

// compareStringObjects: binary, shorter first on a common prefix.
int BinaryCmp(std::string_view a, std::string_view b) {
  int r = a.compare(b);
  return r < 0 ? -1 : (r > 0 ? 1 : 0);
}

}  // namespace

// SORT key [BY p] [LIMIT o n] [GET p ...] [ASC|DESC] [ALPHA] STORE dest (sortCommandGeneric with
// a store key: binary comparisons, a set sorted without a pattern is sorted ALPHA, the result
// replaces dest as a list, or deletes it when empty). Ties keep the collection order, as glibc's
// stable qsort does; Redis's partial pqsort (BY with a LIMIT window) may order ties differently.
// Without STORE, SORT writes nothing (and a master does not propagate it).
absl::Status SortCmd(Call& c) {
  bool desc = false, alpha = false, dontsort = false, has_store = false;
  int64_t limit_start = 0, limit_count = -1;
  std::string_view sortby, store;
  bool has_by = false;
  std::vector<std::string_view> gets;
  for (size_t j = 2; j < c.argc(); ++j) {
    size_t left = c.argc() - j - 1;
    std::string_view a = c[j];
    if (EqCase(a, "asc")) {
      desc = false;
    } else if (EqCase(a, "desc")) {
      desc = true;
    } else if (EqCase(a, "alpha")) {
      alpha = true;
    } else if (EqCase(a, "limit") && left >= 2) {
      if (absl::Status s = GetLong(c[j + 1], &limit_start); !s.ok()) return s;
      if (absl::Status s = GetLong(c[j + 2], &limit_count); !s.ok()) return s;
      j += 2;
    } else if (EqCase(a, "store") && left >= 1) {
      store = c[++j];
      has_store = true;
    } else if (EqCase(a, "by") && left >= 1) {
      sortby = c[++j];
      has_by = true;
      dontsort = sortby.substr(0, sortby.find('\0')).find('*') == std::string_view::npos;
    } else if (EqCase(a, "get") && left >= 1) {
      gets.push_back(c[++j]);
    } else {
      return Syntax();
    }
  }
  KeyEntry* e = c.Find(c[1]);
  if (e != nullptr && obj::Type(e) != ObjType::kSet && obj::Type(e) != ObjType::kList &&
      obj::Type(e) != ObjType::kZset) {
    return WrongType();
  }
  if (!has_store) return absl::OkStatus();
  ObjType type = e == nullptr ? ObjType::kList : obj::Type(e);
  if (dontsort && type == ObjType::kSet) {
    // Force ALPHA sorting so replicas get the same order.
    dontsort = false;
    alpha = true;
    has_by = false;
  }
  int64_t vectorlen = e == nullptr ? 0 : static_cast<int64_t>(ContainerSize(e));
  int64_t start = std::min(std::max<int64_t>(limit_start, 0), vectorlen);
  limit_count = std::min(std::max<int64_t>(limit_count, -1), vectorlen);
  int64_t end = limit_count < 0 ? vectorlen - 1 : start + limit_count - 1;
  if (start >= vectorlen) {
    start = vectorlen - 1;
    end = vectorlen - 2;
  }
  if (end >= vectorlen) end = vectorlen - 1;
  // Collect the elements as Redis loads its vector.
  std::vector<std::string> elems;
  auto push = [&](const listpack::Entry& en) {
    char buf[24];
    elems.emplace_back(en.AsString(buf));
    return true;
  };
  if (e != nullptr) {
    bool window = dontsort && (start != 0 || end != vectorlen - 1);
    if (type == ObjType::kList) {
      if (window) {
        if (end >= start) {
          uint64_t n = static_cast<uint64_t>(end - start + 1);
          uint64_t from =
              desc ? static_cast<uint64_t>(vectorlen - start - 1) : static_cast<uint64_t>(start);
          list::Walk(e, from, n, desc, push);
          end -= start;
          start = 0;
        }
      } else if (dontsort && desc) {
        list::Walk(e, static_cast<uint64_t>(vectorlen - 1), static_cast<uint64_t>(vectorlen), true,
                   push);
      } else {
        list::Walk(e, 0, static_cast<uint64_t>(vectorlen), false, push);
      }
    } else if (type == ObjType::kSet) {
      set::ForEach(e, [&](std::string_view m) { elems.emplace_back(m); });
    } else {
      // Zset members in rank order (descending for DESC when not sorting).
      std::vector<std::string> all;
      if (obj::Enc(e) == Encoding::kListpack) {
        listpack::Reader r(listpack::View(static_cast<const char*>(obj::Ptr(e))));
        listpack::Entry m, sc;
        char buf[24];
        while (r.Next(&m) && r.Next(&sc)) all.emplace_back(m.AsString(buf));
      } else {
        const ZTree& t = static_cast<BigZset*>(obj::Ptr(e))->tree();
        for (ZTree::Cursor cur = t.At(0); cur.valid(); cur.Next()) {
          all.emplace_back(ZMember(cur.node()));
        }
      }
      if (dontsort && desc) std::reverse(all.begin(), all.end());
      if (window) {
        if (end >= start) {
          elems.assign(all.begin() + start, all.begin() + end + 1);
          end -= start;
          start = 0;
        }
      } else {
        elems = std::move(all);
      }
    }
  }
  if (!dontsort && !elems.empty()) {
    struct Item {
      size_t index;
      double score = 0;
      bool has_cmp = false;
      std::string cmp;
    };
    std::vector<Item> items(elems.size());
    bool conversion_error = false;
    std::string byval;
    for (size_t j = 0; j < elems.size(); ++j) {
      Item& it = items[j];
      it.index = j;
      std::string_view value;
      if (has_by) {
        if (!LookupByPattern(c, sortby, elems[j], &byval)) continue;
        value = byval;
      } else {
        value = elems[j];
      }
      if (alpha) {
        if (has_by) {
          it.has_cmp = true;
          it.cmp.assign(value);
        }
      } else {
        // strtod over the C string, as Redis does (a NUL ends the number).
        std::string text(value.substr(0, value.find('\0')));
        char* eptr = nullptr;
        errno = 0;
        it.score = std::strtod(text.c_str(), &eptr);
        if (*eptr != '\0' || errno == ERANGE || std::isnan(it.score)) conversion_error = true;
      }
    }
    if (conversion_error) return Err("ERR One or more scores can't be converted into double");
    auto cmp = [&](const Item& a, const Item& b) {
      int r;
      if (!alpha) {
        r = a.score > b.score
                ? 1
                : (a.score < b.score ? -1 : BinaryCmp(elems[a.index], elems[b.index]));
      } else if (has_by) {
        if (!a.has_cmp || !b.has_cmp) {
          r = a.has_cmp == b.has_cmp ? 0 : (!a.has_cmp ? -1 : 1);
        } else {
          r = BinaryCmp(a.cmp, b.cmp);
        }
      } else {
        r = BinaryCmp(elems[a.index], elems[b.index]);
      }
      return desc ? -r : r;
    };
    // sortCommandGeneric: BY with a LIMIT window uses pqsort, anything else qsort.
    RedisSort(items, has_by && (start != 0 || end != vectorlen - 1), start, end, cmp);
    std::vector<std::string> sorted;
    sorted.reserve(items.size());
    for (const Item& it : items) sorted.push_back(std::move(elems[it.index]));
    elems = std::move(sorted);
  }
  if (end < start) {
    c.ks.Delete(c.db(), store);
    return absl::OkStatus();
  }
  KeyEntry* out = NewList(store);
  std::string value;
  for (int64_t j = start; j <= end; ++j) {
    const std::string& el = elems[static_cast<size_t>(j)];
    if (gets.empty()) {
      list::PushBack(out, el);
      continue;
    }
    for (std::string_view g : gets) {
      // A pattern that finds nothing stores an empty string.
      if (!LookupByPattern(c, g, el, &value)) value.clear();
      list::PushBack(out, value);
    }
  }
  c.ks.Put(c.db(), out);
  return absl::OkStatus();
}

}  // namespace redlink::engine::apply
