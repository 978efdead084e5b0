// BF16 x BF16 with AVX512_BF16 (vdpbf16ps: 32 products per instruction, exact products,
// f32 accumulation; bf16 denormals, below 1.2e-38, count as zero): vec_dot and a prefill
// tile bit-identical to it. Compiled for that extension only in these functions and
// installed only when the CPU reports it.
//
// vec_dot adds the 32-element groups of each 64 elements into two accumulators (group g
// into accumulator g), a last whole group into accumulator 0 and a masked ragged end into
// accumulator 1, then reduces acc0 + acc1. The tile replays the same vdpbf16ps per
// output in another loop order (as gemm_float_impl.h does for the 256-bit kernels): per
// chunk of the row, one pass per accumulator with one register per output, so that each
// weight vector is loaded once for all the tile's tokens and each activation vector once
// for all its rows.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <cstdint>

#include "kernels/simd_fill.h"

namespace edgelm {
namespace {

// 4 x 4: 16 accumulators, 4 activation vectors and the weight vector in use.
constexpr int kPrefillRows = 4;
constexpr int kPrefillTokens = 4;
// Elements per chunk: (R + T) x 1 KiB stay in L1 during the chunk's two passes.
constexpr int64_t kChunk = 512;

#define EDGELM_BF16 __attribute__((target("avx512bf16")))

EDGELM_BF16 inline __m512 Dot(__m512 acc, __m512i w, __m512i a) {
  return _mm512_dpbf16_ps(acc, reinterpret_cast<__m512bh&>(w), reinterpret_cast<__m512bh&>(a));
}

EDGELM_BF16 void VecDotBF16(int64_t n, const void* w_row, const void* act_row, float* out) {
  const auto* w = static_cast<const uint16_t*>(w_row);
  const auto* a = static_cast<const uint16_t*>(act_row);
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    acc0 = Dot(acc0, _mm512_loadu_si512(w + i), _mm512_loadu_si512(a + i));
    acc1 = Dot(acc1, _mm512_loadu_si512(w + i + 32), _mm512_loadu_si512(a + i + 32));
  }
  for (; i + 32 <= n; i += 32) acc0 = Dot(acc0, _mm512_loadu_si512(w + i), _mm512_loadu_si512(a + i));
  if (i < n) {
    // Masked loads zero the missing elements, whose products then add nothing.
    const __mmask32 m = static_cast<__mmask32>((1ull << (n - i)) - 1);
    acc1 = Dot(acc1, _mm512_maskz_loadu_epi16(m, w + i), _mm512_maskz_loadu_epi16(m, a + i));
  }
  *out = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

// acc[r][t] += the groups of 32 at i0, i0 + stride, ... below i1 (masked to `m`), in order.
template <int kRows, int kTokens>
EDGELM_BF16 inline void Pass(__m512 (&acc)[kRows][kTokens], const uint16_t* const (&wr)[kRows],
                             const uint16_t* const (&at)[kTokens], int64_t i0, int64_t i1, int64_t stride,
                             __mmask32 m) {
  __m512 s[kRows][kTokens];
  for (int r = 0; r < kRows; ++r)
    for (int t = 0; t < kTokens; ++t) s[r][t] = acc[r][t];
  for (int64_t i = i0; i < i1; i += stride) {
    __m512i a[kTokens];
    for (int t = 0; t < kTokens; ++t) a[t] = _mm512_maskz_loadu_epi16(m, at[t] + i);
    for (int r = 0; r < kRows; ++r) {
      const __m512i wv = _mm512_maskz_loadu_epi16(m, wr[r] + i);
      for (int t = 0; t < kTokens; ++t) s[r][t] = Dot(s[r][t], wv, a[t]);
    }
  }
  for (int r = 0; r < kRows; ++r)
    for (int t = 0; t < kTokens; ++t) acc[r][t] = s[r][t];
}

template <int kRows, int kTokens>
EDGELM_BF16 void GemmBF16(int64_t n, const void* w, uint64_t w_row_bytes, const void* act,
                          uint64_t act_row_bytes, float* y, int64_t y_stride) {
  const uint16_t* wr[kRows];
  const uint16_t* at[kTokens];
  for (int r = 0; r < kRows; ++r) {
    wr[r] = reinterpret_cast<const uint16_t*>(static_cast<const uint8_t*>(w) + w_row_bytes * static_cast<uint64_t>(r));
  }
  for (int t = 0; t < kTokens; ++t) {
    at[t] = reinterpret_cast<const uint16_t*>(static_cast<const uint8_t*>(act) +
                                              act_row_bytes * static_cast<uint64_t>(t));
  }
  __m512 acc0[kRows][kTokens], acc1[kRows][kTokens];
  for (int r = 0; r < kRows; ++r) {
    for (int t = 0; t < kTokens; ++t) acc0[r][t] = acc1[r][t] = _mm512_setzero_ps();
  }
  const __mmask32 all = ~__mmask32{0};
  const int64_t n64 = n / 64 * 64;
  for (int64_t c0 = 0; c0 < n64; c0 += kChunk) {
    const int64_t c1 = c0 + kChunk < n64 ? c0 + kChunk : n64;
    Pass(acc0, wr, at, c0, c1, 64, all);
    Pass(acc1, wr, at, c0 + 32, c1, 64, all);
  }
  const int64_t n32 = n / 32 * 32;
  Pass(acc0, wr, at, n64, n32, 32, all);
  if (n32 < n) Pass(acc1, wr, at, n32, n, 32, static_cast<__mmask32>((1ull << (n - n32)) - 1));
  for (int r = 0; r < kRows; ++r) {
    for (int t = 0; t < kTokens; ++t) y[t * y_stride + r] = _mm512_reduce_add_ps(_mm512_add_ps(acc0[r][t], acc1[r][t]));
  }
}

}  // namespace

void FillAvx512Bf16Kernels(KernelTable& table) {
  TypeKernels& k = table.types[static_cast<uint32_t>(GgmlType::kBF16)];
  if (!k.supported || k.act_type != GgmlType::kBF16) return;
  k.vec_dot = VecDotBF16;
  k.gemm_tile = GemmBF16<kPrefillRows, kPrefillTokens>;
  k.gemm_rows = kPrefillRows;
  k.gemm_tokens = kPrefillTokens;
  k.gemv_tile = nullptr;
  k.gemv_rows = 0;
}

}  // namespace edgelm
