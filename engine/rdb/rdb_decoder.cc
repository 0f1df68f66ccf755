// Streaming RDB decoder (protocol doc §6). See rdb_decoder.h for the contract.
//
// Design. The whole decode is one C++20 coroutine (Impl::Run) written as a plain recursive-descent
// reader of the file format. Every read that may run out of input is a non-suspending "try" step
// that either completes or reports kMore; the AWAIT macro suspends the coroutine on kMore, and the
// next Feed() resumes it at the same step. Steps are restartable: fixed-size reads only peek until
// all their bytes are buffered (NEED semantics), and string bodies keep their progress in a Slot.
// Only one coroutine frame exists per decoder, so nothing is allocated per record.
//
// Input. The decoder reads from a "window": normally the caller's chunk, read in place. When a
// fixed-size field straddles two chunks, its bytes are gathered in a small carry buffer (at most
// the bytes of that field, < 32). A string that straddles chunks is appended to its Slot's own
// buffer as its bytes arrive (never reserved from the announced length). A string that lies
// entirely inside the window is returned as a view of the caller's bytes; before those bytes go
// away (suspension) or move (carry buffer rewritten) such views are copied into their Slot
// ("pinning"), so a key read in one chunk is still valid when its value completes in a later one.
//
// CRC64 is computed lazily over each window's consumed range (FlushCrc) whenever the window
// changes, the coroutine suspends, or the EOF opcode is read, so the checksum runs over large
// spans at table speed rather than byte by byte.

#include "engine/rdb/rdb_decoder.h"

#include <algorithm>
#include <cmath>
#include <coroutine>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/charconv.h"
#include "absl/strings/escaping.h"
#include "engine/common/status_macros.h"
#include "engine/common/strings.h"
#include "engine/encoding/listpack.h"
#include "engine/rdb/crc64.h"
#include "engine/rdb/intset.h"
#include "engine/rdb/lzf.h"
#include "engine/rdb/ziplist.h"
#include "engine/rdb/zipmap.h"

namespace redlink::engine::rdb {
namespace {

// Opcodes (rdb.h RDB_OPCODE_*).
constexpr uint8_t kOpSlotInfo = 244;
constexpr uint8_t kOpFunction2 = 245;
constexpr uint8_t kOpFunctionPreGa = 246;
constexpr uint8_t kOpModuleAux = 247;
constexpr uint8_t kOpIdle = 248;
constexpr uint8_t kOpFreq = 249;
constexpr uint8_t kOpAux = 250;
constexpr uint8_t kOpResizeDb = 251;
constexpr uint8_t kOpExpireTimeMs = 252;
constexpr uint8_t kOpExpireTime = 253;
constexpr uint8_t kOpSelectDb = 254;
constexpr uint8_t kOpEof = 255;

// Object types (rdb.h RDB_TYPE_*).
constexpr uint8_t kTypeString = 0;
constexpr uint8_t kTypeList = 1;
constexpr uint8_t kTypeSet = 2;
constexpr uint8_t kTypeZset = 3;
constexpr uint8_t kTypeHash = 4;
constexpr uint8_t kTypeZset2 = 5;
constexpr uint8_t kTypeModulePreGa = 6;
constexpr uint8_t kTypeModule2 = 7;
constexpr uint8_t kTypeHashZipmap = 9;
constexpr uint8_t kTypeListZiplist = 10;
constexpr uint8_t kTypeSetIntset = 11;
constexpr uint8_t kTypeZsetZiplist = 12;
constexpr uint8_t kTypeHashZiplist = 13;
constexpr uint8_t kTypeListQuicklist = 14;
constexpr uint8_t kTypeStreamListpacks = 15;
constexpr uint8_t kTypeHashListpack = 16;
constexpr uint8_t kTypeZsetListpack = 17;
constexpr uint8_t kTypeListQuicklist2 = 18;
constexpr uint8_t kTypeStreamListpacks2 = 19;
constexpr uint8_t kTypeSetListpack = 20;
constexpr uint8_t kTypeStreamListpacks3 = 21;
constexpr uint8_t kTypeHashMetadataPreGa = 22;
constexpr uint8_t kTypeHashListpackExPreGa = 23;
constexpr uint8_t kTypeHashMetadata = 24;
constexpr uint8_t kTypeHashListpackEx = 25;

// rdbIsObjectType() of Redis 7.4: 0..7 and 9..25.
bool IsObjectType(uint8_t t) { return t <= 7 || (t >= 9 && t <= 25); }

constexpr int kMaxVersion = 12;
constexpr int kFirstVersionWithChecksum = 5;
// Field TTLs are at most 2^48 - 1 ms (ebuckets.h EB_EXPIRE_TIME_MAX).
constexpr uint64_t kExpireTimeMax = (uint64_t{1} << 48) - 1;
// Quicklist node containers (quicklist.h QUICKLIST_NODE_CONTAINER_*).
constexpr uint64_t kContainerPlain = 1;
constexpr uint64_t kContainerPacked = 2;
// Stream entry flags (t_stream.c STREAM_ITEM_FLAG_*).
constexpr int64_t kStreamFlagDeleted = 1;
constexpr int64_t kStreamFlagSameFields = 2;
// A Slot keeps at most this much buffer capacity between strings.
constexpr size_t kRetainedCapacity = 1 << 20;
// listpack::Entry::AsString needs 21 bytes for an int64 in decimal.
constexpr size_t kIntBuf = 21;

uint64_t LoadLE64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);  // little-endian hosts only (x86_64, aarch64)
  return v;
}

uint64_t LoadBE64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

uint32_t LoadBE32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

// The 9-character module type name encoded in the top 54 bits of a module id, as
// moduleTypeNameByID() (the low 10 bits are the encoding version).
std::string ModuleName(uint64_t id) {
  static constexpr char kCharset[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string name(9, '?');
  id >>= 10;
  for (int i = 8; i >= 0; --i) {
    name[i] = kCharset[id & 63];
    id >>= 6;
  }
  return name;
}

// A key or name for an error message: C-escaped, at most 64 bytes of it.
std::string Printable(std::string_view s) {
  constexpr size_t kMax = 64;
  std::string out = absl::CHexEscape(ToAbsl(s.substr(0, kMax)));
  if (s.size() > kMax) out += "...";
  return out;
}

// A zset score stored as a string (listpack, ziplist): Redis reads it with strtod() over at most
// 127 bytes (zzlStrtod). Writers use "%.17g" or "inf"/"-inf", so we require the whole string to
// parse; NaN is rejected as rdbLoadObject() rejects NaN scores.
bool ParseScore(std::string_view s, double* out) {
  char buf[128];
  if (s.empty() || s.size() >= sizeof(buf)) return false;
  // Fast path: absl::from_chars matches strtod() for what Redis writes, without its cost.
  double v;
  absl::from_chars_result r = absl::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec == std::errc() && r.ptr == s.data() + s.size()) {
    if (std::isnan(v)) return false;
    *out = v;
    return true;
  }
  // Overflow, a leading '+' or blank, hex: strtod() decides, as in zzlStrtod().
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  char* end = nullptr;
  double d = std::strtod(buf, &end);
  if (end != buf + s.size() || std::isnan(d)) return false;
  *out = d;
  return true;
}

bool ScoreOf(const listpack::Entry& e, double* out) {
  if (e.is_int) {
    *out = static_cast<double>(e.ival);
    return true;
  }
  return ParseScore(e.sval, out);
}

