#pragma once
// One include for code that writes values (the replicated-command applier): the typed value
// helpers of every type and factories for new, empty values. Loop thread only.
//
// The pattern for a container write (e.g. RPUSH key v):
//
//   KeyEntry* e = ks.db(db).Find(key);                 // master commands ignore TTLs
//   if (e == nullptr) {
//     e = NewList(key);
//     ks.Add(db, e);
//   } else if (obj::Type(e) != ObjType::kList) {
//     ... WRONGTYPE (cannot happen for a healthy master stream) ...
//   }
//   ks.Edit(e, [&] { list::PushBack(e, v); });          // keeps DatasetBytes() exact
//   if (list::Length(e) == 0) ks.Delete(db, key);       // after pops/removals, as Redis does
//
// Strings are replaced (Keyspace::SetString / Put with obj::NewString), or edited in a growable
// buffer: e = ks.MakeRawString(db, e, new_len); ks.Edit(e, [&] { ... obj::Raw(e) ... }).
// TTLs: ks.SetExpire(db, e, absolute_ms) / obj::kNoExpire, returns the (moved) entry.
// Hash field TTLs: hash::SetFieldExpire inside Edit.
// Streams: static_cast<Stream*>(obj::Ptr(e)) inside Edit (Append, Delete, groups, PELs).

#include <cstdint>
#include <string_view>

#include "engine/encoding/listpack.h"
#include "engine/keyspace/hash.h"
#include "engine/keyspace/intset.h"
#include "engine/keyspace/keyspace.h"
#include "engine/keyspace/list.h"
#include "engine/keyspace/object.h"
#include "engine/keyspace/set.h"
#include "engine/keyspace/stream.h"
#include "engine/keyspace/zset.h"

namespace redlink::engine {

// New empty values (no TTL). Insert them with Keyspace::Add before or after filling them.
// `expected`/`max_len` let a bulk writer pick the final encoding up front (as the RDB loader
// does); the defaults start small and convert at Redis's thresholds as elements arrive.
KeyEntry* NewList(std::string_view key);
// The first member decides intset vs listpack, as Redis's setTypeCreate does.
KeyEntry* NewSet(std::string_view key, std::string_view first_member, uint64_t expected = 1);
KeyEntry* NewZset(std::string_view key, uint64_t expected = 1, size_t max_member_len = 0);
KeyEntry* NewHash(std::string_view key, uint64_t expected = 1, size_t max_len = 0);
KeyEntry* NewStream(std::string_view key);

}  // namespace redlink::engine
