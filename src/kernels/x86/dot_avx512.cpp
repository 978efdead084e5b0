// AVX-512 (F, BW, VL; VNNI and BF16 where present) kernels for the hot weight types:
// F32, BF16, Q8_0, Q4_0, Q4_K, Q6_K. Other types keep their AVX2 kernels (installed
// first by MakeKernelTable). The 32-element block types process two blocks per 512-bit
// vector; with VNNI the signed int8 dot uses vpdpbusd on (w + 128) and subtracts
// 128 * sum(a). F16 keeps the AVX2 kernel on purpose: a 512-bit version (vcvtph2ps zmm +
// FMA, four accumulators) measured 0.6x the AVX2 one on AMD Zen 4, where the 512-bit
// conversion has half the 256-bit throughput.
//
// GCC 12's AVX-512 headers build some results from _mm512_undefined_*() (a self-
// initialised variable), which -Wuninitialized reports once inlined; the values are
// fully overwritten by the instructions, so the warning is a false positive here.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include "kernels/blocks.h"
#include "kernels/kquant_scales.h"
#include "kernels/simd_fill.h"
#include "kernels/x86/avx2_common.h"
#include "kernels/x86/avx2_kernels.h"

namespace edgelm {
namespace {

inline __m512i Combine256(__m256i lo, __m256i hi) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

// Two per-block scales: lanes 0..7 = d0, lanes 8..15 = d1.
inline __m512 TwoScales(float d0, float d1) {
  return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_set1_ps(d0)),
                                             _mm256_castps_pd(_mm256_set1_ps(d1)), 1));
}

// Signed int8 x signed int8, sums of 4 as 16 int32 lanes.
template <bool kVnni>
inline __m512i DotI8I8x64(__m512i w, __m512i a) {
  if constexpr (kVnni) {
    const __m512i bias = _mm512_set1_epi8(static_cast<char>(0x80));
    const __m512i wu = _mm512_xor_si512(w, bias);  // w + 128 as unsigned
    const __m512i zero = _mm512_setzero_si512();
    return _mm512_sub_epi32(_mm512_dpbusd_epi32(zero, wu, a), _mm512_dpbusd_epi32(zero, bias, a));
  } else {
    const __m512i aw = _mm512_abs_epi8(w);
    const __m512i sa = _mm512_mask_sub_epi8(a, _mm512_movepi8_mask(w), _mm512_setzero_si512(), a);
    return _mm512_madd_epi16(_mm512_maddubs_epi16(aw, sa), _mm512_set1_epi16(1));
  }
}

// Four independent accumulators (64 elements per iteration) hide the FMA latency.
template <class Load>
inline float DotLoop512(int64_t n, Load load) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  __m512 acc2 = _mm512_setzero_ps(), acc3 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    acc0 = _mm512_fmadd_ps(load.W(i, 0xFFFF), load.A(i, 0xFFFF), acc0);
    acc1 = _mm512_fmadd_ps(load.W(i + 16, 0xFFFF), load.A(i + 16, 0xFFFF), acc1);
    acc2 = _mm512_fmadd_ps(load.W(i + 32, 0xFFFF), load.A(i + 32, 0xFFFF), acc2);
    acc3 = _mm512_fmadd_ps(load.W(i + 48, 0xFFFF), load.A(i + 48, 0xFFFF), acc3);
  }
  for (; i + 16 <= n; i += 16) acc0 = _mm512_fmadd_ps(load.W(i, 0xFFFF), load.A(i, 0xFFFF), acc0);
  if (i < n) {
    // Masked loads read only the remaining elements (no overrun past the row).
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1);
    acc1 = _mm512_fmadd_ps(load.W(i, m), load.A(i, m), acc1);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(acc0, acc1), _mm512_add_ps(acc2, acc3)));
}

struct F32Loads {
  const float* w;
  const float* a;
  __m512 W(int64_t i, __mmask16 m) const { return _mm512_maskz_loadu_ps(m, w + i); }
  __m512 A(int64_t i, __mmask16 m) const { return _mm512_maskz_loadu_ps(m, a + i); }
};

