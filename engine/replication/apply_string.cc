// Strings and bitmaps: SET and its variants, GETSET/GETDEL/GETEX, APPEND, SETRANGE, the
// INCR family, MSET[NX], SETBIT, BITFIELD, BITOP (Redis t_string.c, bitops.c).
#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "engine/common/strings.h"
#include "engine/replication/apply_internal.h"

namespace redlink::engine::apply {
namespace {

// t_string.c OBJ_* flags.
constexpr int kNx = 1 << 0;
constexpr int kXx = 1 << 1;
constexpr int kEx = 1 << 2;
constexpr int kPx = 1 << 3;
constexpr int kKeepTtl = 1 << 4;
constexpr int kGet = 1 << 5;
constexpr int kExat = 1 << 6;
constexpr int kPxat = 1 << 7;
constexpr int kPersist = 1 << 8;

struct StringArgs {
  int flags = 0;
  bool has_expire = false;
  std::string_view expire;
};

enum class ArgsFor { kSetCommand, kGetCommand };

// parseExtendedStringArgumentsOrReply: the same acceptance rules, including which repeated or
// conflicting options are syntax errors.
absl::Status ParseStringArgs(const Call& c, ArgsFor kind, StringArgs* out) {
  int& f = out->flags;
  bool set = kind == ArgsFor::kSetCommand;
  for (size_t j = set ? 3 : 2; j < c.argc(); ++j) {
    std::string_view opt = c[j];
    bool has_next = j + 1 < c.argc();
    if (set && EqCase(opt, "nx") && !(f & kXx)) {
      f |= kNx;
    } else if (set && EqCase(opt, "xx") && !(f & kNx)) {
      f |= kXx;
    } else if (set && EqCase(opt, "get")) {
      f |= kGet;
    } else if (set && EqCase(opt, "keepttl") && !(f & (kPersist | kEx | kExat | kPx | kPxat))) {
      f |= kKeepTtl;
    } else if (!set && EqCase(opt, "persist") && !(f & (kEx | kExat | kPx | kPxat | kKeepTtl))) {
      f |= kPersist;
    } else if (EqCase(opt, "ex") && !(f & (kKeepTtl | kPersist | kExat | kPx | kPxat)) &&
               has_next) {
      f |= kEx;
      out->expire = c[++j];
      out->has_expire = true;
    } else if (EqCase(opt, "px") && !(f & (kKeepTtl | kPersist | kEx | kExat | kPxat)) &&
               has_next) {
      f |= kPx;
      out->expire = c[++j];
      out->has_expire = true;
    } else if (EqCase(opt, "exat") && !(f & (kKeepTtl | kPersist | kEx | kPx | kPxat)) &&
               has_next) {
      f |= kExat;
      out->expire = c[++j];
      out->has_expire = true;
    } else if (EqCase(opt, "pxat") && !(f & (kKeepTtl | kPersist | kEx | kExat | kPx)) &&
               has_next) {
      f |= kPxat;
      out->expire = c[++j];
      out->has_expire = true;
    } else {
      return Syntax();
    }
  }
  return absl::OkStatus();
}

// getExpireMillisecondsOrReply: the absolute expire time in ms.
absl::Status ExpireMs(const Call& c, std::string_view arg, bool seconds, bool relative,
                      int64_t* ms) {
  int64_t v;
  if (!ParseLL(arg, &v)) return Err(kNotIntegerErr);
  if (v <= 0 || (seconds && v > INT64_MAX / 1000)) {
    return Err(StrCat("ERR invalid expire time in '", c.name, "' command"));
  }
  if (seconds) v *= 1000;
  if (relative) {
    // mstime() + v; an overflow shows as a non-positive result, as in Redis.
    v = static_cast<int64_t>(static_cast<uint64_t>(v) + static_cast<uint64_t>(c.ctx.now_ms));
  }
  if (v <= 0) return Err(StrCat("ERR invalid expire time in '", c.name, "' command"));
  *ms = v;
  return absl::OkStatus();
}

absl::Status ExpireFromFlags(const Call& c, const StringArgs& a, int64_t* ms) {
  bool seconds = (a.flags & (kEx | kExat)) != 0;
  bool relative = (a.flags & (kEx | kPx)) != 0;
  return ExpireMs(c, a.expire, seconds, relative, ms);
}

// setGenericCommand. `value` is stored as Redis would (int-encoded when canonical).
absl::Status SetGeneric(Call& c, int flags, std::string_view key, std::string_view value,
                        bool has_expire, int64_t expire_ms) {
  KeyEntry* old = c.Find(key);
  // SET ... GET fails on a non-string before anything changes.
  if ((flags & kGet) && old != nullptr && obj::Type(old) != ObjType::kString) return WrongType();
  if (((flags & kNx) && old != nullptr) || ((flags & kXx) && old == nullptr)) {
    return absl::OkStatus();
  }
  int64_t exp = obj::kNoExpire;
  if ((flags & kKeepTtl) && old != nullptr) exp = obj::Expire(old);
  if (has_expire) exp = expire_ms;
  KeyEntry* fresh = obj::NewString(key, value, exp);
  if (old != nullptr) {
    c.ks.Relink(c.db(), old, fresh);
  } else {
    c.ks.Add(c.db(), fresh);
  }
  return absl::OkStatus();
}

// getLongLongFromObject on a string value.
bool StringToLL(const KeyEntry* e, int64_t* v) {
  if (obj::Enc(e) == Encoding::kInt) {
    *v = obj::IntValue(e);
    return true;
  }
  char buf[24];
  return ParseLL(obj::StringValue(e, buf), v);
}

// incrDecrCommand: the TTL stays (dbOverwrite keeps the expire).
absl::Status IncrDecr(Call& c, int64_t incr) {
  std::string_view key = c[1];
  KeyEntry* e = c.Find(key);
  if (absl::Status s = CheckType(e, ObjType::kString); !s.ok()) return s;
  int64_t value = 0;
  if (e != nullptr && !StringToLL(e, &value)) return Err(kNotIntegerErr);
  if ((incr < 0 && value < 0 && incr < (INT64_MIN - value)) ||
      (incr > 0 && value > 0 && incr > (INT64_MAX - value))) {
    return Err("ERR increment or decrement would overflow");
  }
  value += incr;
  char buf[24];
  std::string_view text = IntToText(value, buf);
  if (e != nullptr) {
    c.ks.Relink(c.db(), e, obj::NewString(key, text, obj::Expire(e)));
  } else {
    c.ks.Add(c.db(), obj::NewString(key, text, obj::kNoExpire));
  }
  return absl::OkStatus();
}

// Makes `key` a growable string of at least `len` bytes (zero padded), creating it if absent:
// lookupStringForBitCommand / SETRANGE's sdsgrowzero. The type was checked by the caller.
KeyEntry* GrowString(Call& c, std::string_view key, KeyEntry* e, size_t len) {
  if (e == nullptr) {
    e = obj::NewRawString(key, std::string_view(), obj::kNoExpire);
    c.ks.Add(c.db(), e);
  }
  char buf[24];
  size_t old_len = obj::StringValue(e, buf).size();
  if (obj::Enc(e) == Encoding::kRaw && old_len >= len) return e;
  e = c.ks.MakeRawString(c.db(), e, std::max(len, old_len));
  if (len > old_len) {
    c.ks.Edit(e, [&] {
      RawString* r = obj::Raw(e);
      std::memset(r->data + r->len, 0, len - r->len);
      r->len = len;
    });
  }
  return e;
}

// getBitOffsetFromArgument (a master's offsets are not limited by proto-max-bulk-len).
absl::Status BitOffset(std::string_view arg, bool hash, int bits, uint64_t* offset) {
  constexpr std::string_view kErr = "ERR bit offset is not an integer or out of range";
  bool use_hash = hash && bits > 0 && !arg.empty() && arg[0] == '#';
  int64_t v;
  if (!ParseLL(use_hash ? arg.substr(1) : arg, &v)) return Err(kErr);
  if (use_hash) {
    if (v != 0 && (v > INT64_MAX / bits || v < INT64_MIN / bits)) return Err(kErr);
    v *= bits;
  }
  if (v < 0) return Err(kErr);
  *offset = static_cast<uint64_t>(v);
  return absl::OkStatus();
}

// ---- BITFIELD (bitops.c) -----------------------------------------------------------------------

void SetUnsignedBits(unsigned char* p, uint64_t offset, uint64_t bits, uint64_t value) {
  for (uint64_t j = 0; j < bits; ++j) {
    uint64_t bitval = (value & (uint64_t{1} << (bits - 1 - j))) != 0;
    uint64_t byte = offset >> 3;
    uint64_t bit = 7 - (offset & 7);
    uint64_t byteval = p[byte];
    byteval &= ~(uint64_t{1} << bit);
    byteval |= bitval << bit;
    p[byte] = static_cast<unsigned char>(byteval & 0xff);
    ++offset;
  }
}

uint64_t GetUnsignedBits(const unsigned char* p, uint64_t offset, uint64_t bits) {
  uint64_t value = 0;
  for (uint64_t j = 0; j < bits; ++j) {
    uint64_t byte = offset >> 3;
    uint64_t bit = 7 - (offset & 7);
    value = (value << 1) | ((p[byte] >> bit) & 1);
    ++offset;
  }
  return value;
}

int64_t GetSignedBits(const unsigned char* p, uint64_t offset, uint64_t bits) {
  uint64_t u = GetUnsignedBits(p, offset, bits);
  if (bits < 64 && (u & (uint64_t{1} << (bits - 1)))) u |= ~uint64_t{0} << bits;
  return static_cast<int64_t>(u);
}

enum Overflow { kWrap = 0, kSat = 1, kFail = 2 };

// checkUnsignedBitfieldOverflow.
int CheckUnsignedOverflow(uint64_t value, int64_t incr, uint64_t bits, int ow, uint64_t* limit) {
  uint64_t max = bits == 64 ? UINT64_MAX : ((uint64_t{1} << bits) - 1);
  int64_t maxincr = static_cast<int64_t>(max - value);
  int64_t minincr = static_cast<int64_t>(0 - value);
  auto wrap = [&] {
    uint64_t mask = ~uint64_t{0} << bits;
    *limit = (value + static_cast<uint64_t>(incr)) & ~mask;
  };
  if (value > max || (incr > 0 && incr > maxincr)) {
    if (ow == kWrap) {
      wrap();
    } else if (ow == kSat) {
      *limit = max;
    }
    return 1;
  }
  if (incr < 0 && incr < minincr) {
    if (ow == kWrap) {
      wrap();
      return 1;
    }
    if (ow == kSat) *limit = 0;
    return -1;
  }
  return 0;
}

// checkSignedBitfieldOverflow.
int CheckSignedOverflow(int64_t value, int64_t incr, uint64_t bits, int ow, int64_t* limit) {
  int64_t max = bits == 64 ? INT64_MAX : ((int64_t{1} << (bits - 1)) - 1);
  int64_t min = -max - 1;
  int64_t maxincr = static_cast<int64_t>(static_cast<uint64_t>(max) - static_cast<uint64_t>(value));
  int64_t minincr = static_cast<int64_t>(static_cast<uint64_t>(min) - static_cast<uint64_t>(value));
  auto wrap = [&] {
    uint64_t msb = uint64_t{1} << (bits - 1);
    uint64_t r = static_cast<uint64_t>(value) + static_cast<uint64_t>(incr);
    if (bits < 64) {
      uint64_t mask = ~uint64_t{0} << bits;
      r = (r & msb) ? (r | mask) : (r & ~mask);
    }
    *limit = static_cast<int64_t>(r);
  };
  if (value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr)) {
    if (ow == kWrap) {
      wrap();
    } else if (ow == kSat) {
      *limit = max;
    }
    return 1;
  }
  if (value < min || (bits != 64 && incr < minincr) || (value < 0 && incr < 0 && incr < minincr)) {
    if (ow == kWrap) {
      wrap();
      return 1;
    }
    if (ow == kSat) *limit = min;
    return -1;
  }
  return 0;
}

struct BitfieldOp {
  uint64_t offset = 0;
  int64_t i64;
  int opcode;  // 0 GET, 1 SET, 2 INCRBY
  int owtype;
  int bits;
  bool sign;
};

}  // namespace

