#pragma once
// A seeded random write workload covering every command family the applier handles.
//
// Two modes:
//   kDirect  commands whose effect is deterministic when applied verbatim to two datasets
//            (absolute TTLs in the future, explicit stream IDs, no random pops, no scripts):
//            the vs-redis unit test applies each to redlink's keyspace and to a redis-server.
//   kMaster  client commands for a real master, which rewrites and propagates them: relative
//            and short TTLs (keys expire during the run), SPOP, XADD *, XREADGROUP, EVAL/FCALL,
//            MULTI/EXEC blocks, PUBLISH, blocking pops (the integration test serves those from
//            other clients).
// The key space is small (per-type key names, occasionally another type's key for WRONGTYPE)
// and values sometimes long or numerous so encodings convert (listpack -> hashtable/skiplist,
// quicklist nodes, HLL sparse -> dense).

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace redlink::testing {

class Workload {
 public:
  enum class Mode { kDirect, kMaster };
  struct Options {
    Mode mode = Mode::kDirect;
    int num_dbs = 4;        // databases used by SELECT/MOVE/COPY/SWAPDB
    int64_t base_ms = 0;    // absolute times are base_ms + offsets (default: now)
    bool swapdb = true;     // SWAPDB/FLUSHDB (rare)
    bool functions = true;  // FUNCTION LOAD/DELETE/FLUSH (and FCALL in master mode)
  };

  Workload(uint64_t seed, Options options);

  // One command (client spelling, random case for the name). In master mode it may be "MULTI"
  // (then the following commands up to "EXEC" form a transaction) or a script call.
  std::vector<std::string> Next();
  // The family of the last command ("string", "list", ..., "multi", "script").
  const std::string& family() const { return family_; }
  // Commands generated per family.
  const std::map<std::string, uint64_t>& counts() const { return counts_; }
  // The database the next command runs in (the generator emits SELECT itself).
  int db() const { return db_; }

  // Library code for FUNCTION LOAD that the master-mode FCALLs call.
  static std::string LibraryCode(int n);

 private:
  std::string Key(char type);  // a key of that type, sometimes of another type
  std::string Member();
  std::string Value();
  std::string Int(int64_t lo, int64_t hi);
  std::string Double();
  std::string FutureMs();
  std::string StreamIdFor(const std::string& key);
  std::string ExistingStreamId(const std::string& key);
  std::string Name(const char* name);  // random upper/lower case
  bool Chance(double p);

  std::vector<std::string> Strings();
  std::vector<std::string> Bits();
  std::vector<std::string> Keys();
  std::vector<std::string> Lists();
  std::vector<std::string> Sets();
  std::vector<std::string> Zsets();
  std::vector<std::string> Geo();
  std::vector<std::string> Hashes();
  std::vector<std::string> Hll();
  std::vector<std::string> Streams();
  std::vector<std::string> Functions();
  std::vector<std::string> Scripts();

  Options options_;
  std::mt19937_64 rng_;
  std::string family_;
  std::map<std::string, uint64_t> counts_;
  int db_ = 0;
  int pending_select_ = -1;
  int multi_left_ = 0;
  uint64_t stream_ms_ = 0;
  std::map<std::string, std::vector<std::string>> stream_ids_;
  int libraries_ = 0;
};

}  // namespace redlink::testing
