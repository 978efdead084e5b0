// AVX-512 kernels of Q4_K and Q6_K (Q8_K activations): vec_dot, and the prefill tile
// kernels, all instances of one template over (rows, tokens). vec_dot is the 1 x 1
// instance, so a tile is bit-identical to vec_dot by construction: every output runs the
// same integer lanes (exact: with VNNI they are formed by vpdpwssd, without it, where
// only vec_dot is installed, by vpmaddwd + vpaddd) and the same float operations in the same order. In a tile each weight
// super-block is unpacked once for all tokens, and each activation block is loaded from
// L1 for each row.
//
// Per super-block and output the float work is two vector operations into one 16-lane
// accumulator, with no horizontal sums: acc += (ad * d) * sumi over 16 int32 lanes, and
// for Q4_K acc -= (ad * dmin) * (the 8 lanes of mins x bsums pairs). Q6_K's zero point
// (32) is folded into the integer lanes through the activations' bsums.
//
// GCC 12's AVX-512 headers build some results from _mm512_undefined_*(); see
// dot_avx512.cpp for why those warnings are off here.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include "kernels/blocks.h"
#include "kernels/kquant_scales.h"
#include "kernels/simd_fill.h"
#include "kernels/x86/avx2_common.h"

namespace edgelm {
namespace {

// Prefill 4 x 4 (16 accumulators, the unpacked weight super-block of one row in 9 more;
// measured faster than 2 x 8). No decode tile: a 4-row one measured 0.9-1.0x the vec_dot
// loop in matmul_decode on Zen 4.
constexpr int kPrefillRows = 4;
constexpr int kPrefillTokens = 4;

inline __m512i Combine256(__m256i lo, __m256i hi) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

template <class Block>
inline const Block* RowAt(const void* base, uint64_t row_bytes, int i) {
  return reinterpret_cast<const Block*>(static_cast<const uint8_t*>(base) +
                                        row_bytes * static_cast<uint64_t>(i));
}

// sumi + (pairs of int16 products p * s, summed per int32 lane); exact either way, so
// the VNNI and plain instances give the same lanes.
template <bool kVnni>
inline __m512i DotAdd16(__m512i sumi, __m512i p, __m512i s) {
  if constexpr (kVnni) {
    return _mm512_dpwssd_epi32(sumi, p, s);
  } else {
    return _mm512_add_epi32(sumi, _mm512_madd_epi16(p, s));
  }
}

// int16 lane index tables: Q4_K chunk c takes scale 2c in lanes 0..15 and 2c + 1 in
// 16..31; Q6_K quarter k takes group 4k + lane / 8.
struct LaneIndexTables {
  alignas(64) int16_t q4k[4][32];
  alignas(64) int16_t q6k[4][32];
};
constexpr LaneIndexTables MakeLaneIndexTables() {
  LaneIndexTables t{};
  for (int c = 0; c < 4; ++c) {
    for (int i = 0; i < 32; ++i) {
      t.q4k[c][i] = static_cast<int16_t>(2 * c + i / 16);
      t.q6k[c][i] = static_cast<int16_t>(4 * c + i / 8);
    }
  }
  return t;
}
alignas(64) constexpr LaneIndexTables kLaneIdx = MakeLaneIndexTables();

inline __m512i Q4KScaleIdx(int c) { return _mm512_load_si512(kLaneIdx.q4k[c]); }
inline __m512i Q6KScaleIdx(int k) { return _mm512_load_si512(kLaneIdx.q6k[k]); }

// Q4_K: per 64 elements c, the 32 low nibbles (scale 2c) and 32 high nibbles (scale
// 2c + 1) of qs[32c..] form one vector matching the 64 contiguous activations.
// Decode (vec_dot, one row after another): ask for the same super-block 16 rows ahead
// into L2, one prefetch per cache line of the block.
template <class Block>
inline void PrefetchRowsAhead(const Block* b, uint64_t row_bytes) {
  const char* p = reinterpret_cast<const char*>(b) + 16 * row_bytes;
  for (uint64_t o = 0; o < sizeof(Block); o += 64) _mm_prefetch(p + o, _MM_HINT_T1);
}

template <int kRows, int kTokens, bool kVnni>
void GemmQ4_K(int64_t n, const void* w, uint64_t w_row_bytes, const void* act,
              uint64_t act_row_bytes, float* y, int64_t y_stride) {
  const BlockQ4_K* wr[kRows];
  const BlockQ8_K* at[kTokens];
  for (int r = 0; r < kRows; ++r) wr[r] = RowAt<BlockQ4_K>(w, w_row_bytes, r);
  for (int t = 0; t < kTokens; ++t) at[t] = RowAt<BlockQ8_K>(act, act_row_bytes, t);
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  __m512 acc[kRows][kTokens];
  for (auto& row : acc)
    for (auto& a : row) a = _mm512_setzero_ps();
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    // Unrolled, so that acc[r][t] stays in registers (GCC keeps it on the stack for a
    // rolled row loop): +6-12 % matmul_prefill on Zen 4.
#pragma GCC unroll 4
    for (int r = 0; r < kRows; ++r) {
      const BlockQ4_K& wb = wr[r][b];
      if constexpr (kRows == 1 && kTokens == 1) PrefetchRowsAhead(&wb, (n / kQK_K) * sizeof(BlockQ4_K));
      alignas(8) uint8_t sc[8], mn[8];
      UnpackScaleMinK4(wb.scales, sc, mn);
      const __m512i scales16 =
          _mm512_castsi128_si512(_mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(sc))));
      const __m128i m = _mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(mn)));
      // mins[j] in int16 lanes 2j and 2j + 1, against bsums of groups 2j and 2j + 1.
      const __m256i min_pairs = _mm256_set_m128i(_mm_unpackhi_epi16(m, m), _mm_unpacklo_epi16(m, m));
      __m512i qq[4], scales[4];
      for (int c = 0; c < 4; ++c) {
        const __m256i q = LoadU256(wb.qs + 32 * c);
        qq[c] = _mm512_and_si512(Combine256(q, _mm256_srli_epi16(q, 4)), low4);
        scales[c] = _mm512_permutexvar_epi16(Q4KScaleIdx(c), scales16);
      }
      const float wd = HalfToFloat(wb.d);
      const float wdmin = HalfToFloat(wb.dmin);
      for (int t = 0; t < kTokens; ++t) {
        const BlockQ8_K& ab = at[t][b];
        __m512i sumi = _mm512_setzero_si512();
        for (int c = 0; c < 4; ++c) {
          sumi = DotAdd16<kVnni>(sumi, _mm512_maddubs_epi16(qq[c], _mm512_loadu_si512(ab.qs + 64 * c)), scales[c]);
        }
        const __m256i mins = _mm256_madd_epi16(min_pairs, LoadU256(ab.bsums));
        acc[r][t] = _mm512_fmadd_ps(_mm512_set1_ps(ab.d * wd), _mm512_cvtepi32_ps(sumi), acc[r][t]);
        acc[r][t] = _mm512_fnmadd_ps(_mm512_set1_ps(ab.d * wdmin),
                                     _mm512_cvtepi32_ps(_mm512_zextsi256_si512(mins)), acc[r][t]);
      }
    }
  }
  for (int r = 0; r < kRows; ++r) {
    for (int t = 0; t < kTokens; ++t) y[t * y_stride + r] = _mm512_reduce_add_ps(acc[r][t]);
  }
}

