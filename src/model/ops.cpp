#include "model/ops.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace edgelm::ops {
namespace {

// Below this many rows an element-wise op runs on the calling thread: waking the pool
// costs more than the work.
constexpr int64_t kParallelRows = 4;

}  // namespace

void RmsNorm(const ForwardContext& c, const float* x, const float* w, int64_t n_rows, float* out) {
  const int64_t n = c.hp->n_embd;
  const float eps = c.hp->rms_norm_eps;
  auto rows = [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const float* xr = x + r * n;
      float* yr = out + r * n;
      double sum = 0.0;
      for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(xr[i] * xr[i]);
      const float mean = static_cast<float>(sum / static_cast<double>(n));
      const float scale = 1.0f / std::sqrt(mean + eps);
      for (int64_t i = 0; i < n; ++i) yr[i] = (xr[i] * scale) * w[i];
    }
  };
  if (n_rows < kParallelRows) {
    rows(0, n_rows);
  } else {
    c.pool->ParallelFor(n_rows, 1, rows);
  }
}

void MatMul(const ForwardContext& c, const WeightView& w, const float* x, float* y) {
  if (c.saw_non_finite && !*c.saw_non_finite) {
    const int64_t n = c.n_tokens * w.n_in;
    // x - x is 0 for finite x and NaN otherwise, so one sum tells whether any element is
    // NaN or infinite (an order of magnitude cheaper than the product itself).
    float acc = 0.0f;
    for (int64_t i = 0; i < n; ++i) acc += x[i] - x[i];
    if (acc != 0.0f) *c.saw_non_finite = true;
  }
  edgelm::MatMul(*c.kernels, *c.pool, w, x, c.n_tokens, y, *c.matmul_scratch);
}

void AddBias(float* x, const float* b, int64_t n_rows, int64_t n) {
  for (int64_t r = 0; r < n_rows; ++r) {
    float* xr = x + r * n;
    for (int64_t i = 0; i < n; ++i) xr[i] += b[i];
  }
}

void Add(float* x, const float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] += y[i];
}

void RopeTables(const HParams& hp, const float* rope_factors, uint32_t n_past, int64_t n_tokens,
                std::vector<float>& cos_out, std::vector<float>& sin_out) {
  const uint32_t half = hp.head_dim / 2;
  cos_out.resize(static_cast<size_t>(n_tokens) * half);
  sin_out.resize(static_cast<size_t>(n_tokens) * half);
  // Same float arithmetic as ggml's rope cache: theta advances by a constant factor per
  // pair instead of a fresh pow per pair.
  const float theta_scale = std::pow(hp.rope_freq_base, -2.0f / static_cast<float>(hp.head_dim));
  for (int64_t t = 0; t < n_tokens; ++t) {
    float theta = static_cast<float>(n_past + t);
    for (uint32_t i = 0; i < half; ++i) {
      const float factor = rope_factors ? rope_factors[i] : 1.0f;
      const float angle = hp.rope_freq_scale * (theta / factor);
      cos_out[t * half + i] = std::cos(angle);
      sin_out[t * half + i] = std::sin(angle);
      theta *= theta_scale;
    }
  }
}

void RopeAdjacentPairs(const ForwardContext& c, float* x, uint32_t n_heads) {
  const uint32_t hd = c.hp->head_dim, half = hd / 2;
  for (int64_t t = 0; t < c.n_tokens; ++t) {
    const float* cs = c.rope_cos + t * half;
    const float* sn = c.rope_sin + t * half;
    for (uint32_t h = 0; h < n_heads; ++h) {
      float* xh = x + (t * n_heads + h) * hd;
      for (uint32_t i = 0; i < half; ++i) {
        const float x0 = xh[2 * i], x1 = xh[2 * i + 1];
        xh[2 * i] = x0 * cs[i] - x1 * sn[i];
        xh[2 * i + 1] = x0 * sn[i] + x1 * cs[i];
      }
    }
  }
}

void RopeSplitHalves(const ForwardContext& c, float* x, uint32_t n_heads) {
  const uint32_t hd = c.hp->head_dim, half = hd / 2;
  for (int64_t t = 0; t < c.n_tokens; ++t) {
    const float* cs = c.rope_cos + t * half;
    const float* sn = c.rope_sin + t * half;
    for (uint32_t h = 0; h < n_heads; ++h) {
      float* xh = x + (t * n_heads + h) * hd;
      for (uint32_t i = 0; i < half; ++i) {
        const float x0 = xh[i], x1 = xh[i + half];
        xh[i] = x0 * cs[i] - x1 * sn[i];
        xh[i + half] = x0 * sn[i] + x1 * cs[i];
      }
    }
  }
}

void SwiGlu(float* gate, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    gate[i] = (g / (1.0f + std::exp(-g))) * up[i];
  }
}

void FeedForwardSwiGlu(const ForwardContext& c, const LayerWeights& l) {
  const HParams& hp = *c.hp;
  RmsNorm(c, c.x, l.ffn_norm, c.n_tokens, c.xn);
  ForwardContext sub = c;
  for (int64_t t0 = 0; t0 < c.n_tokens; t0 += kFfnTokenBlock) {
    sub.n_tokens = std::min(kFfnTokenBlock, c.n_tokens - t0);
    const float* xn = c.xn + t0 * hp.n_embd;
    float* proj = c.proj + t0 * hp.n_embd;
    MatMul(sub, l.w_gate, xn, c.gate);
    MatMul(sub, l.w_up, xn, c.up);
    SwiGlu(c.gate, c.up, sub.n_tokens * hp.n_ff);
    MatMul(sub, l.w_down, c.gate, proj);
    Add(c.x + t0 * hp.n_embd, proj, sub.n_tokens * hp.n_embd);
  }
}

Status CheckFinite(const float* x, int64_t n_rows, int64_t n, uint32_t n_past, const std::string& where) {
  for (int64_t r = 0; r < n_rows; ++r) {
    const float* xr = x + r * n;
    for (int64_t i = 0; i < n; ++i) {
      if (!std::isfinite(xr[i])) {
        return CorruptError("non-finite activation (" + std::to_string(xr[i]) + ") in " + where + " at position " +
                            std::to_string(n_past + r) + ", element " + std::to_string(i) +
                            ": the weights contain NaN/Inf or values large enough to overflow");
      }
    }
  }
  return Status::Ok();
}

}  // namespace edgelm::ops
