// NEON kernels of the float and 32-element block types, and the activation quantizers.
// Included by dot_neon.cpp (PlainDot) and dot_dotprod.cpp (vdotq_s32); see neon_common.h.
#pragma once

#include <arm_neon.h>

#include "core/fp16.h"
#include "kernels/blocks.h"
#include "kernels/arm/neon_common.h"

namespace edgelm {
namespace {

void VecDotF32(int64_t n, const void* w_row, const void* act_row, float* out) {
  const auto* w = static_cast<const float*>(w_row);
  const auto* a = static_cast<const float*>(act_row);
  float32x4_t acc0 = vdupq_n_f32(0), acc1 = vdupq_n_f32(0), acc2 = vdupq_n_f32(0), acc3 = vdupq_n_f32(0);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = vfmaq_f32(acc0, vld1q_f32(w + i), vld1q_f32(a + i));
    acc1 = vfmaq_f32(acc1, vld1q_f32(w + i + 4), vld1q_f32(a + i + 4));
    acc2 = vfmaq_f32(acc2, vld1q_f32(w + i + 8), vld1q_f32(a + i + 8));
    acc3 = vfmaq_f32(acc3, vld1q_f32(w + i + 12), vld1q_f32(a + i + 12));
  }
  for (; i + 4 <= n; i += 4) acc0 = vfmaq_f32(acc0, vld1q_f32(w + i), vld1q_f32(a + i));
  float sum = vaddvq_f32(vaddq_f32(vaddq_f32(acc0, acc1), vaddq_f32(acc2, acc3)));
  for (; i < n; ++i) sum += w[i] * a[i];
  *out = sum;
}

inline float32x4_t LoadHalf4(const uint16_t* p) { return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p))); }

void VecDotF16(int64_t n, const void* w_row, const void* act_row, float* out) {
  const auto* w = static_cast<const uint16_t*>(w_row);
  const auto* a = static_cast<const uint16_t*>(act_row);
  float32x4_t acc0 = vdupq_n_f32(0), acc1 = vdupq_n_f32(0), acc2 = vdupq_n_f32(0), acc3 = vdupq_n_f32(0);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = vfmaq_f32(acc0, LoadHalf4(w + i), LoadHalf4(a + i));
    acc1 = vfmaq_f32(acc1, LoadHalf4(w + i + 4), LoadHalf4(a + i + 4));
    acc2 = vfmaq_f32(acc2, LoadHalf4(w + i + 8), LoadHalf4(a + i + 8));
    acc3 = vfmaq_f32(acc3, LoadHalf4(w + i + 12), LoadHalf4(a + i + 12));
  }
  for (; i + 4 <= n; i += 4) acc0 = vfmaq_f32(acc0, LoadHalf4(w + i), LoadHalf4(a + i));
  float sum = vaddvq_f32(vaddq_f32(vaddq_f32(acc0, acc1), vaddq_f32(acc2, acc3)));
  for (; i < n; ++i) sum += HalfToFloat(w[i]) * HalfToFloat(a[i]);
  *out = sum;
}

void QuantizeRowF16(const float* x, void* out, int64_t n) {
  auto* y = static_cast<uint16_t*>(out);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) vst1_u16(y + i, vreinterpret_u16_f16(vcvt_f16_f32(vld1q_f32(x + i))));
  for (; i < n; ++i) y[i] = FloatToHalf(x[i]);
}

// BF16 is the upper half of an f32: widening is a 16-bit shift.
inline float32x4_t LoadBf16x4(const uint16_t* p) { return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(p), 16)); }

void VecDotBF16(int64_t n, const void* w_row, const void* act_row, float* out) {
  const auto* w = static_cast<const uint16_t*>(w_row);
  const auto* a = static_cast<const uint16_t*>(act_row);
  float32x4_t acc0 = vdupq_n_f32(0), acc1 = vdupq_n_f32(0), acc2 = vdupq_n_f32(0), acc3 = vdupq_n_f32(0);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = vfmaq_f32(acc0, LoadBf16x4(w + i), LoadBf16x4(a + i));
    acc1 = vfmaq_f32(acc1, LoadBf16x4(w + i + 4), LoadBf16x4(a + i + 4));
    acc2 = vfmaq_f32(acc2, LoadBf16x4(w + i + 8), LoadBf16x4(a + i + 8));
    acc3 = vfmaq_f32(acc3, LoadBf16x4(w + i + 12), LoadBf16x4(a + i + 12));
  }
  for (; i + 4 <= n; i += 4) acc0 = vfmaq_f32(acc0, LoadBf16x4(w + i), LoadBf16x4(a + i));
  float sum = vaddvq_f32(vaddq_f32(vaddq_f32(acc0, acc1), vaddq_f32(acc2, acc3)));
  for (; i < n; ++i) sum += Bf16ToF32(w[i]) * Bf16ToF32(a[i]);
  *out = sum;
}

