// FileRegistry: the format round-trips every field (any password bytes), the file is 0600 and
// replaced atomically, bursts are coalesced, Stop flushes, a damaged file is a clear error, and
// two registries never share a directory.

#include "service/file_registry.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "engine/common/strings.h"
#include "tests/testing/test_util.h"

namespace redlink::service {
namespace {

using redlink::testing::TempDir;

LinkRecord MakeRecord(const std::string& id, int port = 6379) {
  LinkRecord r;
  r.spec.id = id;
  r.spec.host = "redis-" + id + ".example";
  r.spec.port = port;
  r.spec.create_time = absl::FromUnixNanos(1764000000123456789);
  return r;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int Mode(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return -1;
  return st.st_mode & 0777;
}

absl::Status Wait(const std::function<void(Registry::Done)>& op) {
  std::promise<absl::Status> p;
  op([&p](absl::Status s) { p.set_value(s); });
  return p.get_future().get();
}

TEST(RegistryFormat, RoundTripsEveryField) {
  LinkRecord a = MakeRecord("cache-a", 6380);
  a.spec.username = "repl";
  a.spec.password = std::string("p\"w\\\n\0\xff\x01 end", 12);  // any bytes survive
  a.spec.options.drop_before_load = true;
  a.spec.options.unsupported_commands = engine::UnsupportedCommandPolicy::kSkip;
  a.spec.options.repl_timeout_seconds = 120;
  a.spec.options.handshake_timeout_seconds = 7;
  a.spec.options.connect_timeout_seconds = 3;
  a.spec.paused = true;
  a.spec.declared = true;
  LinkRecord b = MakeRecord("b");
  b.spec.host = "::1";
  b.spec.create_time = absl::InfinitePast();  // unknown: written as ""

  auto decoded = DecodeRegistry(EncodeRegistry({a, b}), "test");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ASSERT_EQ(decoded->size(), 2u);
  // Sorted by id.
  const engine::LinkSpec& x = (*decoded)[1].spec;
  EXPECT_EQ((*decoded)[0].spec.id, "b");
  EXPECT_EQ((*decoded)[0].spec.host, "::1");
  EXPECT_EQ((*decoded)[0].spec.create_time, absl::InfinitePast());
  EXPECT_FALSE((*decoded)[0].spec.paused);
  EXPECT_EQ(x.id, "cache-a");
  EXPECT_EQ(x.host, "redis-cache-a.example");
  EXPECT_EQ(x.port, 6380);
  EXPECT_EQ(x.username, "repl");
  EXPECT_EQ(x.password, a.spec.password);
  EXPECT_TRUE(x.options.drop_before_load);
  EXPECT_EQ(x.options.unsupported_commands, engine::UnsupportedCommandPolicy::kSkip);
  EXPECT_EQ(x.options.repl_timeout_seconds, 120);
  EXPECT_EQ(x.options.handshake_timeout_seconds, 7);
  EXPECT_EQ(x.options.connect_timeout_seconds, 3);
  EXPECT_TRUE(x.paused);
  EXPECT_TRUE(x.declared);
  EXPECT_EQ(x.create_time, a.spec.create_time);
}

TEST(RegistryFormat, EmptySet) {
  auto decoded = DecodeRegistry(EncodeRegistry({}), "test");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(decoded->empty());
}

TEST(RegistryFormat, DamageIsAClearError) {
  std::string good = EncodeRegistry({MakeRecord("a"), MakeRecord("b")});
  struct Case {
    std::string text;
    std::string expect;
  } cases[] = {
      {"", "not a JSON object"},
      {good.substr(0, good.size() / 2), "registry"},
      {"[]", "not a JSON object"},
      {R"({"format": "something-else", "version": 1, "links": []})", "\"format\""},
      {R"({"format": "redlink-registry", "version": 9, "links": []})", "version"},
      {R"({"format": "redlink-registry", "version": 1, "links": {}})", "\"links\" is not a list"},
      {R"({"format": "redlink-registry", "version": 1, "links": [{"master": {"host": "h"}}]})",
       "links[0]: link_id: missing"},
      {R"({"format": "redlink-registry", "version": 1, "links": [{"link_id": "a"}]})",
       "links[0] (link_id 'a'): master"},
      {R"({"format": "redlink-registry", "version": 1, "links": [{"link_id": "a",
          "master": {"host": "h", "port": "x"}}]})",
       "master.port: not an integer"},
      {R"({"format": "redlink-registry", "version": 1, "links": [{"link_id": "a",
          "master": {"host": "h", "port": 1}, "auth": {"password_base64": "!!"}}]})",
       "auth.password_base64: not base64"},
      {R"({"format": "redlink-registry", "version": 1, "links": [{"link_id": "a",
          "master": {"host": "h", "port": 1}, "paused": "maybe"}]})",
       "paused: not true or false"},
      {R"({"format": "redlink-registry", "version": 1, "links": [
          {"link_id": "a", "master": {"host": "h", "port": 1}},
          {"link_id": "a", "master": {"host": "h", "port": 1}}]})",
       "appears twice"},
  };
  for (const auto& c : cases) {
    auto r = DecodeRegistry(c.text, "/data/registry.json");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << c.text;
    EXPECT_NE(r.status().message().find("/data/registry.json"), std::string::npos) << r.status();
    EXPECT_NE(r.status().message().find(c.expect), std::string::npos)
        << "want '" << c.expect << "' in: " << r.status();
  }
}

