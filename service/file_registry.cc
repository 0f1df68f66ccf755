#include "service/file_registry.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/time/time.h"
#include "engine/common/log.h"
#include "engine/common/strings.h"
#include "yaml-cpp/yaml.h"

namespace redlink::service {
namespace {

constexpr std::string_view kFormat = "redlink-registry";
constexpr int kVersion = 1;

std::string Errno(std::string_view what, const std::string& path) {
  return StrCat(what, " ", path, ": ", strerror(errno));
}

// A JSON string literal. Control characters, '"' and '\' are escaped; other bytes are copied
// (the fields written here are validated ASCII or UTF-8; the password goes through base64).
void AppendJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          StrAppend(out, "\\u00", absl::Hex(c, absl::kZeroPad2));
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

std::string Json(std::string_view s) {
  std::string out;
  AppendJsonString(&out, s);
  return out;
}

const char* Bool(bool b) { return b ? "true" : "false"; }

std::string FormatTimeOrEmpty(absl::Time t) {
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) return "";
  return absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone());
}

// Reads a field of a registry entry with a message naming the entry and the field.
class EntryReader {
 public:
  EntryReader(std::string_view source, std::string where)
      : source_(source), where_(std::move(where)) {}

  absl::Status Error(std::string_view field, std::string_view what) const {
    return absl::DataLossError(
        StrCat("link registry ", source_, ": ", where_, ": ", field, ": ", what,
               " (the file is written by redlinkd only; restore it from a backup or remove the "
               "entry)"));
  }

  absl::Status String(const YAML::Node& parent, const char* key, std::string_view field,
                      std::string* out, bool required = false) const {
    YAML::Node n = parent[key];
    if (!n) {
      if (required) return Error(field, "missing");
      return absl::OkStatus();
    }
    if (!n.IsScalar()) return Error(field, "not a string");
    *out = n.Scalar();
    return absl::OkStatus();
  }

  template <typename T>
  absl::Status Number(const YAML::Node& parent, const char* key, std::string_view field,
                      T* out) const {
    YAML::Node n = parent[key];
    if (!n) return absl::OkStatus();
    if (!n.IsScalar() || !SimpleAtoi(n.Scalar(), out)) return Error(field, "not an integer");
    return absl::OkStatus();
  }

  absl::Status Boolean(const YAML::Node& parent, const char* key, std::string_view field,
                       bool* out) const {
    YAML::Node n = parent[key];
    if (!n) return absl::OkStatus();
    if (!n.IsScalar() || (n.Scalar() != "true" && n.Scalar() != "false")) {
      return Error(field, "not true or false");
    }
    *out = n.Scalar() == "true";
    return absl::OkStatus();
  }

 private:
  std::string_view source_;
  std::string where_;
};

absl::StatusOr<LinkRecord> DecodeEntry(std::string_view source, size_t index,
                                       const YAML::Node& node) {
  EntryReader r(source, StrCat("links[", index, "]"));
  if (!node.IsMap()) return r.Error("entry", "not an object");
  LinkRecord rec;
  engine::LinkSpec& s = rec.spec;
  if (auto st = r.String(node, "link_id", "link_id", &s.id, true); !st.ok()) return st;
  EntryReader e(source, StrCat("links[", index, "] (link_id '", s.id, "')"));
  YAML::Node master = node["master"];
  if (!master || !master.IsMap()) return e.Error("master", "missing or not an object");
  if (auto st = e.String(master, "host", "master.host", &s.host, true); !st.ok()) return st;
  if (auto st = e.Number(master, "port", "master.port", &s.port); !st.ok()) return st;
  if (YAML::Node auth = node["auth"]) {
    if (!auth.IsMap()) return e.Error("auth", "not an object");
    if (auto st = e.String(auth, "username", "auth.username", &s.username); !st.ok()) return st;
    std::string b64;
    if (auto st = e.String(auth, "password_base64", "auth.password_base64", &b64); !st.ok()) {
      return st;
    }
    if (!absl::Base64Unescape(b64, &s.password)) {
      return e.Error("auth.password_base64", "not base64");
    }
  }
  if (YAML::Node o = node["options"]) {
    if (!o.IsMap()) return e.Error("options", "not an object");
    engine::LinkOptions& opt = s.options;
    if (auto st =
            e.Boolean(o, "drop_before_load", "options.drop_before_load", &opt.drop_before_load);
        !st.ok()) {
      return st;
    }
    std::string policy = "FAIL";
    if (auto st = e.String(o, "unsupported_commands", "options.unsupported_commands", &policy);
        !st.ok()) {
      return st;
    }
    if (policy != "FAIL" && policy != "SKIP") {
      return e.Error("options.unsupported_commands", "not FAIL or SKIP");
    }
    opt.unsupported_commands = policy == "SKIP" ? engine::UnsupportedCommandPolicy::kSkip
                                                : engine::UnsupportedCommandPolicy::kFail;
    for (auto [key, field] :
         {std::pair<const char*, int*>{"repl_timeout_seconds", &opt.repl_timeout_seconds},
          {"handshake_timeout_seconds", &opt.handshake_timeout_seconds},
          {"connect_timeout_seconds", &opt.connect_timeout_seconds}}) {
      if (auto st = e.Number(o, key, StrCat("options.", key), field); !st.ok()) return st;
    }
  }
  if (auto st = e.Boolean(node, "paused", "paused", &s.paused); !st.ok()) return st;
  if (auto st = e.Boolean(node, "declared", "declared", &s.declared); !st.ok()) return st;
  std::string created;
  if (auto st = e.String(node, "create_time", "create_time", &created); !st.ok()) return st;
  if (!created.empty()) {
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, created, &s.create_time, &err)) {
      return e.Error("create_time", StrCat("not an RFC 3339 time: ", err));
    }
  }
  return rec;
}

}  // namespace