// Q6_K: element 128h + 32j + l (h half, j 0..3, l 0..31) = low nibble of ql[64h + l]
// (j 0), of ql[64h + 32 + l] (j 1), their high nibbles (j 2, 3), plus bits 2j..2j+1 of
// qh[32h + l] as bits 4..5; minus 32; group 8h + 2j + l / 16. Per half, [q0 | q1] and
// [q2 | q3] are each one vector against 64 contiguous activations. The -32 offset is
// sum_k (-32 scale_k) bsums_k, added to the lanes by one more int16 pair product.
template <int kRows, int kTokens, bool kVnni>
void GemmQ6_K(int64_t n, const void* w, uint64_t w_row_bytes, const void* act,
              uint64_t act_row_bytes, float* y, int64_t y_stride) {
  const BlockQ6_K* wr[kRows];
  const BlockQ8_K* at[kTokens];
  for (int r = 0; r < kRows; ++r) wr[r] = RowAt<BlockQ6_K>(w, w_row_bytes, r);
  for (int t = 0; t < kTokens; ++t) at[t] = RowAt<BlockQ8_K>(act, act_row_bytes, t);
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  const __m512i two_bits = _mm512_set1_epi8(0x30);
  const __m512i shl_a = Combine256(_mm256_set1_epi16(4), _mm256_set1_epi16(2));
  const __m512i shr_b = Combine256(_mm256_setzero_si256(), _mm256_set1_epi16(2));
  __m512 acc[kRows][kTokens];
  for (auto& row : acc)
    for (auto& a : row) a = _mm512_setzero_ps();
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    // Unrolled, so that acc[r][t] stays in registers (GCC keeps it on the stack for a
    // rolled row loop): +6-12 % matmul_prefill on Zen 4.
#pragma GCC unroll 4
    for (int r = 0; r < kRows; ++r) {
      const BlockQ6_K& wb = wr[r][b];
      if constexpr (kRows == 1 && kTokens == 1) PrefetchRowsAhead(&wb, (n / kQK_K) * sizeof(BlockQ6_K));
      const __m256i scales16_256 = _mm256_cvtepi8_epi16(LoadU128(wb.scales));
      const __m512i scales16 = _mm512_zextsi256_si512(scales16_256);
      // -32 * scale: at most 4096 in magnitude, an int16.
      const __m512i offset_scales =
          _mm512_zextsi256_si512(_mm256_sub_epi16(_mm256_setzero_si256(), _mm256_slli_epi16(scales16_256, 5)));
      __m512i q[4], scales[4];
      for (int h = 0; h < 2; ++h) {
        const __m512i ql = _mm512_loadu_si512(wb.ql + 64 * h);
        const __m256i qh256 = LoadU256(wb.qh + 32 * h);
        const __m512i qh = Combine256(qh256, qh256);
        q[2 * h] = _mm512_or_si512(_mm512_and_si512(ql, low4),
                                   _mm512_and_si512(_mm512_sllv_epi16(qh, shl_a), two_bits));
        q[2 * h + 1] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), low4),
                                       _mm512_and_si512(_mm512_srlv_epi16(qh, shr_b), two_bits));
        scales[2 * h] = _mm512_permutexvar_epi16(Q6KScaleIdx(2 * h), scales16);
        scales[2 * h + 1] = _mm512_permutexvar_epi16(Q6KScaleIdx(2 * h + 1), scales16);
      }
      const float wd = HalfToFloat(wb.d);
      for (int t = 0; t < kTokens; ++t) {
        const BlockQ8_K& ab = at[t][b];
        __m512i sumi = _mm512_setzero_si512();
        for (int k = 0; k < 4; ++k) {
          sumi = DotAdd16<kVnni>(sumi, _mm512_maddubs_epi16(q[k], _mm512_loadu_si512(ab.qs + 64 * k)), scales[k]);
        }
        sumi = DotAdd16<kVnni>(sumi, _mm512_zextsi256_si512(LoadU256(ab.bsums)), offset_scales);
        acc[r][t] = _mm512_fmadd_ps(_mm512_set1_ps(ab.d * wd), _mm512_cvtepi32_ps(sumi), acc[r][t]);
      }
    }
  }
  for (int r = 0; r < kRows; ++r) {
    for (int t = 0; t < kTokens; ++t) y[t * y_stride + r] = _mm512_reduce_add_ps(acc[r][t]);
  }
}

