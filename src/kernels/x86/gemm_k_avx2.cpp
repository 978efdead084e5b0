// AVX2 kernels of Q4_K and Q6_K (Q8_K activations): vec_dot and the prefill tile
// kernels, all instances of one template over (rows, tokens); vec_dot is the 1 x 1
// instance, so a tile is bit-identical to vec_dot by construction (same 8 int32 lanes per
// super-block, same float operations in the same order). In a tile each 32-element
// weight vector is unpacked once for all tokens, each activation vector loaded once per
// row from L1.
//
// Weight quants stay unsigned (0..63) so that maddubs applies directly. Per super-block
// and output the float work is vector-only: acc += (ad * d) * sumi, and for Q4_K
// acc -= (ad * dmin) * (mins x bsums pairs, 8 lanes); Q6_K's zero point (32) is folded
// into the integer lanes as sum_k (-32 scale_k) bsums_k.
#include <immintrin.h>

#include "kernels/blocks.h"
#include "kernels/kquant_scales.h"
#include "kernels/simd_fill.h"
#include "kernels/x86/avx2_common.h"
#include "kernels/x86/avx2_kernels.h"

namespace edgelm {
namespace {

// 4 x 2: 8 accumulators and 2 integer sums of the 16 registers, as the Q8_0/Q4_0 tiles.
constexpr int kPrefillRows = 4;
constexpr int kPrefillTokens = 2;

template <class Block>
inline const Block* RowAt(const void* base, uint64_t row_bytes, int i) {
  return reinterpret_cast<const Block*>(static_cast<const uint8_t*>(base) +
                                        row_bytes * static_cast<uint64_t>(i));
}

// sumi + sum over groups of 4 of unsigned q x signed a, each pair of products weighted by
// the int16 scale of its lane.
inline __m256i ScaledDotAdd(__m256i sumi, __m256i q, const int8_t* a, __m256i scales16) {
  return _mm256_add_epi32(sumi, _mm256_madd_epi16(_mm256_maddubs_epi16(q, LoadU256(a)), scales16));
}

template <int kRows, int kTokens>
void GemmQ4_K(int64_t n, const void* w, uint64_t w_row_bytes, const void* act,
              uint64_t act_row_bytes, float* y, int64_t y_stride) {
  const BlockQ4_K* wr[kRows];
  const BlockQ8_K* at[kTokens];
  for (int r = 0; r < kRows; ++r) wr[r] = RowAt<BlockQ4_K>(w, w_row_bytes, r);
  for (int t = 0; t < kTokens; ++t) at[t] = RowAt<BlockQ8_K>(act, act_row_bytes, t);
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  __m256 acc[kRows][kTokens];
  for (auto& row : acc)
    for (auto& a : row) a = _mm256_setzero_ps();
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    // Unrolled, so that acc[r][t] stays in registers (GCC keeps it on the stack for a
    // rolled row loop): +6-12 % matmul_prefill on Zen 4.
#pragma GCC unroll 4
    for (int r = 0; r < kRows; ++r) {
      const BlockQ4_K& wb = wr[r][b];
      uint8_t sc[8], mn[8];
      UnpackScaleMinK4(wb.scales, sc, mn);
      __m256i sumi[kTokens];
      for (auto& s : sumi) s = _mm256_setzero_si256();
      for (int c = 0; c < 4; ++c) {
        const __m256i q = LoadU256(wb.qs + 32 * c);
        const __m256i lo = _mm256_and_si256(q, low4);
        const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), low4);
        const __m256i s_lo = _mm256_set1_epi16(static_cast<int16_t>(sc[2 * c]));
        const __m256i s_hi = _mm256_set1_epi16(static_cast<int16_t>(sc[2 * c + 1]));
        for (int t = 0; t < kTokens; ++t) {
          sumi[t] = ScaledDotAdd(sumi[t], lo, at[t][b].qs + 64 * c, s_lo);
          sumi[t] = ScaledDotAdd(sumi[t], hi, at[t][b].qs + 64 * c + 32, s_hi);
        }
      }
      // mins[j] in int16 lanes 2j and 2j + 1, against bsums of groups 2j and 2j + 1.
      const __m128i m = _mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(mn)));
      const __m256i min_pairs = _mm256_set_m128i(_mm_unpackhi_epi16(m, m), _mm_unpacklo_epi16(m, m));
      const float wd = HalfToFloat(wb.d);
      const float wdmin = HalfToFloat(wb.dmin);
      for (int t = 0; t < kTokens; ++t) {
        const BlockQ8_K& ab = at[t][b];
        const __m256i mins = _mm256_madd_epi16(min_pairs, LoadU256(ab.bsums));
        acc[r][t] = _mm256_fmadd_ps(_mm256_set1_ps(ab.d * wd), _mm256_cvtepi32_ps(sumi[t]), acc[r][t]);
        acc[r][t] = _mm256_fnmadd_ps(_mm256_set1_ps(ab.d * wdmin), _mm256_cvtepi32_ps(mins), acc[r][t]);
      }
    }
  }
  for (int r = 0; r < kRows; ++r) {
    for (int t = 0; t < kTokens; ++t) y[t * y_stride + r] = HsumF32x8(acc[r][t]);
  }
}

