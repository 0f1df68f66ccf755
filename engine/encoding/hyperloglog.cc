#include "engine/encoding/hyperloglog.h"

#include <cmath>

namespace redlink::engine::hll {
namespace {

double Sigma(double x) {
  if (x == 1.) return INFINITY;
  double prev;
  double y = 1;
  double z = x;
  do {
    x *= x;
    prev = z;
    z += x * y;
    y += y;
  } while (prev != z);
  return z;
}

double Tau(double x) {
  if (x == 0. || x == 1.) return 0.;
  double prev;
  double y = 1.0;
  double z = 1 - x;
  do {
    x = std::sqrt(x);
    prev = z;
    y *= 0.5;
    z -= std::pow(1 - x, 2) * y;
  } while (prev != z);
  return z / 3;
}

}  // namespace

int DenseGet(const unsigned char* regs, long i) {
  size_t byte = static_cast<size_t>(i) * 6 / 8;
  unsigned fb = static_cast<unsigned>(i * 6) & 7;
  unsigned long b0 = regs[byte];
  // The last register lies within its byte; the byte after the registers is never read
  // (Redis reads the string's terminator there).
  unsigned long b1 = byte + 1 < kDenseRegisterBytes ? regs[byte + 1] : 0;
  return static_cast<int>(((b0 >> fb) | (b1 << (8 - fb))) & 63);
}

void DenseSetRegister(unsigned char* regs, long i, int val) {
  size_t byte = static_cast<size_t>(i) * 6 / 8;
  unsigned fb = static_cast<unsigned>(i * 6) & 7;
  unsigned fb8 = 8 - fb;
  unsigned long v = static_cast<unsigned long>(val);
  regs[byte] = static_cast<unsigned char>((regs[byte] & ~(63ul << fb)) | (v << fb));
  if (byte + 1 < kDenseRegisterBytes) {
    regs[byte + 1] = static_cast<unsigned char>((regs[byte + 1] & ~(63ul >> fb8)) | (v >> fb8));
  }
}

bool SparseValid(std::string_view v) {
  return ForEachSparseRun(v, [](long, long, int) {}) == kRegisters;
}

bool MergeInto(std::string_view v, unsigned char* max) {
  if (IsDense(v)) {
    const auto* regs = reinterpret_cast<const unsigned char*>(v.data()) + kHeaderSize;
    for (long i = 0; i < kRegisters; ++i) {
      int r = DenseGet(regs, i);
      if (r > max[i]) max[i] = static_cast<unsigned char>(r);
    }
    return true;
  }
  long covered = ForEachSparseRun(v, [max](long first, long run, int val) {
    if (val == 0) return;
    for (long i = first; i < first + run; ++i) {
      if (val > max[i]) max[i] = static_cast<unsigned char>(val);
    }
  });
  return covered == kRegisters;
}

bool Histogram(std::string_view v, int* histo) {
  if (IsDense(v)) {
    const auto* regs = reinterpret_cast<const unsigned char*>(v.data()) + kHeaderSize;
    for (long i = 0; i < kRegisters; ++i) ++histo[DenseGet(regs, i)];
    return true;
  }
  long covered = ForEachSparseRun(
      v, [histo](long, long run, int val) { histo[val] += static_cast<int>(run); });
  return covered == kRegisters;
}

uint64_t Estimate(const int* histo) {
  double m = kRegisters;
  double z = m * Tau((m - histo[kQ + 1]) / m);
  for (int j = kQ; j >= 1; --j) {
    z += histo[j];
    z *= 0.5;
  }
  z += m * Sigma(histo[0] / m);
  constexpr double kAlphaInf = 0.721347520444481703680;
  return static_cast<uint64_t>(llroundl(kAlphaInf * m * m / z));
}

bool Count(std::string_view v, uint64_t* card) {
  int histo[64] = {0};
  if (!Histogram(v, histo)) return false;
  *card = Estimate(histo);
  return true;
}

uint64_t CountRegisters(const unsigned char* max) {
  int histo[64] = {0};
  for (long i = 0; i < kRegisters; ++i) ++histo[max[i]];
  return Estimate(histo);
}

}  // namespace redlink::engine::hll
