// Generic key commands: DBSIZE EXISTS TYPE TTL PTTL EXPIRETIME PEXPIRETIME KEYS SCAN RANDOMKEY
// DUMP TOUCH OBJECT MEMORY.
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <vector>

#include "engine/common/glob.h"
#include "engine/common/strings.h"
#include "engine/keyspace/cmd_common.h"

namespace redlink::engine::cmd {
namespace {

void TtlGeneric(Ctx& c, bool ms, bool absolute) {
  KeyEntry* e = c.Lookup(c[1]);
  if (e == nullptr) {
    c.w.Integer(-2);
    return;
  }
  int64_t exp = obj::Expire(e);
  if (exp == obj::kNoExpire) {
    c.w.Integer(-1);
    return;
  }
  int64_t ttl = absolute ? exp : exp - c.now();
  if (ttl < 0) ttl = 0;
  c.w.Integer(ms ? ttl : (ttl + 500) / 1000);
}

}  // namespace

void DbsizeCmd(Ctx& c) {
  Db* d = c.db();
  c.w.Integer(d == nullptr ? 0 : static_cast<int64_t>(d->size()));
}

void ExistsCmd(Ctx& c) {
  int64_t n = 0;
  for (size_t i = 1; i < c.argc(); ++i) {
    if (c.Lookup(c[i]) != nullptr) ++n;
  }
  c.w.Integer(n);
}

void TouchCmd(Ctx& c) { ExistsCmd(c); }

void TypeCmd(Ctx& c) {
  KeyEntry* e = c.Lookup(c[1]);
  c.w.Simple(e == nullptr ? "none" : TypeName(obj::Type(e)));
}

void TtlCmd(Ctx& c) { TtlGeneric(c, false, false); }
void PttlCmd(Ctx& c) { TtlGeneric(c, true, false); }
void ExpiretimeCmd(Ctx& c) { TtlGeneric(c, false, true); }
void PexpiretimeCmd(Ctx& c) { TtlGeneric(c, true, true); }

void KeysCmd(Ctx& c) {
  std::string_view pattern = c[1];
  bool all = pattern == "*";
  Db* d = c.db();
  Deferred len(c.w);
  size_t n = 0;
  if (d != nullptr) {
    int64_t now = c.now();
    d->ForEach([&](KeyEntry* e) {
      std::string_view k = obj::Key(e);
      if (!all && !GlobMatch(pattern, k)) return;
      int64_t exp = obj::Expire(e);
      if (exp != obj::kNoExpire && now > exp) return;
      c.w.Bulk(k);
      ++n;
    });
  }
  len.SetArray(n);
}

// Redis's parseScanCursorOrReply (strtoul semantics, including "-1" wrapping).
bool ParseScanCursor(Ctx& c, std::string_view s, uint64_t* cursor) {
  std::string buf(s);
  errno = 0;
  char* end = nullptr;
  unsigned long v = std::strtoul(buf.c_str(), &end, 10);
  if ((!buf.empty() && std::isspace(static_cast<unsigned char>(buf[0]))) || *end != '\0' ||
      errno == ERANGE || buf.size() != static_cast<size_t>(end - buf.c_str())) {
    c.Error("ERR invalid cursor");
    return false;
  }
  *cursor = v;
  return true;
}

namespace {

// SCAN option parsing shared with SSCAN/HSCAN/ZSCAN (first = index of the first option).
struct ScanOpts {
  int64_t count = 10;
  std::string_view pattern;
  bool use_pattern = false;
  std::string_view type;
  bool has_type = false;
};

bool ParseScanOpts(Ctx& c, size_t first, bool allow_type, ScanOpts* o) {
  size_t i = first;
  while (i < c.argc()) {
    size_t left = c.argc() - i;
    if (EqCase(c[i], "count") && left >= 2) {
      if (!GetLL(c, c[i + 1], &o->count)) return false;
      if (o->count < 1) {
        c.Syntax();
        return false;
      }
      i += 2;
    } else if (EqCase(c[i], "match") && left >= 2) {
      o->pattern = c[i + 1];
      o->use_pattern = !(o->pattern == "*");
      i += 2;
    } else if (EqCase(c[i], "type") && allow_type && left >= 2) {
      o->type = c[i + 1];
      o->has_type = true;
      i += 2;
    } else {
      c.Syntax();
      return false;
    }
  }
  return true;
}

}  // namespace

bool ParseScanOptions(Ctx& c, size_t first, int64_t* count, std::string_view* pattern,
                      bool* use_pattern) {
  ScanOpts o;
  if (!ParseScanOpts(c, first, false, &o)) return false;
  *count = o.count;
  *pattern = o.pattern;
  *use_pattern = o.use_pattern;
  return true;
}

void ScanCmd(Ctx& c) {
  uint64_t cursor;
  if (!ParseScanCursor(c, c[1], &cursor)) return;
  ScanOpts o;
  if (!ParseScanOpts(c, 2, true, &o)) return;
  Db* d = c.db();
  std::vector<KeyEntry*> found;
  if (d != nullptr && d->size() > 0) {
    int64_t max_iter = o.count > INT64_MAX / 10 ? INT64_MAX : o.count * 10;  // Redis wraps
    do {
      cursor = d->Scan(cursor, [&](KeyEntry* e) { found.push_back(e); });
    } while (cursor != 0 && max_iter-- > 0 && found.size() < static_cast<size_t>(o.count));
  } else {
    cursor = 0;
  }
  std::vector<std::string_view> keys;
  keys.reserve(found.size());
  int64_t now = c.now();
  for (KeyEntry* e : found) {
    std::string_view k = obj::Key(e);
    if (o.use_pattern && !GlobMatch(o.pattern, k)) continue;
    int64_t exp = obj::Expire(e);
    bool expired = exp != obj::kNoExpire && now > exp;
    if (o.has_type) {
      const char* tn = expired ? "none" : TypeName(obj::Type(e));
      if (!EqCase(o.type, tn)) continue;
    }
    if (expired) continue;
    keys.push_back(k);
  }
  c.w.ArrayHeader(2);
  c.w.Bulk(StrCat(cursor));
  c.w.ArrayHeader(keys.size());
  for (std::string_view k : keys) c.w.Bulk(k);
}

void RandomkeyCmd(Ctx& c) {
  Db* d = c.db();
  if (d == nullptr || d->size() == 0) {
    c.w.Null();
    return;
  }
  int max_tries = 100;
  bool all_volatile = d->size() == d->expires();
  int64_t now = c.now();
  for (;;) {
    KeyEntry* e = d->Random();
    if (e == nullptr) {
      c.w.Null();
      return;
    }
    int64_t exp = obj::Expire(e);
    if (exp != obj::kNoExpire) {
      if (all_volatile && --max_tries == 0) {
        c.w.Bulk(obj::Key(e));
        return;
      }
      if (now > exp) continue;
    }
    c.w.Bulk(obj::Key(e));
    return;
  }
}

void DumpCmd(Ctx& c) {
  KeyEntry* e = c.Lookup(c[1]);
  if (e == nullptr) {
    c.w.Null();
    return;
  }
  c.w.Bulk(DumpPayload(e, c.cc.rdb_version, c.now()));
}

// ---- OBJECT ---------------------------------------------------------------------------------

void ObjectHelpCmd(Ctx& c) {
  static const char* const kHelp[] = {
      "ENCODING <key>",
      "    Return the kind of internal representation used in order to store the value",
      "    associated with a <key>.",
      "FREQ <key>",
      "    Return the access frequency index of the <key>. The returned integer is",
      "    proportional to the logarithm of the recent access frequency of the key.",
      "IDLETIME <key>",
      "    Return the idle time of the <key>, that is the approximated number of",
      "    seconds elapsed since the last access to the key.",
      "REFCOUNT <key>",
      "    Return the number of references of the value associated with the specified",
      "    <key>.",
  };
  ReplyHelp(c, kHelp);
}

void ObjectEncodingCmd(Ctx& c) {
  KeyEntry* e = c.Lookup(c[2]);
  if (e == nullptr) {
    c.w.Null();
    return;
  }
  // The names the master's Redis uses for our representation: strings over 44 bytes are raw;
  // before Redis 7.2 (RDB 11) lists were always quicklists and small sets of strings hashtables.
  ObjType type = obj::Type(e);
  Encoding enc = obj::Enc(e);
  const char* name = EncodingName(type, enc);
  if (enc == Encoding::kEmbStr) {
    char buf[24];
    if (obj::StringValue(e, buf).size() > 44) name = "raw";
  } else if (c.cc.rdb_version < 11 && type == ObjType::kList) {
    name = "quicklist";
  } else if (c.cc.rdb_version < 11 && type == ObjType::kSet && enc == Encoding::kListpack) {
    name = "hashtable";
  }
  c.w.Bulk(name);
}

void ObjectRefcountCmd(Ctx& c) {
  KeyEntry* e = c.Lookup(c[2]);
  if (e == nullptr) {
    c.w.Null();
    return;
  }
  // Redis shares the integers 0..9999 (OBJ_SHARED_REFCOUNT = INT_MAX).
  if (obj::Enc(e) == Encoding::kInt && obj::IntValue(e) >= 0 && obj::IntValue(e) < 10000) {
    c.w.Integer(2147483647);
  } else {
    c.w.Integer(1);
  }
}

void ObjectIdletimeCmd(Ctx& c) {
  KeyEntry* e = c.Lookup(c[2]);
  if (e == nullptr) {
    c.w.Null();
    return;
  }
  c.w.Integer(0);  // access times are not tracked (best effort)
}

void ObjectFreqCmd(Ctx& c) {
  KeyEntry* e = c.Lookup(c[2]);
  if (e == nullptr) {
    c.w.Null();
    return;
  }
  c.Error(
      "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
      "that when switching between policies at runtime LRU and LFU data will take some time to "
      "adjust.");
}

// ---- MEMORY ---------------------------------------------------------------------------------

void MemoryHelpCmd(Ctx& c) {
  static const char* const kHelp[] = {
      "DOCTOR",
      "    Return memory problems reports.",
      "MALLOC-STATS",
      "    Return internal statistics report from the memory allocator.",
      "PURGE",
      "    Attempt to purge dirty pages for reclamation by the allocator.",
      "STATS",
      "    Return information about the memory usage of the server.",
      "USAGE <key> [SAMPLES <count>]",
      "    Return memory in bytes used by <key> and its value. Nested values are",
      "    sampled up to <count> times (default: 5, 0 means sample all).",
  };
  ReplyHelp(c, kHelp);
}

void MemoryUsageCmd(Ctx& c) {
  for (size_t j = 3; j < c.argc(); ++j) {
    if (EqCase(c[j], "samples") && j + 1 < c.argc()) {
      int64_t samples;
      if (!GetLL(c, c[j + 1], &samples)) return;
      if (samples < 0) {
        c.Syntax();
        return;
      }
      ++j;
    } else {
      c.Syntax();
      return;
    }
  }
  KeyEntry* e = c.LookupRaw(c[2]);  // as Redis: no expiry check
  if (e == nullptr) {
    c.w.Null();
    return;
  }
  c.w.Integer(static_cast<int64_t>(obj::Bytes(e)) + 8);  // + the bucket slot
}

}  // namespace redlink::engine::cmd
