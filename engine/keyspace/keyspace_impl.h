#pragma once
// Internal state of a Keyspace (shared by keyspace.cc, the loader and the commands).

#include <cstdint>
#include <vector>

#include "engine/keyspace/keyspace.h"

namespace redlink::engine {

class KeyspaceImpl {
 public:
  std::vector<Db> dbs;
  uint64_t bytes = 0;  // sum of obj::Bytes over all entries
  std::vector<FunctionLibrary> functions;
  int rdb_version = 0;
  uint64_t uid = 0;      // unique per Keyspace in the process
  uint64_t changes = 0;  // bumped by every change to a key or database (WATCH)
};

}  // namespace redlink::engine
