// F16 tile kernel for the AVX-512 path (gemm_f16_impl.h): still 256-bit F16C conversions
// and FMAs (the 512-bit vcvtph2ps has half the throughput on AMD Zen 4, see
// dot_avx512.cpp), but with AVX-512VL's 32 ymm registers the tile grows to 4 rows x 4
// tokens (16 accumulators, 4 activation vectors, 1 weight vector): 8 conversions per 128
// products. vec_dot stays the AVX2 one; the tile runs the same FMAs per output.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include "kernels/simd_fill.h"
#include "kernels/x86/gemm_f16_impl.h"

namespace edgelm {

void FillAvx512F16Tiles(KernelTable& table) {
  TypeKernels& k = table.types[static_cast<uint32_t>(GgmlType::kF16)];
  if (!k.supported || k.act_type != GgmlType::kF16 || k.gemm_tile == nullptr) return;
  k.gemm_tile = GemmF16<4, 4>;
  k.gemm_rows = 4;
  k.gemm_tokens = 4;
}

}  // namespace edgelm