// An integer listpack element; Redis also accepts a string that is a canonical integer
// (lpGetIntegerIfValid).
bool IntOf(const listpack::Entry& e, int64_t* out) {
  if (e.is_int) {
    *out = e.ival;
    return true;
  }
  return listpack::StringToInt64Strict(e.sval, out);
}

// A list of string views over listpack elements. Integer elements are rendered in decimal into
// one buffer that grows to the exact size needed (views into it are made once it stops growing),
// so memory stays proportional to the elements actually present, whatever counts a node claims.
class ViewList {
 public:
  void Clear() {
    views_.clear();
    ints_.clear();
    digits_.clear();
  }
  void Add(const listpack::Entry& e) {
    if (!e.is_int) {
      views_.push_back(e.sval);
      return;
    }
    char buf[kIntBuf];
    char* end = absl::numbers_internal::FastIntToBuffer(e.ival, buf);
    ints_.push_back({static_cast<uint32_t>(views_.size()), static_cast<uint32_t>(digits_.size()),
                     static_cast<uint32_t>(end - buf)});
    digits_.append(buf, end);
    views_.emplace_back();
  }
  void Add(std::string_view v) { views_.push_back(v); }
  // Points the integer views at their digits; call after the last Add().
  std::span<const std::string_view> Finish() {
    for (const IntRef& r : ints_) views_[r.index] = std::string_view(digits_.data() + r.at, r.len);
    ints_.clear();
    return views_;
  }
  const std::string_view& operator[](size_t i) const { return views_[i]; }
  size_t size() const { return views_.size(); }
  // Drops the capacity an outsized entry left behind.
  void Trim() {
    if (views_.capacity() > 65536) std::vector<std::string_view>().swap(views_);
    if (ints_.capacity() > 65536) std::vector<IntRef>().swap(ints_);
    if (digits_.capacity() > kRetainedCapacity) std::string().swap(digits_);
  }

 private:
  struct IntRef {
    uint32_t index, at, len;  // listpacks are < 4 GB, so 32 bits suffice
  };
  std::vector<std::string_view> views_;
  std::vector<IntRef> ints_;
  std::string digits_;
};

// The coroutine type: starts suspended, stays suspended at the end so Impl can read its state and
// destroy it (destroying a suspended frame runs the destructors of its live locals).
struct Task {
  struct promise_type {
    Task get_return_object() {
      return Task{std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }  // we never throw
  };
  std::coroutine_handle<promise_type> handle;
};

// Result of a resumable step.
enum class Res : uint8_t { kDone, kMore, kError };

}  // namespace

// Runs a step until it completes; suspends the coroutine while it needs more input; returns from
// the coroutine on error (error_ is set).
#define AWAIT(expr)                                   \
  for (;;) {                                          \
    Res redlink_await_res_ = (expr);                  \
    if (redlink_await_res_ == Res::kDone) break;      \
    if (redlink_await_res_ == Res::kError) co_return; \
    PrepareSuspend();                                 \
    co_await std::suspend_always{};                   \
  }

// Ends the coroutine with `expr`'s status if it is an error (sink errors pass through unchanged).
#define CO_RETURN_IF_ERROR(expr)              \
  do {                                        \
    absl::Status redlink_co_status_ = (expr); \
    if (!redlink_co_status_.ok()) {           \
      error_ = std::move(redlink_co_status_); \
      co_return;                              \
    }                                         \
  } while (0)

// Ends the coroutine with a DATA_LOSS error at `offset`.
#define CO_FAIL(offset, ...)                 \
  do {                                       \
    error_ = Corrupt((offset), __VA_ARGS__); \
    co_return;                               \
  } while (0)

class RdbDecoder::Impl {
 public:
  Impl(RdbSink* sink, DecoderOptions options) : sink_(sink), options_(options) { task_ = Run(); }
  ~Impl() {
    if (task_.handle) task_.handle.destroy();
  }

  absl::StatusOr<size_t> Feed(std::string_view data);
  absl::Status Finish();
  bool done() const { return done_; }
  uint64_t bytes_consumed() const { return fed_; }
  int rdb_version() const { return version_; }

 private:
  // A string being read, and where its bytes are: `view` points into the input window or into
  // `own`. Reading is resumable: `phase` and `remaining` keep the progress of a body that spans
  // chunks.
  struct Slot {
    std::string_view view;
    bool owned = false;  // view points into own/lzf_out (else into the input)
    std::string own;
    std::unique_ptr<char[]> lzf_out;  // decompressed LZF strings (not zero-filled)
    size_t lzf_cap = 0;
    uint8_t phase = 0;  // kPhaseHeader, kPhaseRaw, kPhaseLzf
    uint64_t remaining = 0;
    uint64_t lzf_len = 0;
    uint64_t offset = 0;  // RDB offset of the string's first byte, for error messages
  };
  static constexpr uint8_t kPhaseHeader = 0;
  static constexpr uint8_t kPhaseRaw = 1;
  static constexpr uint8_t kPhaseLzf = 2;

  Task Run();

  // ---- Input window ----
  size_t avail() const { return static_cast<size_t>(end_ - p_); }
  uint64_t Offset(const char* p) const {
    return win_offset_ + static_cast<uint64_t>(p - win_begin_);
  }
  uint64_t Pos() const { return Offset(p_); }
  // True once `n` unread bytes are contiguous at p_ (possibly by gathering them in the carry).
  bool Need(size_t n) { return avail() >= n || NeedSlow(n); }
  Res NeedR(size_t n) { return Need(n) ? Res::kDone : Res::kMore; }
  bool NeedSlow(size_t n);
  // The window is exhausted: continue in the chunk if the window was the carry. False if there
  // is no unread input at all.
  bool Advance();
  void SetWindow(const char* begin, const char* end, uint64_t offset);
  void FlushCrc() {
    if (crc_on_ && p_ != crc_mark_)
      crc_ = Crc64(crc_, crc_mark_, static_cast<size_t>(p_ - crc_mark_));
    crc_mark_ = p_;
  }
  bool InInput(std::string_view v) const;
  void Pin(Slot* s);
  void PinSlots() {
    Pin(&key_);
    Pin(&a_);
    Pin(&b_);
  }
  void PrepareSuspend() {
    FlushCrc();
    PinSlots();
  }

  // ---- Resumable steps ----
  Res PeekLen(size_t at, uint64_t* v, size_t* used);
  Res ReadLen(uint64_t* v);
  Res ReadString(Slot* s);
  Res Decompress(Slot* s, std::string_view in);
  Res ReadAsciiDouble(double* out);

  // ---- Non-suspending value decoders (the value's blob is complete in b_) ----
  absl::Status EmitBlob();
  absl::Status EmitZiplistPairs(bool zset, std::string_view zl, uint32_t count);
  absl::Status EmitListpackPairs(bool zset, std::string_view lp, uint32_t count);
  absl::Status EmitHashListpackEx(std::string_view lp, uint32_t count);
  absl::Status EmitQuicklistNode();
  absl::Status BeginListOnce(uint64_t hint);
  absl::Status EmitStreamNode();

  // ---- Errors ----
  std::string KeyContext() const;
  absl::Status Corrupt(uint64_t offset, std::string_view what, std::string_view detail = {}) const;
  Res Fail(uint64_t offset, std::string_view what, std::string_view detail = {}) {
    error_ = Corrupt(offset, what, detail);
    return Res::kError;
  }
  absl::Status BlobError(std::string_view what, const absl::Status& detail) const {
    return Corrupt(b_.offset, what, FromAbsl(detail.message()));
  }

  RdbSink* const sink_;
  const DecoderOptions options_;
  Task task_;
  absl::Status error_;
  bool done_ = false;
  bool in_feed_ = false;
  int version_ = 0;

