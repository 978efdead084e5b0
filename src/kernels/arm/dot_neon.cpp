// Baseline aarch64 NEON kernels (no extensions) for every weight type of the scalar
// table, with int8 dot products widened through vmull_s8 / vpadalq_s16.
#include "kernels/arm/neon_k_impl.h"
#include "kernels/arm/neon_q_impl.h"
#include "kernels/simd_fill.h"

namespace edgelm {
namespace {

// Installs a kernel only over a scalar entry with the same activation format.
void Set(KernelTable& t, GgmlType type, GgmlType act_type, QuantizeRowFn quantize_act, VecDotFn vec_dot) {
  TypeKernels& k = t.types[static_cast<uint32_t>(type)];
  if (!k.supported || k.act_type != act_type) return;
  if (quantize_act != nullptr) k.quantize_act = quantize_act;
  k.vec_dot = vec_dot;
}

}  // namespace

void FillNeonKernels(KernelTable& table) {
  using T = GgmlType;
  using D = PlainDot;
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
}

}  // namespace edgelm
