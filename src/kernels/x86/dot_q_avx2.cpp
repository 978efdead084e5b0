// AVX2 (+FMA, F16C) kernels of the 32-element block types, the activation quantizers,
// and the AVX2 table filler (the float dot kernels are in gemm_float_avx2.cpp, the
// K-quants in dot_k_avx2.cpp and gemm_k_avx2.cpp). Integer blocks are reduced with maddubs/madd
// to 8 int32 lanes per block and scaled into a float accumulator, as the scalar twins
// do per block, so the only difference to them is float summation order.
#include <immintrin.h>

#include "core/fp16.h"
#include "kernels/blocks.h"
#include "kernels/simd_fill.h"
#include "kernels/x86/avx2_common.h"
#include "kernels/x86/avx2_kernels.h"

namespace edgelm {
namespace {

// F32 -> F16 activations; the hardware conversion rounds to nearest even like F32ToFp16.
void QuantizeRowF16(const float* x, void* out, int64_t n) {
  auto* y = static_cast<uint16_t*>(out);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
  }
  for (; i < n; ++i) y[i] = FloatToHalf(x[i]);
}

// F32 -> BF16 with round to nearest even and quiet NaNs, bit-exact with F32ToBf16.
void QuantizeRowBF16(const float* x, void* out, int64_t n) {
  auto* y = static_cast<uint16_t*>(out);
  int64_t i = 0;
  const __m256i one = _mm256_set1_epi32(1), round = _mm256_set1_epi32(0x7FFF);
  const __m256i quiet = _mm256_set1_epi32(0x40);
  for (; i + 16 <= n; i += 16) {
    __m256i r[2];
    for (int k = 0; k < 2; ++k) {
      const __m256 v = _mm256_loadu_ps(x + i + 8 * k);
      const __m256i bits = _mm256_castps_si256(v);
      const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(bits, 16), one);
      const __m256i rounded = _mm256_srli_epi32(_mm256_add_epi32(bits, _mm256_add_epi32(round, lsb)), 16);
      const __m256i nan = _mm256_or_si256(_mm256_srli_epi32(bits, 16), quiet);
      const __m256 is_nan = _mm256_cmp_ps(v, v, _CMP_UNORD_Q);
      r[k] = _mm256_blendv_epi8(rounded, nan, _mm256_castps_si256(is_nan));
    }
    // packus interleaves the 128-bit lanes: restore element order.
    const __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(r[0], r[1]), _MM_SHUFFLE(3, 1, 2, 0));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + i), packed);
  }
  for (; i < n; ++i) y[i] = F32ToBf16(x[i]);
}

// One block of 32 floats -> 32 int8 with scale amax / 127 (roundf rounding, as the
// reference quantizer). Returns the float scale; `qsum` gets the sum of the int8 values.
inline float QuantizeBlock32(const float* x, int8_t* qs, int32_t* qsum) {
  const __m256 v0 = _mm256_loadu_ps(x), v1 = _mm256_loadu_ps(x + 8);
  const __m256 v2 = _mm256_loadu_ps(x + 16), v3 = _mm256_loadu_ps(x + 24);
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 m = _mm256_max_ps(_mm256_andnot_ps(sign, v0), _mm256_andnot_ps(sign, v1));
  m = _mm256_max_ps(m, _mm256_max_ps(_mm256_andnot_ps(sign, v2), _mm256_andnot_ps(sign, v3)));
  const float amax = MaxAbsF32x8(m);
  const float d = amax / 127.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  const __m256 vid = _mm256_set1_ps(id);
  const __m256i i0 = _mm256_cvttps_epi32(RoundHalfAway(_mm256_mul_ps(v0, vid)));
  const __m256i i1 = _mm256_cvttps_epi32(RoundHalfAway(_mm256_mul_ps(v1, vid)));
  const __m256i i2 = _mm256_cvttps_epi32(RoundHalfAway(_mm256_mul_ps(v2, vid)));
  const __m256i i3 = _mm256_cvttps_epi32(RoundHalfAway(_mm256_mul_ps(v3, vid)));
  if (qsum != nullptr) {
    *qsum = HsumI32x8(_mm256_add_epi32(_mm256_add_epi32(i0, i1), _mm256_add_epi32(i2, i3)));
  }
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(qs), PackI32ToI8(i0, i1, i2, i3));
  return d;
}

