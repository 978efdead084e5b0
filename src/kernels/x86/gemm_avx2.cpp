// AVX2 tile kernels (prefill; decode for Q4_0) for Q8_0 and Q4_0 weights (Q8_0 activations): kRows
// weight rows x kTokens tokens per call. Each loaded and unpacked weight block serves kTokens
// tokens and each activation block kRows rows, where vec_dot loads and unpacks both for
// every output. Every output keeps vec_dot's arithmetic exactly (see dot_q_avx2.cpp):
// per block the same 8 int32 lanes (each the exact sum of 4 products, however it is
// computed), the scale wd * ad rounded the same way, one FMA into its own accumulator,
// and the same horizontal sum, so results are bit-identical to vec_dot.
#include <immintrin.h>

#include "kernels/blocks.h"
#include "kernels/simd_fill.h"
#include "kernels/x86/avx2_common.h"

namespace edgelm {
namespace {

// 4 x 2: 8 accumulators, leaving registers for the 2 activation blocks, their scales and
// the weight block being used (measured faster than 2 x 4 and 4 x 3 on Zen 4).
constexpr int kPrefillRows = 4;
constexpr int kPrefillTokens = 2;
// Decode: rows sharing each activation block load (and Q4_0's per-token correction).
constexpr int kDecodeRows = 4;
// Decode prefetch distance, in rows: the tile two calls ahead (see gemm_avx512.cpp).
constexpr int kPrefetchRows = 2 * kDecodeRows;

template <class Block>
inline const Block* RowAt(const void* base, uint64_t row_bytes, int i) {
  return reinterpret_cast<const Block*>(static_cast<const uint8_t*>(base) +
                                        row_bytes * static_cast<uint64_t>(i));
}

template <int kRows, int kTokens>
inline void StoreTile(__m256 (&acc)[kRows][kTokens], float* y, int64_t y_stride) {
  for (int r = 0; r < kRows; ++r) {
    for (int t = 0; t < kTokens; ++t) y[t * y_stride + r] = HsumF32x8(acc[r][t]);
  }
}

template <int kRows, int kTokens>
void GemmQ8_0(int64_t n, const void* w, uint64_t w_row_bytes, const void* act,
              uint64_t act_row_bytes, float* y, int64_t y_stride) {
  const BlockQ8_0* wr[kRows];
  const BlockQ8_0* at[kTokens];
  for (int r = 0; r < kRows; ++r) wr[r] = RowAt<BlockQ8_0>(w, w_row_bytes, r);
  for (int t = 0; t < kTokens; ++t) at[t] = RowAt<BlockQ8_0>(act, act_row_bytes, t);
  __m256 acc[kRows][kTokens];
  for (auto& row : acc)
    for (auto& a : row) a = _mm256_setzero_ps();
  const int64_t nb = n / kQK;
  for (int64_t b = 0; b < nb; ++b) {
    __m256i av[kTokens];
    float ad[kTokens];
    for (int t = 0; t < kTokens; ++t) {
      av[t] = LoadU256(at[t][b].qs);
      ad[t] = HalfToFloat(at[t][b].d);
    }
    for (int r = 0; r < kRows; ++r) {
      const __m256i wv = LoadU256(wr[r][b].qs);
      const __m256i w_abs = _mm256_sign_epi8(wv, wv);
      const float wd = HalfToFloat(wr[r][b].d);
      for (int t = 0; t < kTokens; ++t) {
        // DotI8I8(wv, av[t]) with |w| computed once per row.
        const __m256i p = DotU8I8(w_abs, _mm256_sign_epi8(av[t], wv));
        acc[r][t] = _mm256_fmadd_ps(_mm256_set1_ps(wd * ad[t]), _mm256_cvtepi32_ps(p), acc[r][t]);
      }
    }
  }
  StoreTile(acc, y, y_stride);
}

template <int kRows, int kTokens>
void GemmQ4_0(int64_t n, const void* w, uint64_t w_row_bytes, const void* act,
              uint64_t act_row_bytes, float* y, int64_t y_stride) {
  const BlockQ4_0* wr[kRows];
  const BlockQ8_0* at[kTokens];
  for (int r = 0; r < kRows; ++r) wr[r] = RowAt<BlockQ4_0>(w, w_row_bytes, r);
  for (int t = 0; t < kTokens; ++t) at[t] = RowAt<BlockQ8_0>(act, act_row_bytes, t);
  __m256 acc[kRows][kTokens];
  for (auto& row : acc)
    for (auto& a : row) a = _mm256_setzero_ps();
  const __m256i eight = _mm256_set1_epi8(8);
  const int64_t nb = n / kQK;
  for (int64_t b = 0; b < nb; ++b) {
    __m256i av[kTokens], offset[kTokens];
    float ad[kTokens];
    for (int t = 0; t < kTokens; ++t) {
      av[t] = LoadU256(at[t][b].qs);
      ad[t] = HalfToFloat(at[t][b].d);
      // sum (q - 8) a = sum q a - 8 sum a, per group of 4: the second term once per token.
      offset[t] = DotU8I8(eight, av[t]);
    }
    for (int r = 0; r < kRows; ++r) {
      if constexpr (kTokens == 1) {
        // Every other 18-byte block: about two prefetches per cache line.
        if ((b & 1) == 0) {
          _mm_prefetch(reinterpret_cast<const char*>(wr[r] + b) + kPrefetchRows * w_row_bytes, _MM_HINT_T1);
        }
      }
      const __m256i q = UnpackNibbles32(wr[r][b].qs);  // 0..15: maddubs cannot saturate
      const float wd = HalfToFloat(wr[r][b].d);
      for (int t = 0; t < kTokens; ++t) {
        const __m256i p = _mm256_sub_epi32(DotU8I8(q, av[t]), offset[t]);
        acc[r][t] = _mm256_fmadd_ps(_mm256_set1_ps(wd * ad[t]), _mm256_cvtepi32_ps(p), acc[r][t]);
      }
    }
  }
  StoreTile(acc, y, y_stride);
}

void SetTile(KernelTable& t, GgmlType type, GemmTileFn prefill, GemmTileFn decode) {
  TypeKernels& k = t.types[static_cast<uint32_t>(type)];
  if (!k.supported || k.act_type != GgmlType::kQ8_0) return;
  k.gemm_tile = prefill;
  k.gemm_rows = kPrefillRows;
  k.gemm_tokens = kPrefillTokens;
  k.gemv_tile = decode;
  k.gemv_rows = decode != nullptr ? kDecodeRows : 0;
}

}  // namespace

void FillAvx2GemmTiles(KernelTable& table) {
  // No Q8_0 decode tile: its sign trick is per output anyway, and the 4-row version
  // measured 0.9x the vec_dot loop on Zen 4 (Q4_0's measured 1.13x).
  SetTile(table, GgmlType::kQ8_0, GemmQ8_0<kPrefillRows, kPrefillTokens>, nullptr);
  SetTile(table, GgmlType::kQ4_0, GemmQ4_0<kPrefillRows, kPrefillTokens>, GemmQ4_0<kDecodeRows, 1>);
}

}  // namespace edgelm