template <GemmTileFn kTile>
void VecDot(int64_t n, const void* w_row, const void* act_row, float* out) {
  kTile(n, w_row, 0, act_row, 0, out, 1);
}

void Install(KernelTable& t, GgmlType type, VecDotFn vec_dot, GemmTileFn prefill) {
  TypeKernels& k = t.types[static_cast<uint32_t>(type)];
  if (!k.supported || k.act_type != GgmlType::kQ8_K) return;
  k.vec_dot = vec_dot;
  k.gemm_tile = prefill;
  k.gemm_rows = prefill != nullptr ? kPrefillRows : 0;
  k.gemm_tokens = prefill != nullptr ? kPrefillTokens : 0;
  // A decode tile installed for the AVX2 vec_dot would no longer match this one.
  k.gemv_tile = nullptr;
  k.gemv_rows = 0;
}

}  // namespace

void FillAvx512KQuantKernels(KernelTable& table, const CpuFeatures& cpu) {
  using T = GgmlType;
  if (cpu.avx512vnni) {
    Install(table, T::kQ4_K, VecDot<GemmQ4_K<1, 1, true>>, GemmQ4_K<kPrefillRows, kPrefillTokens, true>);
    Install(table, T::kQ6_K, VecDot<GemmQ6_K<1, 1, true>>, GemmQ6_K<kPrefillRows, kPrefillTokens, true>);
  } else {
    Install(table, T::kQ4_K, VecDot<GemmQ4_K<1, 1, false>>, nullptr);
    Install(table, T::kQ6_K, VecDot<GemmQ6_K<1, 1, false>>, nullptr);
  }
}

}  // namespace edgelm
