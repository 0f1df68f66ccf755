#include "service/links_file.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <future>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/str_join.h"
#include "engine/common/log.h"
#include "engine/common/strings.h"
#include "service/convert.h"
#include "service/validation.h"
#include "yaml-cpp/yaml.h"

namespace redlink::service {
namespace {

// Builds messages that name the file, the line, the entry and the field.
class Where {
 public:
  Where(const std::string& source, const YAML::Node& node, std::string entry)
      : source_(source), line_(node.Mark().line + 1), entry_(std::move(entry)) {}

  absl::Status Error(const YAML::Node& at, std::string_view field, std::string_view what) const {
    int line = at.Mark().line >= 0 ? at.Mark().line + 1 : line_;
    return absl::InvalidArgumentError(
        StrCat(source_, ":", line, ": ", entry_, ": ", field, field.empty() ? "" : ": ", what));
  }
  // For a message that already starts with the field name (validation.cc's); the line is the
  // one of `at` when it has one.
  absl::Status Wrap(const absl::Status& s, const YAML::Node* at = nullptr) const {
    int line = at && at->Mark().line >= 0 ? at->Mark().line + 1 : line_;
    return absl::InvalidArgumentError(StrCat(source_, ":", line, ": ", entry_, ": ", s.message()));
  }
  void set_entry(std::string entry) { entry_ = std::move(entry); }

