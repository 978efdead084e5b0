// NEON kernels of the K-quants against Q8_K activations, templated on the int8 dot
// policy (see neon_common.h). Codes are made signed before the dot product (Q3_K: -4..3,
// Q6_K: -32..31), so only the Q2_K/Q4_K/Q5_K mins need the activations' bsums. Each
// 16- or 32-element group's int32x4 partial sum is multiplied by its scale in registers.
#pragma once

#include <arm_neon.h>

#include "kernels/blocks.h"
#include "kernels/kquant_scales.h"
#include "kernels/arm/neon_common.h"

namespace edgelm {
namespace {

// Group scale applied to the partial sums of one group: acc += partial * scale.
template <class D>
inline int32x4_t ScaledGroup16(int32x4_t acc, int8x16_t q, const int8_t* a, int scale) {
  return vmlaq_n_s32(acc, D::Dot(vdupq_n_s32(0), q, vld1q_s8(a)), scale);
}
template <class D>
inline int32x4_t ScaledGroup32(int32x4_t acc, int8x16_t q0, int8x16_t q1, const int8_t* a, int scale) {
  const int32x4_t s = D::Dot(D::Dot(vdupq_n_s32(0), q0, vld1q_s8(a)), q1, vld1q_s8(a + 16));
  return vmlaq_n_s32(acc, s, scale);
}

template <class D>
void VecDotQ4_K(int64_t n, const void* w_row, const void* act_row, float* out) {
  const auto* w = static_cast<const BlockQ4_K*>(w_row);
  const auto* a = static_cast<const BlockQ8_K*>(act_row);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    uint8_t sc[8], mn[8];
    UnpackScaleMinK4(w[b].scales, sc, mn);
    int32_t sum_mins = 0;
    for (int j = 0; j < 8; ++j) sum_mins += mn[j] * (a[b].bsums[2 * j] + a[b].bsums[2 * j + 1]);
    int32x4_t sumi = vdupq_n_s32(0);
    for (int c = 0; c < 4; ++c) {
      const uint8x16_t q0 = vld1q_u8(w[b].qs + 32 * c), q1 = vld1q_u8(w[b].qs + 32 * c + 16);
      sumi = ScaledGroup32<D>(sumi, LowNibbles(q0), LowNibbles(q1), a[b].qs + 64 * c, sc[2 * c]);
      sumi = ScaledGroup32<D>(sumi, HighNibbles(q0), HighNibbles(q1), a[b].qs + 64 * c + 32, sc[2 * c + 1]);
    }
    sum += a[b].d * HalfToFloat(w[b].d) * static_cast<float>(vaddvq_s32(sumi)) -
           a[b].d * HalfToFloat(w[b].dmin) * static_cast<float>(sum_mins);
  }
  *out = sum;
}

template <class D>
void VecDotQ5_K(int64_t n, const void* w_row, const void* act_row, float* out) {
  const auto* w = static_cast<const BlockQ5_K*>(w_row);
  const auto* a = static_cast<const BlockQ8_K*>(act_row);
  const uint8x16_t one = vdupq_n_u8(1);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    uint8_t sc[8], mn[8];
    UnpackScaleMinK4(w[b].scales, sc, mn);
    int32_t sum_mins = 0;
    for (int j = 0; j < 8; ++j) sum_mins += mn[j] * (a[b].bsums[2 * j] + a[b].bsums[2 * j + 1]);
    uint8x16_t qh0 = vld1q_u8(w[b].qh), qh1 = vld1q_u8(w[b].qh + 16);
    int32x4_t sumi = vdupq_n_s32(0);
    for (int c = 0; c < 4; ++c) {
      // Bit 0 of the shifted qh is the 5th bit of the low-nibble elements, bit 1 of the high.
      const uint8x16_t q0 = vld1q_u8(w[b].qs + 32 * c), q1 = vld1q_u8(w[b].qs + 32 * c + 16);
      const int8x16_t lo0 = vreinterpretq_s8_u8(vorrq_u8(vandq_u8(q0, vdupq_n_u8(15)), vshlq_n_u8(vandq_u8(qh0, one), 4)));
      const int8x16_t lo1 = vreinterpretq_s8_u8(vorrq_u8(vandq_u8(q1, vdupq_n_u8(15)), vshlq_n_u8(vandq_u8(qh1, one), 4)));
      const int8x16_t hi0 = vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(q0, 4), vshlq_n_u8(vandq_u8(vshrq_n_u8(qh0, 1), one), 4)));
      const int8x16_t hi1 = vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(q1, 4), vshlq_n_u8(vandq_u8(vshrq_n_u8(qh1, 1), one), 4)));
      sumi = ScaledGroup32<D>(sumi, lo0, lo1, a[b].qs + 64 * c, sc[2 * c]);
      sumi = ScaledGroup32<D>(sumi, hi0, hi1, a[b].qs + 64 * c + 32, sc[2 * c + 1]);
      qh0 = vshrq_n_u8(qh0, 2);
      qh1 = vshrq_n_u8(qh1, 2);
    }
    sum += a[b].d * HalfToFloat(w[b].d) * static_cast<float>(vaddvq_s32(sumi)) -
           a[b].d * HalfToFloat(w[b].dmin) * static_cast<float>(sum_mins);
  }
  *out = sum;
}