  // Window over the input: [p_, end_) unread; win_begin_ is at RDB offset win_offset_.
  const char* p_ = nullptr;
  const char* end_ = nullptr;
  const char* win_begin_ = nullptr;
  uint64_t win_offset_ = 0;
  bool in_carry_ = false;  // the window is carry_ (then the chunk's unread bytes start at chunk_p_)
  std::string carry_;
  const char* chunk_begin_ = nullptr;
  const char* chunk_p_ = nullptr;
  const char* chunk_end_ = nullptr;
  uint64_t chunk_offset_ = 0;
  uint64_t fed_ = 0;  // bytes taken from the caller so far

  uint64_t crc_ = 0;
  const char* crc_mark_ = nullptr;  // window bytes before this are already in crc_
  bool crc_on_ = true;

  // Strings: the current key, and two scratch strings (field/member/name and value/blob).
  Slot key_, a_, b_;
  std::string lzf_in_;  // compressed bytes of an LZF string that spans chunks

  // Record state (members, so they survive suspension inside the coroutine).
  KeyMeta meta_;
  bool in_key_ = false;
  uint8_t type_ = 0;
  uint64_t op_offset_ = 0;
  uint64_t n_ = 0, m_ = 0, k_ = 0;
  uint64_t i_ = 0, j_ = 0, l_ = 0;
  uint64_t container_ = 0;
  uint64_t min_expire_ = 0;
  double score_ = 0;
  bool list_begun_ = false;
  StreamMeta smeta_;
  StreamId node_id_, last_node_id_, last_entry_id_, group_id_;
  bool have_node_ = false, have_entry_ = false;
  int64_t entries_read_ = -1;
  StreamPendingEntry pending_;
  StreamConsumerMeta consumer_;

  // Reused scratch for stream entries (no per-entry allocation): the master entry's field names
  // and the current entry's fields and values.
  ViewList master_fields_;
  ViewList fields_values_;
};

// ---------------------------------------------------------------------------------------------
// Input window

void RdbDecoder::Impl::SetWindow(const char* begin, const char* end, uint64_t offset) {
  FlushCrc();
  win_begin_ = p_ = crc_mark_ = begin;
  end_ = end;
  win_offset_ = offset;
}

bool RdbDecoder::Impl::Advance() {
  if (p_ < end_) return true;
  if (!in_carry_) return false;
  // The carry is used up: the chunk's unread bytes come next. carry_ keeps its bytes until the
  // next NeedSlow() (which pins views into it first).
  in_carry_ = false;
  SetWindow(chunk_p_, chunk_end_, chunk_offset_ + static_cast<uint64_t>(chunk_p_ - chunk_begin_));
  return p_ < end_;
}

bool RdbDecoder::Impl::NeedSlow(size_t n) {
  if (in_carry_ && p_ == end_ && Advance() && avail() >= n) return true;
  FlushCrc();
  PinSlots();  // views into the carry are about to move
  uint64_t offset = Pos();
  if (in_carry_) {
    carry_.erase(0, static_cast<size_t>(p_ - carry_.data()));
  } else {
    carry_.assign(p_, end_);
    chunk_p_ = end_;  // the window was the chunk's unread tail
    in_carry_ = true;
  }
  size_t take = std::min(n - carry_.size(), static_cast<size_t>(chunk_end_ - chunk_p_));
  carry_.append(chunk_p_, take);
  chunk_p_ += take;
  win_begin_ = p_ = crc_mark_ = carry_.data();
  end_ = p_ + carry_.size();
  win_offset_ = offset;
  return carry_.size() >= n;
}

bool RdbDecoder::Impl::InInput(std::string_view v) const {
  auto inside = [&v](const char* b, size_t size) {
    auto vb = reinterpret_cast<uintptr_t>(v.data());
    auto bb = reinterpret_cast<uintptr_t>(b);
    return b != nullptr && vb >= bb && vb - bb <= size && v.size() <= size - (vb - bb);
  };
  return inside(chunk_begin_, static_cast<size_t>(chunk_end_ - chunk_begin_)) ||
         inside(carry_.data(), carry_.size());
}

void RdbDecoder::Impl::Pin(Slot* s) {
  if (s->owned || s->view.empty() || !InInput(s->view)) return;
  s->own.assign(s->view.data(), s->view.size());
  s->view = s->own;
  s->owned = true;
}

// ---------------------------------------------------------------------------------------------
// Errors

std::string RdbDecoder::Impl::KeyContext() const {
  if (!in_key_) return "";
  return StrCat(" in key '", Printable(key_.view), "'");
}

absl::Status RdbDecoder::Impl::Corrupt(uint64_t offset, std::string_view what,
                                       std::string_view detail) const {
  std::string msg = StrCat("RDB: ", what, KeyContext(), " at offset ", offset);
  if (!detail.empty()) StrAppend(&msg, ": ", detail);
  return absl::DataLossError(msg);
}

// ---------------------------------------------------------------------------------------------
// Resumable steps

// Length encoding (rdbLoadLenByRef): 00xxxxxx, 01xxxxxx + 1 byte (14 bits), 0x80 + 4 bytes BE,
// 0x81 + 8 bytes BE. Peeks at p_[at] without consuming.
Res RdbDecoder::Impl::PeekLen(size_t at, uint64_t* v, size_t* used) {
  if (!Need(at + 1)) return Res::kMore;
  uint8_t b = static_cast<uint8_t>(p_[at]);
  switch (b >> 6) {
    case 0:
      *v = b & 0x3f;
      *used = 1;
      return Res::kDone;
    case 1:
      if (!Need(at + 2)) return Res::kMore;
      *v = (static_cast<uint64_t>(b & 0x3f) << 8) | static_cast<uint8_t>(p_[at + 1]);
      *used = 2;
      return Res::kDone;
    default:
      if (b == 0x80) {
        if (!Need(at + 5)) return Res::kMore;
        *v = LoadBE32(p_ + at + 1);
        *used = 5;
        return Res::kDone;
      }
      if (b == 0x81) {
        if (!Need(at + 9)) return Res::kMore;
        *v = LoadBE64(p_ + at + 1);
        *used = 9;
        return Res::kDone;
      }
      return Fail(Offset(p_ + at), StrCat("bad length encoding 0x", absl::Hex(b)));
  }
}

Res RdbDecoder::Impl::ReadLen(uint64_t* v) {
  size_t used;
  Res r = PeekLen(0, v, &used);
  if (r == Res::kDone) p_ += used;
  return r;
}

