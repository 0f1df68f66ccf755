// DUMP payloads: one value in the RDB object format of the target server's RDB version, then
// that version (2 bytes little-endian) and the CRC64 of everything before (8 bytes LE), so
// RESTORE accepts it on a server of that version. Only type ids the version knows are used:
//   list:   18 (v10+; the listpack nodes as stored) or 1 (plain) before
//   set:    11 intset; 20 listpack (v11+) else 2
//   zset:   17 listpack (v10+); 5 (v8+, binary doubles) or 3 (text doubles)
//   hash:   16 listpack (v10+) else 4; 25 listpack-ex / 24 with field TTLs (v12+)
//   stream: 21 (v11+), 19 (v10), 15 (before), nodes as stored
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "engine/encoding/listpack.h"
#include "engine/keyspace/hash.h"
#include "engine/keyspace/intset.h"
#include "engine/keyspace/keyspace.h"
#include "engine/keyspace/list.h"
#include "engine/keyspace/set.h"
#include "engine/keyspace/stream.h"
#include "engine/keyspace/zset.h"
#include "engine/rdb/crc64.h"
#include "engine/rdb/rdb_decoder.h"

namespace redlink::engine {
namespace {

namespace lp = listpack;

class RdbWriter {
 public:
  explicit RdbWriter(std::string* out) : out_(out) {}

  void Byte(uint8_t b) { out_->push_back(static_cast<char>(b)); }
  void Len(uint64_t n) {
    if (n < (1 << 6)) {
      Byte(static_cast<uint8_t>(n));
    } else if (n < (1 << 14)) {
      Byte(static_cast<uint8_t>(0x40 | (n >> 8)));
      Byte(static_cast<uint8_t>(n & 0xff));
    } else if (n <= UINT32_MAX) {
      Byte(0x80);
      for (int i = 3; i >= 0; --i) Byte(static_cast<uint8_t>(n >> (8 * i)));
    } else {
      Byte(0x81);
      for (int i = 7; i >= 0; --i) Byte(static_cast<uint8_t>(n >> (8 * i)));
    }
  }
  void Raw(std::string_view s) { out_->append(s); }
  // A string: the integer encodings when it is a canonical int that fits 32 bits (as Redis's
  // rdbTryIntegerEncoding), else length + bytes.
  void String(std::string_view s) {
    int64_t v;
    if (s.size() <= 11 && lp::StringToInt64Strict(s, &v) && v >= INT32_MIN && v <= INT32_MAX) {
      Int(v);
      return;
    }
    Len(s.size());
    Raw(s);
  }
  void Int(int64_t v) {
    if (v >= INT8_MIN && v <= INT8_MAX) {
      Byte(0xC0);
      Byte(static_cast<uint8_t>(v));
    } else if (v >= INT16_MIN && v <= INT16_MAX) {
      Byte(0xC1);
      Byte(static_cast<uint8_t>(v));
      Byte(static_cast<uint8_t>(v >> 8));
    } else {
      Byte(0xC2);
      for (int i = 0; i < 4; ++i) Byte(static_cast<uint8_t>(v >> (8 * i)));
    }
  }
  void Millis(int64_t ms) {
    for (int i = 0; i < 8; ++i) Byte(static_cast<uint8_t>(static_cast<uint64_t>(ms) >> (8 * i)));
  }
  void BinaryDouble(double d) {
    uint64_t u;
    std::memcpy(&u, &d, 8);
    for (int i = 0; i < 8; ++i) Byte(static_cast<uint8_t>(u >> (8 * i)));
  }
  void TextDouble(double d) {
    if (std::isnan(d)) {
      Byte(253);
    } else if (std::isinf(d)) {
      Byte(d < 0 ? 255 : 254);
    } else {
      char buf[128];
      int n = snprintf(buf, sizeof(buf), "%.17g", d);
      Byte(static_cast<uint8_t>(n));
      Raw(std::string_view(buf, static_cast<size_t>(n)));
    }
  }
  void StreamIdRaw(StreamId id) {
    for (int i = 7; i >= 0; --i) Byte(static_cast<uint8_t>(id.ms >> (8 * i)));
    for (int i = 7; i >= 0; --i) Byte(static_cast<uint8_t>(id.seq >> (8 * i)));
  }

