// The kernel table: for each weight type, how activations are prepared and how one
// weight row is dotted with them, for one ISA path. Built once per session from the CPU
// features (or a forced --isa) and stored in the session, never in a global.
//
// Contract shared by every path: matmul quantizes the activation row once to the
// weight type's `act_type` (F32 stays F32; F16 -> F16; Q4_0/Q4_1/Q5_0/Q5_1/Q8_0 -> Q8_0
// or Q8_1 as ggml does; K-quants -> Q8_K), then each output element is one vec_dot.
// A SIMD vec_dot must agree with the scalar twin (src/kernels/ref) within a tolerance
// derived from the type; results never depend on the thread count because each output
// element is computed by exactly one call. A type may also have a prefill tile kernel
// (gemm_tile): it computes a tile of gemm_rows weight rows x gemm_tokens activation rows,
// reusing each loaded weight block across the tile's tokens, and every value it writes
// is bit-identical to what vec_dot gives for that row and token (same integer lanes,
// same float operations in the same order), so prefill and decode agree exactly.
#pragma once

#include <cstdint>

#include "core/cpu_features.h"
#include "gguf/ggml_types.h"

namespace edgelm {

// Quantizes (or converts) n floats into the activation format.
using QuantizeRowFn = void (*)(const float* x, void* out, int64_t n);
// Dequantizes n elements of a row.
using DequantizeRowFn = void (*)(const void* row, float* out, int64_t n);
// *out = sum_i w[i] * a[i] over n elements: w a weight row, a the prepared activations.
using VecDotFn = void (*)(int64_t n, const void* w_row, const void* act_row, float* out);
// y[t * y_stride + r] = dot(w row r, act row t) for r < gemm_rows, t < gemm_tokens (a
// full tile); rows are w_row_bytes / act_row_bytes apart.
using GemmTileFn = void (*)(int64_t n, const void* w, uint64_t w_row_bytes, const void* act,
                            uint64_t act_row_bytes, float* y, int64_t y_stride);

inline constexpr int kMaxGgmlTypeId = 40;

struct TypeKernels {
  bool supported = false;
  GgmlType act_type = GgmlType::kF32;      // activation format vec_dot expects
  QuantizeRowFn quantize_act = nullptr;     // f32 -> act_type
  DequantizeRowFn dequantize = nullptr;     // weight row -> f32
  VecDotFn vec_dot = nullptr;
  GemmTileFn gemm_tile = nullptr;  // optional; bit-identical to vec_dot per element
  int gemm_rows = 0;
  int gemm_tokens = 0;
  // Optional decode kernel: the same contract with gemv_rows rows and one token (rows
  // share the activation loads); bit-identical to vec_dot per element.
  GemmTileFn gemv_tile = nullptr;
  int gemv_rows = 0;
};

struct KernelTable {
  Isa isa = Isa::kScalar;
  TypeKernels types[kMaxGgmlTypeId];
  const TypeKernels& For(GgmlType t) const { return types[static_cast<uint32_t>(t)]; }
};

}  // namespace edgelm
