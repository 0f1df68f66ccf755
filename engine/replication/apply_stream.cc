// Streams: XADD (explicit IDs, MAXLEN/MINID trimming, NOMKSTREAM), XDEL, XTRIM, XSETID, XGROUP
// (CREATE, SETID, DESTROY, CREATECONSUMER, DELCONSUMER), XACK, XCLAIM (the form masters send for
// XREADGROUP/XCLAIM/XAUTOCLAIM effects: FORCE JUSTID LASTID TIME RETRYCOUNT) and XAUTOCLAIM.
// Redis t_stream.c.
//
// Times a replica cannot know (a consumer's seen-time, a claim without TIME) come from
// ApplyContext::now_ms, as mstime() does on a real replica.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <vector>

#include "engine/common/strings.h"
#include "engine/replication/apply_internal.h"

namespace redlink::engine::apply {
namespace {

constexpr std::string_view kInvalidIdErr =
    "ERR Invalid stream ID specified as stream command argument";

Stream* StreamOf(const KeyEntry* e) { return static_cast<Stream*>(obj::Ptr(e)); }

// util.c string2ull.
bool ParseULL(std::string_view s, uint64_t* v) {
  int64_t ll;
  if (ParseLL(s, &ll)) {
    if (ll < 0) return false;
    *v = static_cast<uint64_t>(ll);
    return true;
  }
  char buf[128];
  if (s.empty() || s.size() >= sizeof(buf)) return false;
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  if (std::strlen(buf) != s.size()) return false;
  errno = 0;
  char* end = nullptr;
  unsigned long long u = std::strtoull(buf, &end, 10);
  if (errno == EINVAL || errno == ERANGE || *end != '\0') return false;
  *v = u;
  return true;
}

// streamGenericParseIDOrReply. `strict` rejects "-" and "+"; `seq_given` (if not null) allows
// the "<ms>-*" form and reports whether the sequence was given.
bool ParseId(std::string_view s, StreamId* id, uint64_t missing_seq, bool strict, bool* seq_given) {
  if (s.size() > 127) return false;
  if (strict && (s == "-" || s == "+")) return false;
  if (seq_given != nullptr) *seq_given = true;
  if (s == "-") {
    *id = kStreamIdMin;
    return true;
  }
  if (s == "+") {
    *id = kStreamIdMax;
    return true;
  }
  size_t dash = s.find('-');
  uint64_t ms, seq;
  if (!ParseULL(s.substr(0, dash), &ms)) return false;
  if (dash != std::string_view::npos) {
    std::string_view rest = s.substr(dash + 1);
    if (seq_given != nullptr && rest == "*") {
      seq = 0;
      *seq_given = false;
    } else if (!ParseULL(rest, &seq)) {
      return false;
    }
  } else {
    seq = missing_seq;
  }
  *id = StreamId{ms, seq};
  return true;
}

absl::Status GetId(std::string_view s, StreamId* id, bool strict) {
  if (!ParseId(s, id, 0, strict, nullptr)) return Err(kInvalidIdErr);
  return absl::OkStatus();
}

bool EntryExists(const Stream* s, StreamId id) {
  bool found = false;
  s->Range(id, id, false, 1, [&](const StreamEntryView&) {
    found = true;
    return false;
  });
  return found;
}

// ---- trimming (streamTrim) -----------------------------------------------------------------

enum class TrimStrategy { kNone, kMaxlen, kMinid };

struct AddTrimArgs {
  TrimStrategy strategy = TrimStrategy::kNone;
  bool approx = false;
  int64_t maxlen = 0;
  StreamId minid;
  bool nomkstream = false;
  bool id_given = false;
  bool seq_given = false;
  StreamId id;
};

// streamParseAddOrTrimArgsOrReply as for the master client (mustObeyClient: LIMIT ignored).
// Returns the index of the ID argument for XADD.
absl::Status ParseAddTrimArgs(const Call& c, bool xadd, AddTrimArgs* a, size_t* idpos) {
  size_t i = 2;
  bool limit_given = false;
  for (; i < c.argc(); ++i) {
    size_t more = c.argc() - 1 - i;
    std::string_view opt = c[i];
    if (xadd && opt == "*") break;
    if (EqCase(opt, "maxlen") && more > 0) {
      if (a->strategy != TrimStrategy::kNone) {
        return Err(
            "ERR syntax error, MAXLEN and MINID options at the same time are not compatible");
      }
      a->approx = false;
      std::string_view next = c[i + 1];
      if (more >= 2 && next == "~") {
        a->approx = true;
        ++i;
      } else if (more >= 2 && next == "=") {
        ++i;
      }
      if (absl::Status s = GetLL(c[i + 1], &a->maxlen); !s.ok()) return s;
      if (a->maxlen < 0) return Err("ERR The MAXLEN argument must be >= 0.");
      ++i;
      a->strategy = TrimStrategy::kMaxlen;
    } else if (EqCase(opt, "minid") && more > 0) {
      if (a->strategy != TrimStrategy::kNone) {
        return Err(
            "ERR syntax error, MAXLEN and MINID options at the same time are not compatible");
      }
      a->approx = false;
      std::string_view next = c[i + 1];
      if (more >= 2 && next == "~") {
        a->approx = true;
        ++i;
      } else if (more >= 2 && next == "=") {
        ++i;
      }
      if (absl::Status s = GetId(c[i + 1], &a->minid, true); !s.ok()) return s;
      ++i;
      a->strategy = TrimStrategy::kMinid;
    } else if (EqCase(opt, "limit") && more > 0) {
      int64_t limit;
      if (absl::Status s = GetLL(c[i + 1], &limit); !s.ok()) return s;
      if (limit < 0) return Err("ERR The LIMIT argument must be >= 0.");
      limit_given = limit != 0;
      ++i;
    } else if (xadd && EqCase(opt, "nomkstream")) {
      a->nomkstream = true;
    } else if (xadd) {
      if (!ParseId(opt, &a->id, 0, true, &a->seq_given)) return Err(kInvalidIdErr);
      a->id_given = true;
      break;
    } else {
      return Syntax();
    }
  }
  if (limit_given && a->strategy == TrimStrategy::kNone) {
    return Err("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
  }
  if (!xadd && a->strategy == TrimStrategy::kNone) {
    return Err("ERR syntax error, XTRIM must be called with a trimming strategy");
  }
  *idpos = i;
  return absl::OkStatus();
}

// streamTrim with limit 0. Whole nodes go while they can; exact trimming then marks entries of
// the next node deleted (the same per-node flags and counters Stream::Delete writes), approximate
// trimming stops there. max_deleted_id is not touched; first_id is recomputed as Redis does.
void Trim(Stream* s, const AddTrimArgs& a) {
  std::vector<StreamId> victims;
  if (a.approx) {
    uint64_t length = s->length;
    std::vector<Stream::DecodedEntry> entries;
    std::vector<std::string_view> fields;
    std::deque<std::string> storage;
    for (const auto& [master, lp] : s->nodes()) {
      Stream::DecodeNode(master, lp, &entries, &fields, &storage);
      bool remove;
      if (a.strategy == TrimStrategy::kMaxlen) {
        remove = length - entries.size() >= static_cast<uint64_t>(a.maxlen);
      } else {
        remove = entries.empty() || entries.back().id < a.minid;
      }
      if (!remove) break;
      for (const auto& d : entries) victims.push_back(d.id);
      length -= entries.size();
    }
  } else if (a.strategy == TrimStrategy::kMaxlen) {
    if (s->length > static_cast<uint64_t>(a.maxlen)) {
      uint64_t n = s->length - static_cast<uint64_t>(a.maxlen);
      s->Range(kStreamIdMin, kStreamIdMax, false, n, [&](const StreamEntryView& e) {
        victims.push_back(e.id);
        return true;
      });
    }
  } else {
    s->Range(kStreamIdMin, kStreamIdMax, false, 0, [&](const StreamEntryView& e) {
      if (e.id >= a.minid) return false;
      victims.push_back(e.id);
      return true;
    });
  }
  if (victims.empty()) return;
  StreamId max_deleted = s->max_deleted_id;
  for (StreamId id : victims) s->Delete(id);
  s->max_deleted_id = max_deleted;
  if (s->length == 0) {
    s->first_id = StreamId{};
  } else if (!s->FirstEntry(&s->first_id)) {
    s->first_id = kStreamIdMax;
  }
}

// ---- groups --------------------------------------------------------------------------------

StreamConsumer* FindConsumer(StreamGroup* g, std::string_view name) {
  auto it = g->consumers.find(name);
  return it == g->consumers.end() ? nullptr : it->second.get();
}

StreamConsumer* CreateConsumer(StreamGroup* g, std::string_view name, int64_t now) {
  auto c = std::make_unique<StreamConsumer>();
  c->name = std::string(name);
  c->seen_time_ms = now;
  c->active_time_ms = -1;
  StreamConsumer* raw = c.get();
  g->consumers.emplace(std::string(name), std::move(c));
  return raw;
}

void DeleteNack(StreamGroup* g, StreamId id) {
  auto it = g->pel.find(id);
  if (it == g->pel.end()) return;
  if (it->second->consumer != nullptr) it->second->consumer->pel.erase(id);
  g->pel.erase(it);
}

// Looks up key and group for XCLAIM/XAUTOCLAIM ("NOGROUP No such key ... or consumer group").
absl::Status KeyAndGroup(Call& c, KeyEntry** e, StreamGroup** g) {
  *e = c.Find(c[1]);
  if (absl::Status s = CheckType(*e, ObjType::kStream); !s.ok()) return s;
  *g = *e == nullptr ? nullptr : StreamOf(*e)->FindGroup(c[2]);
  if (*g == nullptr) {
    return Refuse(StrCat("NOGROUP No such key '", c[1], "' or consumer group '", c[2], "'"));
  }
  return absl::OkStatus();
}

// Moves (or assigns) a pending entry to `consumer`.
void AssignNack(StreamPending* nack, StreamConsumer* consumer, StreamId id) {
  if (nack->consumer == consumer) return;
  if (nack->consumer != nullptr) nack->consumer->pel.erase(id);
  consumer->pel[id] = nack;
  nack->consumer = consumer;
}

}  // namespace

// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] n] [LIMIT n] <id|*> field value ... A master sends
// the ID it generated and "= <exact result>" for approximate trims.
absl::Status XaddCmd(Call& c) {
  AddTrimArgs a;
  size_t idpos;
  if (absl::Status s = ParseAddTrimArgs(c, true, &a, &idpos); !s.ok()) return s;
  size_t field_pos = idpos + 1;
  if (field_pos > c.argc() || (c.argc() - field_pos) < 2 || (c.argc() - field_pos) % 2 == 1) {
    return ArityErr(c.name);
  }
  if (a.id_given && a.seq_given && a.id == StreamId{}) {
    return Err("ERR The ID specified in XADD must be greater than 0-0");
  }
  std::string_view key = c[1];
  KeyEntry* e = c.Find(key);
  if (absl::Status s = CheckType(e, ObjType::kStream); !s.ok()) return s;
  if (e == nullptr && a.nomkstream) return absl::OkStatus();
  StreamId last = e == nullptr ? StreamId{} : StreamOf(e)->last_id;
  if (last == kStreamIdMax) {
    return Err("ERR The stream has exhausted the last possible ID, unable to add more items");
  }
  // streamAppendItem's ID choice.
  StreamId id;
  if (a.id_given) {
    if (a.seq_given) {
      id = a.id;
    } else if (last.ms == a.id.ms) {
      if (last.seq == UINT64_MAX) {
        return Err(
            "ERR The ID specified in XADD is equal or smaller than the target stream top item");
      }
      id = StreamId{last.ms, last.seq + 1};
    } else {
      id = a.id;
    }
  } else {
    // streamNextID with this replica's clock (a master never sends "*").
    uint64_t ms = static_cast<uint64_t>(std::max<int64_t>(c.ctx.now_ms, 0));
    if (last.ms >= ms) {
      id = last;
      StreamIdIncr(&id);
    } else {
      id = StreamId{ms, 0};
    }
  }
  if (id <= last) {
    return Err("ERR The ID specified in XADD is equal or smaller than the target stream top item");
  }
  if (e == nullptr) {
    e = NewStream(key);
    c.ks.Add(c.db(), e);
  }
  Stream* s = StreamOf(e);
  c.ks.Edit(e, [&] {
    s->Append(id, c.argv.subspan(field_pos));
    if (a.strategy != TrimStrategy::kNone) Trim(s, a);
  });
  return absl::OkStatus();
}

absl::Status XdelCmd(Call& c) {
  KeyEntry* e = c.Find(c[1]);
  if (e == nullptr) return absl::OkStatus();
  if (absl::Status s = CheckType(e, ObjType::kStream); !s.ok()) return s;
  StreamId small[16];
  std::vector<StreamId> big;
  size_t n = c.argc() - 2;
  StreamId* ids = small;
  if (n > 16) {
    big.resize(n);
    ids = big.data();
  }
  for (size_t j = 0; j < n; ++j) {
    if (absl::Status s = GetId(c[j + 2], &ids[j], true); !s.ok()) return s;
  }
  Stream* s = StreamOf(e);
  c.ks.Edit(e, [&] {
    for (size_t j = 0; j < n; ++j) s->Delete(ids[j]);
  });
  return absl::OkStatus();
}

absl::Status XtrimCmd(Call& c) {
  AddTrimArgs a;
  size_t idpos;
  if (absl::Status s = ParseAddTrimArgs(c, false, &a, &idpos); !s.ok()) return s;
  KeyEntry* e = c.Find(c[1]);
  if (e == nullptr) return absl::OkStatus();
  if (absl::Status s = CheckType(e, ObjType::kStream); !s.ok()) return s;
  c.ks.Edit(e, [&] { Trim(StreamOf(e), a); });
  return absl::OkStatus();
}

// XSETID key last-id [ENTRIESADDED n] [MAXDELETEDID id].
absl::Status XsetidCmd(Call& c) {
  StreamId id, max_xdel{};
  int64_t entries_added = -1;
  if (absl::Status s = GetId(c[2], &id, true); !s.ok()) return s;
  for (size_t i = 3; i < c.argc(); i += 2) {
    bool more = i + 1 < c.argc();
    if (EqCase(c[i], "entriesadded") && more) {
      if (absl::Status s = GetLL(c[i + 1], &entries_added); !s.ok()) return s;
      if (entries_added < 0) return Err("ERR entries_added must be positive");
    } else if (EqCase(c[i], "maxdeletedid") && more) {
      if (absl::Status s = GetId(c[i + 1], &max_xdel, true); !s.ok()) return s;
      if (id < max_xdel) {
        return Err(
            "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
      }
    } else {
      return Syntax();
    }
  }
  KeyEntry* e = c.Find(c[1]);
  if (e == nullptr) return Err(kNoSuchKeyErr);
  if (absl::Status s = CheckType(e, ObjType::kStream); !s.ok()) return s;
  Stream* s = StreamOf(e);
  if (s->length > 0) {
    StreamId maxid;
    s->LastEntry(&maxid);
    if (id < maxid) {
      return Err("ERR The ID specified in XSETID is smaller than the target stream top item");
    }
    if (entries_added != -1 && s->length > static_cast<uint64_t>(entries_added)) {
      return Err(
          "ERR The entries_added specified in XSETID is smaller than the target stream length");
    }
  }
  c.ks.Edit(e, [&] {
    s->last_id = id;
    if (entries_added != -1) s->entries_added = static_cast<uint64_t>(entries_added);
    if (!(max_xdel == StreamId{})) s->max_deleted_id = max_xdel;
  });
  return absl::OkStatus();
}

// XGROUP CREATE|SETID|DESTROY|CREATECONSUMER|DELCONSUMER (xgroupCommand).
absl::Status XgroupCmd(Call& c) {
  std::string_view sub = c[1];
  bool create = EqCase(sub, "create"), setid = EqCase(sub, "setid"),
       destroy = EqCase(sub, "destroy"), createconsumer = EqCase(sub, "createconsumer"),
       delconsumer = EqCase(sub, "delconsumer");
  if (!create && !setid && !destroy && !createconsumer && !delconsumer) {
    if (EqCase(sub, "help")) return absl::OkStatus();
    return Err(StrCat("ERR unknown subcommand '", sub, "'. Try XGROUP HELP."));
  }
  // Subcommand arities (7.0 COMMAND INFO): CREATE -5, SETID -5, DESTROY 4, *CONSUMER 5.
  size_t argc = c.argc();
  if (((create || setid) && argc < 5) || (destroy && argc != 4) ||
      ((createconsumer || delconsumer) && argc != 5)) {
    std::string lower(sub);
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return ArityErr(StrCat("xgroup|", lower));
  }
  bool mkstream = false;
  int64_t entries_read = -1;
  for (size_t i = 5; i < argc;) {
    if (create && EqCase(c[i], "mkstream")) {
      mkstream = true;
      ++i;
    } else if ((create || setid) && EqCase(c[i], "entriesread") && i + 1 < argc) {
      if (absl::Status s = GetLL(c[i + 1], &entries_read); !s.ok()) return s;
      if (entries_read < 0 && entries_read != -1) {
        return Err("ERR value for ENTRIESREAD must be positive or -1");
      }
      i += 2;
    } else {
      return Err(StrCat("ERR unknown subcommand or wrong number of arguments for '", sub,
                        "'. Try XGROUP HELP."));
    }
  }
  std::string_view key = c[2], group = c[3];
  KeyEntry* e = c.Find(key);
  if (absl::Status s = CheckType(e, ObjType::kStream); !s.ok()) return s;
  StreamGroup* g = nullptr;
  if (!mkstream) {
    if (e == nullptr) {
      return Err(
          "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want "
          "to use the MKSTREAM option to create an empty stream automatically.");
    }
    g = StreamOf(e)->FindGroup(group);
    if (g == nullptr && (setid || createconsumer || delconsumer)) {
      return Refuse(
          StrCat("NOGROUP No such consumer group '", group, "' for key name '", key, "'"));
    }
  }
  if (create) {
    if (argc > 8) {
      return Err(StrCat("ERR unknown subcommand or wrong number of arguments for '", sub,
                        "'. Try XGROUP HELP."));
    }
    StreamId id;
    if (c[4] == "$") {
      id = e != nullptr ? StreamOf(e)->last_id : StreamId{};
    } else if (absl::Status s = GetId(c[4], &id, true); !s.ok()) {
      return s;
    }
    if (e != nullptr && StreamOf(e)->FindGroup(group) != nullptr) {
      return Refuse("BUSYGROUP Consumer Group name already exists");
    }
    if (e == nullptr) {
      e = NewStream(key);
      c.ks.Add(c.db(), e);
    }
    c.ks.Edit(e, [&] { StreamOf(e)->CreateGroup(group, id, entries_read); });
    return absl::OkStatus();
  }
  if (setid) {
    if (argc != 5 && argc != 7) {
      return Err(StrCat("ERR unknown subcommand or wrong number of arguments for '", sub,
                        "'. Try XGROUP HELP."));
    }
    StreamId id;
    if (c[4] == "$") {
      id = StreamOf(e)->last_id;
    } else if (absl::Status s = GetId(c[4], &id, false); !s.ok()) {
      return s;
    }
    c.ks.Edit(e, [&] {
      g->last_id = id;
      g->entries_read = entries_read;
    });
    return absl::OkStatus();
  }
  if (destroy) {
    if (g != nullptr) c.ks.Edit(e, [&] { StreamOf(e)->groups().erase(std::string(group)); });
    return absl::OkStatus();
  }
  std::string_view name = c[4];
  if (createconsumer) {
    if (FindConsumer(g, name) == nullptr) {
      c.ks.Edit(e, [&] { CreateConsumer(g, name, c.ctx.now_ms); });
    }
    return absl::OkStatus();
  }
  // DELCONSUMER: the consumer's pending entries leave the group PEL too.
  StreamConsumer* consumer = FindConsumer(g, name);
  if (consumer != nullptr) {
    c.ks.Edit(e, [&] {
      for (const auto& [id, nack] : consumer->pel) g->pel.erase(id);
      g->consumers.erase(g->consumers.find(name));
    });
  }
  return absl::OkStatus();
}

absl::Status XackCmd(Call& c) {
  KeyEntry* e = c.Find(c[1]);
  if (absl::Status s = CheckType(e, ObjType::kStream); !s.ok()) return s;
  StreamGroup* g = e == nullptr ? nullptr : StreamOf(e)->FindGroup(c[2]);
  if (g == nullptr) return absl::OkStatus();
  std::vector<StreamId> ids(c.argc() - 3);
  for (size_t j = 3; j < c.argc(); ++j) {
    if (absl::Status s = GetId(c[j], &ids[j - 3], true); !s.ok()) return s;
  }
  c.ks.Edit(e, [&] {
    for (StreamId id : ids) DeleteNack(g, id);
  });
  return absl::OkStatus();
}

// XCLAIM key group consumer min-idle id... [IDLE ms] [TIME ms] [RETRYCOUNT n] [FORCE] [JUSTID]
// [LASTID id] (xclaimCommand). A master sends "XCLAIM k g c 0 <id> TIME <ms> RETRYCOUNT <n>
// FORCE JUSTID LASTID <group last id>" for every delivery, claim and dropped pending entry.
absl::Status XclaimCmd(Call& c) {
  KeyEntry* e;
  StreamGroup* g;
  if (absl::Status s = KeyAndGroup(c, &e, &g); !s.ok()) return s;
  int64_t minidle;
  if (absl::Status s = GetLL(c[4], &minidle, "ERR Invalid min-idle-time argument for XCLAIM");
      !s.ok()) {
    return s;
  }
  if (minidle < 0) minidle = 0;
  std::vector<StreamId> ids;
  size_t j = 5;
  for (; j < c.argc(); ++j) {
    StreamId id;
    if (!ParseId(c[j], &id, 0, true, nullptr)) break;
    ids.push_back(id);
  }
  int64_t now = c.ctx.now_ms;
  int64_t retrycount = -1, deliverytime = -1;
  bool force = false, justid = false;
  StreamId last_id{};
  for (; j < c.argc(); ++j) {
    bool more = j + 1 < c.argc();
    std::string_view opt = c[j];
    if (EqCase(opt, "force")) {
      force = true;
    } else if (EqCase(opt, "justid")) {
      justid = true;
    } else if (EqCase(opt, "idle") && more) {
      if (absl::Status s =
              GetLL(c[++j], &deliverytime, "ERR Invalid IDLE option argument for XCLAIM");
          !s.ok()) {
        return s;
      }
      deliverytime = now - deliverytime;
    } else if (EqCase(opt, "time") && more) {
      if (absl::Status s =
              GetLL(c[++j], &deliverytime, "ERR Invalid TIME option argument for XCLAIM");
          !s.ok()) {
        return s;
      }
    } else if (EqCase(opt, "retrycount") && more) {
      if (absl::Status s =
              GetLL(c[++j], &retrycount, "ERR Invalid RETRYCOUNT option argument for XCLAIM");
          !s.ok()) {
        return s;
      }
    } else if (EqCase(opt, "lastid") && more) {
      if (absl::Status s = GetId(c[++j], &last_id, true); !s.ok()) return s;
    } else {
      return Err(StrCat("ERR Unrecognized XCLAIM option '", opt, "'"));
    }
  }
  // A delivery time in the future (by this clock) or negative becomes now, as in Redis.
  if (deliverytime == -1 || deliverytime < 0 || deliverytime > now) deliverytime = now;
  Stream* s = StreamOf(e);
  std::string_view name = c[3];
  c.ks.Edit(e, [&] {
    if (g->last_id < last_id) g->last_id = last_id;
    StreamConsumer* consumer = nullptr;
    for (StreamId id : ids) {
      auto it = g->pel.find(id);
      StreamPending* nack = it == g->pel.end() ? nullptr : it->second.get();
      if (!EntryExists(s, id)) {
        // The entry is gone: its pending entry goes too.
        if (nack != nullptr) DeleteNack(g, id);
        continue;
      }
      if (force && nack == nullptr) {
        auto created = std::make_unique<StreamPending>();
        created->delivery_time_ms = now;
        created->delivery_count = 1;
        nack = created.get();
        g->pel.emplace(id, std::move(created));
      }
      if (nack == nullptr) continue;
      if (nack->consumer != nullptr && minidle != 0 && now - nack->delivery_time_ms < minidle) {
        continue;
      }
      if (consumer == nullptr) {
        consumer = FindConsumer(g, name);
        if (consumer == nullptr) consumer = CreateConsumer(g, name, now);
      }
      consumer->seen_time_ms = now;
      nack->delivery_time_ms = deliverytime;
      if (retrycount >= 0) {
        nack->delivery_count = static_cast<uint64_t>(retrycount);
      } else if (!justid) {
        ++nack->delivery_count;
      }
      AssignNack(nack, consumer, id);
    }
  });
  return absl::OkStatus();
}

// XAUTOCLAIM key group consumer min-idle start [COUNT n] [JUSTID] (a master sends XCLAIMs for
// its effects; this form is applied with this replica's clock).
absl::Status XautoclaimCmd(Call& c) {
  int64_t minidle;
  if (absl::Status s = GetLL(c[4], &minidle, "ERR Invalid min-idle-time argument for XAUTOCLAIM");
      !s.ok()) {
    return s;
  }
  if (minidle < 0) minidle = 0;
  std::string_view start_arg = c[5];
  bool startex = start_arg.size() > 1 && start_arg[0] == '(';
  StreamId start;
  if (!ParseId(startex ? start_arg.substr(1) : start_arg, &start, 0, startex, nullptr)) {
    return Err(kInvalidIdErr);
  }
  if (startex && !StreamIdIncr(&start)) return Err("ERR invalid start ID for the interval");
  int64_t count = 100;
  bool justid = false;
  for (size_t j = 6; j < c.argc(); ++j) {
    if (EqCase(c[j], "count") && j + 1 < c.argc()) {
      if (absl::Status s =
              GetRangeLong(c[j + 1], 1, INT64_MAX / 16, &count, "ERR COUNT must be > 0");
          !s.ok()) {
        return s;
      }
      ++j;
    } else if (EqCase(c[j], "justid")) {
      justid = true;
    } else {
      return Syntax();
    }
  }
  KeyEntry* e;
  StreamGroup* g;
  if (absl::Status s = KeyAndGroup(c, &e, &g); !s.ok()) return s;
  Stream* s = StreamOf(e);
  int64_t now = c.ctx.now_ms;
  int64_t attempts = count * 10;
  c.ks.Edit(e, [&] {
    StreamConsumer* consumer = nullptr;
    auto it = g->pel.lower_bound(start);
    while (attempts-- > 0 && count > 0 && it != g->pel.end()) {
      StreamId id = it->first;
      StreamPending* nack = it->second.get();
      if (!EntryExists(s, id)) {
        if (nack->consumer != nullptr) nack->consumer->pel.erase(id);
        it = g->pel.erase(it);  // btree erase invalidates iterators: continue from its result
        --count;
        continue;
      }
      if (minidle != 0 && now - nack->delivery_time_ms < minidle) {
        ++it;
        continue;
      }
      if (consumer == nullptr) {
        consumer = FindConsumer(g, c[3]);
        if (consumer == nullptr) consumer = CreateConsumer(g, c[3], now);
      }
      consumer->seen_time_ms = now;
      nack->delivery_time_ms = now;
      if (!justid) ++nack->delivery_count;
      AssignNack(nack, consumer, id);
      --count;
      ++it;
    }
  });
  return absl::OkStatus();
}

}  // namespace redlink::engine::apply