// A string (rdbGenericLoadStringObject): <len><bytes>, or 0xC0/0xC1/0xC2 + int8/16/32 LE rendered
// in decimal, or 0xC3 <compressed len> <len> <LZF bytes>.
Res RdbDecoder::Impl::ReadString(Slot* s) {
  for (;;) {
    switch (s->phase) {
      case kPhaseHeader: {
        s->view = {};  // not a live view while the body is read (PinSlots must skip it)
        s->owned = false;
        if (s->own.capacity() > kRetainedCapacity) std::string().swap(s->own);
        if (s->lzf_cap > kRetainedCapacity) {
          s->lzf_out.reset();
          s->lzf_cap = 0;
        }
        if (!Need(1)) return Res::kMore;
        uint8_t b = static_cast<uint8_t>(p_[0]);
        if ((b & 0xC0) == 0xC0) {
          int width = 0;
          switch (b & 0x3F) {
            case 0:
              width = 1;
              break;
            case 1:
              width = 2;
              break;
            case 2:
              width = 4;
              break;
            case 3: {
              uint64_t clen, len;
              size_t n1, n2;
              Res r = PeekLen(1, &clen, &n1);
              if (r != Res::kDone) return r;
              r = PeekLen(1 + n1, &len, &n2);
              if (r != Res::kDone) return r;
              s->offset = Pos();
              if (clen == 0 || len == 0) {
                return Fail(s->offset, "bad LZF string",
                            StrCat(clen, " compressed bytes for ", len, " bytes"));
              }
              if ((len - 1) / kLzfMaxRatio >= clen) {
                return Fail(s->offset, "bad LZF string",
                            StrCat(clen, " compressed bytes cannot expand to ", len));
              }
              p_ += 1 + n1 + n2;
              s->lzf_len = len;
              if (avail() >= clen) {  // all compressed bytes are here: no copy
                std::string_view in(p_, clen);
                p_ += clen;
                return Decompress(s, in);
              }
              if (lzf_in_.capacity() > kRetainedCapacity) std::string().swap(lzf_in_);
              lzf_in_.clear();
              s->remaining = clen;
              s->phase = kPhaseLzf;
              continue;
            }
            default:
              return Fail(Pos(), StrCat("unknown string encoding 0x", absl::Hex(b)));
          }
          if (!Need(1 + width)) return Res::kMore;
          s->offset = Pos();
          int64_t v;
          if (width == 1) {
            v = static_cast<int8_t>(p_[1]);
          } else if (width == 2) {
            int16_t x;
            std::memcpy(&x, p_ + 1, 2);
            v = x;
          } else {
            int32_t x;
            std::memcpy(&x, p_ + 1, 4);
            v = x;
          }
          p_ += 1 + width;
          char buf[kIntBuf];
          char* end = absl::numbers_internal::FastIntToBuffer(v, buf);
          s->own.assign(buf, end);
          s->view = s->own;
          s->owned = true;
          return Res::kDone;
        }
        uint64_t len;
        size_t used;
        Res r = PeekLen(0, &len, &used);
        if (r != Res::kDone) return r;
        s->offset = Pos();
        p_ += used;
        if (avail() >= len) {
          s->view = std::string_view(p_, len);
          p_ += len;
          return Res::kDone;
        }
        // The body spans chunks: gather it as it arrives (growing, never reserving `len`).
        s->own.clear();
        s->remaining = len;
        s->phase = kPhaseRaw;
        continue;
      }
      case kPhaseRaw:
      case kPhaseLzf: {
        std::string* dst = s->phase == kPhaseRaw ? &s->own : &lzf_in_;
        for (;;) {
          size_t take = static_cast<size_t>(std::min<uint64_t>(s->remaining, avail()));
          dst->append(p_, take);
          p_ += take;
          s->remaining -= take;
          if (s->remaining == 0) break;
          if (!Advance()) return Res::kMore;
        }
        if (s->phase == kPhaseRaw) {
          s->phase = kPhaseHeader;
          s->view = s->own;
          s->owned = true;
          return Res::kDone;
        }
        s->phase = kPhaseHeader;
        Res r = Decompress(s, lzf_in_);
        if (lzf_in_.capacity() > kRetainedCapacity) std::string().swap(lzf_in_);
        return r;
      }
    }
  }
}

Res RdbDecoder::Impl::Decompress(Slot* s, std::string_view in) {
  // The size is bounded by kLzfMaxRatio times the compressed bytes, which are all here. The
  // buffer is reused (grown by doubling, shrunk after an outsized string) and never zero-filled.
  const size_t len = s->lzf_len;
  if (len > s->lzf_cap) {
    size_t cap = std::max(len, std::min(2 * s->lzf_cap, kRetainedCapacity));
    s->lzf_out.reset(new char[cap]);
    s->lzf_cap = cap;
  }
  std::string err;
  if (!LzfDecompress(in, s->lzf_out.get(), len, &err)) {
    return Fail(s->offset, "bad LZF string", err);
  }
  s->view = std::string_view(s->lzf_out.get(), len);
  s->owned = true;
  return Res::kDone;
}

// Type 3 scores (rdbLoadDoubleValue): a length byte, 253 = NaN, 254 = +inf, 255 = -inf, else that
// many bytes of ASCII decimal.
Res RdbDecoder::Impl::ReadAsciiDouble(double* out) {
  if (!Need(1)) return Res::kMore;
  uint8_t len = static_cast<uint8_t>(p_[0]);
  if (len >= 253) {
    *out = len == 255   ? -std::numeric_limits<double>::infinity()
           : len == 254 ? std::numeric_limits<double>::infinity()
                        : std::numeric_limits<double>::quiet_NaN();
    p_ += 1;
    return Res::kDone;
  }
  if (!Need(1 + static_cast<size_t>(len))) return Res::kMore;
  char buf[256];
  std::memcpy(buf, p_ + 1, len);
  buf[len] = '\0';
  char* end = nullptr;
  double d = std::strtod(buf, &end);
  if (len == 0 || end != buf + len) {
    return Fail(Pos(), "bad zset score", StrCat("'", Printable(std::string_view(buf, len)), "'"));
  }
  p_ += 1 + len;
  *out = d;
  return Res::kDone;
}

// ---------------------------------------------------------------------------------------------
// Blob values (everything is in b_.view)

absl::Status RdbDecoder::Impl::EmitBlob() {
  std::string_view blob = b_.view;
  std::string_view key = key_.view;
  char buf[kIntBuf];
  switch (type_) {
    case kTypeHashZipmap: {
      auto count = zipmap::Validate(blob);
      if (!count.ok()) return BlobError("bad zipmap", count.status());
      RETURN_IF_ERROR(sink_->BeginHash(key, meta_, *count));
      zipmap::Reader r(blob);
      std::string_view f, v;
      while (r.Next(&f, &v)) RETURN_IF_ERROR(sink_->HashField(f, v, kNoExpire));
      return sink_->EndHash();
    }
    case kTypeListZiplist: {
      auto count = ziplist::Validate(blob);
      if (!count.ok()) return BlobError("bad ziplist", count.status());
      if (*count == 0) return absl::OkStatus();  // empty key: skipped, as rdbLoadObject()
      RETURN_IF_ERROR(sink_->BeginList(key, meta_, *count));
      ziplist::Reader r(blob);
      listpack::Entry e;
      while (r.Next(&e)) RETURN_IF_ERROR(sink_->ListElement(e.AsString(buf)));
      return sink_->EndList();
    }
    case kTypeSetIntset: {
      auto count = intset::Validate(blob);
      if (!count.ok()) return BlobError("bad intset", count.status());
      RETURN_IF_ERROR(sink_->BeginSet(key, meta_, *count));
      for (uint32_t i = 0; i < *count; ++i) {
        char* end = absl::numbers_internal::FastIntToBuffer(intset::Get(blob, i), buf);
        RETURN_IF_ERROR(sink_->SetMember(std::string_view(buf, end - buf)));
      }
      return sink_->EndSet();
    }
    case kTypeZsetZiplist:
    case kTypeHashZiplist: {
      auto count = ziplist::Validate(blob);
      if (!count.ok()) return BlobError("bad ziplist", count.status());
      return EmitZiplistPairs(type_ == kTypeZsetZiplist, blob, *count);
    }
    case kTypeHashListpack:
    case kTypeZsetListpack: {
      auto count = listpack::Validate(blob);
      if (!count.ok()) return BlobError("bad listpack", count.status());
      return EmitListpackPairs(type_ == kTypeZsetListpack, blob, *count);
    }
    case kTypeSetListpack: {
      auto count = listpack::Validate(blob);
      if (!count.ok()) return BlobError("bad listpack", count.status());
      if (*count == 0) return absl::OkStatus();
      RETURN_IF_ERROR(sink_->BeginSet(key, meta_, *count));
      if (sink_->AcceptsListpack(ListpackKind::kSet)) {
        RETURN_IF_ERROR(sink_->OnListpack(ListpackKind::kSet, blob, StreamId{}));
      } else {
        listpack::Reader r(blob);
        listpack::Entry e;
        while (r.Next(&e)) RETURN_IF_ERROR(sink_->SetMember(e.AsString(buf)));
      }
      return sink_->EndSet();
    }
    case kTypeHashListpackEx:
    case kTypeHashListpackExPreGa: {
      auto count = listpack::Validate(blob);
      if (!count.ok()) return BlobError("bad listpack", count.status());
      return EmitHashListpackEx(blob, *count);
    }
    default:
      return absl::InternalError(StrCat("RDB: EmitBlob called for type ", type_));
  }
}