TEST(FileRegistry, MissingFileIsEmptyAndWritesAre0600AndAtomic) {
  TempDir dir;
  auto reg = FileRegistry::Open(dir.path());
  ASSERT_TRUE(reg.ok()) << reg.status();
  auto loaded = (*reg)->Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(loaded->empty());
  umask(0);  // even with a permissive umask the file is 0600
  LinkRecord a = MakeRecord("a");
  a.spec.password = "secret-pw";
  EXPECT_TRUE(Wait([&](auto done) { (*reg)->Put(a, std::move(done)); }).ok());
  umask(022);
  std::string path = dir.File("registry.json");
  EXPECT_EQ(Mode(path), 0600);
  EXPECT_EQ(Mode(path + ".tmp"), -1) << "the temp file is renamed away";
  auto decoded = DecodeRegistry(ReadAll(path), path);
  ASSERT_TRUE(decoded.ok());
  ASSERT_EQ(decoded->size(), 1u);
  EXPECT_EQ((*decoded)[0].spec.password, "secret-pw");

  EXPECT_TRUE(Wait([&](auto done) { (*reg)->Put(MakeRecord("b"), std::move(done)); }).ok());
  EXPECT_TRUE(Wait([&](auto done) { (*reg)->Remove("a", std::move(done)); }).ok());
  EXPECT_TRUE(Wait([&](auto done) { (*reg)->Remove("nope", std::move(done)); }).ok());
  decoded = DecodeRegistry(ReadAll(path), path);
  ASSERT_TRUE(decoded.ok());
  ASSERT_EQ(decoded->size(), 1u);
  EXPECT_EQ((*decoded)[0].spec.id, "b");
}

TEST(FileRegistry, LoadSeesWhatWasStoredAndFixesTheMode) {
  TempDir dir;
  {
    auto reg = FileRegistry::Open(dir.path());
    ASSERT_TRUE(reg.ok());
    ASSERT_TRUE((*reg)->Load().ok());
    std::vector<LinkRecord> all = {MakeRecord("x"), MakeRecord("y")};
    all[1].spec.paused = true;
    EXPECT_TRUE(Wait([&](auto done) { (*reg)->Store(all, std::move(done)); }).ok());
  }
  chmod(dir.File("registry.json").c_str(), 0644);
  std::ofstream(dir.File("registry.json.tmp")) << "{half a fi";  // left by a crash
  auto reg = FileRegistry::Open(dir.path());
  ASSERT_TRUE(reg.ok());
  auto loaded = (*reg)->Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->size(), 2u);
  EXPECT_TRUE((*loaded)[1].spec.paused);
  EXPECT_EQ(Mode(dir.File("registry.json")), 0600);
  EXPECT_EQ(Mode(dir.File("registry.json.tmp")), -1);
  // Changes apply on top of what was loaded.
  EXPECT_TRUE(Wait([&](auto done) { (*reg)->Remove("x", std::move(done)); }).ok());
  auto decoded = DecodeRegistry(ReadAll(dir.File("registry.json")), "f");
  ASSERT_TRUE(decoded.ok());
  ASSERT_EQ(decoded->size(), 1u);
  EXPECT_EQ((*decoded)[0].spec.id, "y");
}

