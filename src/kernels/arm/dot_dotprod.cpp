// aarch64 kernels with the dot-product extension (ARMv8.2 SDOT, vdotq_s32): the integer
// types' kernels of dot_neon.cpp with four int8 products summed per instruction. The
// float kernels and quantizers are the baseline ones, compiled here for ARMv8.2.
#include "kernels/arm/neon_k_impl.h"
#include "kernels/arm/neon_q_impl.h"
#include "kernels/simd_fill.h"

namespace edgelm {
namespace {

struct SdotDot {
  static inline int32x4_t Dot(int32x4_t acc, int8x16_t x, int8x16_t y) { return vdotq_s32(acc, x, y); }
};

void Set(KernelTable& t, GgmlType type, GgmlType act_type, QuantizeRowFn quantize_act, VecDotFn vec_dot) {
  TypeKernels& k = t.types[static_cast<uint32_t>(type)];
  if (!k.supported || k.act_type != act_type) return;
  if (quantize_act != nullptr) k.quantize_act = quantize_act;
  k.vec_dot = vec_dot;
}

}  // namespace

void FillNeonDotKernels(KernelTable& table, const CpuFeatures& cpu) {
  using T = GgmlType;
  using D = SdotDot;
  Set(table, T::kF32, T::kF32, nullptr, VecDotF32);
  Set(table, T::kF16, T::kF16, QuantizeRowF16, VecDotF16);
  Set(table, T::kBF16, T::kBF16, QuantizeRowBF16, VecDotBF16);
  Set(table, T::kQ8_0, T::kQ8_0, QuantizeRowQ8_0, VecDotQ8_0<D>);
  Set(table, T::kQ4_0, T::kQ8_0, QuantizeRowQ8_0, VecDotQ4_0<D>);
  Set(table, T::kQ5_0, T::kQ8_0, QuantizeRowQ8_0, VecDotQ5_0<D>);
  Set(table, T::kQ4_1, T::kQ8_1, QuantizeRowQ8_1, VecDotQ4_1<D>);
  Set(table, T::kQ5_1, T::kQ8_1, QuantizeRowQ8_1, VecDotQ5_1<D>);
  Set(table, T::kQ2_K, T::kQ8_K, QuantizeRowQ8_K, VecDotQ2_K<D>);
  Set(table, T::kQ3_K, T::kQ8_K, QuantizeRowQ8_K, VecDotQ3_K<D>);
  Set(table, T::kQ4_K, T::kQ8_K, QuantizeRowQ8_K, VecDotQ4_K<D>);
  Set(table, T::kQ5_K, T::kQ8_K, QuantizeRowQ8_K, VecDotQ5_K<D>);
  Set(table, T::kQ6_K, T::kQ8_K, QuantizeRowQ8_K, VecDotQ6_K<D>);
  FillNeonDotGemmTiles(table);
  if (cpu.i8mm) FillNeonI8mmKernels(table);
}

}  // namespace edgelm
