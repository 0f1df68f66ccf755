#pragma once
// FileRegistry: the link registry as one JSON file in --data_dir (registry.json, mode 0600),
// rewritten atomically on every change by a dedicated writer thread: write registry.json.tmp,
// fsync it, rename it over registry.json, fsync the directory. A crash at any moment leaves
// either the old or the new file, never a torn one. Changes that arrive while a write is under
// way are coalesced into the next write. The data dir is locked (flock on <dir>/LOCK) so two
// redlinkd processes never share one registry.
//
// Threading: Put/Remove/Store are cheap and safe from any thread (they queue the change under
// a mutex and wake the writer); the file is touched only by the writer thread (and by Load,
// before any change). No fsync ever runs on the caller's thread.

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "service/registry.h"

namespace redlink::service {

// The file format, exposed for tests and tools. Encode writes one JSON object:
//   {"format": "redlink-registry", "version": 1, "links": [{"link_id": ..., "master": {...},
//    "auth": {"username": ..., "password_base64": ...}, "options": {...}, "paused": ...,
//    "declared": ..., "create_time": "<RFC 3339>"}, ...]}
// The password is base64 so that any bytes survive; base64 is an encoding, not protection: the
// file's mode (0600) is.
std::string EncodeRegistry(const std::vector<LinkRecord>& records);
// `source` names the file in error messages.
absl::StatusOr<std::vector<LinkRecord>> DecodeRegistry(std::string_view text,
                                                       std::string_view source);

class FileRegistry final : public Registry {
 public:
  static constexpr const char* kFileName = "registry.json";

  // Locks `data_dir` (which must exist) and starts the writer thread. FAILED_PRECONDITION when
  // another process holds the lock.
  static absl::StatusOr<std::unique_ptr<FileRegistry>> Open(const std::string& data_dir);
  ~FileRegistry() override;  // Stop()s

  // Reads registry.json (none yet: no records), removes a stale temp file, and makes sure the
  // file's mode is 0600. DATA_LOSS (naming the file, the entry and the field) when it does not
  // parse: redlinkd then refuses to start rather than forget links.
  absl::StatusOr<std::vector<LinkRecord>> Load() override;
  void Store(std::vector<LinkRecord> records, Done done) override;
  void Put(LinkRecord record, Done done) override;
  void Remove(std::string id, Done done) override;
  void Stop() override;

  const std::string& path() const { return path_; }
  // Number of files written so far (coalescing tests). Any thread.
  uint64_t writes_for_test() const;

 private:
  struct Change {
    std::optional<std::vector<LinkRecord>> replace_all;
    std::optional<LinkRecord> put;
    std::string remove;
    Done done;
  };
  FileRegistry(std::string data_dir, int lock_fd);
  void Enqueue(Change change);
  void Run();  // the writer thread
  absl::Status WriteFile(const std::vector<LinkRecord>& records);

  const std::string dir_;
  const std::string path_;
  const std::string tmp_path_;
  int lock_fd_ = -1;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Change> pending_;  // guarded by mu_
  bool stopping_ = false;        // guarded by mu_
  uint64_t writes_ = 0;          // guarded by mu_

  // Writer thread only (and Load, before the first change).
  std::map<std::string, LinkRecord> records_;
  bool dirty_ = false;  // the last write failed: retry at the next change or at Stop

  std::once_flag join_once_;
  std::thread writer_;
};

}  // namespace redlink::service
