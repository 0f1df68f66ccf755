#include "engine/keyspace/stream.h"

#include <cstdlib>
#include <cstring>
#include <vector>

#include "engine/common/strings.h"
#include "engine/encoding/listpack.h"
#include "engine/keyspace/object.h"

namespace redlink::engine {
namespace lp = listpack;

namespace {

constexpr int64_t kFlagDeleted = 1;
constexpr int64_t kFlagSameFields = 2;

int64_t EntryInt(const lp::Entry& e) {
  if (e.is_int) return e.ival;
  int64_t v = 0;
  lp::StringToInt64Strict(e.sval, &v);
  return v;
}

}  // namespace

Stream::~Stream() {
  for (auto& [id, p] : nodes_) std::free(p);
}

size_t Stream::Bytes() const {
  size_t b = sizeof(Stream) + node_bytes_ + nodes_.size() * (sizeof(StreamId) + sizeof(char*) + 8);
  for (const auto& [name, g] : groups_) {
    b += sizeof(StreamGroup) + name.size() + g->pel.size() * (sizeof(StreamPending) + 48);
    for (const auto& [cname, c] : g->consumers) {
      b += sizeof(StreamConsumer) + cname.size() + c->pel.size() * 32;
    }
  }
  return b;
}

Stream* Stream::Clone() const {
  auto* s = new Stream();
  for (const auto& [id, p] : nodes_) s->AdoptNode(id, lp::CopyOf(lp::View(p)));
  s->length = length;
  s->last_id = last_id;
  s->first_id = first_id;
  s->max_deleted_id = max_deleted_id;
  s->entries_added = entries_added;
  for (const auto& [name, g] : groups_) {
    StreamGroup* ng = s->CreateGroup(name, g->last_id, g->entries_read);
    for (const auto& [cname, c] : g->consumers) {
      auto nc = std::make_unique<StreamConsumer>();
      nc->name = c->name;
      nc->seen_time_ms = c->seen_time_ms;
      nc->active_time_ms = c->active_time_ms;
      ng->consumers.emplace(cname, std::move(nc));
    }
    for (const auto& [id, pe] : g->pel) {
      auto np = std::make_unique<StreamPending>(*pe);
      if (pe->consumer != nullptr) {
        StreamConsumer* nc = ng->consumers.find(pe->consumer->name)->second.get();
        np->consumer = nc;
        nc->pel.emplace(id, np.get());
      }
      ng->pel.emplace(id, std::move(np));
    }
  }
  return s;
}

void Stream::AdoptNode(StreamId master_id, char* p) {
  auto [it, inserted] = nodes_.emplace(master_id, p);
  if (!inserted) {
    node_bytes_ -= AllocSize(it->second);
    std::free(it->second);
    it->second = p;
  }
  node_bytes_ += AllocSize(p);
}

void Stream::DecodeNode(StreamId master, const char* node, std::vector<DecodedEntry>* entries,
                        std::vector<std::string_view>* fields, std::deque<std::string>* storage) {
  entries->clear();
  fields->clear();
  storage->clear();
  std::string_view v = lp::View(node);
  lp::Reader r(v);
  lp::Entry e;
  auto text = [&](const lp::Entry& en) -> std::string_view {
    if (!en.is_int) return en.sval;
    char buf[24];
    storage->emplace_back(en.AsString(buf));
    return storage->back();
  };
  if (!r.Next(&e)) return;
  int64_t count = EntryInt(e);
  if (!r.Next(&e)) return;
  int64_t deleted = EntryInt(e);
  if (!r.Next(&e)) return;
  int64_t master_fields = EntryInt(e);
  size_t master_first = fields->size();
  for (int64_t i = 0; i < master_fields; ++i) {
    if (!r.Next(&e)) return;
    fields->push_back(text(e));
  }
  std::vector<std::string_view> master_names(fields->begin() + static_cast<ptrdiff_t>(master_first),
                                             fields->end());
  fields->clear();
  if (!r.Next(&e)) return;  // master terminator
  entries->reserve(static_cast<size_t>(count));
  int64_t total = count + deleted;
  for (int64_t k = 0; k < total; ++k) {
    if (!r.Next(&e)) return;
    int64_t flags = EntryInt(e);
    if (!r.Next(&e)) return;
    int64_t ms_delta = EntryInt(e);
    if (!r.Next(&e)) return;
    int64_t seq_delta = EntryInt(e);
    StreamId id{master.ms + static_cast<uint64_t>(ms_delta),
                master.seq + static_cast<uint64_t>(seq_delta)};
    bool live = (flags & kFlagDeleted) == 0;
    size_t first = fields->size();
    if (flags & kFlagSameFields) {
      for (int64_t i = 0; i < master_fields; ++i) {
        if (!r.Next(&e)) return;
        if (live) {
          fields->push_back(master_names[static_cast<size_t>(i)]);
          fields->push_back(text(e));
        }
      }
    } else {
      if (!r.Next(&e)) return;
      int64_t nf = EntryInt(e);
      for (int64_t i = 0; i < nf * 2; ++i) {
        if (!r.Next(&e)) return;
        if (live) fields->push_back(text(e));
      }
    }
    if (!r.Next(&e)) return;  // lp-count
    if (live) entries->push_back(DecodedEntry{id, first, fields->size() - first});
  }
}

void Stream::Append(StreamId id, std::span<const std::string_view> fv) {
  size_t numfields = fv.size() / 2;
  size_t totelelen = 0;
  for (std::string_view s : fv) totelelen += s.size();
  char* node = nullptr;
  StreamId master{};
  if (!nodes_.empty()) {
    auto last = std::prev(nodes_.end());
    std::string_view v = lp::View(last->second);
    bool new_node = v.size() + totelelen >= kNodeMaxBytes;
    if (!new_node) {
      lp::Entry c, d;
      size_t off = lp::EntryAt(v, lp::kHeaderSize, &c);
      lp::EntryAt(v, off, &d);
      if (EntryInt(c) + EntryInt(d) >= kNodeMaxEntries) new_node = true;
    }
    if (!new_node) {
      node = last->second;
      master = last->first;
    }
  }
  int64_t flags = 0;
  if (node == nullptr) {
    master = id;
    std::string enc;
    lp::AppendEncodedInt(&enc, 1);
    lp::AppendEncodedInt(&enc, 0);
    lp::AppendEncodedInt(&enc, static_cast<int64_t>(numfields));
    for (size_t i = 0; i < numfields; ++i) lp::AppendEncoded(&enc, fv[i * 2]);
    lp::AppendEncodedInt(&enc, 0);
    node = lp::Splice(lp::NewEmpty(), lp::kHeaderSize, 0, 0, enc,
                      static_cast<uint32_t>(numfields + 4));
    flags = kFlagSameFields;
  } else {
    node_bytes_ -= AllocSize(node);
    std::string_view v = lp::View(node);
    lp::Entry c;
    lp::EntryAt(v, lp::kHeaderSize, &c);
    std::string enc;
    lp::AppendEncodedInt(&enc, EntryInt(c) + 1);
    size_t after = lp::EntryAt(v, lp::kHeaderSize, &c);
    node = lp::Splice(node, lp::kHeaderSize, after - lp::kHeaderSize, 1, enc, 1);
    v = lp::View(node);
    size_t off = lp::EntryAt(v, lp::kHeaderSize, &c);  // count
    off = lp::EntryAt(v, off, &c);                     // deleted
    off = lp::EntryAt(v, off, &c);                     // master fields
    int64_t mf = EntryInt(c);
    if (static_cast<size_t>(mf) == numfields) {
      size_t i = 0;
      for (; i < numfields; ++i) {
        lp::Entry f;
        off = lp::EntryAt(v, off, &f);
        if (!lp::EntryEquals(f, fv[i * 2])) break;
        char buf[24];
        if (f.AsString(buf) != fv[i * 2]) break;
      }
      if (i == numfields) flags = kFlagSameFields;
    }
  }
  std::string enc;
  lp::AppendEncodedInt(&enc, flags);
  lp::AppendEncodedInt(&enc, static_cast<int64_t>(id.ms - master.ms));
  lp::AppendEncodedInt(&enc, static_cast<int64_t>(id.seq - master.seq));
  uint32_t added = 3;
  if (!(flags & kFlagSameFields)) {
    lp::AppendEncodedInt(&enc, static_cast<int64_t>(numfields));
    ++added;
  }
  for (size_t i = 0; i < numfields; ++i) {
    if (!(flags & kFlagSameFields)) {
      lp::AppendEncoded(&enc, fv[i * 2]);
      ++added;
    }
    lp::AppendEncoded(&enc, fv[i * 2 + 1]);
    ++added;
  }
  int64_t lp_count = static_cast<int64_t>(numfields) + 3;
  if (!(flags & kFlagSameFields)) lp_count += static_cast<int64_t>(numfields) + 1;
  lp::AppendEncodedInt(&enc, lp_count);
  ++added;
  node = lp::Splice(node, lp::TotalBytes(lp::View(node)) - 1, 0, 0, enc, added);
  nodes_[master] = node;
  node_bytes_ += AllocSize(node);
  ++length;
  ++entries_added;
  last_id = id;
  if (length == 1) first_id = id;
}

bool Stream::Delete(StreamId id) {
  if (!DeleteEntry(id)) return false;
  bool was_first = id == first_id;
  if (max_deleted_id < id) max_deleted_id = id;
  if (length == 0) {
    first_id = StreamId{};
  } else if (was_first && !FirstEntry(&first_id)) {
    first_id = kStreamIdMax;
  }
  return true;
}

bool Stream::DeleteEntry(StreamId id) {
  auto it = nodes_.upper_bound(id);
  if (it == nodes_.begin()) return false;
  --it;
  StreamId master = it->first;
  char* node = it->second;
  std::string_view v = lp::View(node);
  lp::Entry e;
  size_t off = lp::kHeaderSize;
  off = lp::EntryAt(v, off, &e);
  int64_t count = EntryInt(e);
  off = lp::EntryAt(v, off, &e);
  int64_t deleted = EntryInt(e);
  off = lp::EntryAt(v, off, &e);
  int64_t mf = EntryInt(e);
  for (int64_t i = 0; i < mf; ++i) off = lp::EntryAt(v, off, &e);
  off = lp::EntryAt(v, off, &e);  // terminator
  for (int64_t k = 0; k < count + deleted; ++k) {
    size_t flags_off = off;
    off = lp::EntryAt(v, off, &e);
    int64_t flags = EntryInt(e);
    off = lp::EntryAt(v, off, &e);
    int64_t msd = EntryInt(e);
    off = lp::EntryAt(v, off, &e);
    int64_t seqd = EntryInt(e);
    int64_t nvals = mf;
    if (!(flags & kFlagSameFields)) {
      off = lp::EntryAt(v, off, &e);
      nvals = EntryInt(e) * 2;
    }
    for (int64_t i = 0; i < nvals; ++i) off = lp::EntryAt(v, off, &e);
    off = lp::EntryAt(v, off, &e);  // lp-count
    StreamId cur{master.ms + static_cast<uint64_t>(msd), master.seq + static_cast<uint64_t>(seqd)};
    if (cur == id && !(flags & kFlagDeleted)) {
      node_bytes_ -= AllocSize(node);
      std::string enc;
      lp::AppendEncodedInt(&enc, flags | kFlagDeleted);
      lp::Entry fe;
      size_t fend = lp::EntryAt(v, flags_off, &fe);
      node = lp::Splice(node, flags_off, fend - flags_off, 1, enc, 1);
      // Update the master counters: count - 1, deleted + 1.
      v = lp::View(node);
      size_t c_end = lp::EntryAt(v, lp::kHeaderSize, &fe);
      size_t d_end = lp::EntryAt(v, c_end, &fe);
      std::string counters;
      lp::AppendEncodedInt(&counters, count - 1);
      lp::AppendEncodedInt(&counters, deleted + 1);
      node = lp::Splice(node, lp::kHeaderSize, d_end - lp::kHeaderSize, 2, counters, 2);
      --length;
      if (count - 1 == 0) {
        std::free(node);
        nodes_.erase(it);
      } else {
        it->second = node;
        node_bytes_ += AllocSize(node);
      }
      return true;
    }
    if (cur > id) return false;
  }
  return false;
}

bool Stream::FirstEntry(StreamId* id) const {
  bool found = false;
  Range(kStreamIdMin, kStreamIdMax, false, 1, [&](const StreamEntryView& e) {
    *id = e.id;
    found = true;
    return false;
  });
  return found;
}

bool Stream::LastEntry(StreamId* id) const {
  bool found = false;
  Range(kStreamIdMin, kStreamIdMax, true, 1, [&](const StreamEntryView& e) {
    *id = e.id;
    found = true;
    return false;
  });
  return found;
}

int64_t Stream::EstimateEntriesRead(StreamId id) const {
  if (entries_added == 0) return 0;
  if (length == 0 && !(id > last_id)) return static_cast<int64_t>(entries_added);
  if (id == last_id) return static_cast<int64_t>(entries_added);
  if (id > last_id) return -1;
  if (max_deleted_id == StreamId{} || max_deleted_id < first_id) {
    if (id < first_id) return static_cast<int64_t>(entries_added - length);
    if (id == first_id) return static_cast<int64_t>(entries_added - length + 1);
  }
  return -1;
}

StreamGroup* Stream::FindGroup(std::string_view name) const {
  auto it = groups_.find(name);
  return it == groups_.end() ? nullptr : it->second.get();
}

StreamGroup* Stream::CreateGroup(std::string_view name, StreamId last, int64_t entries_read) {
  auto g = std::make_unique<StreamGroup>();
  g->name = std::string(name);
  g->last_id = last;
  g->entries_read = entries_read;
  StreamGroup* raw = g.get();
  groups_[std::string(name)] = std::move(g);
  return raw;
}

int64_t Stream::TrimMaxLen(uint64_t maxlen, int64_t limit) {
  return Trim(true, maxlen, StreamId{}, limit);
}

int64_t Stream::TrimMinId(StreamId minid, int64_t limit) { return Trim(false, 0, minid, limit); }

int64_t Stream::Trim(bool by_len, uint64_t maxlen, StreamId minid, int64_t limit) {
  int64_t deleted = 0;
  std::vector<DecodedEntry> entries;
  std::vector<std::string_view> fields;
  std::deque<std::string> storage;
  while (!nodes_.empty()) {
    if (by_len && length <= maxlen) break;
    auto it = nodes_.begin();
    lp::Entry c;
    lp::EntryAt(lp::View(it->second), lp::kHeaderSize, &c);
    int64_t live = EntryInt(c);
    if (limit != 0 && deleted + live > limit) break;
    DecodeNode(it->first, it->second, &entries, &fields, &storage);
    bool remove_node;
    if (by_len) {
      remove_node = length - static_cast<uint64_t>(live) >= maxlen;
    } else {
      // The node's last entry, deleted or not (lpGetEdgeStreamID): approximated by the last
      // live one, which decides the same way for MINID.
      remove_node = !entries.empty() && entries.back().id < minid;
    }
    if (remove_node) {
      node_bytes_ -= AllocSize(it->second);
      std::free(it->second);
      nodes_.erase(it);
      length -= static_cast<uint64_t>(live);
      deleted += live;
      continue;
    }
    for (const DecodedEntry& d : entries) {
      bool stop = by_len ? length <= maxlen : !(d.id < minid);
      if (stop) break;
      if (DeleteEntry(d.id)) ++deleted;
    }
    break;
  }
  if (deleted != 0) {
    if (length == 0) {
      first_id = StreamId{};
    } else if (!FirstEntry(&first_id)) {
      first_id = kStreamIdMax;
    }
  }
  return deleted;
}

StreamConsumer* StreamGroup::FindConsumer(std::string_view cname) const {
  auto it = consumers.find(cname);
  return it == consumers.end() ? nullptr : it->second.get();
}

StreamConsumer* StreamGroup::GetOrCreateConsumer(std::string_view cname, int64_t now_ms) {
  if (StreamConsumer* c = FindConsumer(cname)) return c;
  auto c = std::make_unique<StreamConsumer>();
  c->name = std::string(cname);
  c->seen_time_ms = now_ms;
  c->active_time_ms = -1;
  StreamConsumer* raw = c.get();
  consumers.emplace(raw->name, std::move(c));
  return raw;
}

uint64_t StreamGroup::DeleteConsumer(std::string_view cname) {
  auto it = consumers.find(cname);
  if (it == consumers.end()) return 0;
  uint64_t n = it->second->pel.size();
  for (const auto& [id, pe] : it->second->pel) pel.erase(id);
  consumers.erase(it);
  return n;
}

void StreamGroup::Deliver(StreamId id, StreamConsumer* consumer, int64_t time_ms, uint64_t count) {
  auto it = pel.find(id);
  if (it == pel.end()) {
    auto pe = std::make_unique<StreamPending>();
    pe->delivery_time_ms = time_ms;
    pe->delivery_count = count;
    pe->consumer = consumer;
    consumer->pel.emplace(id, pe.get());
    pel.emplace(id, std::move(pe));
    return;
  }
  StreamPending* pe = it->second.get();
  if (pe->consumer != nullptr && pe->consumer != consumer) pe->consumer->pel.erase(id);
  pe->consumer = consumer;
  pe->delivery_time_ms = time_ms;
  pe->delivery_count = count;
  consumer->pel.emplace(id, pe);
}

bool StreamGroup::Ack(StreamId id) {
  auto it = pel.find(id);
  if (it == pel.end()) return false;
  if (it->second->consumer != nullptr) it->second->consumer->pel.erase(id);
  pel.erase(it);
  return true;
}

bool ParseStreamId(std::string_view s, StreamId* id, uint64_t missing_seq, bool* seq_given) {
  if (s.size() > 127) return false;
  size_t dash = s.find('-');
  uint64_t ms, seq;
  if (dash == std::string_view::npos) {
    if (!SimpleAtoi(s, &ms) || s.empty() || s[0] == '+' || s[0] == ' ') return false;
    seq = missing_seq;
    if (seq_given != nullptr) *seq_given = false;
  } else {
    std::string_view a = s.substr(0, dash), b = s.substr(dash + 1);
    if (a.empty() || b.empty() || a[0] == '+' || b[0] == '+' || a[0] == ' ' || b[0] == ' ' ||
        a[0] == '-' || b[0] == '-') {
      return false;
    }
    if (!SimpleAtoi(a, &ms) || !SimpleAtoi(b, &seq)) return false;
    if (seq_given != nullptr) *seq_given = true;
  }
  id->ms = ms;
  id->seq = seq;
  return true;
}

std::string FormatStreamId(StreamId id) { return StrCat(id.ms, "-", id.seq); }

bool StreamIdIncr(StreamId* id) {
  if (id->seq == UINT64_MAX) {
    if (id->ms == UINT64_MAX) return false;
    ++id->ms;
    id->seq = 0;
  } else {
    ++id->seq;
  }
  return true;
}

bool StreamIdDecr(StreamId* id) {
  if (id->seq == 0) {
    if (id->ms == 0) return false;
    --id->ms;
    id->seq = UINT64_MAX;
  } else {
    --id->seq;
  }
  return true;
}

}  // namespace redlink::engine
