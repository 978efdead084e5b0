#include "kernels/ref/ref_kernels.h"

#include "kernels/ref/ref_rows.h"

namespace edgelm {
namespace {

void Set(KernelTable& table, GgmlType weight, GgmlType act, QuantizeRowFn quantize_act,
         DequantizeRowFn dequantize, VecDotFn vec_dot) {
  TypeKernels& k = table.types[static_cast<uint32_t>(weight)];
  k.supported = true;
  k.act_type = act;
  k.quantize_act = quantize_act;
  k.dequantize = dequantize;
  k.vec_dot = vec_dot;
}

}  // namespace

void FillScalarKernels(KernelTable& table) {
  table.isa = Isa::kScalar;
  for (TypeKernels& k : table.types) k = TypeKernels{};
  // BF16 weights meet BF16 activations, as in ggml's CPU backend: the products then round
  // the same way there and here, and SIMD paths can use native bf16 dot instructions.
  Set(table, GgmlType::kF32, GgmlType::kF32, ref::ConvertRowF32, ref::DequantizeRowF32,
      ref::VecDotF32);
  Set(table, GgmlType::kF16, GgmlType::kF16, ref::ConvertRowF16, ref::DequantizeRowF16,
      ref::VecDotF16);
  Set(table, GgmlType::kBF16, GgmlType::kBF16, ref::ConvertRowBF16, ref::DequantizeRowBF16,
      ref::VecDotBF16);
  Set(table, GgmlType::kQ4_0, GgmlType::kQ8_0, ref::QuantizeRowQ8_0, ref::DequantizeRowQ4_0,
      ref::VecDotQ4_0Q8_0);
  Set(table, GgmlType::kQ4_1, GgmlType::kQ8_1, ref::QuantizeRowQ8_1, ref::DequantizeRowQ4_1,
      ref::VecDotQ4_1Q8_1);
  Set(table, GgmlType::kQ5_0, GgmlType::kQ8_0, ref::QuantizeRowQ8_0, ref::DequantizeRowQ5_0,
      ref::VecDotQ5_0Q8_0);
  Set(table, GgmlType::kQ5_1, GgmlType::kQ8_1, ref::QuantizeRowQ8_1, ref::DequantizeRowQ5_1,
      ref::VecDotQ5_1Q8_1);
  Set(table, GgmlType::kQ8_0, GgmlType::kQ8_0, ref::QuantizeRowQ8_0, ref::DequantizeRowQ8_0,
      ref::VecDotQ8_0Q8_0);
  Set(table, GgmlType::kQ2_K, GgmlType::kQ8_K, ref::QuantizeRowQ8_K, ref::DequantizeRowQ2_K,
      ref::VecDotQ2_KQ8_K);
  Set(table, GgmlType::kQ3_K, GgmlType::kQ8_K, ref::QuantizeRowQ8_K, ref::DequantizeRowQ3_K,
      ref::VecDotQ3_KQ8_K);
  Set(table, GgmlType::kQ4_K, GgmlType::kQ8_K, ref::QuantizeRowQ8_K, ref::DequantizeRowQ4_K,
      ref::VecDotQ4_KQ8_K);
  Set(table, GgmlType::kQ5_K, GgmlType::kQ8_K, ref::QuantizeRowQ8_K, ref::DequantizeRowQ5_K,
      ref::VecDotQ5_KQ8_K);
  Set(table, GgmlType::kQ6_K, GgmlType::kQ8_K, ref::QuantizeRowQ8_K, ref::DequantizeRowQ6_K,
      ref::VecDotQ6_KQ8_K);
}

}  // namespace edgelm
