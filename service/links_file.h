#pragma once
// --links_file: links declared at start, in YAML or JSON (parsed with yaml-cpp), and how they
// are reconciled with the links the registry brought back. Startup only (main thread).
//
// Format: a top-level `links:` list (a bare list is accepted too) of
//   - link_id: cache-a
//     master: {host: redis-a.example, port: 6379}
//     auth:                       # optional; at most one of the three password sources
//       username: default         # optional
//       password_file: /etc/redlink/link-secrets/redis-a/password   # one trailing newline is
//       password_env: REDIS_A_PASSWORD                               #   stripped
//       password: literal         # discouraged: the file is usually not secret
//     options: {repl_timeout_seconds: 60, handshake_timeout_seconds: 5,
//               connect_timeout_seconds: 5, drop_before_load: false, unsupported_commands: SKIP}
// Unknown keys are errors (a typo must not silently drop a setting).

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/registry.h"

namespace redlink::service {

// Where the parser reads password files and environment variables (injectable for tests).
struct LinksFileEnv {
  std::function<absl::StatusOr<std::string>(const std::string& path)> read_file;
  std::function<std::optional<std::string>(const std::string& name)> getenv;
  // The process's own file system and environment.
  static LinksFileEnv System();
};

// Reads and parses `path`. INVALID_ARGUMENT with a message naming the file, the line, the entry
// and the field; a password never appears in a message. The records have declared = true,
// paused = false and no create_time (Reconcile sets it).
absl::StatusOr<std::vector<LinkRecord>> LoadLinksFile(
    const std::string& path, const LinksFileEnv& env = LinksFileEnv::System());
// The same from text; `source` names the file in messages.
absl::StatusOr<std::vector<LinkRecord>> ParseLinksFile(std::string_view text,
                                                       const std::string& source,
                                                       const LinksFileEnv& env);

// The links to run after a start, and what the links file changed.
struct Reconciliation {
  std::vector<LinkRecord> records;   // every link to run, in id order
  std::vector<std::string> created;  // declared links that were not in the registry
  std::vector<std::string> updated;  // declared links whose definition changed
  std::vector<std::string> deleted;  // links created from the file that it no longer declares
  // Links created from a links file, kept because no --links_file was given this time.
  std::vector<std::string> kept_declared;
};

// Applies the declared links (`declared` null: no --links_file) to the registry's `stored` ones:
// - a declared link missing from the registry is created (declared = true, create_time = now);
// - a declared link already there takes the file's master, options and credentials (as
//   UpdateLink and SetLinkAuth would) and keeps its pause state, create time and declared flag;
// - a link created from the file (declared = true) that the file no longer names is deleted;
// - links created over the API (declared = false) that the file does not name are left alone; if
//   the file names one, it is updated like any declared link but keeps declared = false, so it
//   is never deleted for leaving the file (it was not created from the file).
Reconciliation Reconcile(std::vector<LinkRecord> stored, const std::vector<LinkRecord>* declared,
                         absl::Time now);

// redlinkd's startup step: loads `registry`, applies `links_file` (empty: no --links_file),
// logs what the file changed, makes the result durable and returns the links to start.
// INVALID_ARGUMENT for a bad links file, the registry's error otherwise. Main thread; blocks on
// the registry write.
absl::StatusOr<std::vector<LinkRecord>> PrepareLinks(
    Registry* registry, const std::string& links_file,
    const LinksFileEnv& env = LinksFileEnv::System());

}  // namespace redlink::service