void VecDotF32(int64_t n, const void* w_row, const void* act_row, float* out) {
  *out = DotLoop512(n, F32Loads{static_cast<const float*>(w_row), static_cast<const float*>(act_row)});
}

// BF16 x BF16 with AVX512_BF16 (vdpbf16ps: 32 products per instruction, exact products,
// f32 accumulation; bf16 denormals, below 1.2e-38, count as zero). Compiled for that
// extension only here and installed only when the CPU reports it.
__attribute__((target("avx512bf16"))) void VecDotBF16(int64_t n, const void* w_row, const void* act_row,
                                                      float* out) {
  const auto* w = static_cast<const uint16_t*>(w_row);
  const auto* a = static_cast<const uint16_t*>(act_row);
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    acc0 = _mm512_dpbf16_ps(acc0, (__m512bh)_mm512_loadu_si512(w + i), (__m512bh)_mm512_loadu_si512(a + i));
    acc1 = _mm512_dpbf16_ps(acc1, (__m512bh)_mm512_loadu_si512(w + i + 32), (__m512bh)_mm512_loadu_si512(a + i + 32));
  }
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm512_dpbf16_ps(acc0, (__m512bh)_mm512_loadu_si512(w + i), (__m512bh)_mm512_loadu_si512(a + i));
  }
  if (i < n) {
    // Masked loads zero the missing elements, whose products then add nothing.
    const __mmask32 m = static_cast<__mmask32>((1ull << (n - i)) - 1);
    acc1 = _mm512_dpbf16_ps(acc1, (__m512bh)_mm512_maskz_loadu_epi16(m, w + i),
                            (__m512bh)_mm512_maskz_loadu_epi16(m, a + i));
  }
  *out = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

template <bool kVnni>
void VecDotQ8_0(int64_t n, const void* w_row, const void* act_row, float* out) {
  const auto* w = static_cast<const BlockQ8_0*>(w_row);
  const auto* a = static_cast<const BlockQ8_0*>(act_row);
  const int64_t nb = n / kQK;
  __m512 acc = _mm512_setzero_ps();
  int64_t b = 0;
  for (; b + 2 <= nb; b += 2) {
    const __m512i wq = Combine256(LoadU256(w[b].qs), LoadU256(w[b + 1].qs));
    const __m512i aq = Combine256(LoadU256(a[b].qs), LoadU256(a[b + 1].qs));
    const __m512 d = TwoScales(HalfToFloat(w[b].d) * HalfToFloat(a[b].d),
                               HalfToFloat(w[b + 1].d) * HalfToFloat(a[b + 1].d));
    acc = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(DotI8I8x64<kVnni>(wq, aq)), acc);
  }
  float sum = _mm512_reduce_add_ps(acc);
  if (b < nb) {
    const __m512i p = DotI8I8x64<kVnni>(_mm512_castsi256_si512(LoadU256(w[b].qs)),
                                        _mm512_castsi256_si512(LoadU256(a[b].qs)));
    sum += HalfToFloat(w[b].d) * HalfToFloat(a[b].d) *
           static_cast<float>(HsumI32x8(_mm512_castsi512_si256(p)));
  }
  *out = sum;
}

