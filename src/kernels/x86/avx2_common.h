// Helpers shared by the AVX2 and AVX-512 kernel files. Everything here has internal
// linkage (unnamed namespace): each including file is compiled with different target
// flags, and an inline function with external linkage could let the linker keep the
// AVX-512 copy for the AVX2 path.
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace edgelm {
namespace {

inline float HsumF32x8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline int32_t HsumI32x8(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(s);
}

// One IEEE half (a block scale) to float with F16C.
inline float HalfToFloat(uint16_t h) { return _cvtsh_ss(h); }
// Float to IEEE half, round to nearest even (as F32ToFp16). Not _cvtss_sh: clang's macro
// for it uses a compound literal, which -Wpedantic rejects in C++.
inline uint16_t FloatToHalf(float v) {
  return static_cast<uint16_t>(_mm_cvtsi128_si32(_mm_cvtps_ph(_mm_set_ss(v), _MM_FROUND_TO_NEAREST_INT)));
}

inline __m256i LoadU256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
inline __m128i LoadU128(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }

// Sum over groups of 4 of unsigned(u) * signed(s), as 8 int32 lanes. maddubs saturates
// at int16 only when two products exceed 32767: |u| <= 63 (K-quants) or <= 127 with the
// sign trick keeps every pair below that.
inline __m256i DotU8I8(__m256i u, __m256i s) {
  const __m256i pairs = _mm256_maddubs_epi16(u, s);
  return _mm256_madd_epi16(pairs, _mm256_set1_epi16(1));
}

// Sum over groups of 4 of signed(x) * signed(y): |x| moves the sign onto y so that
// maddubs (unsigned x signed) applies; x = -128 never occurs in the quantized formats.
inline __m256i DotI8I8(__m256i x, __m256i y) {
  return DotU8I8(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
}

// 16 bytes of packed nibbles -> 32 bytes: low nibbles (elements 0..15), then high nibbles
// (elements 16..31), the order of the *_0/*_1 blocks.
inline __m256i UnpackNibbles32(const uint8_t* qs) {
  const __m128i b = LoadU128(qs);
  const __m256i both = _mm256_set_m128i(_mm_srli_epi16(b, 4), b);
  return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
}

// 32 bits -> 32 bytes, 0xFF where bit j of the little-endian word is set (byte j).
inline __m256i BitsToByteMask32(const uint8_t* bits) {
  uint32_t word;
  std::memcpy(&word, bits, 4);
  const __m256i shuffle = _mm256_setr_epi64x(0x0000000000000000, 0x0101010101010101,
                                             0x0202020202020202, 0x0303030303030303);
  __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(word)), shuffle);
  const __m256i bit = _mm256_set1_epi64x(static_cast<int64_t>(0x8040201008040201ULL));
  return _mm256_cmpeq_epi8(_mm256_and_si256(v, bit), bit);
}

// roundf() semantics (ties away from zero) for 8 lanes: truncate, then step away from
// zero where the exact remainder is at least one half. Matches the scalar quantizers.
inline __m256 RoundHalfAway(__m256 v) {
  const __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  const __m256 frac = _mm256_sub_ps(v, t);
  const __m256 sign_mask = _mm256_set1_ps(-0.0f);
  const __m256 abs_frac = _mm256_andnot_ps(sign_mask, frac);
  const __m256 step = _mm256_or_ps(_mm256_and_ps(v, sign_mask), _mm256_set1_ps(1.0f));
  const __m256 up = _mm256_cmp_ps(abs_frac, _mm256_set1_ps(0.5f), _CMP_GE_OQ);
  return _mm256_add_ps(t, _mm256_and_ps(up, step));
}

// Packs 32 int32 lanes (four vectors, already in int8 range) into 32 int8 in order.
inline __m256i PackI32ToI8(__m256i a, __m256i b, __m256i c, __m256i d) {
  const __m256i ab = _mm256_packs_epi32(a, b);  // lanes interleave per 128 bits
  const __m256i cd = _mm256_packs_epi32(c, d);
  const __m256i abcd = _mm256_packs_epi16(ab, cd);
  // After the two packs the 32-bit groups are ordered 0 4 1 5 2 6 3 7.
  return _mm256_permutevar8x32_epi32(abcd, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

// Q4_K/Q5_K: sum_j mins[j] * (bsums[2j] + bsums[2j + 1]), the 8 sub-block mins against
// the activations' 16-element sums.
inline int32_t MinsDotBsums(const uint8_t* mins8, const int16_t* bsums) {
  const __m128i m = _mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(mins8)));
  const __m256i pairs = _mm256_set_m128i(_mm_unpackhi_epi16(m, m), _mm_unpacklo_epi16(m, m));
  return HsumI32x8(_mm256_madd_epi16(pairs, LoadU256(bsums)));
}

// Scale vector for the group pair (2p, 2p + 1) of 16 int16 scales: the low 128-bit lane
// holds scale 2p, the high lane scale 2p + 1 (matching the maddubs output of 32 codes).
inline __m256i PairScales(__m256i scales16, int p) {
  const __m256i pair = _mm256_permutevar8x32_epi32(scales16, _mm256_set1_epi32(p));
  const __m256i spread = _mm256_setr_epi8(0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1,
                                          2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3);
  return _mm256_shuffle_epi8(pair, spread);
}

inline float MaxAbsF32x8(__m256 v) {
  v = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v);
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

}  // namespace
}  // namespace edgelm