 private:
  std::string* out_;
};

void WriteList(RdbWriter& w, const KeyEntry* e, int ver, std::string* out) {
  if (ver >= 10) {
    out->push_back(18);
    if (obj::Enc(e) == Encoding::kListpack) {
      w.Len(1);
      w.Len(2);  // PACKED
      w.String(lp::View(static_cast<const char*>(obj::Ptr(e))));
      return;
    }
    const auto* q = static_cast<const Quicklist*>(obj::Ptr(e));
    w.Len(q->nodes().size());
    for (const Quicklist::Node& n : q->nodes()) {
      w.Len(2);  // PACKED
      std::string_view v = lp::View(n.lp);
      w.Len(v.size());
      w.Raw(v);
    }
    return;
  }
  out->push_back(1);
  w.Len(list::Length(e));
  list::Walk(e, 0, list::Length(e), false, [&](const lp::Entry& en) {
    char buf[24];
    w.String(en.AsString(buf));
    return true;
  });
}

void WriteSet(RdbWriter& w, const KeyEntry* e, int ver, std::string* out) {
  if (obj::Enc(e) == Encoding::kIntset) {
    out->push_back(11);
    std::string_view v = intset::View(static_cast<const char*>(obj::Ptr(e)));
    w.Len(v.size());
    w.Raw(v);
    return;
  }
  if (obj::Enc(e) == Encoding::kListpack && ver >= 11) {
    out->push_back(20);
    std::string_view v = lp::View(static_cast<const char*>(obj::Ptr(e)));
    w.Len(v.size());
    w.Raw(v);
    return;
  }
  out->push_back(2);
  w.Len(set::Size(e));
  set::ForEach(e, [&](std::string_view m) { w.String(m); });
}

void WriteZset(RdbWriter& w, const KeyEntry* e, int ver, std::string* out) {
  if (obj::Enc(e) == Encoding::kListpack && ver >= 10) {
    out->push_back(17);
    std::string_view v = lp::View(static_cast<const char*>(obj::Ptr(e)));
    w.Len(v.size());
    w.Raw(v);
    return;
  }
  bool binary = ver >= 8;
  out->push_back(binary ? 5 : 3);
  w.Len(zset::Size(e));
  auto put = [&](std::string_view m, double s) {
    w.String(m);
    if (binary) {
      w.BinaryDouble(s);
    } else {
      w.TextDouble(s);
    }
  };
  // Highest score first, as Redis writes skiplists.
  if (obj::Enc(e) == Encoding::kListpack) {
    std::string_view v = lp::View(static_cast<const char*>(obj::Ptr(e)));
    std::vector<std::pair<std::string, double>> items;
    lp::Reader r(v);
    lp::Entry m, s;
    char buf[24];
    while (r.Next(&m) && r.Next(&s)) {
      items.emplace_back(std::string(m.AsString(buf)),
                         zset::LpScore(s.sval.data(), s.sval.size(), s.is_int, s.ival));
    }
    for (size_t i = items.size(); i-- > 0;) put(items[i].first, items[i].second);
    return;
  }
  const ZTree& t = static_cast<const BigZset*>(obj::Ptr(e))->tree();
  if (t.size() == 0) return;
  for (ZTree::Cursor c = t.At(t.size() - 1); c.valid(); c.Prev()) {
    put(ZMember(c.node()), c.node()->score);
  }
}

void WriteHash(RdbWriter& w, const KeyEntry* e, int ver, std::string* out) {
  Encoding enc = obj::Enc(e);
  bool ttls = hash::HasFieldTtls(e);
  if (enc == Encoding::kListpackEx && ver >= 12) {
    out->push_back(25);
    int64_t min_exp = 0;
    hash::ForEach(e, [&](std::string_view, std::string_view, int64_t exp) {
      if (exp != obj::kNoExpire && (min_exp == 0 || exp < min_exp)) min_exp = exp;
    });
    w.Millis(min_exp);
    std::string_view v = lp::View(static_cast<const char*>(obj::Ptr(e)));
    w.Len(v.size());
    w.Raw(v);
    return;
  }
  if ((enc == Encoding::kListpack || enc == Encoding::kListpackEx) && ver >= 10) {
    // (A version without field TTLs gets the pairs; the TTLs cannot be expressed.)
    out->push_back(16);
    if (enc == Encoding::kListpack) {
      std::string_view v = lp::View(static_cast<const char*>(obj::Ptr(e)));
      w.Len(v.size());
      w.Raw(v);
    } else {
      lp::Builder b;
      hash::ForEach(e, [&](std::string_view f, std::string_view v, int64_t) {
        b.Append(f);
        b.Append(v);
      });
      std::string v = std::move(b).Finish();
      w.Len(v.size());
      w.Raw(v);
    }
    return;
  }
  if (ttls && ver >= 12) {
    out->push_back(24);
    int64_t min_exp = INT64_MAX;
    hash::ForEach(e, [&](std::string_view, std::string_view, int64_t exp) {
      if (exp != obj::kNoExpire && exp < min_exp) min_exp = exp;
    });
    w.Millis(min_exp);
    w.Len(hash::Length(e));
    hash::ForEach(e, [&](std::string_view f, std::string_view v, int64_t exp) {
      w.Len(exp == obj::kNoExpire ? 0 : static_cast<uint64_t>(exp - min_exp + 1));
      w.String(f);
      w.String(v);
    });
    return;
  }
  out->push_back(4);
  w.Len(hash::Length(e));
  hash::ForEach(e, [&](std::string_view f, std::string_view v, int64_t) {
    w.String(f);
    w.String(v);
  });
}

void WriteStream(RdbWriter& w, const KeyEntry* e, int ver, std::string* out) {
  const auto* s = static_cast<const Stream*>(obj::Ptr(e));
  int type = ver >= 11 ? 21 : (ver >= 10 ? 19 : 15);
  out->push_back(static_cast<char>(type));
  w.Len(s->nodes().size());
  for (const auto& [id, node] : s->nodes()) {
    std::string key;
    RdbWriter kw(&key);
    kw.StreamIdRaw(id);
    w.Len(key.size());
    w.Raw(key);
    std::string_view v = lp::View(node);
    w.Len(v.size());
    w.Raw(v);
  }
  w.Len(s->length);
  w.Len(s->last_id.ms);
  w.Len(s->last_id.seq);
  if (type >= 19) {
    w.Len(s->first_id.ms);
    w.Len(s->first_id.seq);
    w.Len(s->max_deleted_id.ms);
    w.Len(s->max_deleted_id.seq);
    w.Len(s->entries_added);
  }
  w.Len(s->groups().size());
  for (const auto& [name, g] : s->groups()) {
    w.String(name);
    w.Len(g->last_id.ms);
    w.Len(g->last_id.seq);
    if (type >= 19) w.Len(static_cast<uint64_t>(g->entries_read));
    w.Len(g->pel.size());
    for (const auto& [id, pe] : g->pel) {
      w.StreamIdRaw(id);
      w.Millis(pe->delivery_time_ms);
      w.Len(pe->delivery_count);
    }
    w.Len(g->consumers.size());
    for (const auto& [cname, cons] : g->consumers) {
      w.String(cname);
      w.Millis(cons->seen_time_ms);
      if (type >= 21) {
        w.Millis(cons->active_time_ms >= 0 ? cons->active_time_ms : cons->seen_time_ms);
      }
      w.Len(cons->pel.size());
      for (const auto& [id, pe] : cons->pel) w.StreamIdRaw(id);
    }
  }
}

// createDumpPayload's footer: the RDB version (2 bytes LE), then the CRC64 of everything before.
void AppendDumpFooter(int rdb_version, std::string* out) {
  out->push_back(static_cast<char>(rdb_version & 0xff));
  out->push_back(static_cast<char>((rdb_version >> 8) & 0xff));
  uint64_t crc = rdb::Crc64(0, out->data(), out->size());
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(crc >> (8 * i)));
}

}  // namespace