template <bool kVnni>
void VecDotQ4_0(int64_t n, const void* w_row, const void* act_row, float* out) {
  const auto* w = static_cast<const BlockQ4_0*>(w_row);
  const auto* a = static_cast<const BlockQ8_0*>(act_row);
  const int64_t nb = n / kQK;
  const __m512i eight = _mm512_set1_epi8(8);
  __m512 acc = _mm512_setzero_ps();
  int64_t b = 0;
  for (; b + 2 <= nb; b += 2) {
    const __m512i wq = _mm512_sub_epi8(Combine256(UnpackNibbles32(w[b].qs), UnpackNibbles32(w[b + 1].qs)), eight);
    const __m512i aq = Combine256(LoadU256(a[b].qs), LoadU256(a[b + 1].qs));
    const __m512 d = TwoScales(HalfToFloat(w[b].d) * HalfToFloat(a[b].d),
                               HalfToFloat(w[b + 1].d) * HalfToFloat(a[b + 1].d));
    acc = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(DotI8I8x64<kVnni>(wq, aq)), acc);
  }
  float sum = _mm512_reduce_add_ps(acc);
  if (b < nb) {
    const __m256i wq = _mm256_sub_epi8(UnpackNibbles32(w[b].qs), _mm256_set1_epi8(8));
    const __m512i p = DotI8I8x64<kVnni>(_mm512_castsi256_si512(wq), _mm512_castsi256_si512(LoadU256(a[b].qs)));
    sum += HalfToFloat(w[b].d) * HalfToFloat(a[b].d) *
           static_cast<float>(HsumI32x8(_mm512_castsi512_si256(p)));
  }
  *out = sum;
}

// Q4_K: per 64 elements, the 32 low nibbles (scale 2c) and 32 high nibbles (scale 2c+1)
// of qs[32c..] form one vector matching the 64 contiguous activations.
void VecDotQ4_K(int64_t n, const void* w_row, const void* act_row, float* out) {
  const auto* w = static_cast<const BlockQ4_K*>(w_row);
  const auto* a = static_cast<const BlockQ8_K*>(act_row);
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  // Per chunk c: int16 lanes 0..15 take scale 2c, lanes 16..31 scale 2c + 1.
  __m512i scale_idx[4];
  for (int c = 0; c < 4; ++c) {
    alignas(64) int16_t idx[32];
    for (int i = 0; i < 32; ++i) idx[i] = static_cast<int16_t>(2 * c + i / 16);
    scale_idx[c] = _mm512_load_si512(idx);
  }
  __m512 acc = _mm512_setzero_ps();
  float acc_min = 0.0f;
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    alignas(8) uint8_t sc[8], mn[8];
    UnpackScaleMinK4(w[b].scales, sc, mn);
    const int32_t sum_mins = MinsDotBsums(mn, a[b].bsums);
    acc_min += a[b].d * HalfToFloat(w[b].dmin) * static_cast<float>(sum_mins);
    const __m512i scales16 = _mm512_castsi128_si512(_mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(sc))));
    __m512i sumi = _mm512_setzero_si512();
    for (int c = 0; c < 4; ++c) {
      const __m256i q = LoadU256(w[b].qs + 32 * c);
      const __m512i qq = _mm512_and_si512(Combine256(q, _mm256_srli_epi16(q, 4)), low4);
      const __m512i aq = _mm512_loadu_si512(a[b].qs + 64 * c);
      const __m512i scales = _mm512_permutexvar_epi16(scale_idx[c], scales16);
      sumi = _mm512_add_epi32(sumi, _mm512_madd_epi16(_mm512_maddubs_epi16(qq, aq), scales));
    }
    const __m512 d = _mm512_set1_ps(a[b].d * HalfToFloat(w[b].d));
    acc = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(sumi), acc);
  }
  *out = _mm512_reduce_add_ps(acc) - acc_min;
}