// Types 12 and 13: member/score or field/value pairs (ziplistPairsConvertAndValidateIntegrity).
absl::Status RdbDecoder::Impl::EmitZiplistPairs(bool zset, std::string_view zl, uint32_t count) {
  if (count % 2 != 0) {
    return Corrupt(b_.offset, "bad ziplist", StrCat("odd number of entries ", count));
  }
  if (count == 0) return absl::OkStatus();
  RETURN_IF_ERROR(zset ? sink_->BeginZset(key_.view, meta_, count / 2)
                       : sink_->BeginHash(key_.view, meta_, count / 2));
  ziplist::Reader r(zl);
  listpack::Entry e1, e2;
  char buf1[kIntBuf], buf2[kIntBuf];
  while (r.Next(&e1) && r.Next(&e2)) {
    if (zset) {
      double score;
      if (!ScoreOf(e2, &score)) {
        return Corrupt(b_.offset, "bad ziplist", "zset score is not a number");
      }
      RETURN_IF_ERROR(sink_->ZsetMember(e1.AsString(buf1), score));
    } else {
      RETURN_IF_ERROR(sink_->HashField(e1.AsString(buf1), e2.AsString(buf2), kNoExpire));
    }
  }
  return zset ? sink_->EndZset() : sink_->EndHash();
}

// Types 16 and 17.
absl::Status RdbDecoder::Impl::EmitListpackPairs(bool zset, std::string_view lp, uint32_t count) {
  if (count % 2 != 0) {
    return Corrupt(b_.offset, "bad listpack", StrCat("odd number of entries ", count));
  }
  if (count == 0) return absl::OkStatus();
  ListpackKind kind = zset ? ListpackKind::kZset : ListpackKind::kHash;
  bool raw = sink_->AcceptsListpack(kind);
  if (zset && raw) {
    // The sink adopts the listpack as is: make sure every score is a number first.
    listpack::Reader r(lp);
    listpack::Entry e1, e2;
    double score;
    while (r.Next(&e1) && r.Next(&e2)) {
      if (!ScoreOf(e2, &score)) {
        return Corrupt(b_.offset, "bad listpack", "zset score is not a number");
      }
    }
  }
  RETURN_IF_ERROR(zset ? sink_->BeginZset(key_.view, meta_, count / 2)
                       : sink_->BeginHash(key_.view, meta_, count / 2));
  if (raw) {
    RETURN_IF_ERROR(sink_->OnListpack(kind, lp, StreamId{}));
  } else {
    listpack::Reader r(lp);
    listpack::Entry e1, e2;
    char buf1[kIntBuf], buf2[kIntBuf];
    while (r.Next(&e1) && r.Next(&e2)) {
      if (zset) {
        double score;
        if (!ScoreOf(e2, &score)) {
          return Corrupt(b_.offset, "bad listpack", "zset score is not a number");
        }
        RETURN_IF_ERROR(sink_->ZsetMember(e1.AsString(buf1), score));
      } else {
        RETURN_IF_ERROR(sink_->HashField(e1.AsString(buf1), e2.AsString(buf2), kNoExpire));
      }
    }
  }
  return zset ? sink_->EndZset() : sink_->EndHash();
}

// Types 23 and 25: field, value, expire-at-ms (0 = no TTL) triplets.
absl::Status RdbDecoder::Impl::EmitHashListpackEx(std::string_view lp, uint32_t count) {
  if (count % 3 != 0) {
    return Corrupt(b_.offset, "bad listpack",
                   StrCat(count, " entries is not a multiple of 3 (field, value, TTL)"));
  }
  if (count == 0) return absl::OkStatus();
  // Check the TTLs first: the raw path hands the listpack over as is. As _lpEntryValidation()
  // checks: integers in 0..EB_EXPIRE_TIME_MAX, and ordered the way listpackEx keeps them (fields
  // with a TTL first, by ascending TTL, then the fields without one).
  {
    listpack::Reader r(lp);
    listpack::Entry f, v, t;
    int64_t last = -1;
    while (r.Next(&f) && r.Next(&v) && r.Next(&t)) {
      int64_t ttl;
      if (!IntOf(t, &ttl) || ttl < 0 || static_cast<uint64_t>(ttl) > kExpireTimeMax) {
        return Corrupt(b_.offset, "bad listpack", "hash field TTL is not a valid time");
      }
      if (ttl != 0 && (last == 0 || ttl < last)) {
        return Corrupt(b_.offset, "bad listpack", "hash field TTLs are out of order");
      }
      last = ttl;
    }
  }
  RETURN_IF_ERROR(sink_->BeginHash(key_.view, meta_, count / 3));
  if (sink_->AcceptsListpack(ListpackKind::kHashWithTtl)) {
    RETURN_IF_ERROR(sink_->OnListpack(ListpackKind::kHashWithTtl, lp, StreamId{}));
  } else {
    listpack::Reader r(lp);
    listpack::Entry f, v, t;
    char buf1[kIntBuf], buf2[kIntBuf];
    while (r.Next(&f) && r.Next(&v) && r.Next(&t)) {
      int64_t ttl = 0;
      IntOf(t, &ttl);
      RETURN_IF_ERROR(
          sink_->HashField(f.AsString(buf1), v.AsString(buf2), ttl == 0 ? kNoExpire : ttl));
    }
  }
  return sink_->EndHash();
}

absl::Status RdbDecoder::Impl::BeginListOnce(uint64_t hint) {
  if (list_begun_) return absl::OkStatus();
  list_begun_ = true;
  return sink_->BeginList(key_.view, meta_, hint);
}

// One node of a type 14 or 18 quicklist (rdbLoadObject): PLAIN = the node is one element; PACKED
// = a ziplist (14) or listpack (18). Empty packed nodes are skipped, and the list is only begun
// at its first element, so a quicklist of empty nodes is skipped like Redis's empty keys.
absl::Status RdbDecoder::Impl::EmitQuicklistNode() {
  std::string_view node = b_.view;
  if (container_ == kContainerPlain) {
    RETURN_IF_ERROR(BeginListOnce(n_ == 1 ? 1 : 0));
    return sink_->ListElement(node);
  }
  char buf[kIntBuf];
  listpack::Entry e;
  if (type_ == kTypeListQuicklist) {
    auto count = ziplist::Validate(node);
    if (!count.ok()) return BlobError("bad ziplist", count.status());
    if (*count == 0) return absl::OkStatus();
    RETURN_IF_ERROR(BeginListOnce(n_ == 1 ? *count : 0));
    ziplist::Reader r(node);
    while (r.Next(&e)) RETURN_IF_ERROR(sink_->ListElement(e.AsString(buf)));
    return absl::OkStatus();
  }
  auto count = listpack::Validate(node);
  if (!count.ok()) return BlobError("bad listpack", count.status());
  if (*count == 0) return absl::OkStatus();
  RETURN_IF_ERROR(BeginListOnce(n_ == 1 ? *count : 0));
  if (sink_->AcceptsListpack(ListpackKind::kListNode)) {
    return sink_->OnListpack(ListpackKind::kListNode, node, StreamId{});
  }
  listpack::Reader r(node);
  while (r.Next(&e)) RETURN_IF_ERROR(sink_->ListElement(e.AsString(buf)));
  return absl::OkStatus();
}

