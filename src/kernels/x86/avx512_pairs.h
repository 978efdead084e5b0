// Two consecutive 32-element blocks (a "pair") as 512-bit vectors, for the AVX-512 Q8_0 and
// Q4_0 kernels (dot_avx512.cpp, gemm_avx512.cpp). Included only by files built with
// AVX-512 F/BW flags; internal linkage for the reason given in avx2_common.h.
//
// Why vpermw: a block's fp16 scale sits inside the block (34- or 18-byte stride), so
// spreading two of them over the 8 lanes of each block with scalar conversions costs
// ~10 instructions per pair (movzx, vmovd, vcvtph2ps twice, broadcasts, an insert). That
// work, repeated for every weight row, was the bound of decode: the Q4_0/Q8_0 kernels
// streamed 14/30 GB/s from cache against 48 GB/s for F16. One load of the pair, one
// vpermw that copies each scale word into its block's 8 lanes and one vcvtph2ps give the
// same floats; the Q4_0 nibbles come out of the same load with one more vpermw.
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "kernels/blocks.h"

namespace edgelm {
namespace {

// Word index vectors for vpermw (only the low 16 words of the scale index matter).
// Q8_0 pair: d0 = word 0, d1 = word 17 (byte 34). Q4_0 pair: d0 = word 0, d1 = word 9.
inline __m512i ScaleIndex(short second_word) {
  return _mm512_set_epi16(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  //
                          second_word, second_word, second_word, second_word, second_word, second_word,
                          second_word, second_word, 0, 0, 0, 0, 0, 0, 0, 0);
}

// Lanes 0..7 = float(d of block 0), lanes 8..15 = float(d of block 1), from a vector
// holding the pair's first bytes.
inline __m512 SpreadScales(__m512i pair_bytes, __m512i scale_index) {
  return _mm512_cvtph_ps(_mm512_castsi512_si256(_mm512_permutexvar_epi16(scale_index, pair_bytes)));
}

// The 64 quant nibbles of a pair whose 16 quant bytes start at word first0 (block 0) and
// first1 (block 1) of head, as unsigned 0..15 in element order: 128-bit lane 0 = low
// nibbles of block 0 (elements 0..15), lane 1 = its high nibbles (16..31), lanes 2 and 3
// the same for block 1. vpermw copies each block's quant bytes into two lanes, vpsrlvw
// shifts the high lanes by 4, vpand keeps the nibble.
inline __m512i SpreadNibbles(__m512i head, short first0, short first1) {
  const short a = first0, b = first1;
  const __m512i index = _mm512_set_epi16(b + 7, b + 6, b + 5, b + 4, b + 3, b + 2, b + 1, b,  //
                                         b + 7, b + 6, b + 5, b + 4, b + 3, b + 2, b + 1, b,  //
                                         a + 7, a + 6, a + 5, a + 4, a + 3, a + 2, a + 1, a,  //
                                         a + 7, a + 6, a + 5, a + 4, a + 3, a + 2, a + 1, a);
  const __m512i shift = _mm512_set_epi16(4, 4, 4, 4, 4, 4, 4, 4, 0, 0, 0, 0, 0, 0, 0, 0,  //
                                         4, 4, 4, 4, 4, 4, 4, 4, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m512i spread = _mm512_srlv_epi16(_mm512_permutexvar_epi16(index, head), shift);
  return _mm512_and_si512(spread, _mm512_set1_epi8(0x0F));
}

struct Q8_0Pair {
  // The first 64 of the pair's 68 bytes: both scales (bytes 0-1 and 34-35).
  static __m512i Head(const BlockQ8_0* b) { return _mm512_loadu_si512(b); }
  static __m512 Scales(__m512i head) { return SpreadScales(head, ScaleIndex(17)); }
  // The 64 signed quants in element order.
  static __m512i Quants(const BlockQ8_0* b) {
    return _mm512_inserti64x4(
        _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[0].qs))),
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[1].qs)), 1);
  }
};

struct Q4_0Pair {
  // The pair's 36 bytes; a masked load, so the last pair of a row reads nothing past it.
  static __m512i Head(const BlockQ4_0* b) { return _mm512_maskz_loadu_epi8((__mmask64{1} << 36) - 1, b); }
  static __m512 Scales(__m512i head) { return SpreadScales(head, ScaleIndex(9)); }
  // The 64 quants as unsigned nibbles 0..15 in element order (quant bytes at words 1..8
  // and 10..17).
  static __m512i Nibbles(__m512i head) { return SpreadNibbles(head, 1, 10); }
};

struct Q5_0Pair {
  // The pair's 44 bytes: d (word 0), qh (bytes 2-5), qs (words 3..10), then block 1 from
  // byte 22: d (word 11), qh (bytes 24-27), qs (words 14..21).
  static __m512i Head(const BlockQ5_0* b) { return _mm512_maskz_loadu_epi8((__mmask64{1} << 44) - 1, b); }
  static __m512 Scales(__m512i head) { return SpreadScales(head, ScaleIndex(11)); }
  // The 64 quants as unsigned 0..31 in element order: the nibbles as for Q4_0, and bit j
  // of a block's qh (element j's fifth bit) as 0x10 in byte j of that block.
  static __m512i Quants(const BlockQ5_0* b, __m512i head) {
    uint32_t qh0 = 0, qh1 = 0;
    std::memcpy(&qh0, b[0].qh, 4);
    std::memcpy(&qh1, b[1].qh, 4);
    const __mmask64 high = static_cast<__mmask64>(qh0) | (static_cast<__mmask64>(qh1) << 32);
    const __m512i low = SpreadNibbles(head, 3, 14);
    return _mm512_mask_add_epi8(low, high, low, _mm512_set1_epi8(0x10));  // no carry: low <= 15
  }
};

}  // namespace
}  // namespace edgelm