// Q6_K: element 128h + 32j + l (h half, j 0..3, l 0..31) = low nibble of ql[64h + l]
// (j 0), of ql[64h + 32 + l] (j 1), their high nibbles (j 2, 3), plus bits 2j..2j+1 of
// qh[32h + l] as bits 4..5; minus 32. Scale 8h + 2j + l / 16.
template <int kRows, int kTokens>
void GemmQ6_K(int64_t n, const void* w, uint64_t w_row_bytes, const void* act,
              uint64_t act_row_bytes, float* y, int64_t y_stride) {
  const BlockQ6_K* wr[kRows];
  const BlockQ8_K* at[kTokens];
  for (int r = 0; r < kRows; ++r) wr[r] = RowAt<BlockQ6_K>(w, w_row_bytes, r);
  for (int t = 0; t < kTokens; ++t) at[t] = RowAt<BlockQ8_K>(act, act_row_bytes, t);
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  const __m256i two_bits = _mm256_set1_epi8(0x30);
  __m256 acc[kRows][kTokens];
  for (auto& row : acc)
    for (auto& a : row) a = _mm256_setzero_ps();
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    // Unrolled, so that acc[r][t] stays in registers (GCC keeps it on the stack for a
    // rolled row loop): +6-12 % matmul_prefill on Zen 4.
#pragma GCC unroll 4
    for (int r = 0; r < kRows; ++r) {
      const BlockQ6_K& wb = wr[r][b];
      const __m256i scales16 = _mm256_cvtepi8_epi16(LoadU128(wb.scales));
      __m256i sumi[kTokens];
      for (auto& s : sumi) s = _mm256_setzero_si256();
      for (int h = 0; h < 2; ++h) {
        const __m256i ql0 = LoadU256(wb.ql + 64 * h);
        const __m256i ql1 = LoadU256(wb.ql + 64 * h + 32);
        const __m256i qh = LoadU256(wb.qh + 32 * h);
        for (int j = 0; j < 4; ++j) {
          __m256i q;
          switch (j) {
            case 0: q = _mm256_or_si256(_mm256_and_si256(ql0, low4), _mm256_and_si256(_mm256_slli_epi16(qh, 4), two_bits)); break;
            case 1: q = _mm256_or_si256(_mm256_and_si256(ql1, low4), _mm256_and_si256(_mm256_slli_epi16(qh, 2), two_bits)); break;
            case 2: q = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), low4), _mm256_and_si256(qh, two_bits)); break;
            default:
              q = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), low4),
                                  _mm256_and_si256(_mm256_srli_epi16(qh, 2), two_bits));
          }
          const __m256i pair_scales = PairScales(scales16, 4 * h + j);
          for (int t = 0; t < kTokens; ++t) {
            sumi[t] = ScaledDotAdd(sumi[t], q, at[t][b].qs + 128 * h + 32 * j, pair_scales);
          }
        }
      }
      // -32 * scale: at most 4096 in magnitude, an int16. Lane bound: |sumi| <= 8 * 2 *
      // 16002 * 128 plus 2 * 2032 * 4096.
      const __m256i offset_scales = _mm256_sub_epi16(_mm256_setzero_si256(), _mm256_slli_epi16(scales16, 5));
      const float wd = HalfToFloat(wb.d);
      for (int t = 0; t < kTokens; ++t) {
        const BlockQ8_K& ab = at[t][b];
        const __m256i s = _mm256_add_epi32(sumi[t], _mm256_madd_epi16(LoadU256(ab.bsums), offset_scales));
        acc[r][t] = _mm256_fmadd_ps(_mm256_set1_ps(ab.d * wd), _mm256_cvtepi32_ps(s), acc[r][t]);
      }
    }
  }
  for (int r = 0; r < kRows; ++r) {
    for (int t = 0; t < kTokens; ++t) y[t * y_stride + r] = HsumF32x8(acc[r][t]);
  }
}

// No decode tile: a 4-row one (rows sharing the activation loads) measured 0.8x (Q4_K)
// and 0.64x (Q6_K) the vec_dot loop in matmul_decode on Zen 4.
void Install(KernelTable& t, GgmlType type, GemmTileFn prefill) {
  TypeKernels& k = t.types[static_cast<uint32_t>(type)];
  if (!k.supported || k.act_type != GgmlType::kQ8_K) return;
  k.gemm_tile = prefill;
  k.gemm_rows = kPrefillRows;
  k.gemm_tokens = kPrefillTokens;
}

}  // namespace

namespace avx2 {
void VecDotQ4_K(int64_t n, const void* w_row, const void* act_row, float* out) {
  GemmQ4_K<1, 1>(n, w_row, 0, act_row, 0, out, 1);
}
void VecDotQ6_K(int64_t n, const void* w_row, const void* act_row, float* out) {
  GemmQ6_K<1, 1>(n, w_row, 0, act_row, 0, out, 1);
}
}  // namespace avx2

void FillAvx2KQuantTiles(KernelTable& table) {
  Install(table, GgmlType::kQ4_K, GemmQ4_K<kPrefillRows, kPrefillTokens>);
  Install(table, GgmlType::kQ6_K, GemmQ6_K<kPrefillRows, kPrefillTokens>);
}

}  // namespace edgelm