 private:
  const std::string& source_;
  int line_;
  std::string entry_;
};

absl::Status CheckKeys(const Where& w, const YAML::Node& map, std::string_view field,
                       std::initializer_list<std::string_view> allowed) {
  for (const auto& kv : map) {
    std::string key = kv.first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string list;
      for (auto a : allowed) StrAppend(&list, list.empty() ? "" : ", ", a);
      return w.Error(kv.first, StrCat(field, field.empty() ? "" : ".", key),
                     StrCat("unknown field (expected one of: ", list, ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status GetString(const Where& w, const YAML::Node& parent, const char* key,
                       std::string_view field, std::string* out) {
  YAML::Node n = parent[key];
  if (!n || n.IsNull()) return absl::OkStatus();
  if (!n.IsScalar()) return w.Error(n, field, "must be a string");
  *out = n.Scalar();
  return absl::OkStatus();
}

absl::Status GetInt(const Where& w, const YAML::Node& parent, const char* key,
                    std::string_view field, int* out) {
  YAML::Node n = parent[key];
  if (!n || n.IsNull()) return absl::OkStatus();
  if (!n.IsScalar() || !SimpleAtoi(n.Scalar(), out)) {
    return w.Error(
        n, field,
        StrCat("must be an integer: got '", n.IsScalar() ? n.Scalar() : "<not a value>", "'"));
  }
  return absl::OkStatus();
}

absl::Status GetBool(const Where& w, const YAML::Node& parent, const char* key,
                     std::string_view field, bool* out) {
  YAML::Node n = parent[key];
  if (!n || n.IsNull()) return absl::OkStatus();
  bool ok = n.IsScalar() && YAML::convert<bool>::decode(n, *out);
  if (!ok) {
    return w.Error(n, field,
                   StrCat("must be true or false: got '", n.IsScalar() ? n.Scalar() : "", "'"));
  }
  return absl::OkStatus();
}

std::string StripOneNewline(std::string s) {
  if (!s.empty() && s.back() == '\n') {
    s.pop_back();
    if (!s.empty() && s.back() == '\r') s.pop_back();
  }
  return s;
}

// The password of an `auth` block, from exactly one of its sources. Messages never carry it.
absl::Status ReadPassword(const Where& w, const YAML::Node& auth, const LinksFileEnv& env,
                          std::string* password) {
  int sources = 0;
  for (const char* k : {"password_file", "password_env", "password"}) sources += auth[k] ? 1 : 0;
  if (sources > 1) {
    return w.Error(auth, "auth", "give at most one of password_file, password_env and password");
  }
  std::string path, var;
  if (auto s = GetString(w, auth, "password_file", "auth.password_file", &path); !s.ok()) return s;
  if (auto s = GetString(w, auth, "password_env", "auth.password_env", &var); !s.ok()) return s;
  if (auth["password_file"]) {
    if (path.empty()) return w.Error(auth["password_file"], "auth.password_file", "is empty");
    auto content = env.read_file(path);
    if (!content.ok()) {
      return w.Error(auth["password_file"], "auth.password_file",
                     StrCat("cannot read '", path, "': ", content.status().message()));
    }
    *password = StripOneNewline(*content);
    if (password->empty()) {
      return w.Error(auth["password_file"], "auth.password_file", StrCat("'", path, "' is empty"));
    }
  } else if (auth["password_env"]) {
    if (var.empty()) return w.Error(auth["password_env"], "auth.password_env", "is empty");
    auto value = env.getenv(var);
    if (!value) {
      return w.Error(auth["password_env"], "auth.password_env",
                     StrCat("environment variable ", var, " is not set"));
    }
    if (value->empty()) {
      return w.Error(auth["password_env"], "auth.password_env",
                     StrCat("environment variable ", var, " is empty"));
    }
    *password = *value;
  } else if (YAML::Node p = auth["password"]) {
    if (!p.IsScalar()) return w.Error(p, "auth.password", "must be a string");
    *password = p.Scalar();
  }
  return absl::OkStatus();
}

absl::StatusOr<LinkRecord> ParseEntry(const std::string& source, size_t index,
                                      const YAML::Node& node, const LinksFileEnv& env) {
  Where w(source, node, StrCat("links[", index, "]"));
  if (!node.IsMap()) return w.Error(node, "", "each entry must be a map with link_id and master");
  LinkRecord rec;
  engine::LinkSpec& spec = rec.spec;
  if (!node["link_id"]) return w.Error(node, "link_id", "is required");
  if (auto s = GetString(w, node, "link_id", "link_id", &spec.id); !s.ok()) return s;
  if (auto s = ValidateLinkId(spec.id); !s.ok()) return w.Wrap(s);
  w.set_entry(StrCat("links[", index, "] (link_id '", spec.id, "')"));
  if (auto s = CheckKeys(w, node, "", {"link_id", "master", "auth", "options"}); !s.ok()) return s;

  YAML::Node master = node["master"];
  if (!master || !master.IsMap()) return w.Error(node, "master", "is required: {host, port}");
  if (auto s = CheckKeys(w, master, "master", {"host", "port"}); !s.ok()) return s;
  redlink::v1::Master m;
  std::string host;
  int port = 6379;
  if (auto s = GetString(w, master, "host", "master.host", &host); !s.ok()) return s;
  if (auto s = GetInt(w, master, "port", "master.port", &port); !s.ok()) return s;
  m.set_host(host);
  m.set_port(port);
  if (auto s = ValidateMaster(m); !s.ok()) return w.Wrap(s, &master);
  spec.host = host;
  spec.port = port;

  if (YAML::Node auth = node["auth"]; auth && !auth.IsNull()) {
    if (!auth.IsMap()) return w.Error(auth, "auth", "must be a map");
    if (auto s =
            CheckKeys(w, auth, "auth", {"username", "password_file", "password_env", "password"});
        !s.ok()) {
      return s;
    }
    redlink::v1::Auth a;
    std::string username, password;
    if (auto s = GetString(w, auth, "username", "auth.username", &username); !s.ok()) return s;
    if (auto s = ReadPassword(w, auth, env, &password); !s.ok()) return s;
    a.set_username(username);
    a.set_password(password);
    if (auto s = ValidateAuth(a); !s.ok()) return w.Wrap(s, &auth);
    spec.username = std::move(username);
    spec.password = std::move(password);
  }

  redlink::v1::LinkOptions o;
  if (YAML::Node opts = node["options"]; opts && !opts.IsNull()) {
    if (!opts.IsMap()) return w.Error(opts, "options", "must be a map");
    if (auto s = CheckKeys(w, opts, "options",
                           {"repl_timeout_seconds", "handshake_timeout_seconds",
                            "connect_timeout_seconds", "drop_before_load", "unsupported_commands"});
        !s.ok()) {
      return s;
    }
    int repl = 0, handshake = 0, connect = 0;
    bool drop = false;
    std::string policy;
    if (auto s = GetInt(w, opts, "repl_timeout_seconds", "options.repl_timeout_seconds", &repl);
        !s.ok()) {
      return s;
    }
    if (auto s = GetInt(w, opts, "handshake_timeout_seconds", "options.handshake_timeout_seconds",
                        &handshake);
        !s.ok()) {
      return s;
    }
    if (auto s =
            GetInt(w, opts, "connect_timeout_seconds", "options.connect_timeout_seconds", &connect);
        !s.ok()) {
      return s;
    }
    if (auto s = GetBool(w, opts, "drop_before_load", "options.drop_before_load", &drop); !s.ok()) {
      return s;
    }
    if (auto s =
            GetString(w, opts, "unsupported_commands", "options.unsupported_commands", &policy);
        !s.ok()) {
      return s;
    }
    o.set_repl_timeout_seconds(repl);
    o.set_handshake_timeout_seconds(handshake);
    o.set_connect_timeout_seconds(connect);
    o.set_drop_before_load(drop);
    if (policy == "FAIL" || policy == "UNSUPPORTED_COMMAND_POLICY_FAIL") {
      o.set_unsupported_commands(redlink::v1::UNSUPPORTED_COMMAND_POLICY_FAIL);
    } else if (policy == "SKIP" || policy == "UNSUPPORTED_COMMAND_POLICY_SKIP") {
      o.set_unsupported_commands(redlink::v1::UNSUPPORTED_COMMAND_POLICY_SKIP);
    } else if (!policy.empty()) {
      return w.Error(opts["unsupported_commands"], "options.unsupported_commands",
                     StrCat("must be FAIL or SKIP: got '", policy, "'"));
    }
    if (auto s = ValidateOptions(o); !s.ok()) return w.Wrap(s, &opts);
  }
  spec.options = FromProto(o);
  spec.declared = true;
  return rec;
}

bool SameDefinition(const engine::LinkSpec& a, const engine::LinkSpec& b) {
  const engine::LinkOptions& x = a.options;
  const engine::LinkOptions& y = b.options;
  return a.host == b.host && a.port == b.port && a.username == b.username &&
         a.password == b.password && x.drop_before_load == y.drop_before_load &&
         x.unsupported_commands == y.unsupported_commands &&
         x.repl_timeout_seconds == y.repl_timeout_seconds &&
         x.handshake_timeout_seconds == y.handshake_timeout_seconds &&
         x.connect_timeout_seconds == y.connect_timeout_seconds;
}

}  // namespace

LinksFileEnv LinksFileEnv::System() {
  LinksFileEnv env;
  env.read_file = [](const std::string& path) -> absl::StatusOr<std::string> {
    std::ifstream in(path, std::ios::binary);
    if (!in) return absl::NotFoundError(strerror(errno));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  env.getenv = [](const std::string& name) -> std::optional<std::string> {
    const char* v = ::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
  return env;
}

absl::StatusOr<std::vector<LinkRecord>> LoadLinksFile(const std::string& path,
                                                      const LinksFileEnv& env) {
  auto text = env.read_file(path);
  if (!text.ok()) {
    return absl::InvalidArgumentError(
        StrCat("--links_file=", path, ": cannot read: ", text.status().message()));
  }
  return ParseLinksFile(*text, "--links_file=" + path, env);
}

absl::StatusOr<std::vector<LinkRecord>> ParseLinksFile(std::string_view text,
                                                       const std::string& source,
                                                       const LinksFileEnv& env) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        StrCat(source, ":", e.mark.line + 1, ": not valid YAML or JSON: ", e.msg));
  }
  std::vector<LinkRecord> out;
  try {
    YAML::Node list;
    if (root.IsNull()) return out;  // an empty file declares no links
    if (root.IsMap()) {
      for (const auto& kv : root) {
        if (kv.first.Scalar() != "links") {
          return absl::InvalidArgumentError(StrCat(source, ":", kv.first.Mark().line + 1,
                                                   ": unknown top-level field '", kv.first.Scalar(),
                                                   "' (expected 'links:', a list of links)"));
        }
      }
      list = root["links"];
      if (list.IsNull()) return out;
    } else {
      list = root;
    }
    if (!list.IsSequence()) {
      return absl::InvalidArgumentError(
          StrCat(source, ":", list.Mark().line + 1,
                 ": expected a list of links (a top-level 'links:' list, or a bare list)"));
    }
    std::map<std::string, size_t> seen;
    for (size_t i = 0; i < list.size(); ++i) {
      auto rec = ParseEntry(source, i, list[i], env);
      if (!rec.ok()) return rec.status();
      auto [it, inserted] = seen.emplace(rec->spec.id, i);
      if (!inserted) {
        return absl::InvalidArgumentError(
            StrCat(source, ":", list[i].Mark().line + 1, ": links[", i, "]: link_id '",
                   rec->spec.id, "' is already declared by links[", it->second, "]"));
      }
      out.push_back(std::move(*rec));
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(StrCat(source, ":", e.mark.line + 1, ": ", e.msg));
  }
  return out;
}

Reconciliation Reconcile(std::vector<LinkRecord> stored, const std::vector<LinkRecord>* declared,
                         absl::Time now) {
  Reconciliation r;
  std::map<std::string, LinkRecord> links;
  for (auto& rec : stored) {
    std::string id = rec.spec.id;
    links[id] = std::move(rec);
  }
  if (declared) {
    std::set<std::string> named;
    for (const auto& d : *declared) {
      named.insert(d.spec.id);
      auto it = links.find(d.spec.id);
      if (it == links.end()) {
        LinkRecord rec = d;
        rec.spec.declared = true;
        rec.spec.paused = false;
        rec.spec.create_time = now;
        links[d.spec.id] = std::move(rec);
        r.created.push_back(d.spec.id);
        continue;
      }
      engine::LinkSpec& spec = it->second.spec;
      if (SameDefinition(spec, d.spec)) continue;
      spec.host = d.spec.host;
      spec.port = d.spec.port;
      spec.options = d.spec.options;
      spec.username = d.spec.username;
      spec.password = d.spec.password;
      r.updated.push_back(d.spec.id);
    }
    for (auto it = links.begin(); it != links.end();) {
      if (it->second.spec.declared && !named.count(it->first)) {
        r.deleted.push_back(it->first);
        it = links.erase(it);
      } else {
        ++it;
      }
    }
  } else {
    for (const auto& [id, rec] : links) {
      if (rec.spec.declared) r.kept_declared.push_back(id);
    }
  }
  for (auto& [id, rec] : links) r.records.push_back(std::move(rec));
  return r;
}

absl::StatusOr<std::vector<LinkRecord>> PrepareLinks(Registry* registry,
                                                     const std::string& links_file,
                                                     const LinksFileEnv& env) {
  auto stored = registry->Load();
  if (!stored.ok()) return stored.status();
  std::optional<std::vector<LinkRecord>> declared;
  if (!links_file.empty()) {
    auto d = LoadLinksFile(links_file, env);
    if (!d.ok()) return d.status();
    declared = std::move(*d);
  }
  Reconciliation plan = Reconcile(std::move(*stored), declared ? &*declared : nullptr, absl::Now());
  auto list = [](const std::vector<std::string>& ids) { return absl::StrJoin(ids, ", "); };
  if (declared) {
    LOG(Info) << "--links_file=" << links_file << " declares " << declared->size()
              << " links: " << plan.created.size() << " created, " << plan.updated.size()
              << " updated, " << plan.deleted.size() << " deleted";
    if (!plan.created.empty()) LOG(Info) << "declared links created: " << list(plan.created);
    if (!plan.updated.empty()) LOG(Info) << "declared links updated: " << list(plan.updated);
    if (!plan.deleted.empty()) {
      LOG(Info) << "links no longer declared, deleted: " << list(plan.deleted);
    }
  }
  if (!plan.kept_declared.empty()) {
    LOG(Warning) << plan.kept_declared.size()
                 << " links were created from a links file but no --links_file is given: kept ("
                 << list(plan.kept_declared)
                 << "); start with a links file that omits them to delete them";
  }
  if (!plan.created.empty() || !plan.updated.empty() || !plan.deleted.empty()) {
    std::promise<absl::Status> written;
    registry->Store(plan.records, [&written](absl::Status s) { written.set_value(s); });
    if (absl::Status s = written.get_future().get(); !s.ok()) return s;
  }
  return std::move(plan.records);
}

}  // namespace redlink::service
