#include "model/ops.h"

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

void Attention(const ForwardContext& c, uint32_t layer) {
  const HParams& hp = *c.hp;
  KvCache& kv = *c.kv;
  kv.Store(layer, c.n_past, c.n_tokens, c.k, c.v);

  const TypeKernels& tk = c.kernels->For(kv.element_type());
  const uint32_t hd = hp.head_dim;
  const uint32_t group = hp.n_head / hp.n_head_kv;
  const uint64_t n_q = hp.n_q();
  const size_t elem = kv.element_bytes();
  const bool convert = tk.act_type != GgmlType::kF32;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const int64_t n_items = c.n_tokens * hp.n_head;

  auto work = [&](int ith, int nth) {
    auto [begin, end] = ThreadPool::ChunkRange(n_items, 1, ith, nth);
    AttentionScratch& s = (*c.attention_scratch)[ith];
    for (int64_t item = begin; item < end; ++item) {
      const int64_t t = item / hp.n_head;
      const uint32_t h = static_cast<uint32_t>(item % hp.n_head);
      const uint32_t n_seen = c.n_past + static_cast<uint32_t>(t) + 1;  // causal: 0..pos
      const uint32_t kvh = h / group;
      const float* qh = c.q + t * n_q + static_cast<uint64_t>(h) * hd;
      const void* q_act = qh;
      if (convert) {
        tk.quantize_act(qh, s.q_act.data(), hd);
        q_act = s.q_act.data();
      }
      float* scores = s.scores.data();
      float max_score = -std::numeric_limits<float>::infinity();
      for (uint32_t j = 0; j < n_seen; ++j) {
        const uint8_t* krow = static_cast<const uint8_t*>(kv.KeyRow(layer, j)) + static_cast<uint64_t>(kvh) * hd * elem;
        float dot;
        tk.vec_dot(hd, krow, q_act, &dot);
        scores[j] = dot * scale;
        max_score = std::max(max_score, scores[j]);
      }
      double sum = 0.0;
      for (uint32_t j = 0; j < n_seen; ++j) {
        const float e = std::exp(scores[j] - max_score);
        scores[j] = e;
        sum += e;
      }
      const float inv_sum = static_cast<float>(1.0 / sum);
      for (uint32_t j = 0; j < n_seen; ++j) scores[j] *= inv_sum;
      const void* p_act = scores;
      if (convert) {
        tk.quantize_act(scores, s.p_act.data(), n_seen);
        p_act = s.p_act.data();
      }
      float* out = c.attn + t * n_q + static_cast<uint64_t>(h) * hd;
      for (uint32_t d = 0; d < hd; ++d) {
        tk.vec_dot(n_seen, kv.ValueChannel(layer, kvh * hd + d), p_act, &out[d]);
      }
    }
  };
  if (c.pool->size() == 1 || n_items == 1) {
    work(0, 1);
  } else {
    c.pool->Run(work);
  }
}

void SwiGlu(float* gate, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    gate[i] = (g / (1.0f + std::exp(-g))) * up[i];
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
