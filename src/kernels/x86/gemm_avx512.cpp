// AVX-512 VNNI tile kernels (prefill and decode) for Q8_0, Q4_0 and Q5_0: kRows x kTokens
// outputs per call, two blocks per 512-bit vector, bit-identical to the VNNI vec_dot
// kernels of dot_avx512.cpp (Q5_0's vec_dot is the 1 x 1 tile itself): same 16 int32
// lanes per block pair, same scale products, one FMA per pair into the output's own
// accumulator, same reduction and odd-block tail.
//
// The signed dot sum (w a) is computed as vpdpbusd(-sum(c a), u, a) with u = w + c
// unsigned: c = 128 for Q8_0 (u = w xor 0x80), c = 8 for Q4_0 (u = the raw nibbles),
// c = 16 for Q5_0 (u = nibble + 16 x fifth bit).
// The correction term depends only on the token, so it is computed once per token and
// block pair and is the accumulator vpdpbusd starts from: one instruction per output.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <cstring>

#include "kernels/blocks.h"
#include "kernels/simd_fill.h"
#include "kernels/x86/avx2_common.h"
#include "kernels/x86/avx512_pairs.h"

namespace edgelm {
namespace {

// Prefill: 4 x 4, 16 accumulators of 32 registers; the rest hold the 4 activation
// vectors, their corrections and scales, and the weight vector in use. Decode: 8 x 1,
// the activation block and its correction shared by 8 rows (1.2x over vec_dot on Zen 4).
constexpr int kPrefillRows = 4;
constexpr int kPrefillTokens = 4;
constexpr int kDecodeRows = 8;
// Decode prefetch distance, in rows: the tile two calls ahead (see GemmTile).
constexpr int kPrefetchRows = 2 * kDecodeRows;

template <class Block>
inline const Block* RowAt(const void* base, uint64_t row_bytes, int i) {
  return reinterpret_cast<const Block*>(static_cast<const uint8_t*>(base) +
                                        row_bytes * static_cast<uint64_t>(i));
}

// Exact sum of 32 products w * a (the vec_dot tail for an odd block count).
inline int32_t BlockDot(__m256i w, __m256i a) { return HsumI32x8(DotI8I8(w, a)); }

struct Q8_0Weights {
  static constexpr char kBias = static_cast<char>(0x80);
  using Block = BlockQ8_0;
  // Two blocks as unsigned w + 128, and their scales.
  static __m512i Unsigned(const Block* w, __m512* scales) {
    *scales = Q8_0Pair::Scales(Q8_0Pair::Head(w));
    return _mm512_xor_si512(Q8_0Pair::Quants(w), _mm512_set1_epi8(kBias));
  }
  static __m256i Signed(const Block& w) { return LoadU256(w.qs); }
};

struct Q4_0Weights {
  static constexpr char kBias = 8;
  using Block = BlockQ4_0;
  static __m512i Unsigned(const Block* w, __m512* scales) {
    const __m512i head = Q4_0Pair::Head(w);
    *scales = Q4_0Pair::Scales(head);
    return Q4_0Pair::Nibbles(head);
  }
  static __m256i Signed(const Block& w) {
    return _mm256_sub_epi8(UnpackNibbles32(w.qs), _mm256_set1_epi8(8));
  }
};

struct Q5_0Weights {
  static constexpr char kBias = 16;
  using Block = BlockQ5_0;
  static __m512i Unsigned(const Block* w, __m512* scales) {
    const __m512i head = Q5_0Pair::Head(w);
    *scales = Q5_0Pair::Scales(head);
    return Q5_0Pair::Quants(w, head);
  }
  static __m256i Signed(const Block& w) {
    uint32_t qh = 0;
    std::memcpy(&qh, w.qh, 4);
    const __m256i low = UnpackNibbles32(w.qs);
    const __m256i q = _mm256_mask_add_epi8(low, static_cast<__mmask32>(qh), low, _mm256_set1_epi8(0x10));
    return _mm256_sub_epi8(q, _mm256_set1_epi8(16));
  }
};

template <class W, int kRows, int kTokens>
void GemmTile(int64_t n, const void* w, uint64_t w_row_bytes, const void* act,
              uint64_t act_row_bytes, float* y, int64_t y_stride) {
  using Block = typename W::Block;
  const Block* wr[kRows];
  const BlockQ8_0* at[kTokens];
  for (int r = 0; r < kRows; ++r) wr[r] = RowAt<Block>(w, w_row_bytes, r);
  for (int t = 0; t < kTokens; ++t) at[t] = RowAt<BlockQ8_0>(act, act_row_bytes, t);
  __m512 acc[kRows][kTokens];
  for (auto& row : acc)
    for (auto& a : row) a = _mm512_setzero_ps();
  const __m512i bias = _mm512_set1_epi8(W::kBias);
  const int64_t nb = n / kQK;
  int64_t b = 0;
  for (; b + 2 <= nb; b += 2) {
    __m512i av[kTokens], start[kTokens];
    __m512 ad[kTokens];
    for (int t = 0; t < kTokens; ++t) {
      av[t] = Q8_0Pair::Quants(at[t] + b);
      start[t] = _mm512_sub_epi32(_mm512_setzero_si512(),
                                  _mm512_dpbusd_epi32(_mm512_setzero_si512(), bias, av[t]));
      ad[t] = Q8_0Pair::Scales(Q8_0Pair::Head(at[t] + b));
    }
    for (int r = 0; r < kRows; ++r) {
      if constexpr (kTokens == 1 && kRows > 1) {
        // Decode streams every weight once, 8 rows at a time, and a 2048-wide row is only
        // 18-34 cache lines: the hardware prefetchers see 8 short streams restart at every
        // call and the loads wait on DRAM while the integer work waits on the loads. Asking
        // for the same place in the rows two tiles ahead, into L2, keeps one long stream in
        // flight: llama-3.2-1b tg64 at 2 threads went from 14-17 to 22-29 tokens/s (Q8_0)
        // and from 21-26 to 30-36 (Q4_0), 3 alternating runs each on this VM; one tile
        // ahead or an L1 hint gained less, and prefetching whole tiles from MatMul lost.
        // A prefetch past the end of the matrix is harmless (prefetches never fault).
        _mm_prefetch(reinterpret_cast<const char*>(wr[r] + b) + kPrefetchRows * w_row_bytes, _MM_HINT_T1);
      }
      __m512 wd;
      const __m512i u = W::Unsigned(wr[r] + b, &wd);
      for (int t = 0; t < kTokens; ++t) {
        const __m512i p = _mm512_dpbusd_epi32(start[t], u, av[t]);
        acc[r][t] = _mm512_fmadd_ps(_mm512_mul_ps(wd, ad[t]), _mm512_cvtepi32_ps(p), acc[r][t]);
      }
    }
  }
  for (int r = 0; r < kRows; ++r) {
    for (int t = 0; t < kTokens; ++t) {
      float sum = _mm512_reduce_add_ps(acc[r][t]);
      if (b < nb) {
        sum += HalfToFloat(wr[r][b].d) * HalfToFloat(at[t][b].d) *
               static_cast<float>(BlockDot(W::Signed(wr[r][b]), LoadU256(at[t][b].qs)));
      }
      y[t * y_stride + r] = sum;
    }
  }
}

// Q5_0 had only the AVX2 vec_dot; its AVX-512 one is the 1 x 1 tile, so the tiles match
// it by construction.
template <class W>
void VecDotAsTile(int64_t n, const void* w_row, const void* act_row, float* out) {
  GemmTile<W, 1, 1>(n, w_row, 0, act_row, 0, out, 1);
}

template <class W>
void SetTile(KernelTable& t, GgmlType type) {
  TypeKernels& k = t.types[static_cast<uint32_t>(type)];
  if (!k.supported || k.act_type != GgmlType::kQ8_0) return;
  k.gemm_tile = GemmTile<W, kPrefillRows, kPrefillTokens>;
  k.gemm_rows = kPrefillRows;
  k.gemm_tokens = kPrefillTokens;
  k.gemv_tile = GemmTile<W, kDecodeRows, 1>;
  k.gemv_rows = kDecodeRows;
}

}  // namespace

void FillAvx512GemmTiles(KernelTable& table) {
  SetTile<Q8_0Weights>(table, GgmlType::kQ8_0);
  SetTile<Q4_0Weights>(table, GgmlType::kQ4_0);
  TypeKernels& q5 = table.types[static_cast<uint32_t>(GgmlType::kQ5_0)];
  if (q5.supported && q5.act_type == GgmlType::kQ8_0) {
    q5.vec_dot = VecDotAsTile<Q5_0Weights>;
    SetTile<Q5_0Weights>(table, GgmlType::kQ5_0);
  }
}

}  // namespace edgelm
