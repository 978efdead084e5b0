// Tile kernels (prefill and decode) for Q8_0 and Q4_0 weights with the dot-product
// extension (sdot): kRows x kTokens outputs per call, each bit-identical to the sdot
// vec_dot of neon_q_impl.h (per block the same two sdot into the same 4 int32 lanes, the
// same scale product wd * ad, one fused multiply-add into the output's own accumulator,
// the same final vaddvq). Each loaded (for Q4_0 unpacked and re-centred) weight block
// serves every token of the tile, each activation block every row.
#include <arm_neon.h>

#include "kernels/arm/neon_common.h"
#include "kernels/arm/neon_gemm_common.h"
#include "kernels/blocks.h"
#include "kernels/simd_fill.h"

namespace edgelm {
namespace {

// Prefill 4 x 4: 16 accumulators + 8 activation vectors + 2 weight vectors of the 32
// NEON registers. Decode: 4 rows share each activation block.
constexpr int kPrefillRows = 4;
constexpr int kPrefillTokens = 4;
constexpr int kDecodeRows = 4;


template <class W, int kRows, int kTokens>
void GemmTile(int64_t n, const void* w, uint64_t w_row_bytes, const void* act, uint64_t act_row_bytes,
              float* y, int64_t y_stride) {
  using Block = typename W::Block;
  const Block* wr[kRows];
  const BlockQ8_0* at[kTokens];
  for (int r = 0; r < kRows; ++r) wr[r] = RowAt<Block>(w, w_row_bytes, r);
  for (int t = 0; t < kTokens; ++t) at[t] = RowAt<BlockQ8_0>(act, act_row_bytes, t);
  float32x4_t acc[kRows][kTokens];
  for (auto& row : acc)
    for (auto& a : row) a = vdupq_n_f32(0);
  for (int64_t b = 0; b < n / kQK; ++b) {
    int8x16_t a0[kTokens], a1[kTokens];
    float ad[kTokens];
    for (int t = 0; t < kTokens; ++t) {
      a0[t] = vld1q_s8(at[t][b].qs);
      a1[t] = vld1q_s8(at[t][b].qs + 16);
      ad[t] = HalfToFloat(at[t][b].d);
    }
    for (int r = 0; r < kRows; ++r) {
      int8x16_t w0, w1;
      W::Load(wr[r][b], w0, w1);
      const float wd = HalfToFloat(wr[r][b].d);
      for (int t = 0; t < kTokens; ++t) {
        const int32x4_t s = vdotq_s32(vdotq_s32(vdupq_n_s32(0), w0, a0[t]), w1, a1[t]);
        acc[r][t] = vfmaq_n_f32(acc[r][t], vcvtq_f32_s32(s), wd * ad[t]);
      }
    }
  }
  for (int r = 0; r < kRows; ++r) {
    for (int t = 0; t < kTokens; ++t) y[t * y_stride + r] = vaddvq_f32(acc[r][t]);
  }
}

template <class W>
void SetTile(KernelTable& t, GgmlType type) {
  TypeKernels& k = t.types[static_cast<uint32_t>(type)];
  if (!k.supported || k.act_type != GgmlType::kQ8_0) return;
  k.gemm_tile = GemmTile<W, kPrefillRows, kPrefillTokens>;
  k.gemm_rows = kPrefillRows;
  k.gemm_tokens = kPrefillTokens;
  k.gemv_tile = GemmTile<W, kDecodeRows, 1>;
  k.gemv_rows = kDecodeRows;
}

}  // namespace

void FillNeonDotGemmTiles(KernelTable& table) {
  SetTile<Q8_0Weights>(table, GgmlType::kQ8_0);
  SetTile<Q4_0Weights>(table, GgmlType::kQ4_0);
}

}  // namespace edgelm