TEST(FileRegistry, DamagedFileFailsLoad) {
  TempDir dir;
  std::ofstream(dir.File("registry.json")) << "{\"format\": \"redlink-registry\", \"vers";
  auto reg = FileRegistry::Open(dir.path());
  ASSERT_TRUE(reg.ok());
  auto loaded = (*reg)->Load();
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(loaded.status().message().find(dir.File("registry.json")), std::string::npos);
}

TEST(FileRegistry, BurstsAreCoalescedAndEveryDoneRuns) {
  TempDir dir;
  auto reg = FileRegistry::Open(dir.path());
  ASSERT_TRUE(reg.ok());
  ASSERT_TRUE((*reg)->Load().ok());
  constexpr int kThreads = 8, kPerThread = 250;
  std::atomic<int> done_ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        (*reg)->Put(MakeRecord(StrCat("t", t, "-", i % 10), i), [&](absl::Status s) {
          if (s.ok()) ++done_ok;
        });
      }
    });
  }
  for (auto& th : threads) th.join();
  (*reg)->Stop();  // flushes
  EXPECT_EQ(done_ok.load(), kThreads * kPerThread);
  EXPECT_LT((*reg)->writes_for_test(), static_cast<uint64_t>(kThreads * kPerThread / 4))
      << "writes were not coalesced";
  auto decoded = DecodeRegistry(ReadAll(dir.File("registry.json")), "f");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->size(), static_cast<size_t>(kThreads * 10));
  // The last write of each id wins (calls from one thread stay in order).
  for (const auto& r : *decoded) {
    int i = 0;
    ASSERT_TRUE(SimpleAtoi(r.spec.id.substr(r.spec.id.find('-') + 1), &i));
    EXPECT_EQ(r.spec.port, kPerThread - 10 + i) << r.spec.id;
  }
  // After Stop, changes fail fast instead of hanging.
  absl::Status late = Wait([&](auto done) { (*reg)->Put(MakeRecord("late"), std::move(done)); });
  EXPECT_EQ(late.code(), absl::StatusCode::kUnavailable);
}

TEST(FileRegistry, OneProcessPerDataDir) {
  TempDir dir;
  auto first = FileRegistry::Open(dir.path());
  ASSERT_TRUE(first.ok());
  auto second = FileRegistry::Open(dir.path());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("in use by another redlinkd"), std::string::npos)
      << second.status();
  first->reset();
  EXPECT_TRUE(FileRegistry::Open(dir.path()).ok()) << "the lock goes with the registry";
}

TEST(FileRegistry, WriteFailureIsReportedAndRetried) {
  TempDir dir;
  auto reg = FileRegistry::Open(dir.path());
  ASSERT_TRUE(reg.ok());
  ASSERT_TRUE((*reg)->Load().ok());
  // A directory where the temp file goes makes the write fail (for root too).
  std::string tmp = dir.File("registry.json.tmp");
  ASSERT_EQ(mkdir(tmp.c_str(), 0700), 0);
  absl::Status s = Wait([&](auto done) { (*reg)->Put(MakeRecord("a"), std::move(done)); });
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_NE(s.message().find("registry.json.tmp"), std::string::npos) << s;
  EXPECT_NE(s.message().find("written with the next one"), std::string::npos) << s;
  ASSERT_EQ(rmdir(tmp.c_str()), 0);
  EXPECT_TRUE(Wait([&](auto done) { (*reg)->Put(MakeRecord("b"), std::move(done)); }).ok());
  auto decoded = DecodeRegistry(ReadAll(dir.File("registry.json")), "f");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->size(), 2u) << "the failed change was written with the next one";
}

}  // namespace
}  // namespace redlink::service