// Q6_K (layout in dot_k_avx2.cpp): per half h, [q0 | q1] and [q2 | q3] are each one
// vector against 64 contiguous activations; each 128-bit lane is one 16-element group.
void VecDotQ6_K(int64_t n, const void* w_row, const void* act_row, float* out) {
  const auto* w = static_cast<const BlockQ6_K*>(w_row);
  const auto* a = static_cast<const BlockQ8_K*>(act_row);
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  const __m512i two_bits = _mm512_set1_epi8(0x30);
  const __m512i shl_a = Combine256(_mm256_set1_epi16(4), _mm256_set1_epi16(2));
  const __m512i shr_b = Combine256(_mm256_setzero_si256(), _mm256_set1_epi16(2));
  // Group index (within the 16 scales) for each int16 lane of the maddubs result.
  __m512i group_idx[4];
  for (int k = 0; k < 4; ++k) {
    alignas(64) int16_t idx[32];
    for (int i = 0; i < 32; ++i) idx[i] = static_cast<int16_t>(4 * k + i / 8);
    group_idx[k] = _mm512_load_si512(idx);
  }
  __m512 acc = _mm512_setzero_ps();
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const int8_t* sc = w[b].scales;
    const __m512i scales16 = _mm512_castsi256_si512(_mm256_cvtepi8_epi16(LoadU128(sc)));
    __m512i sumi = _mm512_setzero_si512();
    for (int h = 0; h < 2; ++h) {
      const __m512i ql = _mm512_loadu_si512(w[b].ql + 64 * h);
      const __m256i qh256 = LoadU256(w[b].qh + 32 * h);
      const __m512i qh = Combine256(qh256, qh256);
      const __m512i qa = _mm512_or_si512(_mm512_and_si512(ql, low4),
                                         _mm512_and_si512(_mm512_sllv_epi16(qh, shl_a), two_bits));
      const __m512i qb = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), low4),
                                         _mm512_and_si512(_mm512_srlv_epi16(qh, shr_b), two_bits));
      const __m512i sa = _mm512_permutexvar_epi16(group_idx[2 * h], scales16);
      const __m512i sb = _mm512_permutexvar_epi16(group_idx[2 * h + 1], scales16);
      sumi = _mm512_add_epi32(sumi, _mm512_madd_epi16(_mm512_maddubs_epi16(qa, _mm512_loadu_si512(a[b].qs + 128 * h)), sa));
      sumi = _mm512_add_epi32(sumi, _mm512_madd_epi16(_mm512_maddubs_epi16(qb, _mm512_loadu_si512(a[b].qs + 128 * h + 64)), sb));
    }
    const __m256i bs = _mm256_madd_epi16(LoadU256(a[b].bsums), _mm512_castsi512_si256(scales16));
    const int32_t offset = 32 * HsumI32x8(bs);
    const float d = a[b].d * HalfToFloat(w[b].d);
    const int32_t total = _mm512_reduce_add_epi32(sumi) - offset;
    acc = _mm512_mask_add_ps(acc, 1, acc, _mm512_set1_ps(d * static_cast<float>(total)));
  }
  *out = _mm512_reduce_add_ps(acc);
}

void Set(KernelTable& t, GgmlType type, GgmlType act_type, VecDotFn vec_dot) {
  TypeKernels& k = t.types[static_cast<uint32_t>(type)];
  if (!k.supported || k.act_type != act_type) return;
  k.vec_dot = vec_dot;
  // A tile kernel installed for the AVX2 vec_dot would no longer match this one.
  k.gemm_tile = nullptr;
  k.gemm_rows = 0;
  k.gemm_tokens = 0;
  k.gemv_tile = nullptr;
  k.gemv_rows = 0;
}

}  // namespace

void FillAvx512Kernels(KernelTable& table, const CpuFeatures& cpu) {
  using T = GgmlType;
  Set(table, T::kF32, T::kF32, VecDotF32);
  if (cpu.avx512bf16) Set(table, T::kBF16, T::kBF16, VecDotBF16);
  Set(table, T::kQ4_K, T::kQ8_K, VecDotQ4_K);
  Set(table, T::kQ6_K, T::kQ8_K, VecDotQ6_K);
  if (cpu.avx512vnni) {
    Set(table, T::kQ8_0, T::kQ8_0, VecDotQ8_0<true>);
    Set(table, T::kQ4_0, T::kQ8_0, VecDotQ4_0<true>);
    FillAvx512GemmTiles(table);
  } else {
    Set(table, T::kQ8_0, T::kQ8_0, VecDotQ8_0<false>);
    Set(table, T::kQ4_0, T::kQ8_0, VecDotQ4_0<false>);
  }
}

}  // namespace edgelm
