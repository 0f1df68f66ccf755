#pragma once
// Test support for the RDB decoder: a sink that builds a JSON model of everything it receives
// (and checks the RdbSink call protocol while doing so), and the conversion of the test vectors'
// JSON (tests/data/rdb/README.md) into the same canonical form, so a decode can be compared with
// the expected content exactly.
//
// Canonical form: byte strings are themselves when they are printable ASCII, else "b64:<base64>";
// sets are sorted by bytes; zsets by (score, member bytes) with infinite scores as "inf"/"-inf";
// hashes are objects keyed by field; streams as the README describes (pending entries carry their
// consumer's name).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "engine/common/strings.h"
#include "engine/encoding/listpack.h"
#include "engine/rdb/rdb_sink.h"

// Local helpers (undefined at the end of this header).
#define RETURN_IF_NOT(cond, msg) \
  if (!(cond)) return absl::InternalError(StrCat("ModelSink: ", msg))
#define RETURN_IF_ERROR_T(expr)    \
  do {                             \
    absl::Status st_t_ = (expr);   \
    if (!st_t_.ok()) return st_t_; \
  } while (0)

namespace redlink::engine::rdb::testing {

using nlohmann::json;

inline std::string Canon(std::string_view bytes) {
  bool printable =
      std::all_of(bytes.begin(), bytes.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
  if (printable && bytes.rfind("b64:", 0) != 0) return std::string(bytes);
  return "b64:" + absl::Base64Escape(ToAbsl(bytes));
}

inline std::string IdText(StreamId id) { return StrCat(id.ms, "-", id.seq); }

inline json ScoreJson(double score) {
  if (std::isinf(score)) return score > 0 ? json("inf") : json("-inf");
  return json(score);
}

// Sorts [member, score] pairs (canonical members, raw bytes kept alongside) in rank order.
struct ZsetItem {
  std::string member;  // raw bytes
  double score;
};
inline json ZsetJson(std::vector<ZsetItem> items) {
  std::sort(items.begin(), items.end(), [](const ZsetItem& a, const ZsetItem& b) {
    if (a.score != b.score) return a.score < b.score;
    return a.member < b.member;
  });
  json out = json::array();
  for (const auto& it : items) out.push_back(json::array({Canon(it.member), ScoreJson(it.score)}));
  return out;
}

inline json SetJson(std::vector<std::string> members) {
  std::sort(members.begin(), members.end());
  json out = json::array();
  for (const auto& m : members) out.push_back(Canon(m));
  return out;
}

// Builds the model; rejects calls that break the RdbSink protocol.
class ModelSink : public RdbSink {
 public:
  // accept_raw: take every listpack kind raw and decode it here (the raw path).
  explicit ModelSink(bool accept_raw = false) : accept_raw_(accept_raw) {
    model_["dbs"] = json::object();
    model_["functions"] = json::array();
    model_["aux"] = json::object();
  }

  const json& model() const { return model_; }
  // Counters for tests.
  int ends = 0;
  int headers = 0;
  int raw_listpacks = 0;
  std::vector<std::string> order;  // canonical keys in file order

  absl::Status OnHeader(int v) override {
    ++headers;
    model_["rdb_version"] = v;
    return absl::OkStatus();
  }
  absl::Status OnAux(std::string_view key, std::string_view value) override {
    RETURN_IF_NOT(!in_value_, "OnAux inside a value");
    model_["aux"][Canon(key)] = Canon(value);
    return absl::OkStatus();
  }
  absl::Status OnSelectDb(uint64_t db) override {
    RETURN_IF_NOT(!in_value_, "OnSelectDb inside a value");
    db_ = db;
    return absl::OkStatus();
  }
  absl::Status OnResizeDb(uint64_t, uint64_t) override { return absl::OkStatus(); }
  absl::Status OnFunction(std::string_view code) override {
    RETURN_IF_NOT(!in_value_, "OnFunction inside a value");
    // "#!<engine> name=<library> ..." on the first line.
    json f;
    f["code"] = std::string(code);
    std::string_view first = code.substr(0, code.find('\n'));
    if (first.rfind("#!", 0) == 0) {
      std::string_view rest = first.substr(2);
      std::string engine(rest.substr(0, rest.find(' ')));
      for (char& c : engine) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      f["engine"] = engine;
      size_t n = rest.find("name=");
      if (n != std::string_view::npos) {
        std::string_view name = rest.substr(n + 5);
        f["library"] = std::string(name.substr(0, name.find(' ')));
      }
    }
    model_["functions"].push_back(f);
    return absl::OkStatus();
  }
  absl::Status OnEnd() override {
    RETURN_IF_NOT(!in_value_, "OnEnd inside a value");
    ++ends;
    return absl::OkStatus();
  }

  absl::Status OnString(std::string_view key, const KeyMeta& meta,
                        std::string_view value) override {
    RETURN_IF_ERROR_T(StartKey(key, meta, "string"));
    entry_["value"] = Canon(value);
    return FinishKey();
  }

  absl::Status BeginList(std::string_view key, const KeyMeta& meta, uint64_t) override {
    RETURN_IF_ERROR_T(StartKey(key, meta, "list"));
    entry_["value"] = json::array();
    return absl::OkStatus();
  }
  absl::Status ListElement(std::string_view value) override {
    RETURN_IF_NOT(kind_ == "list", "ListElement outside a list");
    entry_["value"].push_back(Canon(value));
    return absl::OkStatus();
  }
  absl::Status EndList() override {
    RETURN_IF_NOT(kind_ == "list", "EndList outside a list");
    RETURN_IF_NOT(!entry_["value"].empty(), "empty list emitted");
    return FinishKey();
  }

  absl::Status BeginSet(std::string_view key, const KeyMeta& meta, uint64_t) override {
    RETURN_IF_ERROR_T(StartKey(key, meta, "set"));
    set_.clear();
    return absl::OkStatus();
  }
  absl::Status SetMember(std::string_view member) override {
    RETURN_IF_NOT(kind_ == "set", "SetMember outside a set");
    set_.emplace_back(member);
    return absl::OkStatus();
  }
  absl::Status EndSet() override {
    RETURN_IF_NOT(kind_ == "set", "EndSet outside a set");
    RETURN_IF_NOT(!set_.empty(), "empty set emitted");
    entry_["value"] = SetJson(std::move(set_));
    set_.clear();
    return FinishKey();
  }

  absl::Status BeginZset(std::string_view key, const KeyMeta& meta, uint64_t) override {
    RETURN_IF_ERROR_T(StartKey(key, meta, "zset"));
    zset_.clear();
    return absl::OkStatus();
  }
  absl::Status ZsetMember(std::string_view member, double score) override {
    RETURN_IF_NOT(kind_ == "zset", "ZsetMember outside a zset");
    RETURN_IF_NOT(!std::isnan(score), "NaN score");
    zset_.push_back({std::string(member), score});
    return absl::OkStatus();
  }
  absl::Status EndZset() override {
    RETURN_IF_NOT(kind_ == "zset", "EndZset outside a zset");
    RETURN_IF_NOT(!zset_.empty(), "empty zset emitted");
    entry_["value"] = ZsetJson(std::move(zset_));
    zset_.clear();
    return FinishKey();
  }

  absl::Status BeginHash(std::string_view key, const KeyMeta& meta, uint64_t) override {
    RETURN_IF_ERROR_T(StartKey(key, meta, "hash"));
    entry_["value"] = json::object();
    return absl::OkStatus();
  }
  absl::Status HashField(std::string_view field, std::string_view value,
                         int64_t expire_ms) override {
    RETURN_IF_NOT(kind_ == "hash", "HashField outside a hash");
    std::string f = Canon(field);
    RETURN_IF_NOT(!entry_["value"].contains(f), "duplicate hash field");
    entry_["value"][f] = Canon(value);
    if (expire_ms != kNoExpire) entry_["field_expire_ms"][f] = expire_ms;
    return absl::OkStatus();
  }
  absl::Status EndHash() override {
    RETURN_IF_NOT(kind_ == "hash", "EndHash outside a hash");
    RETURN_IF_NOT(!entry_["value"].empty(), "empty hash emitted");
    return FinishKey();
  }

  absl::Status BeginStream(std::string_view key, const KeyMeta& meta) override {
    RETURN_IF_ERROR_T(StartKey(key, meta, "stream"));
    stream_ = json::object();
    stream_["entries"] = json::array();
    stream_["groups"] = json::array();
    stream_phase_ = 0;
    have_last_id_ = false;
    owner_.clear();
    return absl::OkStatus();
  }
  absl::Status StreamEntry(StreamId id, std::span<const std::string_view> fv) override {
    RETURN_IF_NOT(kind_ == "stream" && stream_phase_ == 0, "StreamEntry out of place");
    RETURN_IF_NOT(fv.size() % 2 == 0, "odd fields_and_values");
    RETURN_IF_NOT(!have_last_id_ || last_id_ < id, "stream entries out of order");
    have_last_id_ = true;
    last_id_ = id;
    json vals = json::array();
    for (auto s : fv) vals.push_back(Canon(s));
    stream_["entries"].push_back(json::array({IdText(id), vals}));
    return absl::OkStatus();
  }
  absl::Status StreamInfo(const StreamMeta& meta) override {
    RETURN_IF_NOT(kind_ == "stream" && stream_phase_ == 0, "StreamInfo out of place");
    stream_phase_ = 1;
    stream_["length"] = meta.length;
    stream_["last_generated_id"] = IdText(meta.last_id);
    stream_["max_deleted_entry_id"] = IdText(meta.max_deleted_id);
    stream_["entries_added"] = meta.entries_added;
    stream_["first_id"] = IdText(meta.first_id);
    return absl::OkStatus();
  }
  absl::Status StreamGroup(const StreamGroupMeta& g) override {
    RETURN_IF_NOT(kind_ == "stream" && stream_phase_ >= 1, "StreamGroup out of place");
    FlushGroup();
    stream_phase_ = 2;
    group_ = json::object();
    group_["name"] = Canon(g.name);
    group_["last_delivered_id"] = IdText(g.last_delivered_id);
    group_["entries_read"] = g.entries_read < 0 ? json(nullptr) : json(g.entries_read);
    group_["consumers"] = json::array();
    pending_.clear();
    owner_.clear();
    return absl::OkStatus();
  }
  absl::Status StreamGroupPending(const StreamPendingEntry& p) override {
    RETURN_IF_NOT(kind_ == "stream" && stream_phase_ == 2, "StreamGroupPending out of place");
    pending_.push_back(p);
    return absl::OkStatus();
  }
  absl::Status StreamConsumer(const StreamConsumerMeta& c) override {
    RETURN_IF_NOT(kind_ == "stream" && stream_phase_ >= 2, "StreamConsumer out of place");
    stream_phase_ = 3;
    consumer_ = Canon(c.name);
    group_["consumers"].push_back(json{{"name", consumer_}, {"pending", json::array()}});
    return absl::OkStatus();
  }
  absl::Status StreamConsumerPending(StreamId id) override {
    RETURN_IF_NOT(kind_ == "stream" && stream_phase_ == 3, "StreamConsumerPending out of place");
    group_["consumers"].back()["pending"].push_back(IdText(id));
    owner_[IdText(id)] = consumer_;
    return absl::OkStatus();
  }
  absl::Status EndStream() override {
    RETURN_IF_NOT(kind_ == "stream" && stream_phase_ >= 1, "EndStream out of place");
    FlushGroup();
    entry_["value"] = stream_;
    return FinishKey();
  }

  bool AcceptsListpack(ListpackKind) const override { return accept_raw_; }
  absl::Status OnListpack(ListpackKind kind, std::string_view lp, StreamId master) override {
    RETURN_IF_NOT(accept_raw_, "raw listpack not accepted");
    RETURN_IF_NOT(in_value_, "OnListpack outside a value");
    ++raw_listpacks;
    auto count = listpack::Validate(lp);
    RETURN_IF_NOT(count.ok(), "invalid raw listpack");
    std::vector<std::string> items;
    listpack::Reader r(lp);
    listpack::Entry e;
    char buf[21];
    while (r.Next(&e)) items.emplace_back(e.AsString(buf));
    switch (kind) {
      case ListpackKind::kHash:
        RETURN_IF_NOT(kind_ == "hash" && items.size() % 2 == 0, "bad kHash listpack");
        for (size_t i = 0; i < items.size(); i += 2) {
          RETURN_IF_ERROR_T(HashField(items[i], items[i + 1], kNoExpire));
        }
        return absl::OkStatus();
      case ListpackKind::kHashWithTtl:
        RETURN_IF_NOT(kind_ == "hash" && items.size() % 3 == 0, "bad kHashWithTtl listpack");
        for (size_t i = 0; i < items.size(); i += 3) {
          int64_t ttl = 0;
          RETURN_IF_NOT(SimpleAtoi(items[i + 2], &ttl), "bad ttl");
          RETURN_IF_ERROR_T(HashField(items[i], items[i + 1], ttl == 0 ? kNoExpire : ttl));
        }
        return absl::OkStatus();
      case ListpackKind::kZset:
        RETURN_IF_NOT(kind_ == "zset" && items.size() % 2 == 0, "bad kZset listpack");
        for (size_t i = 0; i < items.size(); i += 2) {
          double score;
          RETURN_IF_NOT(SimpleAtod(items[i + 1], &score), "bad score");
          RETURN_IF_ERROR_T(ZsetMember(items[i], score));
        }
        return absl::OkStatus();
      case ListpackKind::kSet:
        RETURN_IF_NOT(kind_ == "set", "bad kSet listpack");
        for (auto& m : items) RETURN_IF_ERROR_T(SetMember(m));
        return absl::OkStatus();
      case ListpackKind::kListNode:
        RETURN_IF_NOT(kind_ == "list", "bad kListNode listpack");
        for (auto& m : items) RETURN_IF_ERROR_T(ListElement(m));
        return absl::OkStatus();
      case ListpackKind::kStreamNode:
        RETURN_IF_NOT(kind_ == "stream", "bad kStreamNode listpack");
        return DecodeStreamNode(items, master);
    }
    return absl::InternalError("unknown kind");
  }

  // Every key was closed (for use after a successful decode).
  bool Idle() const { return !in_value_; }

 private:
  absl::Status StartKey(std::string_view key, const KeyMeta& meta, const char* kind) {
    RETURN_IF_NOT(!in_value_, "a key starts inside another value");
    RETURN_IF_NOT(meta.db == db_, "KeyMeta.db differs from the last SELECTDB");
    in_value_ = true;
    kind_ = kind;
    key_ = Canon(key);
    entry_ = json::object();
    entry_["type"] = kind;
    if (meta.expire_ms != kNoExpire) entry_["expire_ms"] = meta.expire_ms;
    return absl::OkStatus();
  }
  absl::Status FinishKey() {
    json& db = model_["dbs"][std::to_string(db_)];
    RETURN_IF_NOT(!db.contains(key_), "duplicate key");
    db[key_] = std::move(entry_);
    order.push_back(key_);
    in_value_ = false;
    kind_.clear();
    return absl::OkStatus();
  }
  void FlushGroup() {
    if (stream_phase_ < 2) return;
    json pend = json::array();
    for (const auto& p : pending_) {
      auto it = owner_.find(IdText(p.id));
      pend.push_back(json::array(
          {IdText(p.id), it == owner_.end() ? json(nullptr) : json(it->second), p.delivery_count}));
    }
    group_["pending"] = pend;
    stream_["groups"].push_back(group_);
    stream_phase_ = 1;
  }
  // Independent decoder of a stream node (protocol doc §6.9), for the raw path.
  absl::Status DecodeStreamNode(const std::vector<std::string>& it, StreamId master) {
    size_t i = 0;
    auto next_int = [&](int64_t* v) { return i < it.size() && SimpleAtoi(it[i++], v); };
    int64_t live, deleted, nf;
    RETURN_IF_NOT(next_int(&live) && next_int(&deleted) && next_int(&nf), "bad master");
    std::vector<std::string> mf(it.begin() + i, it.begin() + i + nf);
    i += nf + 1;
    for (int64_t n = 0; n < live + deleted; ++n) {
      int64_t flags, msd, seqd;
      RETURN_IF_NOT(next_int(&flags) && next_int(&msd) && next_int(&seqd), "bad entry");
      StreamId id{master.ms + static_cast<uint64_t>(msd), master.seq + static_cast<uint64_t>(seqd)};
      std::vector<std::string> fv;
      if (flags & 2) {
        for (int64_t f = 0; f < nf; ++f) {
          fv.push_back(mf[f]);
          fv.push_back(it[i++]);
        }
      } else {
        int64_t n2;
        RETURN_IF_NOT(next_int(&n2), "bad entry fields");
        for (int64_t f = 0; f < 2 * n2; ++f) fv.push_back(it[i++]);
      }
      ++i;  // lp-count
      if (flags & 1) continue;
      std::vector<std::string_view> views(fv.begin(), fv.end());
      RETURN_IF_ERROR_T(StreamEntry(id, views));
    }
    return absl::OkStatus();
  }

  bool accept_raw_;
  json model_;
  uint64_t db_ = 0;
  bool in_value_ = false;
  std::string kind_;
  std::string key_;
  json entry_;
  std::vector<std::string> set_;
  std::vector<ZsetItem> zset_;
  json stream_, group_;
  int stream_phase_ = 0;  // 0 entries, 1 info/groups, 2 group pending, 3 consumers
  bool have_last_id_ = false;
  StreamId last_id_;
  std::vector<StreamPendingEntry> pending_;
  std::map<std::string, std::string> owner_;
  std::string consumer_;
};

// ---- The vectors' JSON in canonical form ----

// A byte string of the README's JSON: a string, or {"base64": ...}.
inline std::string JsonBytes(const json& j) {
  if (j.is_string()) return j.get<std::string>();
  std::string out;
  absl::Base64Unescape(ToAbsl(j.at("base64").get<std::string>()), &out);
  return out;
}
// A key or hash field: non-printable ones are the JSON text of {"base64": ...}.
inline std::string JsonKeyBytes(const std::string& k) {
  if (k.rfind("{\"base64\"", 0) == 0) return JsonBytes(json::parse(k));
  return k;
}

inline json CanonicalExpected(const json& in) {
  json out;
  out["rdb_version"] = in.at("rdb_version");
  out["dbs"] = json::object();
  out["functions"] = json::array();
  for (const auto& f : in.at("functions")) out["functions"].push_back(f);
  for (const auto& [db, keys] : in.at("dbs").items()) {
    json& odb = out["dbs"][db];
    odb = json::object();
    for (const auto& [k, e] : keys.items()) {
      json oe;
      std::string type = e.at("type");
      oe["type"] = type;
      if (e.contains("expire_ms")) oe["expire_ms"] = e["expire_ms"];
      const json& v = e.at("value");
      if (type == "string") {
        oe["value"] = Canon(JsonBytes(v));
      } else if (type == "list") {
        oe["value"] = json::array();
        for (const auto& x : v) oe["value"].push_back(Canon(JsonBytes(x)));
      } else if (type == "set") {
        std::vector<std::string> m;
        for (const auto& x : v) m.push_back(JsonBytes(x));
        oe["value"] = SetJson(std::move(m));
      } else if (type == "zset") {
        std::vector<ZsetItem> items;
        for (const auto& x : v) {
          double score;
          if (x[1].is_string()) {
            score = x[1] == "inf" ? INFINITY : -INFINITY;
          } else {
            score = x[1].get<double>();
          }
          items.push_back({JsonBytes(x[0]), score});
        }
        oe["value"] = ZsetJson(std::move(items));
      } else if (type == "hash") {
        oe["value"] = json::object();
        for (const auto& [f, fv] : v.items())
          oe["value"][Canon(JsonKeyBytes(f))] = Canon(JsonBytes(fv));
        if (e.contains("field_expire_ms")) {
          for (const auto& [f, t] : e["field_expire_ms"].items()) {
            oe["field_expire_ms"][Canon(JsonKeyBytes(f))] = t;
          }
        }
      } else if (type == "stream") {
        json s;
        s["length"] = v.at("length");
        s["last_generated_id"] = v.at("last_generated_id");
        s["max_deleted_entry_id"] = v.at("max_deleted_entry_id");
        s["entries_added"] = v.at("entries_added");
        s["entries"] = json::array();
        for (const auto& en : v.at("entries")) {
          json vals = json::array();
          for (const auto& x : en[1]) vals.push_back(Canon(JsonBytes(x)));
          s["entries"].push_back(json::array({en[0], vals}));
        }
        s["groups"] = json::array();
        for (const auto& g : v.at("groups")) {
          json og;
          og["name"] = Canon(JsonBytes(g.at("name")));
          og["last_delivered_id"] = g.at("last_delivered_id");
          og["entries_read"] = g.at("entries_read");
          og["pending"] = json::array();
          for (const auto& p : g.at("pending")) {
            og["pending"].push_back(json::array({p[0], Canon(JsonBytes(p[1])), p[2]}));
          }
          og["consumers"] = json::array();
          for (const auto& c : g.at("consumers")) {
            og["consumers"].push_back(
                json{{"name", Canon(JsonBytes(c.at("name")))}, {"pending", c.at("pending")}});
          }
          s["groups"].push_back(og);
        }
        oe["value"] = s;
      }
      odb[Canon(JsonKeyBytes(k))] = oe;
    }
  }
  return out;
}

// The decoded model in the same shape as CanonicalExpected (drops what the vectors do not
// describe: AUX fields, stream first IDs).
inline json ComparableModel(const json& model) {
  json out;
  out["rdb_version"] = model.at("rdb_version");
  out["dbs"] = model.at("dbs");
  out["functions"] = model.at("functions");
  for (auto& [db, keys] : out["dbs"].items()) {
    for (auto& [k, e] : keys.items()) {
      if (e["type"] == "stream") e["value"].erase("first_id");
    }
  }
  return out;
}

}  // namespace redlink::engine::rdb::testing

#undef RETURN_IF_NOT
#undef RETURN_IF_ERROR_T
