// K-quant weight quantizers. The search procedures follow ggml's reference quantizers
// (the ones llama-quantize runs without an importance matrix), including the order of
// the float operations, so that a tensor quantized here matches llama-quantize's bytes in
// almost every block and `quantize` output is interchangeable with llama.cpp's.
//
// Three fitting procedures:
//  - FitAffine (Q2_K, Q4_K, Q5_K): x ~ scale * l - neg_min with l in [0, nmax]. Start
//    from the min/max grid, then try nstep + 1 slightly stretched grids; for each, solve
//    the weighted least-squares problem for (scale, min) given the codes and keep the
//    best by weighted error.
//  - FitSymmetricQ3 (Q3_K): x ~ scale * l with l in [-nmax, nmax - 1]; start from the
//    grid through the largest magnitude, then move single codes to their least-squares
//    optimum while that increases the explained energy (sum lx)^2 / sum l^2.
//  - FitSymmetric (Q6_K): the same model, trying 18 grids around the initial one and
//    keeping the one with the largest explained energy.
#include "kernels/quantize_k.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/fp16.h"
#include "core/status.h"
#include "kernels/blocks.h"
#include "kernels/ref/k_quant_layout.h"
#include "kernels/ref/ref_rows.h"
#include "kernels/ref/strict_fp.h"  // last: affects the code below