std::string EncodeRegistry(const std::vector<LinkRecord>& records) {
  std::string out = StrCat("{\n  \"format\": ", Json(kFormat), ",\n  \"version\": ", kVersion,
                           ",\n  \"links\": [");
  bool first = true;
  for (const auto& rec : records) {
    const engine::LinkSpec& s = rec.spec;
    const engine::LinkOptions& o = s.options;
    StrAppend(
        &out, first ? "\n" : ",\n", "    {\"link_id\": ", Json(s.id),
        ",\n     \"master\": {\"host\": ", Json(s.host), ", \"port\": ", s.port, "}",
        ",\n     \"auth\": {\"username\": ", Json(s.username),
        ", \"password_base64\": ", Json(absl::Base64Escape(s.password)), "}",
        ",\n     \"options\": {\"drop_before_load\": ", Bool(o.drop_before_load),
        ", \"unsupported_commands\": ",
        Json(o.unsupported_commands == engine::UnsupportedCommandPolicy::kSkip ? "SKIP" : "FAIL"),
        ", \"repl_timeout_seconds\": ", o.repl_timeout_seconds,
        ", \"handshake_timeout_seconds\": ", o.handshake_timeout_seconds,
        ", \"connect_timeout_seconds\": ", o.connect_timeout_seconds, "}",
        ",\n     \"paused\": ", Bool(s.paused), ", \"declared\": ", Bool(s.declared),
        ", \"create_time\": ", Json(FormatTimeOrEmpty(s.create_time)), "}");
    first = false;
  }
  out += first ? "]\n}\n" : "\n  ]\n}\n";
  return out;
}

absl::StatusOr<std::vector<LinkRecord>> DecodeRegistry(std::string_view text,
                                                       std::string_view source) {
  auto fail = [&](std::string_view what) {
    return absl::DataLossError(StrCat("link registry ", source, ": ", what,
                                      " (restore it from a backup, or move it away to start "
                                      "with no links)"));
  };
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return fail(StrCat("not valid JSON: ", e.what()));
  }
  if (!root.IsMap()) return fail("not a JSON object");
  if (!root["format"] || !root["format"].IsScalar() || root["format"].Scalar() != kFormat) {
    return fail(StrCat("\"format\" is not \"", kFormat, "\""));
  }
  int version = 0;
  if (!root["version"] || !SimpleAtoi(root["version"].Scalar(), &version) || version != kVersion) {
    return fail(StrCat("unsupported \"version\" (this redlinkd reads version ", kVersion, ")"));
  }
  YAML::Node links = root["links"];
  if (!links || !links.IsSequence()) return fail("\"links\" is not a list");
  std::vector<LinkRecord> out;
  std::set<std::string> seen;
  try {
    for (size_t i = 0; i < links.size(); ++i) {
      auto rec = DecodeEntry(source, i, links[i]);
      if (!rec.ok()) return rec.status();
      if (!seen.insert(rec->spec.id).second) {
        return fail(StrCat("links[", i, "]: link_id '", rec->spec.id, "' appears twice"));
      }
      out.push_back(std::move(*rec));
    }
  } catch (const YAML::Exception& e) {
    return fail(e.what());
  }
  std::sort(out.begin(), out.end(),
            [](const LinkRecord& a, const LinkRecord& b) { return a.spec.id < b.spec.id; });
  return out;
}

absl::StatusOr<std::unique_ptr<FileRegistry>> FileRegistry::Open(const std::string& data_dir) {
  std::string lock_path = data_dir + "/LOCK";
  int fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return absl::FailedPreconditionError(Errno("cannot open", lock_path));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    close(fd);
    if (err == EWOULDBLOCK) {
      return absl::FailedPreconditionError(
          StrCat("--data_dir=", data_dir, " is in use by another redlinkd (it holds the lock on ",
                 lock_path, "): give each process its own data dir"));
    }
    errno = err;
    return absl::FailedPreconditionError(Errno("cannot lock", lock_path));
  }
  return std::unique_ptr<FileRegistry>(new FileRegistry(data_dir, fd));
}

