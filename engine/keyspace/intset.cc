#include "engine/keyspace/intset.h"

#include <cstdlib>
#include <cstring>

namespace redlink::engine::intset {
namespace {

uint32_t Load32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
void Store32(char* p, uint32_t v) { std::memcpy(p, &v, 4); }

uint32_t Width(const char* is) { return Load32(is); }

int64_t GetWidth(const char* is, uint32_t width, uint32_t pos) {
  const char* p = is + kHeaderSize + static_cast<size_t>(pos) * width;
  switch (width) {
    case 2: {
      int16_t v;
      std::memcpy(&v, p, 2);
      return v;
    }
    case 4: {
      int32_t v;
      std::memcpy(&v, p, 4);
      return v;
    }
    default: {
      int64_t v;
      std::memcpy(&v, p, 8);
      return v;
    }
  }
}

void SetWidth(char* is, uint32_t width, uint32_t pos, int64_t v) {
  char* p = is + kHeaderSize + static_cast<size_t>(pos) * width;
  switch (width) {
    case 2: {
      int16_t x = static_cast<int16_t>(v);
      std::memcpy(p, &x, 2);
      break;
    }
    case 4: {
      int32_t x = static_cast<int32_t>(v);
      std::memcpy(p, &x, 4);
      break;
    }
    default:
      std::memcpy(p, &v, 8);
  }
}

uint32_t WidthFor(int64_t v) {
  if (v >= INT16_MIN && v <= INT16_MAX) return 2;
  if (v >= INT32_MIN && v <= INT32_MAX) return 4;
  return 8;
}

// Binary search: true and *pos = index if found, else *pos = insertion point.
bool Search(const char* is, int64_t v, uint32_t* pos) {
  uint32_t len = Length(is);
  uint32_t w = Width(is);
  uint32_t lo = 0, hi = len;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    int64_t cur = GetWidth(is, w, mid);
    if (cur == v) {
      *pos = mid;
      return true;
    }
    if (cur < v) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  *pos = lo;
  return false;
}

}  // namespace

char* NewEmpty() {
  char* is = static_cast<char*>(std::malloc(kHeaderSize));
  if (is == nullptr) std::abort();
  Store32(is, 2);
  Store32(is + 4, 0);
  return is;
}

char* CopyOf(std::string_view s) {
  char* is = static_cast<char*>(std::malloc(s.size()));
  if (is == nullptr) std::abort();
  std::memcpy(is, s.data(), s.size());
  return is;
}

bool Validate(std::string_view s) {
  if (s.size() < kHeaderSize) return false;
  uint32_t w = Load32(s.data());
  if (w != 2 && w != 4 && w != 8) return false;
  uint64_t len = Load32(s.data() + 4);
  if (kHeaderSize + len * w != s.size()) return false;
  for (uint64_t i = 1; i < len; ++i) {
    if (GetWidth(s.data(), w, static_cast<uint32_t>(i - 1)) >=
        GetWidth(s.data(), w, static_cast<uint32_t>(i))) {
      return false;
    }
  }
  return true;
}

uint32_t Length(const char* is) { return Load32(is + 4); }
size_t Bytes(const char* is) { return kHeaderSize + static_cast<size_t>(Length(is)) * Width(is); }
int64_t Get(const char* is, uint32_t pos) { return GetWidth(is, Width(is), pos); }
int64_t Min(const char* is) { return Get(is, 0); }
int64_t Max(const char* is) { return Get(is, Length(is) - 1); }

bool Find(const char* is, int64_t v, uint32_t* pos) {
  if (WidthFor(v) > Width(is)) return false;
  uint32_t p;
  bool found = Search(is, v, &p);
  if (pos != nullptr) *pos = p;
  return found;
}

char* Add(char* is, int64_t v, bool* added) {
  uint32_t w = Width(is);
  uint32_t len = Length(is);
  uint32_t need = WidthFor(v);
  if (need > w) {
    // Upgrade: the new value is beyond every current one, so it goes first or last.
    char* out = static_cast<char*>(std::malloc(kHeaderSize + static_cast<size_t>(len + 1) * need));
    if (out == nullptr) std::abort();
    Store32(out, need);
    Store32(out + 4, len + 1);
    bool front = v < 0;
    for (uint32_t i = 0; i < len; ++i) SetWidth(out, need, i + (front ? 1 : 0), GetWidth(is, w, i));
    SetWidth(out, need, front ? 0 : len, v);
    std::free(is);
    *added = true;
    return out;
  }
  uint32_t pos;
  if (Search(is, v, &pos)) {
    *added = false;
    return is;
  }
  is = static_cast<char*>(std::realloc(is, kHeaderSize + static_cast<size_t>(len + 1) * w));
  if (is == nullptr) std::abort();
  char* at = is + kHeaderSize + static_cast<size_t>(pos) * w;
  std::memmove(at + w, at, static_cast<size_t>(len - pos) * w);
  SetWidth(is, w, pos, v);
  Store32(is + 4, len + 1);
  *added = true;
  return is;
}

char* Remove(char* is, int64_t v, bool* removed) {
  uint32_t pos;
  if (!Find(is, v, &pos)) {
    *removed = false;
    return is;
  }
  uint32_t w = Width(is);
  uint32_t len = Length(is);
  char* at = is + kHeaderSize + static_cast<size_t>(pos) * w;
  std::memmove(at, at + w, static_cast<size_t>(len - pos - 1) * w);
  Store32(is + 4, len - 1);
  char* shrunk =
      static_cast<char*>(std::realloc(is, kHeaderSize + static_cast<size_t>(len - 1) * w));
  *removed = true;
  return shrunk != nullptr ? shrunk : is;
}

}  // namespace redlink::engine::intset
