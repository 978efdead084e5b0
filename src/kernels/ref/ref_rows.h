// Row functions of the scalar reference path, one set per ggml type. Internal to the
// kernels layer: ref_kernels.cpp puts them into a KernelTable, quantize.cpp uses them for
// whole tensors, and the SIMD paths' tests compare against them.
//
// Every function takes a row of n elements, n a multiple of the type's block size (the
// caller checked it; the functions EDGELM_CHECK it because a wrong n is a programming
// error). Dot products follow ggml's CPU backend: the weight row is dotted with
// activations already converted to the type's activation format, with integer block dot
// products scaled by the block scales.
#pragma once

#include <cstdint>
#include <cstring>

namespace edgelm::ref {

// ggml's nearest_int: round to nearest, ties to even, for |v| < 2^22 (all uses here stay
// far below). Adding 1.5 * 2^23 moves the integer part into the low mantissa bits.
inline int NearestInt(float v) {
  const float shifted = v + 12582912.0f;
  int32_t bits;
  std::memcpy(&bits, &shifted, sizeof(bits));
  return (bits & 0x007FFFFF) - 0x00400000;
}

// ---- F32 / F16 / BF16 (ref_float.cpp) -------------------------------------------------
void ConvertRowF32(const float* x, void* out, int64_t n);  // copy: F32 activations
void DequantizeRowF32(const void* row, float* out, int64_t n);
void VecDotF32(int64_t n, const void* w, const void* a, float* out);
void ConvertRowF16(const float* x, void* out, int64_t n);
void DequantizeRowF16(const void* row, float* out, int64_t n);
void VecDotF16(int64_t n, const void* w, const void* a, float* out);
void ConvertRowBF16(const float* x, void* out, int64_t n);
void DequantizeRowBF16(const void* row, float* out, int64_t n);
void VecDotBF16(int64_t n, const void* w, const void* a, float* out);

// ---- 32-element block types (ref_q_legacy.cpp) ----------------------------------------
// Quantizers are ggml's deterministic reference quantizers (no search): the Q8_0 one also
// prepares activations, and the others reproduce llama-quantize's output bit for bit.
void QuantizeRowQ4_0(const float* x, void* out, int64_t n);
void QuantizeRowQ4_1(const float* x, void* out, int64_t n);
void QuantizeRowQ5_0(const float* x, void* out, int64_t n);
void QuantizeRowQ5_1(const float* x, void* out, int64_t n);
void QuantizeRowQ8_0(const float* x, void* out, int64_t n);
void QuantizeRowQ8_1(const float* x, void* out, int64_t n);
void DequantizeRowQ4_0(const void* row, float* out, int64_t n);
void DequantizeRowQ4_1(const void* row, float* out, int64_t n);
void DequantizeRowQ5_0(const void* row, float* out, int64_t n);
void DequantizeRowQ5_1(const void* row, float* out, int64_t n);
void DequantizeRowQ8_0(const void* row, float* out, int64_t n);
void DequantizeRowQ8_1(const void* row, float* out, int64_t n);
void VecDotQ4_0Q8_0(int64_t n, const void* w, const void* a, float* out);
void VecDotQ4_1Q8_1(int64_t n, const void* w, const void* a, float* out);
void VecDotQ5_0Q8_0(int64_t n, const void* w, const void* a, float* out);
void VecDotQ5_1Q8_1(int64_t n, const void* w, const void* a, float* out);
void VecDotQ8_0Q8_0(int64_t n, const void* w, const void* a, float* out);

// ---- K-quants (ref_k_quants.cpp) ------------------------------------------------------
void QuantizeRowQ8_K(const float* x, void* out, int64_t n);  // activations only
void DequantizeRowQ8_K(const void* row, float* out, int64_t n);
void DequantizeRowQ2_K(const void* row, float* out, int64_t n);
void DequantizeRowQ3_K(const void* row, float* out, int64_t n);
void DequantizeRowQ4_K(const void* row, float* out, int64_t n);
void DequantizeRowQ5_K(const void* row, float* out, int64_t n);
void DequantizeRowQ6_K(const void* row, float* out, int64_t n);
void VecDotQ2_KQ8_K(int64_t n, const void* w, const void* a, float* out);
void VecDotQ3_KQ8_K(int64_t n, const void* w, const void* a, float* out);
void VecDotQ4_KQ8_K(int64_t n, const void* w, const void* a, float* out);
void VecDotQ5_KQ8_K(int64_t n, const void* w, const void* a, float* out);
void VecDotQ6_KQ8_K(int64_t n, const void* w, const void* a, float* out);

}  // namespace edgelm::ref
