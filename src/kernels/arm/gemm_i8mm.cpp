// Q8_0 and Q4_0 kernels with the int8 matrix-multiply extension (ARMv8.6 i8mm, smmla):
// the prefill tile and a vec_dot that it is bit-identical to. Installed over the sdot
// kernels (and their tiles, whose float order differs) when the CPU reports i8mm.
//
// smmla multiplies a 2 x 8 int8 matrix by an 8 x 2 one into 2 x 2 int32 sums, so with two
// weight rows and two tokens interleaved 8 bytes at a time, four smmla give the four
// exact dot products of a 32-element block pair, one per int32 lane. The float step is
// then per block and output: acc = fma(float(block sum), wd * ad, acc), into one of two
// accumulators by block parity (two chains hide the FMA latency in vec_dot), added at
// the end. vec_dot forms the same exact block sum with sdot + a horizontal add and runs
// the same scalar FMAs, so tile and vec_dot agree bit for bit.
#include <arm_neon.h>

#include <cmath>

#include "kernels/arm/neon_common.h"
#include "kernels/arm/neon_gemm_common.h"
#include "kernels/blocks.h"
#include "kernels/simd_fill.h"

namespace edgelm {
namespace {

// 2 row pairs x 2 token pairs: 8 float accumulators (4 sub-tiles x 2 parities), 8
// interleaved weight and 8 interleaved activation vectors of the 32 registers.
constexpr int kRowPairs = 2;
constexpr int kTokenPairs = 2;


// Two 32-element vectors (x: elements 0..15, 16..31 of each) interleaved 8 at a time:
// out[k] = [x0 elements 8k..8k+7 | x1 elements 8k..8k+7].
inline void Interleave(const int8x16_t (&x0)[2], const int8x16_t (&x1)[2], int8x16_t (&out)[4]) {
  for (int h = 0; h < 2; ++h) {
    const int64x2_t a = vreinterpretq_s64_s8(x0[h]);
    const int64x2_t b = vreinterpretq_s64_s8(x1[h]);
    out[2 * h] = vreinterpretq_s8_s64(vzip1q_s64(a, b));
    out[2 * h + 1] = vreinterpretq_s8_s64(vzip2q_s64(a, b));
  }
}

template <class W>
void VecDot(int64_t n, const void* w_row, const void* act_row, float* out) {
  const auto* w = static_cast<const typename W::Block*>(w_row);
  const auto* a = static_cast<const BlockQ8_0*>(act_row);
  float acc[2] = {0.0f, 0.0f};
  for (int64_t b = 0; b < n / kQK; ++b) {
    int8x16_t lo, hi;
    W::Load(w[b], lo, hi);
    const int32x4_t s = vdotq_s32(vdotq_s32(vdupq_n_s32(0), lo, vld1q_s8(a[b].qs)), hi, vld1q_s8(a[b].qs + 16));
    const float d = HalfToFloat(w[b].d) * HalfToFloat(a[b].d);
    acc[b & 1] = std::fma(static_cast<float>(vaddvq_s32(s)), d, acc[b & 1]);
  }
  *out = acc[0] + acc[1];
}

// Rows 2p, 2p + 1 x tokens 2q, 2q + 1; int32 and float lanes are (r0 t0, r0 t1, r1 t0, r1 t1).
template <class W>
void GemmTile(int64_t n, const void* w, uint64_t w_row_bytes, const void* act, uint64_t act_row_bytes,
              float* y, int64_t y_stride) {
  using Block = typename W::Block;
  constexpr int kRows = 2 * kRowPairs, kTokens = 2 * kTokenPairs;
  const Block* wr[kRows];
  const BlockQ8_0* at[kTokens];
  for (int r = 0; r < kRows; ++r) wr[r] = RowAt<Block>(w, w_row_bytes, r);
  for (int t = 0; t < kTokens; ++t) at[t] = RowAt<BlockQ8_0>(act, act_row_bytes, t);
  float32x4_t acc[2][kRowPairs][kTokenPairs];
  for (auto& parity : acc)
    for (auto& row : parity)
      for (auto& a : row) a = vdupq_n_f32(0);
  const auto step = [&](int64_t b, int parity) {
    int8x16_t wi[kRowPairs][4], ai[kTokenPairs][4];
    float wd[kRows], ad[kTokens];
    for (int p = 0; p < kRowPairs; ++p) {
      int8x16_t x0[2], x1[2];
      W::Load(wr[2 * p][b], x0[0], x0[1]);
      W::Load(wr[2 * p + 1][b], x1[0], x1[1]);
      Interleave(x0, x1, wi[p]);
      wd[2 * p] = HalfToFloat(wr[2 * p][b].d);
      wd[2 * p + 1] = HalfToFloat(wr[2 * p + 1][b].d);
    }
    for (int q = 0; q < kTokenPairs; ++q) {
      const int8x16_t x0[2] = {vld1q_s8(at[2 * q][b].qs), vld1q_s8(at[2 * q][b].qs + 16)};
      const int8x16_t x1[2] = {vld1q_s8(at[2 * q + 1][b].qs), vld1q_s8(at[2 * q + 1][b].qs + 16)};
      Interleave(x0, x1, ai[q]);
      ad[2 * q] = HalfToFloat(at[2 * q][b].d);
      ad[2 * q + 1] = HalfToFloat(at[2 * q + 1][b].d);
    }
    for (int p = 0; p < kRowPairs; ++p) {
      for (int q = 0; q < kTokenPairs; ++q) {
        int32x4_t s = vdupq_n_s32(0);
        for (int k = 0; k < 4; ++k) s = vmmlaq_s32(s, wi[p][k], ai[q][k]);
        // The same products wd * ad as vec_dot, one per lane.
        const float d[4] = {wd[2 * p] * ad[2 * q], wd[2 * p] * ad[2 * q + 1], wd[2 * p + 1] * ad[2 * q],
                            wd[2 * p + 1] * ad[2 * q + 1]};
        acc[parity][p][q] = vfmaq_f32(acc[parity][p][q], vcvtq_f32_s32(s), vld1q_f32(d));
      }
    }
  };
  const int64_t nb = n / kQK;
  int64_t b = 0;
  for (; b + 2 <= nb; b += 2) {
    step(b, 0);
    step(b + 1, 1);
  }
  if (b < nb) step(b, 0);
  for (int p = 0; p < kRowPairs; ++p) {
    for (int q = 0; q < kTokenPairs; ++q) {
      float e[4], o[4];
      vst1q_f32(e, acc[0][p][q]);
      vst1q_f32(o, acc[1][p][q]);
      for (int i = 0; i < 4; ++i) {
        const int r = 2 * p + i / 2, t = 2 * q + i % 2;
        y[t * y_stride + r] = e[i] + o[i];
      }
    }
  }
}

template <class W>
void Install(KernelTable& t, GgmlType type) {
  TypeKernels& k = t.types[static_cast<uint32_t>(type)];
  if (!k.supported || k.act_type != GgmlType::kQ8_0) return;
  k.vec_dot = VecDot<W>;
  k.gemm_tile = GemmTile<W>;
  k.gemm_rows = 2 * kRowPairs;
  k.gemm_tokens = 2 * kTokenPairs;
  // The sdot decode tile sums in another order than this vec_dot.
  k.gemv_tile = nullptr;
  k.gemv_rows = 0;
}

}  // namespace

void FillNeonI8mmKernels(KernelTable& table) {
  Install<Q8_0Weights>(table, GgmlType::kQ8_0);
  Install<Q4_0Weights>(table, GgmlType::kQ4_0);
}

}  // namespace edgelm
