// AVX2 (F16C + FMA) vec_dot and prefill tile kernels of F16, BF16 and F32 weights
// (gemm_float_impl.h), also used by the AVX-512 path for F16 (and BF16 without
// AVX512_BF16): tiles of 4 rows x 2 tokens (8 accumulators, 2 activation vectors
// and 1 weight vector of the 16 ymm registers). No decode tile: a 4-row F16 one (the
// chunked passes with one token) measured 0.85x the vec_dot loop in matmul_decode on
// Zen 4.
#include "kernels/simd_fill.h"
#include "kernels/x86/gemm_float_impl.h"

namespace edgelm {
namespace {

constexpr int kPrefillRows = 4;
constexpr int kPrefillTokens = 2;

template <class E>
void Install(KernelTable& table, GgmlType type) {
  TypeKernels& k = table.types[static_cast<uint32_t>(type)];
  if (!k.supported || k.act_type != type) return;
  k.vec_dot = VecDotFloat<E>;
  k.gemm_tile = GemmFloat<E, kPrefillRows, kPrefillTokens>;
  k.gemm_rows = kPrefillRows;
  k.gemm_tokens = kPrefillTokens;
}

}  // namespace

void FillAvx2FloatKernels(KernelTable& table) {
  Install<F16Elems>(table, GgmlType::kF16);
  Install<Bf16Elems>(table, GgmlType::kBF16);
  Install<F32Elems>(table, GgmlType::kF32);
}

}  // namespace edgelm