// SET key value [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL]; a master sends
// "SET k v PXAT <ms>" or "SET k v KEEPTTL" (setGenericCommand rewrites).
absl::Status SetCmd(Call& c) {
  StringArgs a;
  if (absl::Status s = ParseStringArgs(c, ArgsFor::kSetCommand, &a); !s.ok()) return s;
  int64_t ms = 0;
  if (a.has_expire) {
    if (absl::Status s = ExpireFromFlags(c, a, &ms); !s.ok()) return s;
  }
  return SetGeneric(c, a.flags, c[1], c[2], a.has_expire, ms);
}

absl::Status SetnxCmd(Call& c) { return SetGeneric(c, kNx, c[1], c[2], false, 0); }

absl::Status SetexCmd(Call& c) {
  int64_t ms = 0;
  if (absl::Status s = ExpireMs(c, c[2], true, true, &ms); !s.ok()) return s;
  return SetGeneric(c, 0, c[1], c[3], true, ms);
}

absl::Status PsetexCmd(Call& c) {
  int64_t ms = 0;
  if (absl::Status s = ExpireMs(c, c[2], false, true, &ms); !s.ok()) return s;
  return SetGeneric(c, 0, c[1], c[3], true, ms);
}

// GETSET key value: SET without TTL after a type check.
absl::Status GetsetCmd(Call& c) {
  if (absl::Status s = CheckType(c.Find(c[1]), ObjType::kString); !s.ok()) return s;
  return SetGeneric(c, 0, c[1], c[2], false, 0);
}