// One stream node (key node_id_, listpack in b_), validated like streamValidateListpackIntegrity()
// with deep validation:
//   master entry: count, deleted, num-fields, field..., 0
//   each entry:   flags, ms-delta, seq-delta, [num-fields, field, value... | value...], lp-count
// Live entries are emitted in order (or the node is handed over raw once it is known to be valid).
absl::Status RdbDecoder::Impl::EmitStreamNode() {
  std::string_view lp = b_.view;
  auto count = listpack::Validate(lp);
  if (!count.ok()) return BlobError("bad stream listpack", count.status());
  // rdbLoadObject(): "Empty listpack inside stream".
  if (*count == 0) return Corrupt(b_.offset, "empty listpack inside stream");
  const int64_t max_items = *count;
  const bool raw = sink_->AcceptsListpack(ListpackKind::kStreamNode);
  auto bad = [this](std::string_view detail) {
    return Corrupt(b_.offset, "bad stream listpack", detail);
  };

  listpack::Reader r(lp);
  listpack::Entry e;
  auto next_int = [&](int64_t* v) { return r.Next(&e) && IntOf(e, v); };
  int64_t live, deleted, master_count;
  if (!next_int(&live) || !next_int(&deleted) || !next_int(&master_count) || live < 0 ||
      deleted < 0 || master_count < 0 || live > max_items || deleted > max_items ||
      master_count > max_items) {
    return bad("bad master entry");
  }
  master_fields_.Clear();
  for (int64_t i = 0; i < master_count; ++i) {
    if (!r.Next(&e)) return bad("master entry truncated");
    if (!raw) master_fields_.Add(e);
  }
  master_fields_.Finish();
  int64_t zero;
  if (!next_int(&zero) || zero != 0) return bad("master entry is not terminated by 0");

  for (int64_t n = live + deleted; n > 0; --n) {
    int64_t flags, ms_delta, seq_delta;
    if (!next_int(&flags) || !next_int(&ms_delta) || !next_int(&seq_delta)) {
      return bad("entry header truncated");
    }
    // IDs are stored as deltas from the node's master ID (streamAppendItem()); wrap like uint64.
    StreamId id{node_id_.ms + static_cast<uint64_t>(ms_delta),
                node_id_.seq + static_cast<uint64_t>(seq_delta)};
    const bool same = (flags & kStreamFlagSameFields) != 0;
    const bool emit = !raw && (flags & kStreamFlagDeleted) == 0;
    int64_t nfields = master_count;
    if (!same && (!next_int(&nfields) || nfields < 0 || nfields > max_items)) {
      return bad("bad entry field count");
    }
    fields_values_.Clear();
    for (int64_t f = 0; f < nfields; ++f) {
      if (!same) {
        if (!r.Next(&e)) return bad("entry truncated");
        if (emit) fields_values_.Add(e);
      } else if (emit) {
        fields_values_.Add(master_fields_[f]);
      }
      if (!r.Next(&e)) return bad("entry truncated");
      if (emit) fields_values_.Add(e);
    }
    // lp-count: the entry's element count minus one, for backward iteration.
    int64_t lp_count;
    if (!next_int(&lp_count) || lp_count != (same ? nfields + 3 : 2 * nfields + 4)) {
      return bad("entry lp-count does not match the entry");
    }
    if ((flags & kStreamFlagDeleted) != 0) continue;
    if (have_entry_ && !(last_entry_id_ < id)) {
      return bad(StrCat("entry ", id.ms, "-", id.seq, " is not after ", last_entry_id_.ms, "-",
                        last_entry_id_.seq));
    }
    have_entry_ = true;
    last_entry_id_ = id;
    if (emit) RETURN_IF_ERROR(sink_->StreamEntry(id, fields_values_.Finish()));
  }
  master_fields_.Trim();
  fields_values_.Trim();
  if (r.Next(&e)) return bad("data after the last entry");
  if (raw) return sink_->OnListpack(ListpackKind::kStreamNode, lp, node_id_);
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// The decode coroutine

Task RdbDecoder::Impl::Run() {
  // Header: "REDIS" and four ASCII digits (rdbLoadRioWithLoadingCtx).
  AWAIT(NeedR(9));
  {
    if (std::memcmp(p_, "REDIS", 5) != 0) CO_FAIL(0, "bad signature, not an RDB payload");
    int version = 0;
    for (int i = 5; i < 9; ++i) {
      if (p_[i] < '0' || p_[i] > '9') CO_FAIL(0, "bad version digits in the header");
      version = version * 10 + (p_[i] - '0');
    }
    if (version > kMaxVersion) {
      error_ = absl::FailedPreconditionError(
          StrCat("RDB version ", version, " is newer than ", kMaxVersion));
      co_return;
    }
    if (version < 1) CO_FAIL(0, StrCat("unsupported RDB version ", version));
    version_ = version;
    p_ += 9;
  }
  CO_RETURN_IF_ERROR(sink_->OnHeader(version_));

  for (;;) {
    AWAIT(NeedR(1));
    op_offset_ = Pos();
    type_ = static_cast<uint8_t>(*p_++);

    if (type_ == kOpEof) {
      // The checksum covers every byte from "REDIS" through this opcode.
      FlushCrc();
      crc_on_ = false;
      if (version_ >= kFirstVersionWithChecksum) {
        AWAIT(NeedR(8));
        uint64_t stored = LoadLE64(p_);
        // A stored 0 means the writer had rdbchecksum off.
        if (stored != 0 && options_.verify_checksum && stored != crc_) {
          CO_FAIL(Pos(), "checksum mismatch",
                  StrCat("computed 0x", absl::Hex(crc_), ", stored 0x", absl::Hex(stored)));
        }
        p_ += 8;
      }
      CO_RETURN_IF_ERROR(sink_->OnEnd());
      done_ = true;
      co_return;
    }

    if (type_ >= kOpSlotInfo) {
      // Opcodes. Any of them may appear anywhere (protocol doc §6.1); EXPIRETIME*, IDLE and FREQ
      // apply to the next key only.
      switch (type_) {
        case kOpSelectDb:
          AWAIT(ReadLen(&n_));
          meta_.db = n_;
          CO_RETURN_IF_ERROR(sink_->OnSelectDb(n_));
          break;
        case kOpResizeDb:
          AWAIT(ReadLen(&n_));
          AWAIT(ReadLen(&m_));
          CO_RETURN_IF_ERROR(sink_->OnResizeDb(n_, m_));
          break;
        case kOpExpireTime: {
          // Seconds as a 4-byte int (rdbLoadTime), only in very old files.
          AWAIT(NeedR(4));
          int32_t seconds;
          std::memcpy(&seconds, p_, 4);
          p_ += 4;
          meta_.expire_ms = static_cast<int64_t>(seconds) * 1000;
          break;
        }
        case kOpExpireTimeMs:
          AWAIT(NeedR(8));
          meta_.expire_ms = static_cast<int64_t>(LoadLE64(p_));
          p_ += 8;
          break;
        case kOpFreq:
          AWAIT(NeedR(1));
          p_ += 1;
          break;
        case kOpIdle:
          AWAIT(ReadLen(&n_));
          break;
        case kOpAux:
          AWAIT(ReadString(&a_));
          AWAIT(ReadString(&b_));
          CO_RETURN_IF_ERROR(sink_->OnAux(a_.view, b_.view));
          break;
        case kOpModuleAux:
          // Module data we cannot interpret: a real server without the module exits here
          // ("The RDB file contains AUX module data I can't load").
          AWAIT(ReadLen(&n_));
          error_ = absl::UnimplementedError(
              StrCat("RDB: module '", ModuleName(n_),
                     "' data (module aux) cannot be loaded, at offset ", op_offset_));
          co_return;
        case kOpFunctionPreGa:
          error_ = absl::UnimplementedError(StrCat(
              "RDB: pre-release function format (opcode 0xF6, Redis 7.0 RC) is not supported, "
              "at offset ",
              op_offset_));
          co_return;
        case kOpFunction2:
          AWAIT(ReadString(&b_));
          CO_RETURN_IF_ERROR(sink_->OnFunction(b_.view));
          break;
        case kOpSlotInfo:
          // Slot id, slot size, expires size: cluster-mode hints, ignored.
          AWAIT(ReadLen(&n_));
          AWAIT(ReadLen(&n_));
          AWAIT(ReadLen(&n_));
          break;
      }
      continue;
    }

    if (!IsObjectType(type_)) CO_FAIL(op_offset_, StrCat("unknown record type ", type_));
    AWAIT(ReadString(&key_));
    in_key_ = true;

    switch (type_) {
      case kTypeString:
        AWAIT(ReadString(&b_));
        CO_RETURN_IF_ERROR(sink_->OnString(key_.view, meta_, b_.view));
        break;

      case kTypeList:
      case kTypeSet:
        AWAIT(ReadLen(&n_));
        if (n_ == 0) break;  // empty key: skipped, as rdbLoadObject() does
        CO_RETURN_IF_ERROR(type_ == kTypeList ? sink_->BeginList(key_.view, meta_, n_)
                                              : sink_->BeginSet(key_.view, meta_, n_));
        for (i_ = 0; i_ < n_; ++i_) {
          AWAIT(ReadString(&b_));
          CO_RETURN_IF_ERROR(type_ == kTypeList ? sink_->ListElement(b_.view)
                                                : sink_->SetMember(b_.view));
        }
        CO_RETURN_IF_ERROR(type_ == kTypeList ? sink_->EndList() : sink_->EndSet());
        break;

      case kTypeZset:
      case kTypeZset2:
        AWAIT(ReadLen(&n_));
        if (n_ == 0) break;
        CO_RETURN_IF_ERROR(sink_->BeginZset(key_.view, meta_, n_));
        for (i_ = 0; i_ < n_; ++i_) {
          AWAIT(ReadString(&a_));
          if (type_ == kTypeZset2) {
            // Binary little-endian IEEE 754 double (rdbLoadBinaryDoubleValue).
            AWAIT(NeedR(8));
            std::memcpy(&score_, p_, 8);
            p_ += 8;
          } else {
            AWAIT(ReadAsciiDouble(&score_));
          }
          if (std::isnan(score_)) CO_FAIL(Pos(), "zset score is NaN");
          CO_RETURN_IF_ERROR(sink_->ZsetMember(a_.view, score_));
        }
        CO_RETURN_IF_ERROR(sink_->EndZset());
        break;

      case kTypeHash:
        AWAIT(ReadLen(&n_));
        if (n_ == 0) break;
        CO_RETURN_IF_ERROR(sink_->BeginHash(key_.view, meta_, n_));
        for (i_ = 0; i_ < n_; ++i_) {
          AWAIT(ReadString(&a_));
          AWAIT(ReadString(&b_));
          CO_RETURN_IF_ERROR(sink_->HashField(a_.view, b_.view, kNoExpire));
        }
        CO_RETURN_IF_ERROR(sink_->EndHash());
        break;

      case kTypeHashMetadata:
      case kTypeHashMetadataPreGa:
        // Hash table with field TTLs (protocol doc §6.10): [min-expire u64 LE (24 only)], len,
        // then (ttl len, field, value) per field.
        min_expire_ = 0;
        if (type_ == kTypeHashMetadata) {
          AWAIT(NeedR(8));
          min_expire_ = LoadLE64(p_);
          if (min_expire_ > kExpireTimeMax + 1) CO_FAIL(Pos(), "bad hash min-expire");
          p_ += 8;
        }
        AWAIT(ReadLen(&n_));
        if (n_ == 0) break;
        CO_RETURN_IF_ERROR(sink_->BeginHash(key_.view, meta_, n_));
        for (i_ = 0; i_ < n_; ++i_) {
          AWAIT(ReadLen(&m_));
          // Type 24 stores ttl = expire - min-expire + 1 (0 = none); type 22 absolute times.
          if (m_ != 0 && type_ == kTypeHashMetadata) {
            if (m_ > kExpireTimeMax + 1 || m_ - 1 + min_expire_ > kExpireTimeMax) {
              CO_FAIL(Pos(), "bad hash field TTL");
            }
            m_ = m_ - 1 + min_expire_;
          } else if (m_ > kExpireTimeMax) {
            CO_FAIL(Pos(), "bad hash field TTL");
          }
          AWAIT(ReadString(&a_));
          AWAIT(ReadString(&b_));
          CO_RETURN_IF_ERROR(
              sink_->HashField(a_.view, b_.view, m_ == 0 ? kNoExpire : static_cast<int64_t>(m_)));
        }
        CO_RETURN_IF_ERROR(sink_->EndHash());
        break;

      case kTypeModulePreGa:
        // rdbLoadObject(): "Pre-release module format not supported".
        error_ = absl::UnimplementedError(StrCat("RDB: pre-release module value (type 6) in key '",
                                                 Printable(key_.view),
                                                 "' cannot be loaded, at offset ", op_offset_));
        co_return;

      case kTypeModule2:
        AWAIT(ReadLen(&n_));
        error_ = absl::UnimplementedError(
            StrCat("RDB: module '", ModuleName(n_), "' data (module type) in key '",
                   Printable(key_.view), "' cannot be loaded, at offset ", op_offset_));
        co_return;

      case kTypeHashListpackEx:
        // min-expire (u64 LE) precedes the listpack; unused, as in rdbLoadObject().
        AWAIT(NeedR(8));
        p_ += 8;
        [[fallthrough]];
      case kTypeHashZipmap:
      case kTypeListZiplist:
      case kTypeSetIntset:
      case kTypeZsetZiplist:
      case kTypeHashZiplist:
      case kTypeHashListpack:
      case kTypeZsetListpack:
      case kTypeSetListpack:
      case kTypeHashListpackExPreGa:
        AWAIT(ReadString(&b_));
        CO_RETURN_IF_ERROR(EmitBlob());
        break;

      case kTypeListQuicklist:
      case kTypeListQuicklist2:
        AWAIT(ReadLen(&n_));
        list_begun_ = false;
        for (i_ = 0; i_ < n_; ++i_) {
          container_ = kContainerPacked;
          if (type_ == kTypeListQuicklist2) {
            AWAIT(ReadLen(&container_));
            if (container_ != kContainerPacked && container_ != kContainerPlain) {
              CO_FAIL(Pos(), StrCat("bad quicklist node container ", container_));
            }
          }
          AWAIT(ReadString(&b_));
          if (b_.view.empty()) CO_FAIL(b_.offset, "empty quicklist node");
          CO_RETURN_IF_ERROR(EmitQuicklistNode());
        }
        if (list_begun_) CO_RETURN_IF_ERROR(sink_->EndList());
        break;

      case kTypeStreamListpacks:
      case kTypeStreamListpacks2:
      case kTypeStreamListpacks3:
        CO_RETURN_IF_ERROR(sink_->BeginStream(key_.view, meta_));
        AWAIT(ReadLen(&n_));
        have_node_ = false;
        have_entry_ = false;
        for (i_ = 0; i_ < n_; ++i_) {
          // Node key: the master ID as two big-endian u64.
          AWAIT(ReadString(&a_));
          if (a_.view.size() != 16) {
            CO_FAIL(a_.offset, "stream node key is not a 16-byte stream ID");
          }
          node_id_ = StreamId{LoadBE64(a_.view.data()), LoadBE64(a_.view.data() + 8)};
          if (have_node_ && !(last_node_id_ < node_id_)) {
            CO_FAIL(a_.offset, "stream nodes are not in ID order");
          }
          have_node_ = true;
          last_node_id_ = node_id_;
          AWAIT(ReadString(&b_));
          CO_RETURN_IF_ERROR(EmitStreamNode());
        }
        smeta_ = StreamMeta{};
        AWAIT(ReadLen(&smeta_.length));
        AWAIT(ReadLen(&smeta_.last_id.ms));
        AWAIT(ReadLen(&smeta_.last_id.seq));
        if (type_ >= kTypeStreamListpacks2) {
          AWAIT(ReadLen(&smeta_.first_id.ms));
          AWAIT(ReadLen(&smeta_.first_id.seq));
          AWAIT(ReadLen(&smeta_.max_deleted_id.ms));
          AWAIT(ReadLen(&smeta_.max_deleted_id.seq));
          AWAIT(ReadLen(&smeta_.entries_added));
        } else {
          smeta_.entries_added = smeta_.length;  // as rdbLoadObject() migrates type 15
        }
        if (smeta_.length != 0 && n_ == 0) {
          CO_FAIL(Pos(), "stream length inconsistent with its nodes");
        }
        CO_RETURN_IF_ERROR(sink_->StreamInfo(smeta_));

        AWAIT(ReadLen(&n_));  // consumer groups
        for (i_ = 0; i_ < n_; ++i_) {
          AWAIT(ReadString(&a_));
          AWAIT(ReadLen(&group_id_.ms));
          AWAIT(ReadLen(&group_id_.seq));
          entries_read_ = -1;
          if (type_ >= kTypeStreamListpacks2) {
            AWAIT(ReadLen(&m_));
            entries_read_ = static_cast<int64_t>(m_);  // -1 (SCG_INVALID_ENTRIES_READ) as u64
          }
          CO_RETURN_IF_ERROR(
              sink_->StreamGroup(StreamGroupMeta{a_.view, group_id_, entries_read_}));
          // Global PEL: 16-byte raw ID (big-endian ms, seq), delivery time u64 LE, count.
          AWAIT(ReadLen(&m_));
          for (j_ = 0; j_ < m_; ++j_) {
            AWAIT(NeedR(24));
            pending_.id = StreamId{LoadBE64(p_), LoadBE64(p_ + 8)};
            pending_.delivery_time_ms = static_cast<int64_t>(LoadLE64(p_ + 16));
            p_ += 24;
            AWAIT(ReadLen(&pending_.delivery_count));
            CO_RETURN_IF_ERROR(sink_->StreamGroupPending(pending_));
          }
          // Consumers: name, seen time, (21) active time, then the IDs they own.
          AWAIT(ReadLen(&m_));
          for (j_ = 0; j_ < m_; ++j_) {
            AWAIT(ReadString(&a_));
            AWAIT(NeedR(type_ == kTypeStreamListpacks3 ? 16 : 8));
            consumer_.name = a_.view;
            consumer_.seen_time_ms = static_cast<int64_t>(LoadLE64(p_));
            consumer_.active_time_ms = -1;
            if (type_ == kTypeStreamListpacks3) {
              consumer_.active_time_ms = static_cast<int64_t>(LoadLE64(p_ + 8));
              p_ += 8;
            }
            p_ += 8;
            CO_RETURN_IF_ERROR(sink_->StreamConsumer(consumer_));
            AWAIT(ReadLen(&k_));
            for (l_ = 0; l_ < k_; ++l_) {
              AWAIT(NeedR(16));
              StreamId id{LoadBE64(p_), LoadBE64(p_ + 8)};
              p_ += 16;
              CO_RETURN_IF_ERROR(sink_->StreamConsumerPending(id));
            }
          }
        }
        CO_RETURN_IF_ERROR(sink_->EndStream());
        break;
    }
    in_key_ = false;
    meta_.expire_ms = kNoExpire;
  }
}

// ---------------------------------------------------------------------------------------------
// Public API

absl::StatusOr<size_t> RdbDecoder::Impl::Feed(std::string_view data) {
  if (!error_.ok()) return error_;
  if (done_ || data.empty()) return 0;
  if (in_feed_) return absl::FailedPreconditionError("RdbDecoder::Feed called re-entrantly");
  if (task_.handle.done()) return absl::InternalError("RDB: decoder ended without a result");
  in_feed_ = true;
  chunk_begin_ = chunk_p_ = data.data();
  chunk_end_ = data.data() + data.size();
  chunk_offset_ = fed_;
  if (!in_carry_) {
    SetWindow(chunk_begin_, chunk_end_, fed_);
  } else if (p_ == end_) {
    Advance();
  }
  task_.handle.resume();
  in_feed_ = false;
  if (!error_.ok()) {
    fed_ += data.size();
    return error_;
  }
  size_t consumed = data.size();
  if (done_) {
    // Stop right after the RDB: bytes after it belong to the caller (e.g. the EOF mark).
    const char* stop = in_carry_ ? chunk_p_ : p_;
    consumed = static_cast<size_t>(stop - chunk_begin_);
  }
  fed_ += consumed;
  // The chunk is the caller's: forget it (everything unread was moved to the carry).
  chunk_begin_ = chunk_p_ = chunk_end_ = nullptr;
  if (!in_carry_) p_ = end_ = win_begin_ = crc_mark_ = nullptr;
  return consumed;
}

absl::Status RdbDecoder::Impl::Finish() {
  if (!error_.ok()) return error_;
  if (done_) return absl::OkStatus();
  std::string msg = StrCat("RDB: truncated at offset ", fed_);
  if (version_ == 0) {
    StrAppend(&msg, " (in the header)");
  } else if (in_key_) {
    StrAppend(&msg, " (in key '", Printable(key_.view), "')");
  }
  error_ = absl::DataLossError(msg);
  return error_;
}

RdbDecoder::RdbDecoder(RdbSink* sink, DecoderOptions options)
    : impl_(std::make_unique<Impl>(sink, options)) {}
RdbDecoder::~RdbDecoder() = default;
absl::StatusOr<size_t> RdbDecoder::Feed(std::string_view data) { return impl_->Feed(data); }
bool RdbDecoder::done() const { return impl_->done(); }
absl::Status RdbDecoder::Finish() { return impl_->Finish(); }
uint64_t RdbDecoder::bytes_consumed() const { return impl_->bytes_consumed(); }
int RdbDecoder::rdb_version() const { return impl_->rdb_version(); }

}  // namespace redlink::engine::rdb
