// Datasets built on a real redis-server for tests and benchmarks.
#pragma once

#include <string>

#include "tests/testing/test_util.h"

namespace redlink::testing {

// The mixed 1,000,000-key dataset, built with Lua on `master` (no round trip per key):
// 400,000 strings (str:<i>, and int:<i> for every 7th i), 150,000 hashes, 150,000 lists, 150,000
// sets (a third intsets), 100,000 sorted sets and 50,000 streams (a tenth with a consumer group
// and pending entries); every 100th collection big enough to leave the compact encodings; a tenth
// of each kind's keys (95,000 in all) with a TTL far in the future. Returns an error message,
// empty on success.
std::string PopulateMixedDataset(RedisServer& master);

}  // namespace redlink::testing