absl::Status GetdelCmd(Call& c) {
  KeyEntry* e = c.Find(c[1]);
  if (e == nullptr) return absl::OkStatus();
  if (absl::Status s = CheckType(e, ObjType::kString); !s.ok()) return s;
  c.ks.Delete(c.db(), c[1]);
  return absl::OkStatus();
}

// GETEX key [EX|PX|EXAT|PXAT t|PERSIST]. A master propagates it as PEXPIREAT/PERSIST/DEL; on a
// replica an EXAT/PXAT in the past still sets the TTL (checkAlreadyExpired is false there).
absl::Status GetexCmd(Call& c) {
  StringArgs a;
  if (absl::Status s = ParseStringArgs(c, ArgsFor::kGetCommand, &a); !s.ok()) return s;
  KeyEntry* e = c.Find(c[1]);
  if (e == nullptr) return absl::OkStatus();
  if (absl::Status s = CheckType(e, ObjType::kString); !s.ok()) return s;
  if (a.has_expire) {
    int64_t ms = 0;
    if (absl::Status s = ExpireFromFlags(c, a, &ms); !s.ok()) return s;
    c.ks.SetExpire(c.db(), e, ms);
  } else if (a.flags & kPersist) {
    if (obj::HasExpire(e)) c.ks.SetExpire(c.db(), e, obj::kNoExpire);
  }
  return absl::OkStatus();
}

