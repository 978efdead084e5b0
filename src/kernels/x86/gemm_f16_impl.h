// F16 x F16 (F16 activations) kernels: vec_dot, and tile kernels bit-identical to it.
//
// vec_dot sums element groups of 8 into four accumulators (group g of each 32 elements
// into accumulator g, enough independent FMA chains to hide their latency), a last few
// groups of 8 into accumulator 0, then hsum((acc0 + acc1) + (acc2 + acc3)) and the last
// n % 8 products in order. A tile cannot keep four accumulators per output in registers,
// so it runs the same FMAs in a different loop order: the row is cut into chunks of
// kChunk elements (the tile's slice of rows and tokens stays in L1), and per chunk it
// makes four passes, pass h adding the groups of accumulator h into one register per
// output (loaded from and stored back to a small array). Each accumulator therefore sees
// the same FMAs in the same order as in vec_dot, so the result is bit-identical. Each
// 8-element weight vector is converted (vcvtph2ps, the bound of the F16 kernels) once for
// all the tile's tokens and each activation vector once for all its rows: R + T
// conversions per R x T x 8 products instead of 2 R T.
//
// Included by gemm_f16_avx2.cpp and gemm_f16_avx512.cpp (the latter for 32 ymm registers
// and a larger tile); only F16C + FMA instructions, internal linkage (see avx2_common.h).
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "kernels/x86/avx2_common.h"

namespace edgelm {
namespace {

inline __m256 LoadHalf8(const uint16_t* p) { return _mm256_cvtph_ps(LoadU128(p)); }

// Unused in the AVX-512 file, which keeps the AVX2 instance.
[[maybe_unused]] void VecDotF16(int64_t n, const void* w_row, const void* act_row, float* out) {
  const auto* w = static_cast<const uint16_t*>(w_row);
  const auto* a = static_cast<const uint16_t*>(act_row);
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm256_fmadd_ps(LoadHalf8(w + i), LoadHalf8(a + i), acc0);
    acc1 = _mm256_fmadd_ps(LoadHalf8(w + i + 8), LoadHalf8(a + i + 8), acc1);
    acc2 = _mm256_fmadd_ps(LoadHalf8(w + i + 16), LoadHalf8(a + i + 16), acc2);
    acc3 = _mm256_fmadd_ps(LoadHalf8(w + i + 24), LoadHalf8(a + i + 24), acc3);
  }
  for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(LoadHalf8(w + i), LoadHalf8(a + i), acc0);
  float sum = HsumF32x8(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
  for (; i < n; ++i) sum += HalfToFloat(w[i]) * HalfToFloat(a[i]);
  *out = sum;
}

// Elements per chunk: (R + T) x 1 KiB of the tile's rows and tokens stay in L1 during
// the chunk's four passes.
constexpr int64_t kF16Chunk = 512;

template <int kRows, int kTokens>
void GemmF16(int64_t n, const void* w, uint64_t w_row_bytes, const void* act, uint64_t act_row_bytes,
             float* y, int64_t y_stride) {
  const uint16_t* wr[kRows];
  const uint16_t* at[kTokens];
  for (int r = 0; r < kRows; ++r) {
    wr[r] = reinterpret_cast<const uint16_t*>(static_cast<const uint8_t*>(w) + w_row_bytes * static_cast<uint64_t>(r));
  }
  for (int t = 0; t < kTokens; ++t) {
    at[t] = reinterpret_cast<const uint16_t*>(static_cast<const uint8_t*>(act) +
                                              act_row_bytes * static_cast<uint64_t>(t));
  }
  __m256 acc[4][kRows][kTokens];
  for (auto& h : acc)
    for (auto& row : h)
      for (auto& a : row) a = _mm256_setzero_ps();
  // Adds the groups of 8 at i0, i0 + stride, ... below i1 into acc[h], in that order.
  const auto pass = [&](int h, int64_t i0, int64_t i1, int64_t stride) {
    __m256 s[kRows][kTokens];
    for (int r = 0; r < kRows; ++r)
      for (int t = 0; t < kTokens; ++t) s[r][t] = acc[h][r][t];
    for (int64_t i = i0; i < i1; i += stride) {
      __m256 a[kTokens];
      for (int t = 0; t < kTokens; ++t) a[t] = LoadHalf8(at[t] + i);
      for (int r = 0; r < kRows; ++r) {
        const __m256 wv = LoadHalf8(wr[r] + i);
        for (int t = 0; t < kTokens; ++t) s[r][t] = _mm256_fmadd_ps(wv, a[t], s[r][t]);
      }
    }
    for (int r = 0; r < kRows; ++r)
      for (int t = 0; t < kTokens; ++t) acc[h][r][t] = s[r][t];
  };
  const int64_t n32 = n / 32 * 32;
  for (int64_t c0 = 0; c0 < n32; c0 += kF16Chunk) {
    const int64_t c1 = c0 + kF16Chunk < n32 ? c0 + kF16Chunk : n32;
    for (int h = 0; h < 4; ++h) pass(h, c0 + 8 * h, c1, 32);
  }
  const int64_t n8 = n / 8 * 8;
  pass(0, n32, n8, 8);
  for (int r = 0; r < kRows; ++r) {
    for (int t = 0; t < kTokens; ++t) {
      float sum = HsumF32x8(_mm256_add_ps(_mm256_add_ps(acc[0][r][t], acc[1][r][t]),
                                          _mm256_add_ps(acc[2][r][t], acc[3][r][t])));
      for (int64_t k = n8; k < n; ++k) sum += HalfToFloat(wr[r][k]) * HalfToFloat(at[t][k]);
      y[t * y_stride + r] = sum;
    }
  }
}

}  // namespace
}  // namespace edgelm
