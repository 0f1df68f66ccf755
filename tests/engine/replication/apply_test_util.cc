#include "tests/engine/replication/apply_test_util.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_format.h"
#include "engine/common/strings.h"
#include "engine/keyspace/object.h"
#include "engine/protocol/resp_writer.h"

namespace redlink::testing {

using engine::RespType;
using engine::RespValue;

ParsedReply ParseRaw(std::string raw) {
  ParsedReply r;
  r.raw = std::move(raw);
  engine::RespLimits limits;
  limits.max_bulk_len = uint64_t{1} << 40;
  engine::RespParser parser(limits);
  size_t consumed = 0;
  r.ok = parser.ParseReply(r.raw, &r.v, &consumed) == engine::ParseResult::kOk;
  return r;
}

namespace {

std::string Escape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c >= 0x7f || c == '"' || c == ' ') {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

// Flat field/value arrays (RESP2 maps) as a map.
std::map<std::string, const RespValue*> AsMap(const RespValue& v) {
  std::map<std::string, const RespValue*> m;
  for (size_t i = 0; i + 1 < v.elements.size(); i += 2) {
    m[std::string(v.elements[i].str)] = &v.elements[i + 1];
  }
  return m;
}

std::string SortedElements(const RespValue& v) {
  std::vector<std::string> parts;
  for (const RespValue& e : v.elements) parts.push_back(Render(e));
  std::sort(parts.begin(), parts.end());
  std::string out = "[";
  for (size_t i = 0; i < parts.size(); ++i) StrAppend(&out, i ? " " : "", parts[i]);
  return out + "]";
}

std::string SortedPairs(const RespValue& v) {
  std::vector<std::string> parts;
  for (size_t i = 0; i + 1 < v.elements.size(); i += 2) {
    parts.push_back(StrCat(Render(v.elements[i]), "=", Render(v.elements[i + 1])));
  }
  std::sort(parts.begin(), parts.end());
  std::string out = "{";
  for (size_t i = 0; i < parts.size(); ++i) StrAppend(&out, i ? " " : "", parts[i]);
  return out + "}";
}

}  // namespace

std::string Render(const RespValue& v) {
  switch (v.type) {
    case RespType::kSimpleString:
    case RespType::kBulkString:
    case RespType::kVerbatim:
    case RespType::kBigNumber:
      return StrCat("\"", Escape(v.str), "\"");
    case RespType::kError:
    case RespType::kBlobError:
      return StrCat("(error ", Escape(v.str), ")");
    case RespType::kInteger:
    case RespType::kBoolean:
      return StrCat(v.integer);
    case RespType::kDouble:
      return StrCat(v.dbl);
    case RespType::kNull:
      return "(nil)";
    default: {
      std::string out = "[";
      for (size_t i = 0; i < v.elements.size(); ++i) {
        StrAppend(&out, i ? " " : "", Render(v.elements[i]));
      }
      return out + "]";
    }
  }
}

std::string SnapshotDb(const Runner& run, const SnapshotOptions& options) {
  ParsedReply keys = ParseRaw(run({"KEYS", "*"}));
  std::vector<std::string> names;
  for (const RespValue& k : keys.v.elements) names.emplace_back(k.str);
  std::sort(names.begin(), names.end());
  std::string out;
  for (const std::string& key : names) {
    ParsedReply type = ParseRaw(run({"TYPE", key}));
    std::string t(type.v.str);
    StrAppend(&out, Escape(key), " ", t);
    if (options.ttl) {
      ParsedReply ttl = ParseRaw(run({"PEXPIRETIME", key}));
      StrAppend(&out, " ttl=", Render(ttl.v));
    }
    out += " ";
    if (t == "string") {
      out += Render(ParseRaw(run({"GET", key})).v);
    } else if (t == "list") {
      out += Render(ParseRaw(run({"LRANGE", key, "0", "-1"})).v);
    } else if (t == "set") {
      out += SortedElements(ParseRaw(run({"SMEMBERS", key})).v);
    } else if (t == "zset") {
      // Scores as doubles: Redis 7.2+ prints the shortest form ("0.1"), 7.0 (and redlink)
      // %.17g ("0.10000000000000001"); the same value either way.
      ParsedReply z = ParseRaw(run({"ZRANGE", key, "0", "-1", "WITHSCORES"}));
      out += "[";
      for (size_t i = 0; i < z.v.elements.size(); ++i) {
        std::string e = Render(z.v.elements[i]);
        if (i % 2 == 1) {
          std::string score(z.v.elements[i].str);
          e = absl::StrFormat("\"%.17g\"", std::strtod(score.c_str(), nullptr));
        }
        StrAppend(&out, i ? " " : "", e);
      }
      out += "]";
    } else if (t == "hash") {
      ParsedReply all = ParseRaw(run({"HGETALL", key}));
      out += SortedPairs(all.v);
      if (options.field_ttls) {
        std::vector<std::string> fields;
        for (size_t i = 0; i < all.v.elements.size(); i += 2) {
          fields.emplace_back(all.v.elements[i].str);
        }
        std::sort(fields.begin(), fields.end());
        if (!fields.empty()) {
          Args cmd = {"HPEXPIRETIME", key, "FIELDS", std::to_string(fields.size())};
          cmd.insert(cmd.end(), fields.begin(), fields.end());
          StrAppend(&out, " fttl=", Render(ParseRaw(run(cmd)).v));
        }
      }
    } else if (t == "stream") {
      StrAppend(&out, "entries=", Render(ParseRaw(run({"XRANGE", key, "-", "+"})).v));
      if (options.stream_meta) {
        ParsedReply info = ParseRaw(run({"XINFO", "STREAM", key}));
        auto m = AsMap(info.v);
        for (const char* f : {"length", "last-generated-id", "max-deleted-entry-id",
                              "entries-added", "recorded-first-entry-id", "groups"}) {
          auto it = m.find(f);
          StrAppend(&out, " ", f, "=", it == m.end() ? "?" : Render(*it->second));
        }
      }
      ParsedReply groups = ParseRaw(run({"XINFO", "GROUPS", key}));
      for (const RespValue& g : groups.v.elements) {
        auto gm = AsMap(g);
        std::string name(gm.count("name") ? gm["name"]->str : "?");
        StrAppend(&out, " group(", Escape(name), " consumers=",
                  !options.idle_consumers ? "-"
                  : gm.count("consumers") ? Render(*gm["consumers"])
                                          : "?",
                  " pending=", gm.count("pending") ? Render(*gm["pending"]) : "?",
                  " last=", gm.count("last-delivered-id") ? Render(*gm["last-delivered-id"]) : "?");
        ParsedReply consumers = ParseRaw(run({"XINFO", "CONSUMERS", key, name}));
        std::vector<std::string> cs;
        for (const RespValue& cv : consumers.v.elements) {
          auto cm = AsMap(cv);
          if (!options.idle_consumers && cm.count("pending") && cm["pending"]->integer == 0) {
            continue;
          }
          cs.push_back(StrCat(cm.count("name") ? Render(*cm["name"]) : "?", ":",
                              cm.count("pending") ? Render(*cm["pending"]) : "?"));
        }
        std::sort(cs.begin(), cs.end());
        out += " consumers=[";
        for (size_t i = 0; i < cs.size(); ++i) StrAppend(&out, i ? " " : "", cs[i]);
        out += "] pel=[";
        ParsedReply pel = ParseRaw(run({"XPENDING", key, name, "-", "+", "1000000000"}));
        for (size_t i = 0; i < pel.v.elements.size(); ++i) {
          const RespValue& p = pel.v.elements[i];
          if (p.elements.size() < 4) continue;
          StrAppend(&out, i ? " " : "", p.elements[0].str, "/", Escape(p.elements[1].str), "/",
                    p.elements[3].integer);
        }
        out += "])";
      }
    } else {
      out += "?";
    }
    out += "\n";
  }
  return out;
}

std::string SnapshotAll(const Runner& run, int num_dbs, const SnapshotOptions& options) {
  std::string out;
  for (int db = 0; db < num_dbs; ++db) {
    run({"SELECT", std::to_string(db)});
    std::string s = SnapshotDb(run, options);
    if (!s.empty()) StrAppend(&out, "# db", db, "\n", s);
  }
  run({"SELECT", "0"});
  return out;
}

std::string SnapshotFunctions(const Runner& run) {
  ParsedReply r = ParseRaw(run({"FUNCTION", "LIST"}));
  std::vector<std::string> libs;
  for (const auto& lib : r.v.elements) {
    std::string text;
    for (size_t i = 0; i + 1 < lib.elements.size(); i += 2) {
      const auto& value = lib.elements[i + 1];
      std::string v;
      if (lib.elements[i].str == "functions") {
        std::vector<std::string> fs;
        for (const auto& f : value.elements) fs.push_back(Render(f));
        std::sort(fs.begin(), fs.end());
        for (const auto& f : fs) v += f + " ";
      } else {
        v = Render(value);
      }
      StrAppend(&text, lib.elements[i].str, "=", v, " ");
    }
    libs.push_back(text);
  }
  std::sort(libs.begin(), libs.end());
  std::string out = "# functions\n";
  for (const auto& l : libs) out += l + "\n";
  return out;
}

std::string KeyspaceRunner::operator()(const Args& args) {
  if (!args.empty() && (args[0] == "SELECT" || args[0] == "select")) {
    db = std::stoi(args[1]);
    return "+OK\r\n";
  }
  std::vector<std::string_view> views(args.begin(), args.end());
  std::string out;
  engine::ReplyWriter w(&out, 2);
  engine::CommandContext cc{db, 2, now_ms != 0 ? now_ms : WallMs(), rdb_version};
  if (engine::ExecuteReadCommand(*ks_, cc, views, w) == engine::CommandOutcome::kUnknown) {
    return "-ERR unknown command\r\n";
  }
  return out;
}

uint64_t RecountBytes(const engine::Keyspace& ks) {
  uint64_t total = 0;
  for (int i = 0; i < ks.num_dbs(); ++i) {
    const engine::Db* d = ks.FindDb(i);
    if (d == nullptr) continue;
    total += d->TableBytes();
    d->ForEach([&](engine::KeyEntry* e) { total += engine::obj::Bytes(e); });
  }
  return total;
}

ApplyHarness::ApplyHarness() { ctx.now_ms = WallMs(); }

absl::Status ApplyHarness::Apply(const Args& args) {
  std::vector<std::string_view> views(args.begin(), args.end());
  return engine::ApplyCommand(ks, ctx, views);
}

std::string ApplyHarness::Read(const Args& args) {
  runner.db = ctx.db;
  return runner(args);
}

std::string ApplyHarness::Get(const Args& args) {
  ParsedReply r = ParseRaw(Read(args));
  if (!r.ok) return "(bad reply)";
  const RespValue& v = r.v;
  std::function<std::string(const RespValue&)> flat = [&](const RespValue& x) -> std::string {
    switch (x.type) {
      case RespType::kError:
        return StrCat("-", x.str);
      case RespType::kInteger:
        return StrCat(x.integer);
      case RespType::kNull:
        return "(nil)";
      case RespType::kArray: {
        std::string o = "[";
        for (size_t i = 0; i < x.elements.size(); ++i) {
          StrAppend(&o, i ? " " : "", flat(x.elements[i]));
        }
        return o + "]";
      }
      default:
        return std::string(x.str);
    }
  };
  return flat(v);
}

std::string ApplyHarness::Snapshot(const SnapshotOptions& options) {
  runner.db = ctx.db;
  return SnapshotAll(runner.AsRunner(), ks.num_dbs(), options);
}

}  // namespace redlink::testing
