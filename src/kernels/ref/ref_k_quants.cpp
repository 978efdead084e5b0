// K-quants (256-element super-blocks): Q8_K activations, the Q2_K..Q6_K dequantizers and
// their dot products with Q8_K. Each super-block is first decoded to its integer codes
// (the layouts are in k_quant_layout.h); dot products then form exact integer sums per
// sub-block, multiply them by the sub-block scales, and only the super-block scales are
// applied in float. The sub-block mins of Q2_K/Q4_K/Q5_K are applied through the
// activations' 16-element sums (bsums), as ggml does: sum_i (m * a_i) = m * bsum.
#include <cmath>

#include "core/fp16.h"
#include "core/status.h"
#include "kernels/blocks.h"
#include "kernels/ref/k_quant_layout.h"
#include "kernels/ref/ref_rows.h"
#include "kernels/ref/strict_fp.h"  // last: affects the code below

namespace edgelm::ref {
namespace {

int64_t SuperBlocks(int64_t n) {
  EDGELM_CHECK_MSG(n % kQK_K == 0, "row length " + std::to_string(n) + " is not a multiple of 256");
  return n / kQK_K;
}

// Codes in [0, 3] (Q2_K), [-4, 3] (Q3_K), [0, 15] (Q4_K), [0, 31] (Q5_K), [-32, 31] (Q6_K),
// in element order. The loops walk the layouts in storage order: each 128-element half
// owns 32 bytes of 2-bit codes (4 shifts of 32 elements), each 64-element group of Q4_K/Q5_K
// owns 32 bytes of nibbles (low nibbles first), Q6_K's halves own 64 ql and 32 qh bytes.
void DecodeQ2K(const BlockQ2_K& b, int8_t* q) {
  for (int half = 0; half < 2; ++half) {
    for (int shift = 0; shift < 4; ++shift) {
      for (int l = 0; l < 32; ++l) {
        q[half * 128 + shift * 32 + l] =
            static_cast<int8_t>((b.qs[half * 32 + l] >> (2 * shift)) & 3);
      }
    }
  }
}

void DecodeQ3K(const BlockQ3_K& b, int8_t* q) {
  for (int half = 0; half < 2; ++half) {
    for (int shift = 0; shift < 4; ++shift) {
      const int group = half * 4 + shift;  // which hmask bit
      for (int l = 0; l < 32; ++l) {
        const int low = (b.qs[half * 32 + l] >> (2 * shift)) & 3;
        const int high = (b.hmask[l] >> group) & 1;
        q[group * 32 + l] = static_cast<int8_t>(high ? low : low - 4);
      }
    }
  }
}

void DecodeQ4K(const BlockQ4_K& b, int8_t* q) {
  for (int g = 0; g < 4; ++g) {
    for (int l = 0; l < 32; ++l) {
      q[g * 64 + l] = static_cast<int8_t>(b.qs[g * 32 + l] & 0x0F);
      q[g * 64 + 32 + l] = static_cast<int8_t>(b.qs[g * 32 + l] >> 4);
    }
  }
}

void DecodeQ5K(const BlockQ5_K& b, int8_t* q) {
  for (int g = 0; g < 4; ++g) {
    for (int l = 0; l < 32; ++l) {
      const int h0 = (b.qh[l] >> (2 * g)) & 1;
      const int h1 = (b.qh[l] >> (2 * g + 1)) & 1;
      q[g * 64 + l] = static_cast<int8_t>((b.qs[g * 32 + l] & 0x0F) | (h0 << 4));
      q[g * 64 + 32 + l] = static_cast<int8_t>((b.qs[g * 32 + l] >> 4) | (h1 << 4));
    }
  }
}

void DecodeQ6K(const BlockQ6_K& b, int8_t* q) {
  for (int half = 0; half < 2; ++half) {
    const uint8_t* ql = b.ql + half * 64;
    const uint8_t* qh = b.qh + half * 32;
    int8_t* out = q + half * 128;
    for (int l = 0; l < 32; ++l) {
      out[l] = static_cast<int8_t>(((ql[l] & 0x0F) | (((qh[l] >> 0) & 3) << 4)) - 32);
      out[l + 32] = static_cast<int8_t>(((ql[l + 32] & 0x0F) | (((qh[l] >> 2) & 3) << 4)) - 32);
      out[l + 64] = static_cast<int8_t>(((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
      out[l + 96] = static_cast<int8_t>(((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
    }
  }
}

// Integer dot product of `count` codes with int8 activations.
int DotCodes(const int8_t* q, const int8_t* a, int count) {
  int s = 0;
  for (int i = 0; i < count; ++i) s += q[i] * a[i];
  return s;
}

}  // namespace

// ---- Q8_K activations ------------------------------------------------------------------

void QuantizeRowQ8_K(const float* x, void* out, int64_t n) {
  BlockQ8_K* y = static_cast<BlockQ8_K*>(out);
  for (int64_t b = 0, nb = SuperBlocks(n); b < nb; ++b, x += kQK_K) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < kQK_K; ++j) {
      if (std::fabs(x[j]) > amax) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    }
    if (amax == 0.0f) {
      y[b].d = 0.0f;
      for (int j = 0; j < kQK_K; ++j) y[b].qs[j] = 0;
      for (int j = 0; j < kQK_K / 16; ++j) y[b].bsums[j] = 0;
      continue;
    }
    // ggml maps the signed extreme to -127 (not -128) so every code fits [-127, 127];
    // the opposite extreme may round to +127 or (clamped) beyond, hence the min.
    const float iscale = -127.0f / max;
    for (int j = 0; j < kQK_K; ++j) {
      const int v = NearestInt(iscale * x[j]);
      y[b].qs[j] = static_cast<int8_t>(v < 127 ? v : 127);
    }
    for (int j = 0; j < kQK_K / 16; ++j) {
      int sum = 0;
      for (int l = 0; l < 16; ++l) sum += y[b].qs[j * 16 + l];
      y[b].bsums[j] = static_cast<int16_t>(sum);
    }
    y[b].d = 1.0f / iscale;
  }
}

void DequantizeRowQ8_K(const void* row, float* out, int64_t n) {
  const BlockQ8_K* x = static_cast<const BlockQ8_K*>(row);
  for (int64_t b = 0, nb = SuperBlocks(n); b < nb; ++b, out += kQK_K) {
    for (int j = 0; j < kQK_K; ++j) out[j] = x[b].d * static_cast<float>(x[b].qs[j]);
  }
}

// ---- dequantizers ----------------------------------------------------------------------

void DequantizeRowQ2_K(const void* row, float* out, int64_t n) {
  const BlockQ2_K* x = static_cast<const BlockQ2_K*>(row);
  int8_t q[kQK_K];
  for (int64_t b = 0, nb = SuperBlocks(n); b < nb; ++b, out += kQK_K) {
    DecodeQ2K(x[b], q);
    const float d = Fp16ToF32(x[b].d);
    const float dmin = Fp16ToF32(x[b].dmin);
    for (int s = 0; s < kQK_K / 16; ++s) {
      const float dl = d * static_cast<float>(x[b].scales[s] & 0x0F);
      const float ml = dmin * static_cast<float>(x[b].scales[s] >> 4);
      for (int l = 0; l < 16; ++l) out[s * 16 + l] = dl * static_cast<float>(q[s * 16 + l]) - ml;
    }
  }
}

void DequantizeRowQ3_K(const void* row, float* out, int64_t n) {
  const BlockQ3_K* x = static_cast<const BlockQ3_K*>(row);
  int8_t q[kQK_K];
  for (int64_t b = 0, nb = SuperBlocks(n); b < nb; ++b, out += kQK_K) {
    DecodeQ3K(x[b], q);
    const float d = Fp16ToF32(x[b].d);
    for (int s = 0; s < kQK_K / 16; ++s) {
      const float dl = d * static_cast<float>(GetScaleQ3K(s, x[b].scales));
      for (int l = 0; l < 16; ++l) out[s * 16 + l] = dl * static_cast<float>(q[s * 16 + l]);
    }
  }
}

void DequantizeRowQ4_K(const void* row, float* out, int64_t n) {
  const BlockQ4_K* x = static_cast<const BlockQ4_K*>(row);
  int8_t q[kQK_K];
  for (int64_t b = 0, nb = SuperBlocks(n); b < nb; ++b, out += kQK_K) {
    DecodeQ4K(x[b], q);
    const float d = Fp16ToF32(x[b].d);
    const float dmin = Fp16ToF32(x[b].dmin);
    for (int s = 0; s < kQK_K / 32; ++s) {
      uint8_t sc, m;
      GetScaleMinK4(s, x[b].scales, &sc, &m);
      const float dl = d * static_cast<float>(sc);
      const float ml = dmin * static_cast<float>(m);
      for (int l = 0; l < 32; ++l) out[s * 32 + l] = dl * static_cast<float>(q[s * 32 + l]) - ml;
    }
  }
}

void DequantizeRowQ5_K(const void* row, float* out, int64_t n) {
  const BlockQ5_K* x = static_cast<const BlockQ5_K*>(row);
  int8_t q[kQK_K];
  for (int64_t b = 0, nb = SuperBlocks(n); b < nb; ++b, out += kQK_K) {
    DecodeQ5K(x[b], q);
    const float d = Fp16ToF32(x[b].d);
    const float dmin = Fp16ToF32(x[b].dmin);
    for (int s = 0; s < kQK_K / 32; ++s) {
      uint8_t sc, m;
      GetScaleMinK4(s, x[b].scales, &sc, &m);
      const float dl = d * static_cast<float>(sc);
      const float ml = dmin * static_cast<float>(m);
      for (int l = 0; l < 32; ++l) out[s * 32 + l] = dl * static_cast<float>(q[s * 32 + l]) - ml;
    }
  }
}

void DequantizeRowQ6_K(const void* row, float* out, int64_t n) {
  const BlockQ6_K* x = static_cast<const BlockQ6_K*>(row);
  int8_t q[kQK_K];
  for (int64_t b = 0, nb = SuperBlocks(n); b < nb; ++b, out += kQK_K) {
    DecodeQ6K(x[b], q);
    const float d = Fp16ToF32(x[b].d);
    for (int s = 0; s < kQK_K / 16; ++s) {
      const float dl = d * static_cast<float>(x[b].scales[s]);
      for (int l = 0; l < 16; ++l) out[s * 16 + l] = dl * static_cast<float>(q[s * 16 + l]);
    }
  }
}

// ---- dot products with Q8_K ------------------------------------------------------------

void VecDotQ2_KQ8_K(int64_t n, const void* w, const void* a, float* out) {
  const BlockQ2_K* x = static_cast<const BlockQ2_K*>(w);
  const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
  int8_t q[kQK_K];
  float sum = 0.0f;
  for (int64_t b = 0, nb = SuperBlocks(n); b < nb; ++b) {
    DecodeQ2K(x[b], q);
    int isum = 0, msum = 0;
    for (int s = 0; s < kQK_K / 16; ++s) {
      isum += (x[b].scales[s] & 0x0F) * DotCodes(q + s * 16, y[b].qs + s * 16, 16);
      msum += (x[b].scales[s] >> 4) * y[b].bsums[s];
    }
    const float dall = y[b].d * Fp16ToF32(x[b].d);
    const float dmin = y[b].d * Fp16ToF32(x[b].dmin);
    sum += dall * static_cast<float>(isum) - dmin * static_cast<float>(msum);
  }
  *out = sum;
}

void VecDotQ3_KQ8_K(int64_t n, const void* w, const void* a, float* out) {
  const BlockQ3_K* x = static_cast<const BlockQ3_K*>(w);
  const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
  int8_t q[kQK_K];
  float sum = 0.0f;
  for (int64_t b = 0, nb = SuperBlocks(n); b < nb; ++b) {
    DecodeQ3K(x[b], q);
    int isum = 0;
    for (int s = 0; s < kQK_K / 16; ++s) {
      isum += GetScaleQ3K(s, x[b].scales) * DotCodes(q + s * 16, y[b].qs + s * 16, 16);
    }
    sum += (Fp16ToF32(x[b].d) * y[b].d) * static_cast<float>(isum);
  }
  *out = sum;
}

namespace {

// Q4_K and Q5_K differ only in how codes are decoded.
float DotScaleMinK4(const uint8_t* scales, fp16_t d16, fp16_t dmin16, const int8_t* q,
                    const BlockQ8_K& y) {
  int isum = 0, msum = 0;
  for (int s = 0; s < kQK_K / 32; ++s) {
    uint8_t sc, m;
    GetScaleMinK4(s, scales, &sc, &m);
    isum += sc * DotCodes(q + s * 32, y.qs + s * 32, 32);
    msum += m * (y.bsums[2 * s] + y.bsums[2 * s + 1]);
  }
  const float d = Fp16ToF32(d16) * y.d;
  const float dmin = Fp16ToF32(dmin16) * y.d;
  return d * static_cast<float>(isum) - dmin * static_cast<float>(msum);
}

}  // namespace

void VecDotQ4_KQ8_K(int64_t n, const void* w, const void* a, float* out) {
  const BlockQ4_K* x = static_cast<const BlockQ4_K*>(w);
  const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
  int8_t q[kQK_K];
  float sum = 0.0f;
  for (int64_t b = 0, nb = SuperBlocks(n); b < nb; ++b) {
    DecodeQ4K(x[b], q);
    sum += DotScaleMinK4(x[b].scales, x[b].d, x[b].dmin, q, y[b]);
  }
  *out = sum;
}

void VecDotQ5_KQ8_K(int64_t n, const void* w, const void* a, float* out) {
  const BlockQ5_K* x = static_cast<const BlockQ5_K*>(w);
  const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
  int8_t q[kQK_K];
  float sum = 0.0f;
  for (int64_t b = 0, nb = SuperBlocks(n); b < nb; ++b) {
    DecodeQ5K(x[b], q);
    sum += DotScaleMinK4(x[b].scales, x[b].d, x[b].dmin, q, y[b]);
  }
  *out = sum;
}

void VecDotQ6_KQ8_K(int64_t n, const void* w, const void* a, float* out) {
  const BlockQ6_K* x = static_cast<const BlockQ6_K*>(w);
  const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
  int8_t q[kQK_K];
  float sum = 0.0f;
  for (int64_t b = 0, nb = SuperBlocks(n); b < nb; ++b) {
    DecodeQ6K(x[b], q);
    int isum = 0;
    for (int s = 0; s < kQK_K / 16; ++s) {
      isum += x[b].scales[s] * DotCodes(q + s * 16, y[b].qs + s * 16, 16);
    }
    sum += (Fp16ToF32(x[b].d) * y[b].d) * static_cast<float>(isum);
  }
  *out = sum;
}

}  // namespace edgelm::ref
