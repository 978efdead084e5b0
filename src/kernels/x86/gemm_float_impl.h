// F16, BF16 and F32 dot products (activations in the weight's format): vec_dot, and tile
// kernels bit-identical to it, as templates over the element type.
//
// vec_dot sums element groups of 8 into four accumulators (group g of each 32 elements
// into accumulator g, enough independent FMA chains to hide their latency), a last few
// groups of 8 into accumulator 0, then hsum((acc0 + acc1) + (acc2 + acc3)) and the last
// n % 8 products in order. A tile cannot keep four accumulators per output in registers,
// so it runs the same FMAs in a different loop order: the row is cut into chunks of
// kFloatChunk elements (the tile's slice of rows and tokens stays in L1), and per chunk
// it makes four passes, pass h adding the groups of accumulator h into one register per
// output (loaded from and stored back to a small array). Each accumulator therefore sees
// the same FMAs in the same order as in vec_dot, so the result is bit-identical. Each
// 8-element weight vector is loaded and widened (for F16 vcvtph2ps, the bound of its
// kernels) once for all the tile's tokens and each activation vector once for all its
// rows: R + T conversions per R x T x 8 products instead of 2 R T.
//
// Included by gemm_float_avx2.cpp; the AVX-512 path keeps these kernels for F16 (and for
// BF16 without AVX512_BF16): a 4 x 4 tile with AVX-512VL's 32 ymm registers measured
// 0.94x the 4 x 2 one in matmul_prefill on Zen 4 (1.1x as a lone tile call in L1).
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "core/fp16.h"
#include "kernels/x86/avx2_common.h"

namespace edgelm {
namespace {

struct F16Elems {
  using Elem = uint16_t;
  static __m256 Load8(const Elem* p) { return _mm256_cvtph_ps(LoadU128(p)); }
  static float Scalar(Elem v) { return HalfToFloat(v); }
};

// BF16 is the upper half of an f32: widening is a 16-bit shift.
struct Bf16Elems {
  using Elem = uint16_t;
  static __m256 Load8(const Elem* p) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(LoadU128(p)), 16));
  }
  static float Scalar(Elem v) { return Bf16ToF32(v); }
};

struct F32Elems {
  using Elem = float;
  static __m256 Load8(const Elem* p) { return _mm256_loadu_ps(p); }
  static float Scalar(Elem v) { return v; }
};

template <class E>
void VecDotFloat(int64_t n, const void* w_row, const void* act_row, float* out) {
  const auto* w = static_cast<const typename E::Elem*>(w_row);
  const auto* a = static_cast<const typename E::Elem*>(act_row);
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm256_fmadd_ps(E::Load8(w + i), E::Load8(a + i), acc0);
    acc1 = _mm256_fmadd_ps(E::Load8(w + i + 8), E::Load8(a + i + 8), acc1);
    acc2 = _mm256_fmadd_ps(E::Load8(w + i + 16), E::Load8(a + i + 16), acc2);
    acc3 = _mm256_fmadd_ps(E::Load8(w + i + 24), E::Load8(a + i + 24), acc3);
  }
  for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(E::Load8(w + i), E::Load8(a + i), acc0);
  float sum = HsumF32x8(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
  for (; i < n; ++i) sum += E::Scalar(w[i]) * E::Scalar(a[i]);
  *out = sum;
}

// Elements per chunk: (R + T) x 1 KiB (F16/BF16) or 2 KiB (F32) of the tile's rows and
// tokens stay in L1 during the chunk's four passes.
constexpr int64_t kFloatChunk = 512;

template <class E, int kRows, int kTokens>
void GemmFloat(int64_t n, const void* w, uint64_t w_row_bytes, const void* act, uint64_t act_row_bytes,
               float* y, int64_t y_stride) {
  using Elem = typename E::Elem;
  const Elem* wr[kRows];
  const Elem* at[kTokens];
  for (int r = 0; r < kRows; ++r) {
    wr[r] = reinterpret_cast<const Elem*>(static_cast<const uint8_t*>(w) + w_row_bytes * static_cast<uint64_t>(r));
  }
  for (int t = 0; t < kTokens; ++t) {
    at[t] = reinterpret_cast<const Elem*>(static_cast<const uint8_t*>(act) + act_row_bytes * static_cast<uint64_t>(t));
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
      for (int t = 0; t < kTokens; ++t) a[t] = E::Load8(at[t] + i);
      for (int r = 0; r < kRows; ++r) {
        const __m256 wv = E::Load8(wr[r] + i);
        for (int t = 0; t < kTokens; ++t) s[r][t] = _mm256_fmadd_ps(wv, a[t], s[r][t]);
      }
    }
    for (int r = 0; r < kRows; ++r)
      for (int t = 0; t < kTokens; ++t) acc[h][r][t] = s[r][t];
  };
  const int64_t n32 = n / 32 * 32;
  for (int64_t c0 = 0; c0 < n32; c0 += kFloatChunk) {
    const int64_t c1 = c0 + kFloatChunk < n32 ? c0 + kFloatChunk : n32;
    for (int h = 0; h < 4; ++h) pass(h, c0 + 8 * h, c1, 32);
  }
  const int64_t n8 = n / 8 * 8;
  pass(0, n32, n8, 8);
  for (int r = 0; r < kRows; ++r) {
    for (int t = 0; t < kTokens; ++t) {
      float sum = HsumF32x8(_mm256_add_ps(_mm256_add_ps(acc[0][r][t], acc[1][r][t]),
                                          _mm256_add_ps(acc[2][r][t], acc[3][r][t])));
      for (int64_t k = n8; k < n; ++k) sum += E::Scalar(wr[r][k]) * E::Scalar(at[t][k]);
      y[t * y_stride + r] = sum;
    }
  }
}

}  // namespace
}  // namespace edgelm