namespace edgelm {
namespace {

using ref::NearestInt;

// Below this a group is treated as all zero (its scale would be denormal noise).
constexpr float kGroupMaxEps = 1e-15f;

int Clamp(int v, int lo, int hi) { return std::max(lo, std::min(hi, v)); }

int64_t SuperBlocks(int64_t n) {
  EDGELM_CHECK_MSG(n % kQK_K == 0, "row length " + std::to_string(n) + " is not a multiple of 256");
  return n / kQK_K;
}

// Weighted error of one candidate: sum w * |e| (use_mad) or sum w * e^2.
float AffineError(int n, const float* x, const float* w, const uint8_t* l, float scale, float min,
                  bool use_mad) {
  float err = 0.0f;
  for (int i = 0; i < n; ++i) {
    float diff = scale * l[i] + min - x[i];
    diff = use_mad ? std::fabs(diff) : diff * diff;
    err += w[i] * diff;
  }
  return err;
}

// Returns the scale; *neg_min receives -min >= 0 (the offset is never positive, so that
// zero stays representable). `codes` gets the chosen codes.
float FitAffine(int n, int nmax, const float* x, const float* w, uint8_t* codes, float* neg_min,
                float rmin, float rdelta, int nstep, bool use_mad) {
  float min = x[0], max = x[0];
  float sum_w = w[0];
  float sum_x = sum_w * x[0];
  for (int i = 1; i < n; ++i) {
    min = std::min(min, x[i]);
    max = std::max(max, x[i]);
    sum_w += w[i];
    sum_x += w[i] * x[i];
  }
  if (min > 0.0f) min = 0.0f;
  if (max == min) {
    std::fill(codes, codes + n, 0);
    *neg_min = -min;
    return 0.0f;
  }
  float iscale = nmax / (max - min);
  float scale = 1.0f / iscale;
  for (int i = 0; i < n; ++i)
    codes[i] = static_cast<uint8_t>(Clamp(NearestInt(iscale * (x[i] - min)), 0, nmax));
  float best_error = AffineError(n, x, w, codes, scale, min, use_mad);

  uint8_t trial[32];
  for (int step = 0; step <= nstep; ++step) {
    iscale = (rmin + rdelta * step + nmax) / (max - min);
    float sum_l = 0.0f, sum_l2 = 0.0f, sum_xl = 0.0f;
    for (int i = 0; i < n; ++i) {
      const int l = Clamp(NearestInt(iscale * (x[i] - min)), 0, nmax);
      trial[i] = static_cast<uint8_t>(l);
      sum_l += w[i] * l;
      sum_l2 += w[i] * l * l;
      sum_xl += w[i] * l * x[i];
    }
    // Normal equations of min over (scale, m) of sum w (scale * l + m - x)^2.
    const float det = sum_w * sum_l2 - sum_l * sum_l;
    if (!(det > 0.0f)) continue;
    float this_scale = (sum_w * sum_xl - sum_x * sum_l) / det;
    float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / det;
    if (this_min > 0.0f) {  // keep zero representable: refit the scale with m = 0
      this_min = 0.0f;
      this_scale = sum_xl / sum_l2;
    }
    const float err = AffineError(n, x, w, trial, this_scale, this_min, use_mad);
    if (err < best_error) {
      std::memcpy(codes, trial, static_cast<size_t>(n));
      best_error = err;
      scale = this_scale;
      min = this_min;
    }
  }
  *neg_min = -min;
  return scale;
}

// Signed extreme of a group: the value of largest magnitude.
float SignedMax(int n, const float* x, float* amax_out) {
  float amax = 0.0f, max = 0.0f;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  *amax_out = amax;
  return max;
}

// Q3_K groups: codes l + nmax in [0, 2 nmax - 1], weights x^2. Returns the scale (its
// sign follows the convention that the extreme value maps to -nmax).
float FitSymmetricQ3(int n, int nmax, const float* x, int8_t* codes) {
  float amax;
  const float max = SignedMax(n, x, &amax);
  if (amax < kGroupMaxEps) {
    std::fill(codes, codes + n, 0);
    return 0.0f;
  }
  const float iscale = -nmax / max;
  float sumlx = 0.0f, suml2 = 0.0f;
  for (int i = 0; i < n; ++i) {
    const int l = Clamp(NearestInt(iscale * x[i]), -nmax, nmax - 1);
    codes[i] = static_cast<int8_t>(l);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * l;
    suml2 += w * l * l;
  }
  for (int pass = 0; pass < 5; ++pass) {
    int changed = 0;
    for (int i = 0; i < n; ++i) {
      const float w = x[i] * x[i];
      float slx = sumlx - w * x[i] * codes[i];
      if (!(slx > 0.0f)) continue;
      float sl2 = suml2 - w * codes[i] * codes[i];
      // Best code for x[i] with the others fixed: x[i] / scale, scale = slx / sl2.
      const int new_l = Clamp(NearestInt(x[i] * sl2 / slx), -nmax, nmax - 1);
      if (new_l == codes[i]) continue;
      slx += w * x[i] * new_l;
      sl2 += w * new_l * new_l;
      // Accept when (sum lx)^2 / sum l^2, the energy the fit explains, grows.
      if (sl2 > 0.0f && slx * slx * suml2 > sumlx * sumlx * sl2) {
        codes[i] = static_cast<int8_t>(new_l);
        sumlx = slx;
        suml2 = sl2;
        ++changed;
      }
    }
    if (changed == 0) break;
  }
  for (int i = 0; i < n; ++i) codes[i] = static_cast<int8_t>(codes[i] + nmax);
  return sumlx / suml2;
}

// Q6_K groups: codes l + nmax, weights x^2, 18 grid candidates around the initial one.
float FitSymmetric(int n, int nmax, const float* x, int8_t* codes) {
  float amax;
  const float max = SignedMax(n, x, &amax);
  if (amax < kGroupMaxEps) {
    std::fill(codes, codes + n, 0);
    return 0.0f;
  }
  float iscale = -nmax / max;
  float sumlx = 0.0f, suml2 = 0.0f;
  for (int i = 0; i < n; ++i) {
    const int l = Clamp(NearestInt(iscale * x[i]), -nmax, nmax - 1);
    codes[i] = static_cast<int8_t>(l + nmax);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * l;
    suml2 += w * l * l;
  }
  float scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int step = -9; step <= 9; ++step) {
    if (step == 0) continue;
    iscale = -(nmax + 0.1f * step) / max;
    sumlx = suml2 = 0.0f;
    for (int i = 0; i < n; ++i) {
      const int l = Clamp(NearestInt(iscale * x[i]), -nmax, nmax - 1);
      const float w = x[i] * x[i];
      sumlx += w * x[i] * l;
      suml2 += w * l * l;
    }
    if (suml2 > 0.0f && sumlx * sumlx > best * suml2) {
      for (int i = 0; i < n; ++i) {
        codes[i] = static_cast<int8_t>(nmax + Clamp(NearestInt(iscale * x[i]), -nmax, nmax - 1));
      }
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

// Q4_K / Q5_K share everything but the code width (nmax 15 or 31) and search range.
// Fills d, dmin, the packed scales and L (codes in [0, nmax]) for one super-block.
void QuantizeScaleMinK4(const float* x, int nmax, float rmin, int nstep, fp16_t* d, fp16_t* dmin,
                        uint8_t* packed_scales, uint8_t* L) {
  float scales[8], mins[8], weights[32];
  float max_scale = 0.0f, max_min = 0.0f;
  for (int j = 0; j < 8; ++j) {
    const float* g = x + 32 * j;
    // Weights favour large values, with a floor at the group RMS so small values count.
    float sum_x2 = 0.0f;
    for (int l = 0; l < 32; ++l) sum_x2 += g[l] * g[l];
    const float av_x = std::sqrt(sum_x2 / 32);
    for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(g[l]);
    scales[j] = FitAffine(32, nmax, g, weights, L + 32 * j, &mins[j], rmin, 0.1f, nstep, false);
    max_scale = std::max(max_scale, scales[j]);
    max_min = std::max(max_min, mins[j]);
  }
  const float inv_scale = max_scale > 0.0f ? 63.0f / max_scale : 0.0f;
  const float inv_min = max_min > 0.0f ? 63.0f / max_min : 0.0f;
  uint8_t ls[8], lm[8];
  for (int j = 0; j < 8; ++j) {
    ls[j] = static_cast<uint8_t>(std::min(63, NearestInt(inv_scale * scales[j])));
    lm[j] = static_cast<uint8_t>(std::min(63, NearestInt(inv_min * mins[j])));
  }
  ref::PackScaleMinK4(ls, lm, packed_scales);
  *d = F32ToFp16(max_scale / 63.0f);
  *dmin = F32ToFp16(max_min / 63.0f);
  // Re-quantize with the scales as they will be decoded.
  for (int j = 0; j < 8; ++j) {
    const float dl = Fp16ToF32(*d) * ls[j];
    if (dl == 0.0f) continue;
    const float ml = Fp16ToF32(*dmin) * lm[j];
    for (int l = 0; l < 32; ++l) {
      L[32 * j + l] = static_cast<uint8_t>(Clamp(NearestInt((x[32 * j + l] + ml) / dl), 0, nmax));
    }
  }
}

// 2-bit codes of 128 elements into 32 bytes: element l + 32 s at bits 2s of byte l.
void Pack2Bit(const uint8_t* L, uint8_t* qs) {
  for (int half = 0; half < 2; ++half) {
    const uint8_t* h = L + 128 * half;
    for (int l = 0; l < 32; ++l) {
      qs[32 * half + l] =
          static_cast<uint8_t>(h[l] | (h[l + 32] << 2) | (h[l + 64] << 4) | (h[l + 96] << 6));
    }
  }
}

}  // namespace

void QuantizeRowQ2_KWeights(const float* x, void* out, int64_t n) {
  BlockQ2_K* y = static_cast<BlockQ2_K*>(out);
  constexpr float kQ4Scale = 15.0f;
  for (int64_t b = 0, nb = SuperBlocks(n); b < nb; ++b, x += kQK_K) {
    uint8_t L[kQK_K];
    float scales[16], mins[16], weights[16];
    float max_scale = 0.0f, max_min = 0.0f;
    for (int j = 0; j < 16; ++j) {
      for (int l = 0; l < 16; ++l) weights[l] = std::fabs(x[16 * j + l]);
      // With only 4 levels, absolute error (use_mad) is the steadier criterion.
      scales[j] =
          FitAffine(16, 3, x + 16 * j, weights, L + 16 * j, &mins[j], -0.5f, 0.1f, 15, true);
      max_scale = std::max(max_scale, scales[j]);
      max_min = std::max(max_min, mins[j]);
    }
    if (max_scale > 0.0f) {
      const float iscale = kQ4Scale / max_scale;
      for (int j = 0; j < 16; ++j)
        y[b].scales[j] = static_cast<uint8_t>(NearestInt(iscale * scales[j]));
      y[b].d = F32ToFp16(max_scale / kQ4Scale);
    } else {
      for (int j = 0; j < 16; ++j) y[b].scales[j] = 0;
      y[b].d = F32ToFp16(0.0f);
    }
    if (max_min > 0.0f) {
      const float iscale = kQ4Scale / max_min;
      for (int j = 0; j < 16; ++j)
        y[b].scales[j] |= static_cast<uint8_t>(NearestInt(iscale * mins[j]) << 4);
      y[b].dmin = F32ToFp16(max_min / kQ4Scale);
    } else {
      y[b].dmin = F32ToFp16(0.0f);
    }
    for (int j = 0; j < 16; ++j) {
      const float dl = Fp16ToF32(y[b].d) * (y[b].scales[j] & 0x0F);
      if (dl == 0.0f) continue;
      const float ml = Fp16ToF32(y[b].dmin) * (y[b].scales[j] >> 4);
      for (int l = 0; l < 16; ++l) {
        L[16 * j + l] = static_cast<uint8_t>(Clamp(NearestInt((x[16 * j + l] + ml) / dl), 0, 3));
      }
    }
    Pack2Bit(L, y[b].qs);
  }
}

void QuantizeRowQ3_KWeights(const float* x, void* out, int64_t n) {
  BlockQ3_K* y = static_cast<BlockQ3_K*>(out);
  for (int64_t b = 0, nb = SuperBlocks(n); b < nb; ++b, x += kQK_K) {
    int8_t L[kQK_K];
    float scales[16];
    float max_scale = 0.0f, amax = 0.0f;
    for (int j = 0; j < 16; ++j) {
      scales[j] = FitSymmetricQ3(16, 4, x + 16 * j, L + 16 * j);
      if (std::fabs(scales[j]) > amax) {
        amax = std::fabs(scales[j]);
        max_scale = scales[j];
      }
    }
    int q_scales[16] = {};
    if (max_scale != 0.0f) {
      const float iscale = -32.0f / max_scale;
      for (int j = 0; j < 16; ++j) q_scales[j] = Clamp(NearestInt(iscale * scales[j]), -32, 31);
      y[b].d = F32ToFp16(1.0f / iscale);
    } else {
      for (int j = 0; j < 16; ++j) q_scales[j] = -32;  // stored 0, as an all-zero block
      y[b].d = F32ToFp16(0.0f);
    }
    ref::PackScalesQ3K(q_scales, y[b].scales);
    for (int j = 0; j < 16; ++j) {
      const float dl = Fp16ToF32(y[b].d) * ref::GetScaleQ3K(j, y[b].scales);
      if (dl == 0.0f) continue;
      for (int l = 0; l < 16; ++l) {
        L[16 * j + l] = static_cast<int8_t>(Clamp(NearestInt(x[16 * j + l] / dl), -4, 3) + 4);
      }
    }
    // Codes 4..7 set their hmask bit and keep code - 4 in the 2-bit field.
    uint8_t low[kQK_K];
    std::memset(y[b].hmask, 0, sizeof(y[b].hmask));
    for (int i = 0; i < kQK_K; ++i) {
      int code = L[i];
      if (code > 3) {
        y[b].hmask[i % 32] |= static_cast<uint8_t>(1u << (i / 32));
        code -= 4;
      }
      low[i] = static_cast<uint8_t>(code);
    }
    Pack2Bit(low, y[b].qs);
  }
}

void QuantizeRowQ4_KWeights(const float* x, void* out, int64_t n) {
  BlockQ4_K* y = static_cast<BlockQ4_K*>(out);
  for (int64_t b = 0, nb = SuperBlocks(n); b < nb; ++b, x += kQK_K) {
    uint8_t L[kQK_K];
    QuantizeScaleMinK4(x, 15, -1.0f, 20, &y[b].d, &y[b].dmin, y[b].scales, L);
    for (int g = 0; g < 4; ++g) {
      for (int l = 0; l < 32; ++l) {
        y[b].qs[32 * g + l] = static_cast<uint8_t>(L[64 * g + l] | (L[64 * g + 32 + l] << 4));
      }
    }
  }
}

void QuantizeRowQ5_KWeights(const float* x, void* out, int64_t n) {
  BlockQ5_K* y = static_cast<BlockQ5_K*>(out);
  for (int64_t b = 0, nb = SuperBlocks(n); b < nb; ++b, x += kQK_K) {
    uint8_t L[kQK_K];
    QuantizeScaleMinK4(x, 31, -0.5f, 15, &y[b].d, &y[b].dmin, y[b].scales, L);
    std::memset(y[b].qh, 0, sizeof(y[b].qh));
    for (int g = 0; g < 4; ++g) {
      for (int l = 0; l < 32; ++l) {
        const int lo = L[64 * g + l], hi = L[64 * g + 32 + l];
        y[b].qs[32 * g + l] = static_cast<uint8_t>((lo & 0x0F) | ((hi & 0x0F) << 4));
        // 5th bit of element i is bit i / 32 of qh[i % 32].
        y[b].qh[l] |= static_cast<uint8_t>(((lo >> 4) << (2 * g)) | ((hi >> 4) << (2 * g + 1)));
      }
    }
  }
}

void QuantizeRowQ6_KWeights(const float* x, void* out, int64_t n) {
  BlockQ6_K* y = static_cast<BlockQ6_K*>(out);
  for (int64_t b = 0, nb = SuperBlocks(n); b < nb; ++b, x += kQK_K) {
    int8_t L[kQK_K];
    float scales[16];
    float max_scale = 0.0f, max_abs_scale = 0.0f;
    for (int j = 0; j < 16; ++j) {
      scales[j] = FitSymmetric(16, 32, x + 16 * j, L + 16 * j);
      if (std::fabs(scales[j]) > max_abs_scale) {
        max_abs_scale = std::fabs(scales[j]);
        max_scale = scales[j];
      }
    }
    if (max_abs_scale < kGroupMaxEps) {
      std::memset(&y[b], 0, sizeof(y[b]));
      continue;
    }
    const float iscale = -128.0f / max_scale;
    y[b].d = F32ToFp16(1.0f / iscale);
    for (int j = 0; j < 16; ++j)
      y[b].scales[j] = static_cast<int8_t>(std::min(127, NearestInt(iscale * scales[j])));
    for (int j = 0; j < 16; ++j) {
      const float dl = Fp16ToF32(y[b].d) * y[b].scales[j];
      if (dl == 0.0f) continue;
      for (int l = 0; l < 16; ++l) {
        L[16 * j + l] = static_cast<int8_t>(Clamp(NearestInt(x[16 * j + l] / dl), -32, 31) + 32);
      }
    }
    for (int half = 0; half < 2; ++half) {
      const int8_t* h = L + 128 * half;
      uint8_t* ql = y[b].ql + 64 * half;
      uint8_t* qh = y[b].qh + 32 * half;
      for (int l = 0; l < 32; ++l) {
        ql[l] = static_cast<uint8_t>((h[l] & 0x0F) | ((h[l + 64] & 0x0F) << 4));
        ql[l + 32] = static_cast<uint8_t>((h[l + 32] & 0x0F) | ((h[l + 96] & 0x0F) << 4));
        qh[l] = static_cast<uint8_t>((h[l] >> 4) | ((h[l + 32] >> 4) << 2) |
                                     ((h[l + 64] >> 4) << 4) | ((h[l + 96] >> 4) << 6));
      }
    }
  }
}

}  // namespace edgelm
