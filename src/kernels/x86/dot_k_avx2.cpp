// AVX2 kernels of the K-quants (256-element super-blocks; Q4_K and Q6_K are in
// gemm_k_avx2.cpp with their tile kernels) and the Q8_K activation quantizer. Weight quants are kept unsigned (0..63) so that maddubs applies directly;
// their zero points (Q3_K: 4, Q6_K: 32) and the Q2_K/Q4_K/Q5_K mins are folded in once
// per super-block through the activations' 16-element sums (bsums).
#include <immintrin.h>

#include "kernels/blocks.h"
#include "kernels/kquant_scales.h"
#include "kernels/x86/avx2_common.h"
#include "kernels/x86/avx2_kernels.h"

namespace edgelm::avx2 {
namespace {

// dot of 32 unsigned codes (groups 2p and 2p + 1) with 32 activations, each group
// weighted by its scale: 8 int32 lanes.
inline __m256i ScaledDot16x2(__m256i q, __m256i a, __m256i pair_scales) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(q, a), pair_scales);
}

// Q3_K's 16 six-bit scales (offset 32) as int8, in SIMD: the low nibbles are bytes 0..7
// (low, then high nibbles), the top 2 bits of scale j sit in byte 8 + j % 4 at bit
// 2 * (j / 4), i.e. byte j of the word s[8..11] replicated and shifted by 0, 2, 4, 6.
inline __m128i UnpackScalesQ3KSimd(const uint8_t* s) {
  const __m128i low8 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(s));
  const __m128i m4 = _mm_set1_epi8(0x0F);
  const __m128i low = _mm_unpacklo_epi64(_mm_and_si128(low8, m4), _mm_and_si128(_mm_srli_epi16(low8, 4), m4));
  uint32_t word;
  std::memcpy(&word, s + 8, 4);
  const __m128i high = _mm_and_si128(_mm_srlv_epi32(_mm_set1_epi32(static_cast<int>(word)), _mm_setr_epi32(0, 2, 4, 6)),
                                     _mm_set1_epi8(3));
  return _mm_sub_epi8(_mm_or_si128(low, _mm_slli_epi16(high, 4)), _mm_set1_epi8(32));
}

// dot of 32 unsigned quants with 32 activations under one scale: 8 int32 lanes.
inline __m256i ScaledDot32(__m256i q, __m256i a, int scale) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(q, a), _mm256_set1_epi16(static_cast<int16_t>(scale)));
}

// sum_k scales[k] * bsums[k] over the 16 groups of a super-block.
inline int32_t ScaledBsums(const int16_t* bsums, __m256i scales16) {
  return HsumI32x8(_mm256_madd_epi16(LoadU256(bsums), scales16));
}

}  // namespace

// Q8_K: scale from the element of largest magnitude (its sign included, first one on
// ties), quants = nearest (ties to even) of x * -127 / max, capped at 127.
void QuantizeRowQ8_K(const float* x, void* out, int64_t n) {
  auto* y = static_cast<BlockQ8_K*>(out);
  for (int64_t b = 0; b < n / kQK_K; ++b, x += kQK_K) {
    __m256 m = _mm256_setzero_ps();
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (int j = 0; j < kQK_K; j += 8) m = _mm256_max_ps(m, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + j)));
    const float amax = MaxAbsF32x8(m);
    if (amax == 0.0f) {
      std::memset(&y[b], 0, sizeof(BlockQ8_K));
      continue;
    }
    float max = 0.0f;
    const __m256 vamax = _mm256_set1_ps(amax);
    for (int j = 0; j < kQK_K; j += 8) {
      const __m256 ax = _mm256_andnot_ps(sign, _mm256_loadu_ps(x + j));
      const int mask = _mm256_movemask_ps(_mm256_cmp_ps(ax, vamax, _CMP_EQ_OQ));
      if (mask != 0) {
        max = x[j + __builtin_ctz(static_cast<unsigned>(mask))];
        break;
      }
    }
    const float iscale = -127.0f / max;
    const __m256 vis = _mm256_set1_ps(iscale);
    const __m256i cap = _mm256_set1_epi32(127);
    for (int j = 0; j < kQK_K; j += 32) {
      __m256i q[4];
      for (int k = 0; k < 4; ++k) {
        const __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + j + 8 * k), vis);
        q[k] = _mm256_min_epi32(_mm256_cvtps_epi32(_mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)), cap);
      }
      const __m256i packed = PackI32ToI8(q[0], q[1], q[2], q[3]);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(y[b].qs + j), packed);
      // Sums of 16 int8: widen to int16 and add pairs down to one value per half.
      const __m256i w0 = _mm256_cvtepi8_epi16(_mm256_castsi256_si128(packed));
      const __m256i w1 = _mm256_cvtepi8_epi16(_mm256_extracti128_si256(packed, 1));
      y[b].bsums[j / 16] = static_cast<int16_t>(HsumI32x8(_mm256_madd_epi16(w0, _mm256_set1_epi16(1))));
      y[b].bsums[j / 16 + 1] = static_cast<int16_t>(HsumI32x8(_mm256_madd_epi16(w1, _mm256_set1_epi16(1))));
    }
    y[b].d = 1.0f / iscale;
  }
}

