// Float tile kernels for the AVX-512 path (gemm_float_impl.h): still 256-bit conversions
// and FMAs (the 512-bit vcvtph2ps has half the throughput on AMD Zen 4, see
// dot_avx512.cpp), but with AVX-512VL's 32 ymm registers the tile grows to 4 rows x 4
// tokens (16 accumulators, 4 activation vectors, 1 weight vector): 8 conversions per 128
// products. Only for the types that kept the AVX2 vec_dot (the AVX-512 F32 and BF16 dot
// kernels clear the AVX2 tiles, their order differs); the tile runs vec_dot's FMAs.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include "kernels/simd_fill.h"
#include "kernels/x86/gemm_float_impl.h"

namespace edgelm {
namespace {

template <class E>
void Upgrade(KernelTable& table, GgmlType type) {
  TypeKernels& k = table.types[static_cast<uint32_t>(type)];
  if (!k.supported || k.act_type != type || k.gemm_tile == nullptr) return;
  k.gemm_tile = GemmFloat<E, 4, 4>;
  k.gemm_rows = 4;
  k.gemm_tokens = 4;
}

}  // namespace

void FillAvx512FloatTiles(KernelTable& table) {
  Upgrade<F16Elems>(table, GgmlType::kF16);
  Upgrade<Bf16Elems>(table, GgmlType::kBF16);
  Upgrade<F32Elems>(table, GgmlType::kF32);
}

}  // namespace edgelm
