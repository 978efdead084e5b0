// AVX-512 (F, BW, VL; VNNI and BF16 where present) kernels for the hot weight types:
// F32, Q8_0, Q4_0 here, Q5_0 (with VNNI) in gemm_avx512.cpp, Q4_K and Q6_K in
// gemm_k_avx512.cpp, BF16 in gemm_bf16_avx512.cpp. Other types keep their AVX2 kernels
// (installed first by MakeKernelTable). The 32-element block types process two blocks
// per 512-bit vector (scales and nibbles extracted as in avx512_pairs.h); with VNNI the
// signed int8 dot is vpdpbusd on (w + c) minus c * sum(a). F16 keeps the AVX2 kernel on purpose: a 512-bit version (vcvtph2ps zmm +
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
#include "kernels/simd_fill.h"
#include "kernels/x86/avx2_common.h"
#include "kernels/x86/avx512_pairs.h"

namespace edgelm {
namespace {

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

template <bool kVnni>
void VecDotQ8_0(int64_t n, const void* w_row, const void* act_row, float* out) {
  const auto* w = static_cast<const BlockQ8_0*>(w_row);
  const auto* a = static_cast<const BlockQ8_0*>(act_row);
  const int64_t nb = n / kQK;
  __m512 acc = _mm512_setzero_ps();
  int64_t b = 0;
  for (; b + 2 <= nb; b += 2) {
    const __m512 d = _mm512_mul_ps(Q8_0Pair::Scales(Q8_0Pair::Head(w + b)), Q8_0Pair::Scales(Q8_0Pair::Head(a + b)));
    acc = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(DotI8I8x64<kVnni>(Q8_0Pair::Quants(w + b), Q8_0Pair::Quants(a + b))),
                          acc);
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
    const __m512i head = Q4_0Pair::Head(w + b);
    const __m512 d = _mm512_mul_ps(Q4_0Pair::Scales(head), Q8_0Pair::Scales(Q8_0Pair::Head(a + b)));
    const __m512i aq = Q8_0Pair::Quants(a + b);
    __m512i p;
    if constexpr (kVnni) {
      // sum((q - 8) a) = sum(q a) - sum(8 a): the nibbles are already unsigned.
      const __m512i zero = _mm512_setzero_si512();
      p = _mm512_sub_epi32(_mm512_dpbusd_epi32(zero, Q4_0Pair::Nibbles(head), aq), _mm512_dpbusd_epi32(zero, eight, aq));
    } else {
      p = DotI8I8x64<false>(_mm512_sub_epi8(Q4_0Pair::Nibbles(head), eight), aq);
    }
    acc = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(p), acc);
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
  if (cpu.avx512bf16) FillAvx512Bf16Kernels(table);
  FillAvx512KQuantKernels(table, cpu);
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