std::string DumpPayload(const KeyEntry* e, int rdb_version, int64_t now_ms) {
  (void)now_ms;
  std::string out;
  RdbWriter w(&out);
  switch (obj::Type(e)) {
    case ObjType::kString: {
      out.push_back(0);
      if (obj::Enc(e) == Encoding::kInt) {
        int64_t v = obj::IntValue(e);
        if (v >= INT32_MIN && v <= INT32_MAX) {
          w.Int(v);
        } else {
          char buf[24];
          std::string_view s = obj::StringValue(e, buf);
          w.Len(s.size());
          w.Raw(s);
        }
      } else {
        char buf[24];
        w.String(obj::StringValue(e, buf));
      }
      break;
    }
    case ObjType::kList:
      WriteList(w, e, rdb_version, &out);
      break;
    case ObjType::kSet:
      WriteSet(w, e, rdb_version, &out);
      break;
    case ObjType::kZset:
      WriteZset(w, e, rdb_version, &out);
      break;
    case ObjType::kHash:
      WriteHash(w, e, rdb_version, &out);
      break;
    case ObjType::kStream:
      WriteStream(w, e, rdb_version, &out);
      break;
  }
  AppendDumpFooter(rdb_version, &out);
  return out;
}

std::string FunctionDumpPayload(const std::vector<FunctionLibrary>& libraries, int rdb_version) {
  std::string out;
  RdbWriter w(&out);
  for (const FunctionLibrary& lib : libraries) {
    w.Byte(245);  // RDB_OPCODE_FUNCTION2: the library's code
    w.String(lib.code);
  }
  AppendDumpFooter(rdb_version, &out);
  return out;
}