void QuantizeRowQ8_0(const float* x, void* out, int64_t n) {
  auto* y = static_cast<BlockQ8_0*>(out);
  for (int64_t b = 0; b < n / kQK; ++b) {
    y[b].d = FloatToHalf(QuantizeBlock32(x + b * kQK, y[b].qs, nullptr));
  }
}

void QuantizeRowQ8_1(const float* x, void* out, int64_t n) {
  auto* y = static_cast<BlockQ8_1*>(out);
  for (int64_t b = 0; b < n / kQK; ++b) {
    int32_t qsum = 0;
    const float d = QuantizeBlock32(x + b * kQK, y[b].qs, &qsum);
    y[b].d = FloatToHalf(d);
    y[b].s = FloatToHalf(d * static_cast<float>(qsum));
  }
}

void VecDotQ8_0(int64_t n, const void* w_row, const void* act_row, float* out) {
  const auto* w = static_cast<const BlockQ8_0*>(w_row);
  const auto* a = static_cast<const BlockQ8_0*>(act_row);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t b = 0; b < n / kQK; ++b) {
    const __m256 d = _mm256_set1_ps(HalfToFloat(w[b].d) * HalfToFloat(a[b].d));
    const __m256i p = DotI8I8(LoadU256(w[b].qs), LoadU256(a[b].qs));
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(p), acc);
  }
  *out = HsumF32x8(acc);
}

void VecDotQ4_0(int64_t n, const void* w_row, const void* act_row, float* out) {
  const auto* w = static_cast<const BlockQ4_0*>(w_row);
  const auto* a = static_cast<const BlockQ8_0*>(act_row);
  __m256 acc = _mm256_setzero_ps();
  const __m256i eight = _mm256_set1_epi8(8);
  for (int64_t b = 0; b < n / kQK; ++b) {
    const __m256 d = _mm256_set1_ps(HalfToFloat(w[b].d) * HalfToFloat(a[b].d));
    const __m256i q = _mm256_sub_epi8(UnpackNibbles32(w[b].qs), eight);
    const __m256i p = DotI8I8(q, LoadU256(a[b].qs));
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(p), acc);
  }
  *out = HsumF32x8(acc);
}

void VecDotQ4_1(int64_t n, const void* w_row, const void* act_row, float* out) {
  const auto* w = static_cast<const BlockQ4_1*>(w_row);
  const auto* a = static_cast<const BlockQ8_1*>(act_row);
  __m256 acc = _mm256_setzero_ps();
  float sum_m = 0.0f;
  for (int64_t b = 0; b < n / kQK; ++b) {
    const __m256 d = _mm256_set1_ps(HalfToFloat(w[b].d) * HalfToFloat(a[b].d));
    sum_m += HalfToFloat(w[b].m) * HalfToFloat(a[b].s);
    const __m256i p = DotU8I8(UnpackNibbles32(w[b].qs), LoadU256(a[b].qs));
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(p), acc);
  }
  *out = HsumF32x8(acc) + sum_m;
}

// 5-bit quants: nibble | (bit from qh) << 4.
inline __m256i Unpack5Bit32(const uint8_t* qs, const uint8_t* qh) {
  const __m256i high = _mm256_and_si256(BitsToByteMask32(qh), _mm256_set1_epi8(0x10));
  return _mm256_or_si256(UnpackNibbles32(qs), high);
}

