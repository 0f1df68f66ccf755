#include "tests/engine/keyspace/ks_test_util.h"

#include <filesystem>

#include "engine/common/status_macros.h"
#include "tests/testing/test_util.h"

namespace redlink::engine::kstest {

std::string VectorDir() {
  std::string d = redlink::testing::RdbVectorDir();
  if (std::filesystem::exists(d + "/encodings.rdb")) return d;
  return (std::filesystem::path(__FILE__).parent_path() / "../../data/rdb").lexically_normal();
}

std::string Base64Decode(std::string_view in) {
  static const std::string kChars =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t buf = 0;
  int bits = 0;
  for (char ch : in) {
    if (ch == '=') break;
    size_t v = kChars.find(ch);
    if (v == std::string::npos) continue;
    buf = (buf << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buf >> bits) & 0xff));
    }
  }
  return out;
}

absl::Status DriveFromJson(const nlohmann::json& doc, rdb::RdbSink* sink) {
  using nlohmann::json;
  RETURN_IF_ERROR(sink->OnHeader(doc.value("rdb_version", 10)));
  for (const json& f : doc.value("functions", json::array())) {
    RETURN_IF_ERROR(sink->OnFunction(f.at("code").get<std::string>()));
  }
  for (const auto& [dbname, keys] : doc.at("dbs").items()) {
    uint64_t db = std::stoull(dbname);
    RETURN_IF_ERROR(sink->OnSelectDb(db));
    RETURN_IF_ERROR(sink->OnResizeDb(keys.size(), 0));
    for (const auto& [kname, entry] : keys.items()) {
      std::string key = NameBytes(kname);
      rdb::KeyMeta meta;
      meta.db = db;
      if (entry.contains("expire_ms")) meta.expire_ms = entry.at("expire_ms").get<int64_t>();
      std::string type = entry.at("type").get<std::string>();
      const json& v = entry.at("value");
      if (type == "string") {
        RETURN_IF_ERROR(sink->OnString(key, meta, Bytes(v)));
      } else if (type == "list") {
        RETURN_IF_ERROR(sink->BeginList(key, meta, v.size()));
        for (const json& e : v) RETURN_IF_ERROR(sink->ListElement(Bytes(e)));
        RETURN_IF_ERROR(sink->EndList());
      } else if (type == "set") {
        RETURN_IF_ERROR(sink->BeginSet(key, meta, v.size()));
        for (const json& e : v) RETURN_IF_ERROR(sink->SetMember(Bytes(e)));
        RETURN_IF_ERROR(sink->EndSet());
      } else if (type == "zset") {
        RETURN_IF_ERROR(sink->BeginZset(key, meta, v.size()));
        for (const json& e : v) RETURN_IF_ERROR(sink->ZsetMember(Bytes(e[0]), ScoreOf(e[1])));
        RETURN_IF_ERROR(sink->EndZset());
      } else if (type == "hash") {
        RETURN_IF_ERROR(sink->BeginHash(key, meta, v.size()));
        json fexp = entry.value("field_expire_ms", json::object());
        for (const auto& [fname, fval] : v.items()) {
          int64_t exp = rdb::kNoExpire;
          if (fexp.contains(fname)) exp = fexp.at(fname).get<int64_t>();
          RETURN_IF_ERROR(sink->HashField(NameBytes(fname), Bytes(fval), exp));
        }
        RETURN_IF_ERROR(sink->EndHash());
      } else if (type == "stream") {
        RETURN_IF_ERROR(sink->BeginStream(key, meta));
        for (const json& e : v.at("entries")) {
          std::vector<std::string> fv;
          for (const json& x : e[1]) fv.push_back(Bytes(x));
          std::vector<std::string_view> views(fv.begin(), fv.end());
          RETURN_IF_ERROR(sink->StreamEntry(ParseId(e[0].get<std::string>()), views));
        }
        rdb::StreamMeta m;
        m.length = v.at("length").get<uint64_t>();
        m.last_id = ParseId(v.at("last_generated_id").get<std::string>());
        m.max_deleted_id = ParseId(v.at("max_deleted_entry_id").get<std::string>());
        m.entries_added = v.at("entries_added").get<uint64_t>();
        if (!v.at("entries").empty()) {
          m.first_id = ParseId(v.at("entries")[0][0].get<std::string>());
        }
        RETURN_IF_ERROR(sink->StreamInfo(m));
        for (const json& g : v.at("groups")) {
          rdb::StreamGroupMeta gm;
          std::string gname = g.at("name").get<std::string>();
          gm.name = gname;
          gm.last_delivered_id = ParseId(g.at("last_delivered_id").get<std::string>());
          gm.entries_read =
              g.at("entries_read").is_null() ? -1 : g.at("entries_read").get<int64_t>();
          RETURN_IF_ERROR(sink->StreamGroup(gm));
          for (const json& p : g.at("pending")) {
            rdb::StreamPendingEntry pe;
            pe.id = ParseId(p[0].get<std::string>());
            pe.delivery_count = p[2].get<uint64_t>();
            pe.delivery_time_ms = 1;
            RETURN_IF_ERROR(sink->StreamGroupPending(pe));
          }
          for (const json& cj : g.at("consumers")) {
            rdb::StreamConsumerMeta cm;
            std::string cname = cj.at("name").get<std::string>();
            cm.name = cname;
            RETURN_IF_ERROR(sink->StreamConsumer(cm));
            for (const json& id : cj.at("pending")) {
              RETURN_IF_ERROR(sink->StreamConsumerPending(ParseId(id.get<std::string>())));
            }
          }
        }
        RETURN_IF_ERROR(sink->EndStream());
      }
    }
  }
  return sink->OnEnd();
}

}  // namespace redlink::engine::kstest