absl::Status AppendCmd(Call& c) {
  std::string_view key = c[1], add = c[2];
  KeyEntry* e = c.Find(key);
  if (e == nullptr) {
    c.ks.Add(c.db(), obj::NewString(key, add, obj::kNoExpire));
    return absl::OkStatus();
  }
  if (absl::Status s = CheckType(e, ObjType::kString); !s.ok()) return s;
  if (add.empty()) return absl::OkStatus();
  char buf[24];
  size_t old_len = obj::StringValue(e, buf).size();
  e = c.ks.MakeRawString(c.db(), e, old_len + add.size());
  c.ks.Edit(e, [&] {
    RawString* r = obj::Raw(e);
    std::memcpy(r->data + r->len, add.data(), add.size());
    r->len += add.size();
  });
  return absl::OkStatus();
}

absl::Status SetrangeCmd(Call& c) {
  std::string_view key = c[1], value = c[3];
  int64_t offset;
  if (absl::Status s = GetLong(c[2], &offset); !s.ok()) return s;
  if (offset < 0) return Err("ERR offset is out of range");
  KeyEntry* e = c.Find(key);
  if (absl::Status s = CheckType(e, ObjType::kString); !s.ok()) return s;
  if (value.empty()) return absl::OkStatus();
  size_t end = static_cast<size_t>(offset) + value.size();
  e = GrowString(c, key, e, end);
  c.ks.Edit(e, [&] { std::memcpy(obj::Raw(e)->data + offset, value.data(), value.size()); });
  return absl::OkStatus();
}

