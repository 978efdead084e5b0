// AVX2 (F16C + FMA) F16 vec_dot and tile kernels (gemm_f16_impl.h): prefill 4 rows x 2
// tokens (8 accumulators, 2 activation vectors and 1 weight vector of the 16 ymm
// registers). No decode tile: a 4-row one (the chunked passes with one token) measured
// 0.85x the vec_dot loop in matmul_decode on Zen 4.
#include "kernels/simd_fill.h"
#include "kernels/x86/gemm_f16_impl.h"

namespace edgelm {

void FillAvx2F16Kernels(KernelTable& table) {
  TypeKernels& k = table.types[static_cast<uint32_t>(GgmlType::kF16)];
  if (!k.supported || k.act_type != GgmlType::kF16) return;
  k.vec_dot = VecDotF16;
  k.gemm_tile = GemmF16<4, 2>;
  k.gemm_rows = 4;
  k.gemm_tokens = 2;
}

}  // namespace edgelm