// F32 -> BF16 with round to nearest even and quiet NaNs, bit-exact with F32ToBf16.
void QuantizeRowBF16(const float* x, void* out, int64_t n) {
  auto* y = static_cast<uint16_t*>(out);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const float32x4_t v = vld1q_f32(x + i);
    const uint32x4_t bits = vreinterpretq_u32_f32(v);
    const uint32x4_t lsb = vandq_u32(vshrq_n_u32(bits, 16), vdupq_n_u32(1));
    const uint32x4_t rounded = vaddq_u32(bits, vaddq_u32(vdupq_n_u32(0x7FFF), lsb));
    const uint32x4_t nan = vorrq_u32(bits, vdupq_n_u32(0x400000));  // quiet bit, then >> 16
    const uint32x4_t not_nan = vceqq_f32(v, v);
    vst1_u16(y + i, vshrn_n_u32(vbslq_u32(not_nan, rounded, nan), 16));
  }
  for (; i < n; ++i) y[i] = F32ToBf16(x[i]);
}

// One block of 32 floats -> 32 int8, scale amax / 127, roundf rounding (vcvtaq: ties away
// from zero, as the scalar quantizer). Returns the scale; *qsum gets the sum of the codes.
inline float QuantizeBlock32(const float* x, int8_t* qs, int32_t* qsum) {
  float32x4_t v[8];
  float32x4_t m = vdupq_n_f32(0);
  for (int k = 0; k < 8; ++k) {
    v[k] = vld1q_f32(x + 4 * k);
    m = vmaxq_f32(m, vabsq_f32(v[k]));
  }
  const float amax = vmaxvq_f32(m);
  const float d = amax / 127.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  int32x4_t sum = vdupq_n_s32(0);
  for (int k = 0; k < 8; k += 2) {
    const int32x4_t i0 = vcvtaq_s32_f32(vmulq_n_f32(v[k], id));
    const int32x4_t i1 = vcvtaq_s32_f32(vmulq_n_f32(v[k + 1], id));
    sum = vaddq_s32(sum, vaddq_s32(i0, i1));
    const int16x8_t s16 = vcombine_s16(vqmovn_s32(i0), vqmovn_s32(i1));
    vst1_s8(qs + 4 * k, vqmovn_s16(s16));
  }
  if (qsum != nullptr) *qsum = vaddvq_s32(sum);
  return d;
}

void QuantizeRowQ8_0(const float* x, void* out, int64_t n) {
  auto* y = static_cast<BlockQ8_0*>(out);
  for (int64_t b = 0; b < n / kQK; ++b) y[b].d = FloatToHalf(QuantizeBlock32(x + b * kQK, y[b].qs, nullptr));
}

void QuantizeRowQ8_1(const float* x, void* out, int64_t n) {
  auto* y = static_cast<BlockQ8_1*>(out);
  for (int64_t b = 0; b < n / kQK; ++b) {
    int32_t qsum = 0;
    const float d = QuantizeBlock32(x + b * kQK, y[b].qs, &qsum);
    y[b].d = FloatToHalf(d);
    y[b].s = FloatToHalf(static_cast<float>(qsum) * d);
  }
}

// Q8_K: scale from the first element of largest magnitude (sign included), codes =
// nearest (ties to even, vcvtnq) of x * -127 / max, capped at 127.
void QuantizeRowQ8_K(const float* x, void* out, int64_t n) {
  auto* y = static_cast<BlockQ8_K*>(out);
  for (int64_t b = 0; b < n / kQK_K; ++b, x += kQK_K) {
    float32x4_t m = vdupq_n_f32(0);
    for (int j = 0; j < kQK_K; j += 4) m = vmaxq_f32(m, vabsq_f32(vld1q_f32(x + j)));
    const float amax = vmaxvq_f32(m);
    if (amax == 0.0f) {
      std::memset(&y[b], 0, sizeof(BlockQ8_K));
      continue;
    }
    float max = 0.0f;
    for (int j = 0; j < kQK_K; ++j) {
      if (x[j] == amax || x[j] == -amax) {
        max = x[j];
        break;
      }
    }
    const float iscale = -127.0f / max;
    const int32x4_t cap = vdupq_n_s32(127);
    for (int j = 0; j < kQK_K; j += 16) {
      int32x4_t q[4];
      for (int k = 0; k < 4; ++k) q[k] = vminq_s32(vcvtnq_s32_f32(vmulq_n_f32(vld1q_f32(x + j + 4 * k), iscale)), cap);
      const int8x16_t packed = vcombine_s8(vqmovn_s16(vcombine_s16(vqmovn_s32(q[0]), vqmovn_s32(q[1]))),
                                           vqmovn_s16(vcombine_s16(vqmovn_s32(q[2]), vqmovn_s32(q[3]))));
      vst1q_s8(y[b].qs + j, packed);
      y[b].bsums[j / 16] = vaddlvq_s8(packed);
    }
    y[b].d = 1.0f / iscale;
  }
}

template <class D>
void VecDotQ8_0(int64_t n, const void* w_row, const void* act_row, float* out) {
  const auto* w = static_cast<const BlockQ8_0*>(w_row);
  const auto* a = static_cast<const BlockQ8_0*>(act_row);
  float32x4_t acc = vdupq_n_f32(0);
  for (int64_t b = 0; b < n / kQK; ++b) {
    int32x4_t s = D::Dot(vdupq_n_s32(0), vld1q_s8(w[b].qs), vld1q_s8(a[b].qs));
    s = D::Dot(s, vld1q_s8(w[b].qs + 16), vld1q_s8(a[b].qs + 16));
    acc = vfmaq_n_f32(acc, vcvtq_f32_s32(s), HalfToFloat(w[b].d) * HalfToFloat(a[b].d));
  }
  *out = vaddvq_f32(acc);
}