absl::Status IncrCmd(Call& c) { return IncrDecr(c, 1); }
absl::Status DecrCmd(Call& c) { return IncrDecr(c, -1); }

absl::Status IncrbyCmd(Call& c) {
  int64_t incr;
  if (absl::Status s = GetLL(c[2], &incr); !s.ok()) return s;
  return IncrDecr(c, incr);
}

absl::Status DecrbyCmd(Call& c) {
  int64_t incr;
  if (absl::Status s = GetLL(c[2], &incr); !s.ok()) return s;
  if (incr == INT64_MIN) return Err("ERR decrement would overflow");
  return IncrDecr(c, -incr);
}

// INCRBYFLOAT (a master propagates "SET k <result> KEEPTTL"): long double arithmetic and
// ld2string's human format, the TTL kept.
absl::Status IncrbyfloatCmd(Call& c) {
  std::string_view key = c[1];
  KeyEntry* e = c.Find(key);
  if (absl::Status s = CheckType(e, ObjType::kString); !s.ok()) return s;
  long double value = 0, incr;
  if (e != nullptr) {
    char buf[24];
    if (!ParseLongDouble(obj::StringValue(e, buf), &value)) return Err(kNotFloatErr);
  }
  if (!ParseLongDouble(c[2], &incr)) return Err(kNotFloatErr);
  value += incr;
  char text[5 * 1024];
  size_t len;
  if (!LongDoubleToHuman(value, text, sizeof(text), &len)) {
    return Err("ERR increment would produce NaN or Infinity");
  }
  std::string_view v(text, len);
  if (e != nullptr) {
    c.ks.Relink(c.db(), e, obj::NewString(key, v, obj::Expire(e)));
  } else {
    c.ks.Add(c.db(), obj::NewString(key, v, obj::kNoExpire));
  }
  return absl::OkStatus();
}

absl::Status MsetCmd(Call& c) {
  if (c.argc() % 2 == 0) return ArityErr(c.name);
  for (size_t j = 1; j < c.argc(); j += 2) {
    c.ks.Put(c.db(), obj::NewString(c[j], c[j + 1], obj::kNoExpire));
  }
  return absl::OkStatus();
}

absl::Status MsetnxCmd(Call& c) {
  if (c.argc() % 2 == 0) return ArityErr(c.name);
  for (size_t j = 1; j < c.argc(); j += 2) {
    if (c.Find(c[j]) != nullptr) return absl::OkStatus();
  }
  return MsetCmd(c);
}