absl::StatusOr<KeyEntry*> RestorePayload(std::string_view key, std::string_view payload) {
  // <type><value> <version u16 LE> <crc64 LE of everything before>
  if (payload.size() < 10) {
    return absl::InvalidArgumentError("DUMP payload version or checksum are wrong");
  }
  const auto* footer = reinterpret_cast<const uint8_t*>(payload.data() + payload.size() - 10);
  int version = footer[0] | (footer[1] << 8);
  uint64_t crc = 0;
  for (int i = 0; i < 8; ++i) crc |= static_cast<uint64_t>(footer[2 + i]) << (8 * i);
  if (version > 12 || rdb::Crc64(0, payload.data(), payload.size() - 8) != crc) {
    return absl::InvalidArgumentError("DUMP payload version or checksum are wrong");
  }
  // Wrap the value in a one-key RDB file and decode it.
  std::string rdb = "REDIS00";
  rdb.push_back(static_cast<char>('0' + std::max(version, 1) / 10));
  rdb.push_back(static_cast<char>('0' + std::max(version, 1) % 10));
  rdb.push_back(payload[0]);
  RdbWriter w(&rdb);
  w.Len(key.size());
  w.Raw(key);
  rdb.append(payload.substr(1, payload.size() - 11));
  rdb.push_back(static_cast<char>(0xFF));
  rdb.append(8, '\0');
  Keyspace tmp;
  KeyspaceLoader loader(&tmp);
  rdb::RdbDecoder dec(&loader);
  auto fed = dec.Feed(rdb);
  absl::Status s = fed.ok() ? dec.Finish() : fed.status();
  if (!s.ok() || tmp.KeyCount(0) != 1) return absl::DataLossError("Bad data format");
  return tmp.Detach(0, key);
}

}  // namespace redlink::engine