template <class D>
void VecDotQ4_0(int64_t n, const void* w_row, const void* act_row, float* out) {
  const auto* w = static_cast<const BlockQ4_0*>(w_row);
  const auto* a = static_cast<const BlockQ8_0*>(act_row);
  const int8x16_t eight = vdupq_n_s8(8);
  float32x4_t acc = vdupq_n_f32(0);
  for (int64_t b = 0; b < n / kQK; ++b) {
    const uint8x16_t q = vld1q_u8(w[b].qs);
    int32x4_t s = D::Dot(vdupq_n_s32(0), vsubq_s8(LowNibbles(q), eight), vld1q_s8(a[b].qs));
    s = D::Dot(s, vsubq_s8(HighNibbles(q), eight), vld1q_s8(a[b].qs + 16));
    acc = vfmaq_n_f32(acc, vcvtq_f32_s32(s), HalfToFloat(w[b].d) * HalfToFloat(a[b].d));
  }
  *out = vaddvq_f32(acc);
}

template <class D>
void VecDotQ4_1(int64_t n, const void* w_row, const void* act_row, float* out) {
  const auto* w = static_cast<const BlockQ4_1*>(w_row);
  const auto* a = static_cast<const BlockQ8_1*>(act_row);
  float32x4_t acc = vdupq_n_f32(0);
  float sum_m = 0.0f;
  for (int64_t b = 0; b < n / kQK; ++b) {
    const uint8x16_t q = vld1q_u8(w[b].qs);
    int32x4_t s = D::Dot(vdupq_n_s32(0), LowNibbles(q), vld1q_s8(a[b].qs));
    s = D::Dot(s, HighNibbles(q), vld1q_s8(a[b].qs + 16));
    acc = vfmaq_n_f32(acc, vcvtq_f32_s32(s), HalfToFloat(w[b].d) * HalfToFloat(a[b].d));
    sum_m += HalfToFloat(w[b].m) * HalfToFloat(a[b].s);
  }
  *out = vaddvq_f32(acc) + sum_m;
}

template <class D>
void VecDotQ5_0(int64_t n, const void* w_row, const void* act_row, float* out) {
  const auto* w = static_cast<const BlockQ5_0*>(w_row);
  const auto* a = static_cast<const BlockQ8_0*>(act_row);
  const int8x16_t sixteen = vdupq_n_s8(16);
  float32x4_t acc = vdupq_n_f32(0);
  for (int64_t b = 0; b < n / kQK; ++b) {
    const uint8x16_t q = vld1q_u8(w[b].qs);
    const int8x16_t lo = vorrq_s8(LowNibbles(q), vreinterpretq_s8_u8(BitsToBytes16(w[b].qh, 0x10)));
    const int8x16_t hi = vorrq_s8(HighNibbles(q), vreinterpretq_s8_u8(BitsToBytes16(w[b].qh + 2, 0x10)));
    int32x4_t s = D::Dot(vdupq_n_s32(0), vsubq_s8(lo, sixteen), vld1q_s8(a[b].qs));
    s = D::Dot(s, vsubq_s8(hi, sixteen), vld1q_s8(a[b].qs + 16));
    acc = vfmaq_n_f32(acc, vcvtq_f32_s32(s), HalfToFloat(w[b].d) * HalfToFloat(a[b].d));
  }
  *out = vaddvq_f32(acc);
}

template <class D>
void VecDotQ5_1(int64_t n, const void* w_row, const void* act_row, float* out) {
  const auto* w = static_cast<const BlockQ5_1*>(w_row);
  const auto* a = static_cast<const BlockQ8_1*>(act_row);
  float32x4_t acc = vdupq_n_f32(0);
  float sum_m = 0.0f;
  for (int64_t b = 0; b < n / kQK; ++b) {
    const uint8x16_t q = vld1q_u8(w[b].qs);
    const int8x16_t lo = vorrq_s8(LowNibbles(q), vreinterpretq_s8_u8(BitsToBytes16(w[b].qh, 0x10)));
    const int8x16_t hi = vorrq_s8(HighNibbles(q), vreinterpretq_s8_u8(BitsToBytes16(w[b].qh + 2, 0x10)));
    int32x4_t s = D::Dot(vdupq_n_s32(0), lo, vld1q_s8(a[b].qs));
    s = D::Dot(s, hi, vld1q_s8(a[b].qs + 16));
    acc = vfmaq_n_f32(acc, vcvtq_f32_s32(s), HalfToFloat(w[b].d) * HalfToFloat(a[b].d));
    sum_m += HalfToFloat(w[b].m) * HalfToFloat(a[b].s);
  }
  *out = vaddvq_f32(acc) + sum_m;
}

}  // namespace
}  // namespace edgelm