void VecDotQ5_0(int64_t n, const void* w_row, const void* act_row, float* out) {
  const auto* w = static_cast<const BlockQ5_0*>(w_row);
  const auto* a = static_cast<const BlockQ8_0*>(act_row);
  __m256 acc = _mm256_setzero_ps();
  const __m256i sixteen = _mm256_set1_epi8(16);
  for (int64_t b = 0; b < n / kQK; ++b) {
    const __m256 d = _mm256_set1_ps(HalfToFloat(w[b].d) * HalfToFloat(a[b].d));
    const __m256i q = _mm256_sub_epi8(Unpack5Bit32(w[b].qs, w[b].qh), sixteen);
    const __m256i p = DotI8I8(q, LoadU256(a[b].qs));
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(p), acc);
  }
  *out = HsumF32x8(acc);
}

void VecDotQ5_1(int64_t n, const void* w_row, const void* act_row, float* out) {
  const auto* w = static_cast<const BlockQ5_1*>(w_row);
  const auto* a = static_cast<const BlockQ8_1*>(act_row);
  __m256 acc = _mm256_setzero_ps();
  float sum_m = 0.0f;
  for (int64_t b = 0; b < n / kQK; ++b) {
    const __m256 d = _mm256_set1_ps(HalfToFloat(w[b].d) * HalfToFloat(a[b].d));
    sum_m += HalfToFloat(w[b].m) * HalfToFloat(a[b].s);
    const __m256i p = DotU8I8(Unpack5Bit32(w[b].qs, w[b].qh), LoadU256(a[b].qs));
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(p), acc);
  }
  *out = HsumF32x8(acc) + sum_m;
}

// Installs a kernel only over a scalar entry with the same activation format: the scalar
// table decides what the engine supports and which format vec_dot receives.
void Set(KernelTable& t, GgmlType type, GgmlType act_type, QuantizeRowFn quantize_act,
         VecDotFn vec_dot) {
  TypeKernels& k = t.types[static_cast<uint32_t>(type)];
  if (!k.supported || k.act_type != act_type) return;
  if (quantize_act != nullptr) k.quantize_act = quantize_act;
  k.vec_dot = vec_dot;
}

}  // namespace

void FillAvx2Kernels(KernelTable& table) {
  using T = GgmlType;
  // Float vec_dot kernels and tiles: FillAvx2FloatKernels (gemm_float_avx2.cpp).
  Set(table, T::kF16, T::kF16, QuantizeRowF16, nullptr);
  Set(table, T::kBF16, T::kBF16, QuantizeRowBF16, nullptr);
  Set(table, T::kQ8_0, T::kQ8_0, QuantizeRowQ8_0, VecDotQ8_0);
  Set(table, T::kQ4_0, T::kQ8_0, QuantizeRowQ8_0, VecDotQ4_0);
  Set(table, T::kQ5_0, T::kQ8_0, QuantizeRowQ8_0, VecDotQ5_0);
  Set(table, T::kQ4_1, T::kQ8_1, QuantizeRowQ8_1, VecDotQ4_1);
  Set(table, T::kQ5_1, T::kQ8_1, QuantizeRowQ8_1, VecDotQ5_1);
  Set(table, T::kQ2_K, T::kQ8_K, avx2::QuantizeRowQ8_K, avx2::VecDotQ2_K);
  Set(table, T::kQ3_K, T::kQ8_K, avx2::QuantizeRowQ8_K, avx2::VecDotQ3_K);
  Set(table, T::kQ4_K, T::kQ8_K, avx2::QuantizeRowQ8_K, avx2::VecDotQ4_K);
  Set(table, T::kQ5_K, T::kQ8_K, avx2::QuantizeRowQ8_K, avx2::VecDotQ5_K);
  Set(table, T::kQ6_K, T::kQ8_K, avx2::QuantizeRowQ8_K, avx2::VecDotQ6_K);
  FillAvx2GemmTiles(table);
  FillAvx2KQuantTiles(table);
  FillAvx2FloatKernels(table);
}

}  // namespace edgelm
