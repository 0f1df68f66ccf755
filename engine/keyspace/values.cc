#include "engine/keyspace/values.h"

namespace redlink::engine {

KeyEntry* NewList(std::string_view key) {
  return obj::NewContainer(key, ObjType::kList, Encoding::kListpack, list::NewListpack(),
                           obj::kNoExpire);
}

KeyEntry* NewSet(std::string_view key, std::string_view first_member, uint64_t expected) {
  auto [enc, ptr] = set::NewFor(first_member, expected);
  return obj::NewContainer(key, ObjType::kSet, enc, ptr, obj::kNoExpire);
}

KeyEntry* NewZset(std::string_view key, uint64_t expected, size_t max_member_len) {
  auto [enc, ptr] = zset::NewFor(expected, max_member_len);
  return obj::NewContainer(key, ObjType::kZset, enc, ptr, obj::kNoExpire);
}

KeyEntry* NewHash(std::string_view key, uint64_t expected, size_t max_len) {
  auto [enc, ptr] = hash::NewFor(expected, max_len, false);
  return obj::NewContainer(key, ObjType::kHash, enc, ptr, obj::kNoExpire);
}

KeyEntry* NewStream(std::string_view key) {
  return obj::NewContainer(key, ObjType::kStream, Encoding::kStream, new Stream(), obj::kNoExpire);
}

}  // namespace redlink::engine
