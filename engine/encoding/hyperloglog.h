// Redis's HyperLogLog string representation (hyperloglog.c), shared by the read endpoint
// (PFCOUNT) and the stream applier (PFADD, PFMERGE, PFCOUNT's cache refresh, PFDEBUG):
//
//   header  "HYLL" | encoding (0 dense, 1 sparse) | 3 unused bytes | 8-byte little-endian
//           cached cardinality whose top bit set means "stale"
//   dense   16384 six-bit registers packed LSB first (12288 bytes)
//   sparse  runs: ZERO 00xxxxxx (1..64 zero registers), XZERO 01xxxxxx yyyyyyyy (1..16384),
//           VAL 1vvvvvxx (1..4 registers of value 1..32)
//
// The cardinality is Otmar Ertl's improved raw estimator over the register histogram, as
// Redis 5+ computes it (hllCount), so the numbers are Redis's to the unit.
#ifndef REDLINK_ENGINE_ENCODING_HYPERLOGLOG_H_
#define REDLINK_ENGINE_ENCODING_HYPERLOGLOG_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace redlink::engine::hll {

inline constexpr int kP = 14;
inline constexpr int kQ = 64 - kP;
inline constexpr long kRegisters = 1 << kP;
inline constexpr size_t kHeaderSize = 16;
inline constexpr size_t kDenseRegisterBytes = (kRegisters * 6 + 7) / 8;
inline constexpr size_t kDenseSize = kHeaderSize + kDenseRegisterBytes;

inline constexpr std::string_view kNotHllError =
    "WRONGTYPE Key is not a valid HyperLogLog string value.";
inline constexpr std::string_view kCorruptError = "INVALIDOBJ Corrupted HLL object detected";

// The sparse opcodes.
inline bool IsZero(const unsigned char* p) { return (*p & 0xc0) == 0; }
inline bool IsXzero(const unsigned char* p) { return (*p & 0xc0) == 0x40; }
inline long ZeroLen(const unsigned char* p) { return (*p & 0x3f) + 1; }
inline long XzeroLen(const unsigned char* p) { return (((*p & 0x3f) << 8) | p[1]) + 1; }
inline int ValValue(const unsigned char* p) { return ((*p >> 2) & 0x1f) + 1; }
inline long ValLen(const unsigned char* p) { return (*p & 3) + 1; }

// isHLLObjectOrReply's test of a string value (an int-encoded string is never one).
inline bool HasHllHeader(std::string_view v) {
  return v.size() >= kHeaderSize && v.substr(0, 4) == "HYLL" && static_cast<uint8_t>(v[4]) <= 1 &&
         !(v[4] == 0 && v.size() != kDenseSize);
}
inline bool IsDense(std::string_view v) { return v[4] == 0; }

// Register i of a dense body (`regs` points past the header).
int DenseGet(const unsigned char* regs, long i);
void DenseSetRegister(unsigned char* regs, long i, int val);

// Calls f(first_register, run_length, value) for each run of the sparse body of `v` (value 0
// for ZERO and XZERO runs). Returns the number of registers the body covers (a valid one covers
// exactly kRegisters), or -1 when a VAL run would pass the last register: the walk stops there,
// as Redis's loops do. A truncated XZERO reads its second byte as 0 (Redis reads the string's
// terminator there).
template <typename F>
long ForEachSparseRun(std::string_view v, F&& f) {
  const auto* p = reinterpret_cast<const unsigned char*>(v.data()) + kHeaderSize;
  const auto* end = reinterpret_cast<const unsigned char*>(v.data()) + v.size();
  long idx = 0;
  while (p < end) {
    long run;
    int val = 0;
    if (IsZero(p)) {
      run = ZeroLen(p);
      p += 1;
    } else if (IsXzero(p)) {
      run = (((*p & 0x3f) << 8) | (p + 1 < end ? p[1] : 0)) + 1;
      p += 2;
    } else {
      run = ValLen(p);
      val = ValValue(p);
      if (idx + run > kRegisters) return -1;
      p += 1;
    }
    f(idx, run, val);
    idx += run;
  }
  return idx;
}

// True if the sparse body of `v` covers exactly kRegisters.
bool SparseValid(std::string_view v);

// hllMerge: raises max[i] (kRegisters bytes) to register i of `v`; false for a corrupt body.
bool MergeInto(std::string_view v, unsigned char* max);

// The register histogram of `v` (64 counters, zeroed by the caller); false for a corrupt body.
bool Histogram(std::string_view v, int* histo);

// hllCount's estimate from a register histogram.
uint64_t Estimate(const int* histo);

// The cardinality of `v` (ignoring its cache); false for a corrupt body.
bool Count(std::string_view v, uint64_t* card);

// The cardinality of kRegisters raw registers (PFCOUNT of several keys).
uint64_t CountRegisters(const unsigned char* max);

}  // namespace redlink::engine::hll

#endif  // REDLINK_ENGINE_ENCODING_HYPERLOGLOG_H_