// Q6_K layout: see dot_k_avx2.cpp (element 128h + 32j + l, scale 8h + 2j + l / 16).
template <class D>
void VecDotQ6_K(int64_t n, const void* w_row, const void* act_row, float* out) {
  const auto* w = static_cast<const BlockQ6_K*>(w_row);
  const auto* a = static_cast<const BlockQ8_K*>(act_row);
  const uint8x16_t low4 = vdupq_n_u8(0x0F), two_bits = vdupq_n_u8(0x30);
  const int8x16_t bias = vdupq_n_s8(32);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const int8_t* sc = w[b].scales;
    int32x4_t sumi = vdupq_n_s32(0);
    for (int h = 0; h < 2; ++h) {
      const uint8_t* ql = w[b].ql + 64 * h;
      const uint8_t* qhp = w[b].qh + 32 * h;
      const int8_t* ah = a[b].qs + 128 * h;
      for (int part = 0; part < 2; ++part) {  // l in [16 part, 16 part + 16)
        const uint8x16_t l0 = vld1q_u8(ql + 16 * part), l1 = vld1q_u8(ql + 32 + 16 * part);
        const uint8x16_t qh = vld1q_u8(qhp + 16 * part);
        const uint8x16_t q[4] = {
            vorrq_u8(vandq_u8(l0, low4), vandq_u8(vshlq_n_u8(qh, 4), two_bits)),
            vorrq_u8(vandq_u8(l1, low4), vandq_u8(vshlq_n_u8(qh, 2), two_bits)),
            vorrq_u8(vshrq_n_u8(l0, 4), vandq_u8(qh, two_bits)),
            vorrq_u8(vshrq_n_u8(l1, 4), vandq_u8(vshrq_n_u8(qh, 2), two_bits))};
        for (int j = 0; j < 4; ++j) {
          const int8x16_t qs = vsubq_s8(vreinterpretq_s8_u8(q[j]), bias);
          sumi = ScaledGroup16<D>(sumi, qs, ah + 32 * j + 16 * part, sc[8 * h + 2 * j + part]);
        }
      }
    }
    sum += a[b].d * HalfToFloat(w[b].d) * static_cast<float>(vaddvq_s32(sumi));
  }
  *out = sum;
}

// Q3_K layout: see dot_k_avx2.cpp; codes = 2 low bits + 4 * hmask bit - 4.
template <class D>
void VecDotQ3_K(int64_t n, const void* w_row, const void* act_row, float* out) {
  const auto* w = static_cast<const BlockQ3_K*>(w_row);
  const auto* a = static_cast<const BlockQ8_K*>(act_row);
  const uint8x16_t three = vdupq_n_u8(3), one = vdupq_n_u8(1);
  const int8x16_t four = vdupq_n_s8(4);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    int8_t sc[16];
    UnpackScalesQ3K(w[b].scales, sc);
    int32x4_t sumi = vdupq_n_s32(0);
    for (int part = 0; part < 2; ++part) {
      const uint8x16_t hm = vld1q_u8(w[b].hmask + 16 * part);
      for (int h = 0; h < 2; ++h) {
        const uint8x16_t qs = vld1q_u8(w[b].qs + 32 * h + 16 * part);
        for (int j = 0; j < 4; ++j) {
          const uint8x16_t low = vandq_u8(vshlq_u8(qs, vdupq_n_s8(static_cast<int8_t>(-2 * j))), three);
          const uint8x16_t high = vandq_u8(vshlq_u8(hm, vdupq_n_s8(static_cast<int8_t>(-(4 * h + j)))), one);
          const int8x16_t q = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(low, vshlq_n_u8(high, 2))), four);
          sumi = ScaledGroup16<D>(sumi, q, a[b].qs + 128 * h + 32 * j + 16 * part, sc[8 * h + 2 * j + part]);
        }
      }
    }
    sum += a[b].d * HalfToFloat(w[b].d) * static_cast<float>(vaddvq_s32(sumi));
  }
  *out = sum;
}

// Q2_K layout: see dot_k_avx2.cpp; group g has scale scales[g] & 15 and min scales[g] >> 4.
template <class D>
void VecDotQ2_K(int64_t n, const void* w_row, const void* act_row, float* out) {
  const auto* w = static_cast<const BlockQ2_K*>(w_row);
  const auto* a = static_cast<const BlockQ8_K*>(act_row);
  const uint8x16_t three = vdupq_n_u8(3);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    int32_t sum_mins = 0;
    for (int g = 0; g < 16; ++g) sum_mins += (w[b].scales[g] >> 4) * a[b].bsums[g];
    int32x4_t sumi = vdupq_n_s32(0);
    for (int h = 0; h < 2; ++h) {
      for (int part = 0; part < 2; ++part) {
        const uint8x16_t qs = vld1q_u8(w[b].qs + 32 * h + 16 * part);
        for (int j = 0; j < 4; ++j) {
          const int8x16_t q = vreinterpretq_s8_u8(vandq_u8(vshlq_u8(qs, vdupq_n_s8(static_cast<int8_t>(-2 * j))), three));
          const int g = 8 * h + 2 * j + part;
          sumi = ScaledGroup16<D>(sumi, q, a[b].qs + 128 * h + 32 * j + 16 * part, w[b].scales[g] & 15);
        }
      }
    }
    sum += a[b].d * HalfToFloat(w[b].d) * static_cast<float>(vaddvq_s32(sumi)) -
           a[b].d * HalfToFloat(w[b].dmin) * static_cast<float>(sum_mins);
  }
  *out = sum;
}

}  // namespace
}  // namespace edgelm
