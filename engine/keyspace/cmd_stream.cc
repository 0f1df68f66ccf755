// Stream commands: XRANGE XREVRANGE XLEN XREAD (non-blocking) XINFO STREAM/GROUPS/CONSUMERS
// XPENDING.
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <set>
#include <vector>

#include "engine/common/strings.h"
#include "engine/keyspace/cmd_common.h"
#include "engine/keyspace/stream.h"

namespace redlink::engine::cmd {
namespace {

constexpr int64_t kInvalidEntriesRead = -1;

Stream* StreamOf(KeyEntry* e) { return static_cast<Stream*>(obj::Ptr(e)); }

// C-string view of an argument (Redis formats names with %s: they end at a NUL).
std::string_view CStr(std::string_view s) { return s.substr(0, s.find('\0')); }

std::string NoNewlines(std::string s) {
  for (char& ch : s) {
    if (ch == '\r' || ch == '\n') ch = ' ';
  }
  return s;
}

// Redis's string2ull: the strict int64 form, else strtoull (which allows spaces, '+', and wraps
// a leading '-').
bool String2Ull(const char* s, uint64_t* v) {
  int64_t ll;
  size_t len = std::strlen(s);
  if (ParseLL(std::string_view(s, len), &ll)) {
    if (ll < 0) return false;
    *v = static_cast<uint64_t>(ll);
    return true;
  }
  errno = 0;
  char* end = nullptr;
  unsigned long long r = std::strtoull(s, &end, 10);
  if (errno == EINVAL || errno == ERANGE || !(*s != '\0' && *end == '\0')) return false;
  *v = r;
  return true;
}

// Redis's streamGenericParseIDOrReply (without the "<ms>-*" form, which only XADD uses).
bool ParseId(Ctx& c, std::string_view arg, StreamId* id, uint64_t missing_seq, bool strict) {
  if (arg.size() > 127) {
    c.Error("ERR Invalid stream ID specified as stream command argument");
    return false;
  }
  char buf[128];
  std::memcpy(buf, arg.data(), arg.size());
  buf[arg.size()] = '\0';
  auto invalid = [&]() {
    c.Error("ERR Invalid stream ID specified as stream command argument");
    return false;
  };
  if (strict && (buf[0] == '-' || buf[0] == '+') && buf[1] == '\0') return invalid();
  if (buf[0] == '-' && buf[1] == '\0') {
    *id = kStreamIdMin;
    return true;
  }
  if (buf[0] == '+' && buf[1] == '\0') {
    *id = kStreamIdMax;
    return true;
  }
  char* dash = std::strchr(buf, '-');
  if (dash != nullptr) *dash = '\0';
  uint64_t ms, seq;
  if (!String2Ull(buf, &ms)) return invalid();
  if (dash != nullptr) {
    if (!String2Ull(dash + 1, &seq)) return invalid();
  } else {
    seq = missing_seq;
  }
  id->ms = ms;
  id->seq = seq;
  return true;
}

// streamParseIntervalIDOrReply: "(" prefix means exclusive (then parsed strictly).
bool ParseIntervalId(Ctx& c, std::string_view arg, StreamId* id, bool* exclude,
                     uint64_t missing_seq) {
  *exclude = arg.size() > 1 && arg[0] == '(';
  if (*exclude) return ParseId(c, arg.substr(1), id, missing_seq, true);
  return ParseId(c, arg, id, missing_seq, false);
}

void ReplyEntry(ReplyWriter& w, const StreamEntryView& e) {
  w.ArrayHeader(2);
  w.Bulk(FormatStreamId(e.id));
  w.ArrayHeader(e.fields_and_values.size());
  for (std::string_view s : e.fields_and_values) w.Bulk(s);
}

// Emits entries as Redis's streamReplyWithRange (a deferred array of [id, [f, v, ...]]).
size_t ReplyRange(Ctx& c, const Stream& s, StreamId start, StreamId end, uint64_t count, bool rev) {
  Deferred d(c.w);
  size_t n = 0;
  s.Range(start, end, rev, count, [&](const StreamEntryView& e) {
    ReplyEntry(c.w, e);
    ++n;
    return true;
  });
  d.SetArray(n);
  return n;
}

void RangeGeneric(Ctx& c, bool rev) {
  std::string_view startarg = rev ? c[3] : c[2];
  std::string_view endarg = rev ? c[2] : c[3];
  StreamId start, end;
  bool startex, endex;
  if (!ParseIntervalId(c, startarg, &start, &startex, 0)) return;
  if (startex && !StreamIdIncr(&start)) {
    c.Error("ERR invalid start ID for the interval");
    return;
  }
  if (!ParseIntervalId(c, endarg, &end, &endex, UINT64_MAX)) return;
  if (endex && !StreamIdDecr(&end)) {
    c.Error("ERR invalid end ID for the interval");
    return;
  }
  int64_t count = -1;
  for (size_t j = 4; j < c.argc(); ++j) {
    size_t additional = c.argc() - j - 1;
    if (EqCase(c[j], "COUNT") && additional >= 1) {
      if (!GetLL(c, c[j + 1], &count)) return;
      if (count < 0) count = 0;
      ++j;
    } else {
      c.Syntax();
      return;
    }
  }
  KeyEntry* e = c.Lookup(c[1]);
  if (e == nullptr) {
    c.w.ArrayHeader(0);
    return;
  }
  if (!CheckType(c, e, ObjType::kStream)) return;
  if (count == 0) {
    c.w.NullArray();
    return;
  }
  ReplyRange(c, *StreamOf(e), start, end, count == -1 ? 0 : static_cast<uint64_t>(count), rev);
}

// Redis's rax node count for the stream's node keys (16-byte big-endian IDs), computed from
// the canonical compressed-trie shape a rax has: 1 root + every leaf and branch below the root
// + one compressed node per branch edge that does not lead directly to a leaf or a branch.
int64_t RaxNodes(const Stream& s) {
  std::vector<std::string> keys;
  keys.reserve(s.nodes().size());
  for (const auto& [id, lp] : s.nodes()) {
    std::string k(16, '\0');
    for (int i = 0; i < 8; ++i) {
      k[i] = static_cast<char>(id.ms >> (56 - 8 * i));
      k[8 + i] = static_cast<char>(id.seq >> (56 - 8 * i));
    }
    keys.push_back(std::move(k));
  }
  if (keys.empty()) return 1;
  std::set<std::string> branches;  // branch prefixes (any length, including "")
  for (size_t i = 0; i + 1 < keys.size(); ++i) {
    size_t l = 0;
    while (l < 16 && keys[i][l] == keys[i + 1][l]) ++l;
    branches.insert(keys[i].substr(0, l));
  }
  auto parent_gap = [&](const std::string& x) -> int64_t {
    for (size_t len = x.size(); len-- > 0;) {
      if (branches.count(x.substr(0, len))) return len + 1 < x.size() ? 1 : 0;
    }
    return 0;  // under a non-branching root: the root itself is the compressed node
  };
  int64_t nodes = 1;
  for (const std::string& b : branches) {
    if (b.empty()) continue;
    nodes += 1 + parent_gap(b);
  }
  for (const std::string& k : keys) nodes += 1 + parent_gap(k);
  return nodes;
}

bool RangeHasTombstones(const Stream& s, const StreamId* start) {
  if (s.length == 0 || s.max_deleted_id == StreamId{}) return false;
  if (s.first_id > s.max_deleted_id) return false;
  StreamId st = start != nullptr ? *start : kStreamIdMin;
  return st <= s.max_deleted_id;
}

int64_t EstimateDistance(const Stream& s, const StreamId& id) { return s.EstimateEntriesRead(id); }

void ReplyLag(Ctx& c, const Stream& s, const StreamGroup& g) {
  if (s.entries_added == 0) {
    c.w.Integer(0);
  } else if (g.entries_read != kInvalidEntriesRead && !RangeHasTombstones(s, &g.last_id)) {
    c.w.Integer(static_cast<int64_t>(s.entries_added) - g.entries_read);
  } else {
    int64_t read = EstimateDistance(s, g.last_id);
    if (read != kInvalidEntriesRead) {
      c.w.Integer(static_cast<int64_t>(s.entries_added) - read);
    } else {
      c.w.Null();
    }
  }
}

void ReplyEntriesRead(Ctx& c, const StreamGroup& g) {
  if (g.entries_read != kInvalidEntriesRead) {
    c.w.Integer(g.entries_read);
  } else {
    c.w.Null();
  }
}

void SubcommandSyntaxError(Ctx& c) {
  std::string cmd(c[0]);
  for (char& ch : cmd) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  c.Error(NoNewlines(StrCat("ERR unknown subcommand or wrong number of arguments for '",
                            CStr(c[1]).substr(0, 128), "'. Try ", cmd, " HELP.")));
}

// XINFO lookup: a missing key is "ERR no such key".
KeyEntry* XinfoLookup(Ctx& c) {
  KeyEntry* e = c.Lookup(c[2]);
  if (e == nullptr) {
    c.Error(kNoSuchKey);
    return nullptr;
  }
  if (!CheckType(c, e, ObjType::kStream)) return nullptr;
  return e;
}

}  // namespace

void XrangeCmd(Ctx& c) { RangeGeneric(c, false); }
void XrevrangeCmd(Ctx& c) { RangeGeneric(c, true); }

void XlenCmd(Ctx& c) {
  KeyEntry* e = c.Lookup(c[1]);
  if (e == nullptr) {
    c.w.Integer(0);
    return;
  }
  if (!CheckType(c, e, ObjType::kStream)) return;
  c.w.Integer(static_cast<int64_t>(StreamOf(e)->length));
}

void XreadCmd(Ctx& c) {
  int64_t timeout = -1;
  int64_t count = 0;
  size_t streams_arg = 0, streams_count = 0;
  for (size_t i = 1; i < c.argc(); ++i) {
    size_t more = c.argc() - i - 1;
    std::string_view o = c[i];
    if (EqCase(o, "BLOCK") && more > 0) {
      ++i;
      if (!GetLL(c, c[i], &timeout, "timeout is not an integer or out of range")) return;
      if (timeout < 0) {
        c.Error("ERR timeout is negative");
        return;
      }
    } else if (EqCase(o, "COUNT") && more > 0) {
      ++i;
      if (!GetLL(c, c[i], &count)) return;
      if (count < 0) count = 0;
    } else if (EqCase(o, "STREAMS") && more > 0) {
      streams_arg = i + 1;
      streams_count = c.argc() - streams_arg;
      if (streams_count % 2 != 0) {
        c.Error(
            "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be "
            "specified.");
        return;
      }
      streams_count /= 2;
      break;
    } else if (EqCase(o, "GROUP") && more >= 2) {
      c.Error("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
      return;
    } else if (EqCase(o, "NOACK")) {
      c.Error("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.");
      return;
    } else {
      c.Syntax();
      return;
    }
  }
  if (streams_arg == 0) {
    c.Syntax();
    return;
  }
  std::vector<StreamId> ids(streams_count);
  for (size_t i = streams_arg + streams_count; i < c.argc(); ++i) {
    size_t idx = i - streams_arg - streams_count;
    KeyEntry* e = c.Lookup(c[i - streams_count]);
    if (e != nullptr && !CheckType(c, e, ObjType::kStream)) return;
    if (c[i] == "$") {
      ids[idx] = e != nullptr ? StreamOf(e)->last_id : StreamId{};
      continue;
    }
    if (c[i] == ">") {
      c.Error(
          "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> "
          "<consumer> option.");
      return;
    }
    if (!ParseId(c, c[i], &ids[idx], 0, true)) return;
  }
  size_t arraylen = 0;
  std::optional<Deferred> d;
  for (size_t i = 0; i < streams_count; ++i) {
    KeyEntry* e = c.Lookup(c[streams_arg + i]);
    if (e == nullptr) continue;
    const Stream& s = *StreamOf(e);
    StreamId last;
    if (s.length == 0 || !s.LastEntry(&last) || !(last > ids[i])) continue;
    if (++arraylen == 1) d.emplace(c.w);
    StreamId start = ids[i];
    StreamIdIncr(&start);
    if (c.resp() == 2) c.w.ArrayHeader(2);
    c.w.Bulk(c[streams_arg + i]);
    ReplyRange(c, s, start, kStreamIdMax, static_cast<uint64_t>(count), false);
  }
  if (arraylen > 0) {
    if (c.resp() == 2) {
      d->SetArray(arraylen);
    } else {
      d->SetMap(arraylen);
    }
    return;
  }
  c.w.NullArray();  // BLOCK cannot wait here: answered as a client that may not block
}

void XinfoHelpCmd(Ctx& c) {
  static const char* const kHelp[] = {
      "CONSUMERS <key> <groupname>",
      "    Show consumers of <groupname>.",
      "GROUPS <key>",
      "    Show the stream consumer groups.",
      "STREAM <key> [FULL [COUNT <count>]",
      "    Show information about the stream.",
  };
  ReplyHelp(c, kHelp);
}

void XinfoStreamCmd(Ctx& c) {
  KeyEntry* e = XinfoLookup(c);
  if (e == nullptr) return;
  const Stream& s = *StreamOf(e);
  bool full = true;
  int64_t count = 10;
  size_t optc = c.argc() - 3;
  if (optc == 0) {
    full = false;
  } else {
    if (optc != 1 && optc != 3) return SubcommandSyntaxError(c);
    if (!EqCase(c[3], "full")) return SubcommandSyntaxError(c);
    if (optc == 3) {
      if (!EqCase(c[4], "count")) return SubcommandSyntaxError(c);
      if (!GetLL(c, c[5], &count)) return;
      if (count < 0) count = 10;
    }
  }
  c.w.MapHeader(full ? 9 : 10);
  c.w.Bulk("length");
  c.w.Integer(static_cast<int64_t>(s.length));
  c.w.Bulk("radix-tree-keys");
  c.w.Integer(static_cast<int64_t>(s.nodes().size()));
  c.w.Bulk("radix-tree-nodes");
  c.w.Integer(RaxNodes(s));
  c.w.Bulk("last-generated-id");
  c.w.Bulk(FormatStreamId(s.last_id));
  c.w.Bulk("max-deleted-entry-id");
  c.w.Bulk(FormatStreamId(s.max_deleted_id));
  c.w.Bulk("entries-added");
  c.w.Integer(static_cast<int64_t>(s.entries_added));
  c.w.Bulk("recorded-first-entry-id");
  c.w.Bulk(FormatStreamId(s.first_id));
  if (!full) {
    c.w.Bulk("groups");
    c.w.Integer(static_cast<int64_t>(s.groups().size()));
    for (bool rev : {false, true}) {
      c.w.Bulk(rev ? "last-entry" : "first-entry");
      bool emitted = false;
      s.Range(kStreamIdMin, kStreamIdMax, rev, 1, [&](const StreamEntryView& en) {
        ReplyEntry(c.w, en);
        emitted = true;
        return false;
      });
      if (!emitted) c.w.Null();
    }
    return;
  }
  c.w.Bulk("entries");
  ReplyRange(c, s, kStreamIdMin, kStreamIdMax, static_cast<uint64_t>(count), false);
  c.w.Bulk("groups");
  c.w.ArrayHeader(s.groups().size());
  for (const auto& [name, g] : s.groups()) {
    c.w.MapHeader(7);
    c.w.Bulk("name");
    c.w.Bulk(name);
    c.w.Bulk("last-delivered-id");
    c.w.Bulk(FormatStreamId(g->last_id));
    c.w.Bulk("entries-read");
    ReplyEntriesRead(c, *g);
    c.w.Bulk("lag");
    ReplyLag(c, s, *g);
    c.w.Bulk("pel-count");
    c.w.Integer(static_cast<int64_t>(g->pel.size()));
    c.w.Bulk("pending");
    {
      Deferred d(c.w);
      int64_t n = 0;
      for (const auto& [id, pe] : g->pel) {
        if (count != 0 && n >= count) break;
        c.w.ArrayHeader(4);
        c.w.Bulk(FormatStreamId(id));
        c.w.Bulk(pe->consumer != nullptr ? std::string_view(pe->consumer->name) : "");
        c.w.Integer(pe->delivery_time_ms);
        c.w.Integer(static_cast<int64_t>(pe->delivery_count));
        ++n;
      }
      d.SetArray(static_cast<size_t>(n));
    }
    c.w.Bulk("consumers");
    c.w.ArrayHeader(g->consumers.size());
    for (const auto& [cname, cons] : g->consumers) {
      c.w.MapHeader(4);
      c.w.Bulk("name");
      c.w.Bulk(cname);
      c.w.Bulk("seen-time");
      c.w.Integer(cons->seen_time_ms);
      c.w.Bulk("pel-count");
      c.w.Integer(static_cast<int64_t>(cons->pel.size()));
      c.w.Bulk("pending");
      Deferred d(c.w);
      int64_t n = 0;
      for (const auto& [id, pe] : cons->pel) {
        if (count != 0 && n >= count) break;
        c.w.ArrayHeader(3);
        c.w.Bulk(FormatStreamId(id));
        c.w.Integer(pe->delivery_time_ms);
        c.w.Integer(static_cast<int64_t>(pe->delivery_count));
        ++n;
      }
      d.SetArray(static_cast<size_t>(n));
    }
  }
}

void XinfoGroupsCmd(Ctx& c) {
  KeyEntry* e = XinfoLookup(c);
  if (e == nullptr) return;
  const Stream& s = *StreamOf(e);
  c.w.ArrayHeader(s.groups().size());
  for (const auto& [name, g] : s.groups()) {
    c.w.MapHeader(6);
    c.w.Bulk("name");
    c.w.Bulk(name);
    c.w.Bulk("consumers");
    c.w.Integer(static_cast<int64_t>(g->consumers.size()));
    c.w.Bulk("pending");
    c.w.Integer(static_cast<int64_t>(g->pel.size()));
    c.w.Bulk("last-delivered-id");
    c.w.Bulk(FormatStreamId(g->last_id));
    c.w.Bulk("entries-read");
    ReplyEntriesRead(c, *g);
    c.w.Bulk("lag");
    ReplyLag(c, s, *g);
  }
}

void XinfoConsumersCmd(Ctx& c) {
  KeyEntry* e = XinfoLookup(c);
  if (e == nullptr) return;
  const Stream& s = *StreamOf(e);
  StreamGroup* g = s.FindGroup(c[3]);
  if (g == nullptr) {
    c.Error(NoNewlines(StrCat("NOGROUP No such consumer group '", CStr(c[3]), "' for key name '",
                              CStr(c[2]), "'")));
    return;
  }
  c.w.ArrayHeader(g->consumers.size());
  for (const auto& [cname, cons] : g->consumers) {
    int64_t idle = c.now() - cons->seen_time_ms;
    if (idle < 0) idle = 0;
    c.w.MapHeader(3);
    c.w.Bulk("name");
    c.w.Bulk(cname);
    c.w.Bulk("pending");
    c.w.Integer(static_cast<int64_t>(cons->pel.size()));
    c.w.Bulk("idle");
    c.w.Integer(idle);
  }
}

void XpendingCmd(Ctx& c) {
  bool justinfo = c.argc() == 3;
  if (c.argc() != 3 && (c.argc() < 6 || c.argc() > 9)) {
    c.Syntax();
    return;
  }
  StreamId start{}, end{};
  int64_t count = 0, minidle = 0;
  std::optional<std::string_view> consumer_name;
  if (c.argc() >= 6) {
    size_t startidx = 3;
    if (EqCase(c[3], "IDLE")) {
      if (!GetLL(c, c[4], &minidle)) return;
      if (c.argc() < 8) {
        c.Syntax();
        return;
      }
      startidx += 2;
    }
    if (!GetLL(c, c[startidx + 2], &count)) return;
    if (count < 0) count = 0;
    bool startex, endex;
    if (!ParseIntervalId(c, c[startidx], &start, &startex, 0)) return;
    if (startex && !StreamIdIncr(&start)) {
      c.Error("ERR invalid start ID for the interval");
      return;
    }
    if (!ParseIntervalId(c, c[startidx + 1], &end, &endex, UINT64_MAX)) return;
    if (endex && !StreamIdDecr(&end)) {
      c.Error("ERR invalid end ID for the interval");
      return;
    }
    if (startidx + 3 < c.argc()) consumer_name = c[startidx + 3];
  }
  KeyEntry* e = c.Lookup(c[1]);
  if (e != nullptr && !CheckType(c, e, ObjType::kStream)) return;
  StreamGroup* g = e == nullptr ? nullptr : StreamOf(e)->FindGroup(c[2]);
  if (g == nullptr) {
    c.Error(NoNewlines(
        StrCat("NOGROUP No such key '", CStr(c[1]), "' or consumer group '", CStr(c[2]), "'")));
    return;
  }
  if (justinfo) {
    c.w.ArrayHeader(4);
    c.w.Integer(static_cast<int64_t>(g->pel.size()));
    if (g->pel.empty()) {
      c.w.Null();
      c.w.Null();
      c.w.NullArray();
      return;
    }
    c.w.Bulk(FormatStreamId(g->pel.begin()->first));
    c.w.Bulk(FormatStreamId(std::prev(g->pel.end())->first));
    Deferred d(c.w);
    size_t n = 0;
    for (const auto& [cname, cons] : g->consumers) {
      if (cons->pel.empty()) continue;
      c.w.ArrayHeader(2);
      c.w.Bulk(cname);
      c.w.Bulk(StrCat(cons->pel.size()));
      ++n;
    }
    d.SetArray(n);
    return;
  }
  const StreamConsumer* consumer = nullptr;
  if (consumer_name) {
    auto it = g->consumers.find(*consumer_name);
    if (it == g->consumers.end()) {
      c.w.ArrayHeader(0);
      return;
    }
    consumer = it->second.get();
  }
  int64_t now = c.now();
  Deferred d(c.w);
  size_t n = 0;
  auto emit = [&](StreamId id, const StreamPending& pe) {
    if (minidle != 0 && now - pe.delivery_time_ms < minidle) return;
    ++n;
    --count;
    c.w.ArrayHeader(4);
    c.w.Bulk(FormatStreamId(id));
    c.w.Bulk(pe.consumer != nullptr ? std::string_view(pe.consumer->name) : "");
    int64_t elapsed = now - pe.delivery_time_ms;
    if (elapsed < 0) elapsed = 0;
    c.w.Integer(elapsed);
    c.w.Integer(static_cast<int64_t>(pe.delivery_count));
  };
  if (consumer != nullptr) {
    for (auto it = consumer->pel.lower_bound(start);
         count > 0 && it != consumer->pel.end() && !(it->first > end); ++it) {
      emit(it->first, *it->second);
    }
  } else {
    for (auto it = g->pel.lower_bound(start); count > 0 && it != g->pel.end() && !(it->first > end);
         ++it) {
      emit(it->first, *it->second);
    }
  }
  d.SetArray(n);
}

}  // namespace redlink::engine::cmd