void VecDotQ5_K(int64_t n, const void* w_row, const void* act_row, float* out) {
  const auto* w = static_cast<const BlockQ5_K*>(w_row);
  const auto* a = static_cast<const BlockQ8_K*>(act_row);
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  const __m256i one = _mm256_set1_epi8(1);
  __m256 acc = _mm256_setzero_ps();
  float acc_min = 0.0f;
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    uint8_t sc[8], mn[8];
    UnpackScaleMinK4(w[b].scales, sc, mn);
    const int32_t sum_mins = MinsDotBsums(mn, a[b].bsums);
    acc_min += a[b].d * HalfToFloat(w[b].dmin) * static_cast<float>(sum_mins);
    const __m256i qh = LoadU256(w[b].qh);
    __m256i sumi = _mm256_setzero_si256();
    for (int c = 0; c < 4; ++c) {
      const __m256i q = LoadU256(w[b].qs + 32 * c);
      // Bit 2c of qh[l] is the fifth bit of element 64c + l, bit 2c + 1 of 64c + 32 + l.
      const __m256i h_lo = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * c), one), 4);
      const __m256i h_hi = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * c + 1), one), 4);
      const __m256i lo = _mm256_or_si256(_mm256_and_si256(q, low4), h_lo);
      const __m256i hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q, 4), low4), h_hi);
      sumi = _mm256_add_epi32(sumi, ScaledDot32(lo, LoadU256(a[b].qs + 64 * c), sc[2 * c]));
      sumi = _mm256_add_epi32(sumi, ScaledDot32(hi, LoadU256(a[b].qs + 64 * c + 32), sc[2 * c + 1]));
    }
    const __m256 d = _mm256_set1_ps(a[b].d * HalfToFloat(w[b].d));
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(sumi), acc);
  }
  *out = HsumF32x8(acc) - acc_min;
}

// Q3_K: element 128h + 32j + l = bits 2j..2j+1 of qs[32h + l], plus 4 where bit 4h + j
// of hmask[l] is set, minus 4. Scale 8h + 2j + l / 16.
void VecDotQ3_K(int64_t n, const void* w_row, const void* act_row, float* out) {
  const auto* w = static_cast<const BlockQ3_K*>(w_row);
  const auto* a = static_cast<const BlockQ8_K*>(act_row);
  const __m256i three = _mm256_set1_epi8(3);
  const __m256i one = _mm256_set1_epi8(1);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const __m256i scales16 = _mm256_cvtepi8_epi16(UnpackScalesQ3KSimd(w[b].scales));
    const __m256i hm = LoadU256(w[b].hmask);
    __m256i sumi = _mm256_setzero_si256();
    for (int h = 0; h < 2; ++h) {
      const __m256i qs = LoadU256(w[b].qs + 32 * h);
      for (int j = 0; j < 4; ++j) {
        const __m256i low = _mm256_and_si256(_mm256_srli_epi16(qs, 2 * j), three);
        const __m256i high = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hm, 4 * h + j), one), 2);
        sumi = _mm256_add_epi32(sumi, ScaledDot16x2(_mm256_or_si256(low, high), LoadU256(a[b].qs + 128 * h + 32 * j),
                                                    PairScales(scales16, 4 * h + j)));
      }
    }
    const int32_t offset = 4 * ScaledBsums(a[b].bsums, scales16);
    const float d = a[b].d * HalfToFloat(w[b].d);
    acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(_mm256_sub_epi32(sumi, _mm256_setr_epi32(offset, 0, 0, 0, 0, 0, 0, 0))), acc);
  }
  *out = HsumF32x8(acc);
}

// Q2_K: element 128h + 32j + l = bits 2j..2j+1 of qs[32h + l]; group g = 8h + 2j + l / 16
// has scale scales[g] & 15 and min scales[g] >> 4.
void VecDotQ2_K(int64_t n, const void* w_row, const void* act_row, float* out) {
  const auto* w = static_cast<const BlockQ2_K*>(w_row);
  const auto* a = static_cast<const BlockQ8_K*>(act_row);
  const __m256i three = _mm256_set1_epi8(3);
  __m256 acc = _mm256_setzero_ps();
  float acc_min = 0.0f;
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const __m128i packed = LoadU128(w[b].scales);
    const __m128i mins = _mm_and_si128(_mm_srli_epi16(packed, 4), _mm_set1_epi8(0x0F));
    const int32_t sum_mins = ScaledBsums(a[b].bsums, _mm256_cvtepu8_epi16(mins));
    const __m256i scales16 = _mm256_cvtepu8_epi16(_mm_and_si128(packed, _mm_set1_epi8(0x0F)));
    acc_min += a[b].d * HalfToFloat(w[b].dmin) * static_cast<float>(sum_mins);
    __m256i sumi = _mm256_setzero_si256();
    for (int h = 0; h < 2; ++h) {
      const __m256i qs = LoadU256(w[b].qs + 32 * h);
      for (int j = 0; j < 4; ++j) {
        const __m256i q = _mm256_and_si256(_mm256_srli_epi16(qs, 2 * j), three);
        sumi = _mm256_add_epi32(sumi, ScaledDot16x2(q, LoadU256(a[b].qs + 128 * h + 32 * j),
                                                    PairScales(scales16, 4 * h + j)));
      }
    }
    const __m256 d = _mm256_set1_ps(a[b].d * HalfToFloat(w[b].d));
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(sumi), acc);
  }
  *out = HsumF32x8(acc) - acc_min;
}

}  // namespace edgelm::avx2