absl::Status SetbitCmd(Call& c) {
  constexpr std::string_view kBitErr = "ERR bit is not an integer or out of range";
  uint64_t offset = 0;
  if (absl::Status s = BitOffset(c[2], false, 0, &offset); !s.ok()) return s;
  int64_t on;
  if (absl::Status s = GetLong(c[3], &on, kBitErr); !s.ok()) return s;
  if (on & ~int64_t{1}) return Err(kBitErr);
  KeyEntry* e = c.Find(c[1]);
  if (absl::Status s = CheckType(e, ObjType::kString); !s.ok()) return s;
  size_t byte = offset >> 3;
  e = GrowString(c, c[1], e, byte + 1);
  unsigned bit = 7 - static_cast<unsigned>(offset & 7);
  c.ks.Edit(e, [&] {
    auto* p = reinterpret_cast<unsigned char*>(obj::Raw(e)->data);
    p[byte] =
        static_cast<unsigned char>((p[byte] & ~(1u << bit)) | (static_cast<unsigned>(on) << bit));
  });
  return absl::OkStatus();
}

// BITFIELD key [GET type off] [SET type off v] [INCRBY type off incr] [OVERFLOW WRAP|SAT|FAIL]
absl::Status BitfieldCmd(Call& c) {
  constexpr std::string_view kTypeErr =
      "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but "
      "i64 is.";
  BitfieldOp ops_small[8];
  std::vector<BitfieldOp> ops_big;
  size_t numops = 0;
  auto push = [&](const BitfieldOp& op) {
    if (numops < 8) {
      ops_small[numops] = op;
    } else {
      if (numops == 8) ops_big.assign(ops_small, ops_small + 8);
      ops_big.push_back(op);
    }
    ++numops;
  };
  int owtype = kWrap;
  bool readonly = true;
  uint64_t highest_write = 0;
  for (size_t j = 2; j < c.argc(); ++j) {
    size_t rem = c.argc() - j - 1;
    std::string_view sub = c[j];
    int opcode;
    if (EqCase(sub, "get") && rem >= 2) {
      opcode = 0;
    } else if (EqCase(sub, "set") && rem >= 3) {
      opcode = 1;
    } else if (EqCase(sub, "incrby") && rem >= 3) {
      opcode = 2;
    } else if (EqCase(sub, "overflow") && rem >= 1) {
      std::string_view t = c[++j];
      if (EqCase(t, "wrap")) {
        owtype = kWrap;
      } else if (EqCase(t, "sat")) {
        owtype = kSat;
      } else if (EqCase(t, "fail")) {
        owtype = kFail;
      } else {
        return Err("ERR Invalid OVERFLOW type specified");
      }
      continue;
    } else {
      return Syntax();
    }
    // getBitfieldTypeFromArgument.
    std::string_view type = c[j + 1];
    bool sign;
    if (!type.empty() && type[0] == 'i') {
      sign = true;
    } else if (!type.empty() && type[0] == 'u') {
      sign = false;
    } else {
      return Err(kTypeErr);
    }
    int64_t bits;
    if (!ParseLL(type.substr(1), &bits) || bits < 1 || (sign && bits > 64) ||
        (!sign && bits > 63)) {
      return Err(kTypeErr);
    }
    uint64_t offset = 0;
    if (absl::Status s = BitOffset(c[j + 2], true, static_cast<int>(bits), &offset); !s.ok()) {
      return s;
    }
    int64_t i64 = 0;
    if (opcode != 0) {
      readonly = false;
      highest_write = std::max(highest_write, offset + static_cast<uint64_t>(bits) - 1);
      if (absl::Status s = GetLL(c[j + 3], &i64); !s.ok()) return s;
    }
    push(BitfieldOp{offset, i64, opcode, owtype, static_cast<int>(bits), sign});
    j += opcode == 0 ? 2 : 3;
  }
  KeyEntry* e = c.Find(c[1]);
  if (absl::Status s = CheckType(e, ObjType::kString); !s.ok()) return s;
  if (readonly) return absl::OkStatus();  // GETs only: nothing to apply
  e = GrowString(c, c[1], e, (highest_write >> 3) + 1);
  const BitfieldOp* ops = numops <= 8 ? ops_small : ops_big.data();
  c.ks.Edit(e, [&] {
    auto* p = reinterpret_cast<unsigned char*>(obj::Raw(e)->data);
    for (size_t k = 0; k < numops; ++k) {
      const BitfieldOp& op = ops[k];
      if (op.opcode == 0) continue;  // GET reads nothing we store
      uint64_t bits = static_cast<uint64_t>(op.bits);
      if (op.sign) {
        int64_t oldval = GetSignedBits(p, op.offset, bits);
        int64_t newval, wrapped = 0;
        int overflow;
        if (op.opcode == 2) {
          overflow = CheckSignedOverflow(oldval, op.i64, bits, op.owtype, &wrapped);
          newval = overflow ? wrapped
                            : static_cast<int64_t>(static_cast<uint64_t>(oldval) +
                                                   static_cast<uint64_t>(op.i64));
        } else {
          newval = op.i64;
          overflow = CheckSignedOverflow(newval, 0, bits, op.owtype, &wrapped);
          if (overflow) newval = wrapped;
        }
        if (!(overflow && op.owtype == kFail)) {
          SetUnsignedBits(p, op.offset, bits, static_cast<uint64_t>(newval));
        }
      } else {
        uint64_t oldval = GetUnsignedBits(p, op.offset, bits);
        uint64_t newval, wrapped = 0;
        int overflow;
        if (op.opcode == 2) {
          newval = oldval + static_cast<uint64_t>(op.i64);
          overflow = CheckUnsignedOverflow(oldval, op.i64, bits, op.owtype, &wrapped);
          if (overflow) newval = wrapped;
        } else {
          newval = static_cast<uint64_t>(op.i64);
          overflow = CheckUnsignedOverflow(newval, 0, bits, op.owtype, &wrapped);
          if (overflow) newval = wrapped;
        }
        if (!(overflow && op.owtype == kFail)) SetUnsignedBits(p, op.offset, bits, newval);
      }
    }
  });
  return absl::OkStatus();
}

