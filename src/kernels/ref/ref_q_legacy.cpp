// The 32-element block types: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 and the Q8_1 activations.
//
// Layout facts (ggml): element j < 16 of a 4/5-bit block sits in the low nibble of qs[j],
// element j + 16 in the high nibble; the 5th bit of element j is bit j of the 32-bit
// little-endian qh. The quantizers are ggml's reference ones: *_0 types put the value of
// largest magnitude on the most negative code (d = max / -8 or -16), *_1 types spread
// [min, max] over all codes, Q8_0/Q8_1 use d = amax / 127 with round-half-away-from-zero.
#include <algorithm>
#include <cfloat>
#include <cmath>

#include "core/fp16.h"
#include "core/status.h"
#include "kernels/blocks.h"
#include "kernels/ref/ref_rows.h"
#include "kernels/ref/strict_fp.h"  // last: affects the code below

namespace edgelm::ref {
namespace {

constexpr int kHalf = kQK / 2;

uint32_t LoadQh(const uint8_t qh[4]) {
  return static_cast<uint32_t>(qh[0]) | (static_cast<uint32_t>(qh[1]) << 8) |
         (static_cast<uint32_t>(qh[2]) << 16) | (static_cast<uint32_t>(qh[3]) << 24);
}

void StoreQh(uint32_t v, uint8_t qh[4]) {
  for (int i = 0; i < 4; ++i) qh[i] = static_cast<uint8_t>(v >> (8 * i));
}

int64_t Blocks(int64_t n) {
  EDGELM_CHECK_MSG(n % kQK == 0, "row length " + std::to_string(n) + " is not a multiple of 32");
  return n / kQK;
}

// Value of largest magnitude in a block (the first one on ties, as ggml).
float SignedAbsMax(const float* x, int count) {
  float amax = 0.0f, max = 0.0f;
  for (int j = 0; j < count; ++j) {
    if (std::fabs(x[j]) > amax) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  return max;
}

void MinMax(const float* x, int count, float* min, float* max) {
  *min = FLT_MAX;
  *max = -FLT_MAX;
  for (int j = 0; j < count; ++j) {
    *min = std::min(*min, x[j]);
    *max = std::max(*max, x[j]);
  }
}

// 5-bit codes of one block of a Q5 type, from nibbles and qh.
void Unpack5(const uint8_t* qs, const uint8_t qh_bytes[4], int q[kQK]) {
  const uint32_t qh = LoadQh(qh_bytes);
  for (int j = 0; j < kHalf; ++j) {
    q[j] = (qs[j] & 0x0F) | static_cast<int>(((qh >> j) & 1u) << 4);
    q[j + kHalf] = (qs[j] >> 4) | static_cast<int>(((qh >> (j + kHalf)) & 1u) << 4);
  }
}

void Pack5(const int q[kQK], uint8_t* qs, uint8_t qh_bytes[4]) {
  uint32_t qh = 0;
  for (int j = 0; j < kHalf; ++j) {
    qs[j] = static_cast<uint8_t>((q[j] & 0x0F) | ((q[j + kHalf] & 0x0F) << 4));
    qh |= static_cast<uint32_t>((q[j] >> 4) & 1) << j;
    qh |= static_cast<uint32_t>((q[j + kHalf] >> 4) & 1) << (j + kHalf);
  }
  StoreQh(qh, qh_bytes);
}

}  // namespace

// ---- quantizers ------------------------------------------------------------------------

void QuantizeRowQ4_0(const float* x, void* out, int64_t n) {
  BlockQ4_0* y = static_cast<BlockQ4_0*>(out);
  for (int64_t b = 0, nb = Blocks(n); b < nb; ++b, x += kQK) {
    const float d = SignedAbsMax(x, kQK) / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = F32ToFp16(d);
    for (int j = 0; j < kHalf; ++j) {
      // x * id lies in [-8, 8]; +8.5 then truncation rounds to the nearest code.
      const int q0 = std::min(15, static_cast<int>(x[j] * id + 8.5f));
      const int q1 = std::min(15, static_cast<int>(x[j + kHalf] * id + 8.5f));
      y[b].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

void QuantizeRowQ4_1(const float* x, void* out, int64_t n) {
  BlockQ4_1* y = static_cast<BlockQ4_1*>(out);
  for (int64_t b = 0, nb = Blocks(n); b < nb; ++b, x += kQK) {
    float min, max;
    MinMax(x, kQK, &min, &max);
    const float d = (max - min) / 15.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = F32ToFp16(d);
    y[b].m = F32ToFp16(min);
    for (int j = 0; j < kHalf; ++j) {
      const int q0 = std::min(15, static_cast<int>((x[j] - min) * id + 0.5f));
      const int q1 = std::min(15, static_cast<int>((x[j + kHalf] - min) * id + 0.5f));
      y[b].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

void QuantizeRowQ5_0(const float* x, void* out, int64_t n) {
  BlockQ5_0* y = static_cast<BlockQ5_0*>(out);
  for (int64_t b = 0, nb = Blocks(n); b < nb; ++b, x += kQK) {
    const float d = SignedAbsMax(x, kQK) / -16.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = F32ToFp16(d);
    int q[kQK];
    for (int j = 0; j < kQK; ++j) q[j] = std::min(31, static_cast<int>(x[j] * id + 16.5f));
    Pack5(q, y[b].qs, y[b].qh);
  }
}

void QuantizeRowQ5_1(const float* x, void* out, int64_t n) {
  BlockQ5_1* y = static_cast<BlockQ5_1*>(out);
  for (int64_t b = 0, nb = Blocks(n); b < nb; ++b, x += kQK) {
    float min, max;
    MinMax(x, kQK, &min, &max);
    const float d = (max - min) / 31.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = F32ToFp16(d);
    y[b].m = F32ToFp16(min);
    int q[kQK];
    for (int j = 0; j < kQK; ++j) q[j] = std::min(31, static_cast<int>((x[j] - min) * id + 0.5f));
    Pack5(q, y[b].qs, y[b].qh);
  }
}

void QuantizeRowQ8_0(const float* x, void* out, int64_t n) {
  BlockQ8_0* y = static_cast<BlockQ8_0*>(out);
  for (int64_t b = 0, nb = Blocks(n); b < nb; ++b, x += kQK) {
    float amax = 0.0f;
    for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = F32ToFp16(d);
    for (int j = 0; j < kQK; ++j) y[b].qs[j] = static_cast<int8_t>(std::round(x[j] * id));
  }
}

void QuantizeRowQ8_1(const float* x, void* out, int64_t n) {
  BlockQ8_1* y = static_cast<BlockQ8_1*>(out);
  for (int64_t b = 0, nb = Blocks(n); b < nb; ++b, x += kQK) {
    float amax = 0.0f;
    for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = F32ToFp16(d);
    int sum = 0;
    for (int j = 0; j < kQK; ++j) {
      y[b].qs[j] = static_cast<int8_t>(std::round(x[j] * id));
      sum += y[b].qs[j];
    }
    // s carries d * sum(q) so that the Q4_1/Q5_1 dot adds m * s for the weights' offset.
    y[b].s = F32ToFp16(static_cast<float>(sum) * d);
  }
}

// ---- dequantizers ----------------------------------------------------------------------

void DequantizeRowQ4_0(const void* row, float* out, int64_t n) {
  const BlockQ4_0* x = static_cast<const BlockQ4_0*>(row);
  for (int64_t b = 0, nb = Blocks(n); b < nb; ++b, out += kQK) {
    const float d = Fp16ToF32(x[b].d);
    for (int j = 0; j < kHalf; ++j) {
      out[j] = static_cast<float>((x[b].qs[j] & 0x0F) - 8) * d;
      out[j + kHalf] = static_cast<float>((x[b].qs[j] >> 4) - 8) * d;
    }
  }
}

void DequantizeRowQ4_1(const void* row, float* out, int64_t n) {
  const BlockQ4_1* x = static_cast<const BlockQ4_1*>(row);
  for (int64_t b = 0, nb = Blocks(n); b < nb; ++b, out += kQK) {
    const float d = Fp16ToF32(x[b].d);
    const float m = Fp16ToF32(x[b].m);
    for (int j = 0; j < kHalf; ++j) {
      out[j] = static_cast<float>(x[b].qs[j] & 0x0F) * d + m;
      out[j + kHalf] = static_cast<float>(x[b].qs[j] >> 4) * d + m;
    }
  }
}

void DequantizeRowQ5_0(const void* row, float* out, int64_t n) {
  const BlockQ5_0* x = static_cast<const BlockQ5_0*>(row);
  for (int64_t b = 0, nb = Blocks(n); b < nb; ++b, out += kQK) {
    const float d = Fp16ToF32(x[b].d);
    int q[kQK];
    Unpack5(x[b].qs, x[b].qh, q);
    for (int j = 0; j < kQK; ++j) out[j] = static_cast<float>(q[j] - 16) * d;
  }
}

void DequantizeRowQ5_1(const void* row, float* out, int64_t n) {
  const BlockQ5_1* x = static_cast<const BlockQ5_1*>(row);
  for (int64_t b = 0, nb = Blocks(n); b < nb; ++b, out += kQK) {
    const float d = Fp16ToF32(x[b].d);
    const float m = Fp16ToF32(x[b].m);
    int q[kQK];
    Unpack5(x[b].qs, x[b].qh, q);
    for (int j = 0; j < kQK; ++j) out[j] = static_cast<float>(q[j]) * d + m;
  }
}

void DequantizeRowQ8_0(const void* row, float* out, int64_t n) {
  const BlockQ8_0* x = static_cast<const BlockQ8_0*>(row);
  for (int64_t b = 0, nb = Blocks(n); b < nb; ++b, out += kQK) {
    const float d = Fp16ToF32(x[b].d);
    for (int j = 0; j < kQK; ++j) out[j] = static_cast<float>(x[b].qs[j]) * d;
  }
}

void DequantizeRowQ8_1(const void* row, float* out, int64_t n) {
  const BlockQ8_1* x = static_cast<const BlockQ8_1*>(row);
  for (int64_t b = 0, nb = Blocks(n); b < nb; ++b, out += kQK) {
    const float d = Fp16ToF32(x[b].d);
    for (int j = 0; j < kQK; ++j) out[j] = static_cast<float>(x[b].qs[j]) * d;
  }
}

// ---- dot products: integer sum per block, times the product of the two scales ----------

void VecDotQ4_0Q8_0(int64_t n, const void* w, const void* a, float* out) {
  const BlockQ4_0* x = static_cast<const BlockQ4_0*>(w);
  const BlockQ8_0* y = static_cast<const BlockQ8_0*>(a);
  float sum = 0.0f;
  for (int64_t b = 0, nb = Blocks(n); b < nb; ++b) {
    int sumi = 0;
    for (int j = 0; j < kHalf; ++j) {
      sumi += ((x[b].qs[j] & 0x0F) - 8) * y[b].qs[j];
      sumi += ((x[b].qs[j] >> 4) - 8) * y[b].qs[j + kHalf];
    }
    sum += static_cast<float>(sumi) * (Fp16ToF32(x[b].d) * Fp16ToF32(y[b].d));
  }
  *out = sum;
}

void VecDotQ4_1Q8_1(int64_t n, const void* w, const void* a, float* out) {
  const BlockQ4_1* x = static_cast<const BlockQ4_1*>(w);
  const BlockQ8_1* y = static_cast<const BlockQ8_1*>(a);
  float sum = 0.0f;
  for (int64_t b = 0, nb = Blocks(n); b < nb; ++b) {
    int sumi = 0;
    for (int j = 0; j < kHalf; ++j) {
      sumi += (x[b].qs[j] & 0x0F) * y[b].qs[j];
      sumi += (x[b].qs[j] >> 4) * y[b].qs[j + kHalf];
    }
    sum += (Fp16ToF32(x[b].d) * Fp16ToF32(y[b].d)) * static_cast<float>(sumi) +
           Fp16ToF32(x[b].m) * Fp16ToF32(y[b].s);
  }
  *out = sum;
}

void VecDotQ5_0Q8_0(int64_t n, const void* w, const void* a, float* out) {
  const BlockQ5_0* x = static_cast<const BlockQ5_0*>(w);
  const BlockQ8_0* y = static_cast<const BlockQ8_0*>(a);
  float sum = 0.0f;
  for (int64_t b = 0, nb = Blocks(n); b < nb; ++b) {
    int q[kQK];
    Unpack5(x[b].qs, x[b].qh, q);
    int sumi = 0;
    for (int j = 0; j < kQK; ++j) sumi += (q[j] - 16) * y[b].qs[j];
    sum += static_cast<float>(sumi) * (Fp16ToF32(x[b].d) * Fp16ToF32(y[b].d));
  }
  *out = sum;
}

void VecDotQ5_1Q8_1(int64_t n, const void* w, const void* a, float* out) {
  const BlockQ5_1* x = static_cast<const BlockQ5_1*>(w);
  const BlockQ8_1* y = static_cast<const BlockQ8_1*>(a);
  float sum = 0.0f;
  for (int64_t b = 0, nb = Blocks(n); b < nb; ++b) {
    int q[kQK];
    Unpack5(x[b].qs, x[b].qh, q);
    int sumi = 0;
    for (int j = 0; j < kQK; ++j) sumi += q[j] * y[b].qs[j];
    sum += (Fp16ToF32(x[b].d) * Fp16ToF32(y[b].d)) * static_cast<float>(sumi) +
           Fp16ToF32(x[b].m) * Fp16ToF32(y[b].s);
  }
  *out = sum;
}

void VecDotQ8_0Q8_0(int64_t n, const void* w, const void* a, float* out) {
  const BlockQ8_0* x = static_cast<const BlockQ8_0*>(w);
  const BlockQ8_0* y = static_cast<const BlockQ8_0*>(a);
  float sum = 0.0f;
  for (int64_t b = 0, nb = Blocks(n); b < nb; ++b) {
    int sumi = 0;
    for (int j = 0; j < kQK; ++j) sumi += x[b].qs[j] * y[b].qs[j];
    sum += static_cast<float>(sumi) * (Fp16ToF32(x[b].d) * Fp16ToF32(y[b].d));
  }
  *out = sum;
}

}  // namespace edgelm::ref