FileRegistry::FileRegistry(std::string data_dir, int lock_fd)
    : dir_(std::move(data_dir)),
      path_(dir_ + "/" + kFileName),
      tmp_path_(path_ + ".tmp"),
      lock_fd_(lock_fd) {
  writer_ = std::thread([this] { Run(); });
}

FileRegistry::~FileRegistry() {
  Stop();
  if (lock_fd_ >= 0) close(lock_fd_);  // releases the flock
}

absl::StatusOr<std::vector<LinkRecord>> FileRegistry::Load() {
  // A temp file is what a crash left between write and rename: the real file is intact.
  if (unlink(tmp_path_.c_str()) == 0) {
    LOG(Warning) << "removed " << tmp_path_ << " (left by an interrupted registry write)";
  }
  int fd = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::vector<LinkRecord>{};
    return absl::FailedPreconditionError(Errno("cannot open the link registry", path_));
  }
  struct stat st;
  if (fstat(fd, &st) == 0 && (st.st_mode & 0777) != 0600) {
    LOG(Warning) << "link registry " << path_ << " had mode 0" << std::oct << (st.st_mode & 0777)
                 << std::dec << ": set to 0600 (it holds master passwords)";
    fchmod(fd, 0600);
  }
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::string err = Errno("cannot read the link registry", path_);
      close(fd);
      return absl::FailedPreconditionError(err);
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  auto records = DecodeRegistry(text, path_);
  if (!records.ok()) return records.status();
  std::lock_guard<std::mutex> lock(mu_);
  records_.clear();
  for (const auto& r : *records) records_[r.spec.id] = r;
  return records;
}

void FileRegistry::Enqueue(Change change) {
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (!stopping_) {
      pending_.push_back(std::move(change));
      lock.unlock();
      cv_.notify_one();
      return;
    }
  }
  change.done(absl::UnavailableError("the link registry is closed (redlinkd is shutting down)"));
}

void FileRegistry::Store(std::vector<LinkRecord> records, Done done) {
  Enqueue(Change{std::move(records), std::nullopt, "", std::move(done)});
}

void FileRegistry::Put(LinkRecord record, Done done) {
  Enqueue(Change{std::nullopt, std::move(record), "", std::move(done)});
}

void FileRegistry::Remove(std::string id, Done done) {
  Enqueue(Change{std::nullopt, std::nullopt, std::move(id), std::move(done)});
}

void FileRegistry::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  // Concurrent callers all return once the writer has written the last changes and exited.
  std::call_once(join_once_, [this] {
    if (writer_.joinable()) writer_.join();
  });
}

uint64_t FileRegistry::writes_for_test() const {
  std::lock_guard<std::mutex> lock(mu_);
  return writes_;
}

void FileRegistry::Run() {
  pthread_setname_np(pthread_self(), "registry");
  for (;;) {
    std::vector<Change> batch;
    bool stop;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
      batch.swap(pending_);
      stop = stopping_;
    }
    // Coalescing: everything that queued up while the previous write ran goes in one write.
    for (auto& c : batch) {
      if (c.replace_all) {
        records_.clear();
        for (auto& r : *c.replace_all) records_[r.spec.id] = std::move(r);
      } else if (c.put) {
        std::string id = c.put->spec.id;
        records_[id] = std::move(*c.put);
      } else {
        records_.erase(c.remove);
      }
    }
    if (!batch.empty() || (stop && dirty_)) {
      std::vector<LinkRecord> all;
      all.reserve(records_.size());
      for (const auto& [id, r] : records_) all.push_back(r);
      absl::Status s = WriteFile(all);
      dirty_ = !s.ok();
      if (!s.ok()) LOG(Error) << s.message();
      for (auto& c : batch) c.done(s);
    }
    if (stop) {
      std::lock_guard<std::mutex> lock(mu_);
      if (pending_.empty()) return;
    }
  }
}

absl::Status FileRegistry::WriteFile(const std::vector<LinkRecord>& records) {
  std::string text = EncodeRegistry(records);
  auto fail = [&](std::string_view what, const std::string& path) {
    return absl::UnavailableError(StrCat("link registry: ", Errno(what, path),
                                         " (the change is kept in memory and "
                                         "written with the next one)"));
  };
  int fd = open(tmp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return fail("cannot create", tmp_path_);
  // The umask can only narrow the mode; make it exactly 0600 whatever the umask.
  fchmod(fd, 0600);
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      absl::Status s = fail("cannot write", tmp_path_);
      close(fd);
      return s;
    }
    off += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) {
    absl::Status s = fail("cannot fsync", tmp_path_);
    close(fd);
    return s;
  }
  close(fd);
  if (rename(tmp_path_.c_str(), path_.c_str()) != 0) return fail("cannot rename to", path_);
  // The rename is durable only once the directory is.
  int dfd = open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return fail("cannot open", dir_);
  int r = fsync(dfd);
  close(dfd);
  if (r != 0) return fail("cannot fsync", dir_);
  std::lock_guard<std::mutex> lock(mu_);
  ++writes_;
  return absl::OkStatus();
}

}  // namespace redlink::service