// BITOP AND|OR|XOR|NOT dest key...: missing keys are empty strings; the result replaces dest
// (without TTL), or an empty result deletes it.
absl::Status BitopCmd(Call& c) {
  std::string_view op = c[1];
  int kind;
  if (EqCase(op, "and")) {
    kind = 0;
  } else if (EqCase(op, "or")) {
    kind = 1;
  } else if (EqCase(op, "xor")) {
    kind = 2;
  } else if (EqCase(op, "not")) {
    kind = 3;
  } else {
    return Syntax();
  }
  if (kind == 3 && c.argc() != 4)
    return Err("ERR BITOP NOT must be called with a single source key.");
  size_t numkeys = c.argc() - 3;
  // Sources, rendered (int-encoded strings into per-source buffers).
  std::vector<std::string_view> src(numkeys);
  std::vector<std::array<char, 24>> intbuf(numkeys);
  size_t maxlen = 0;
  for (size_t j = 0; j < numkeys; ++j) {
    KeyEntry* e = c.Find(c[j + 3]);
    if (e == nullptr) continue;
    if (obj::Type(e) != ObjType::kString) return WrongType();
    src[j] = obj::StringValue(e, intbuf[j].data());
    maxlen = std::max(maxlen, src[j].size());
  }
  std::string_view dest = c[2];
  if (maxlen == 0) {
    c.ks.Delete(c.db(), dest);
    return absl::OkStatus();
  }
  std::string& res = Scratch(0);
  res.assign(maxlen, '\0');
  for (size_t i = 0; i < maxlen; ++i) {
    auto byte_of = [&](size_t k) -> unsigned char {
      return i < src[k].size() ? static_cast<unsigned char>(src[k][i]) : 0;
    };
    unsigned char out = byte_of(0);
    if (kind == 3) out = static_cast<unsigned char>(~out);
    for (size_t k = 1; k < numkeys; ++k) {
      unsigned char b = byte_of(k);
      if (kind == 0) {
        out &= b;
      } else if (kind == 1) {
        out |= b;
      } else {
        out ^= b;
      }
    }
    res[i] = static_cast<char>(out);
  }
  c.ks.Put(c.db(), obj::NewString(dest, res, obj::kNoExpire));
  return absl::OkStatus();
}

}  // namespace redlink::engine::apply
