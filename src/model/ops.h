// The building blocks of a transformer layer, shared by the architecture files: each
// family's ForwardLayer (arch/*.cpp) is a short sequence of these calls.
//
// Determinism: matrix products split work by output rows (kernels/matmul.h), attention by
// (token, KV group) items of equal cost (attention.h), and every element-wise op computes each element the same way on
// any thread, so the logits are bit-identical for any thread count.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "core/thread_pool.h"
#include "kernels/matmul.h"
#include "model/attention.h"
#include "model/hparams.h"
#include "model/kv_cache.h"
#include "model/weights.h"

namespace edgelm {

// Tokens per sub-batch of the feed-forward block: its two n_ff-wide buffers are the
// largest activations (512 x 4864 floats each on qwen2.5-0.5b, 9.5 MiB), so a 512-token
// prefill would otherwise need 19 MiB of them. 64 is the matrix product's own token
// block (kernels/matmul.cpp), so no weight is read more often than before.
inline constexpr int64_t kFfnTokenBlock = 64;

// Everything one forward step over a batch of n_tokens consecutive positions needs.
// Activation buffers are row-major [n_tokens][width].
struct ForwardContext {
  const HParams* hp = nullptr;
  const ModelWeights* weights = nullptr;
  const KernelTable* kernels = nullptr;
  ThreadPool* pool = nullptr;
  KvCache* kv = nullptr;
  MatMulScratch* matmul_scratch = nullptr;
  std::vector<AttentionScratch>* attention_scratch = nullptr;  // one per pool thread

  int64_t n_tokens = 0;
  uint32_t n_past = 0;          // position of the first token of the batch
  float* x = nullptr;           // [n_tokens][n_embd] residual stream
  float* xn = nullptr;          // [n_tokens][n_embd] normed input of a sub-block
  float* q = nullptr;           // [n_tokens][n_q]
  float* k = nullptr;           // [n_tokens][n_kv]
  float* v = nullptr;           // [n_tokens][n_kv]
  float* attn = nullptr;        // [n_tokens][n_q] attention output (heads concatenated)
  float* proj = nullptr;        // [n_tokens][n_embd] output of attn_output / ffn_down
  float* gate = nullptr;        // [min(n_tokens, kFfnTokenBlock)][n_ff]
  float* up = nullptr;          // [min(n_tokens, kFfnTokenBlock)][n_ff]
  const float* rope_cos = nullptr;  // [n_tokens][head_dim / 2]
  const float* rope_sin = nullptr;
  // Set when a matrix product saw a non-finite input: quantizing activations (Q8_0/Q8_K)
  // would turn NaN into finite garbage, so the session could not see it afterwards.
  bool* saw_non_finite = nullptr;
};

namespace ops {

// out = x / sqrt(mean(x^2) + eps) * w, row by row (sum of squares in double, as ggml).
void RmsNorm(const ForwardContext& c, const float* x, const float* w, int64_t n_rows, float* out);
// y = W x for every token of the batch (flags non-finite inputs in c.saw_non_finite).
void MatMul(const ForwardContext& c, const WeightView& w, const float* x, float* y);
// x[t][i] += b[i].
void AddBias(float* x, const float* b, int64_t n_rows, int64_t n);
// x += y (n elements).
void Add(float* x, const float* y, int64_t n);
// Rotary embedding of n_heads heads per token: "normal" mode rotates adjacent pairs
// (2i, 2i+1), "NeoX" mode the split halves (i, i + head_dim/2).
void RopeAdjacentPairs(const ForwardContext& c, float* x, uint32_t n_heads);
void RopeSplitHalves(const ForwardContext& c, float* x, uint32_t n_heads);
// Writes c.k and c.v of the batch into the cache, then computes causal attention of
// c.q over positions 0..pos of `layer` into c.attn (scale 1/sqrt(head_dim), query head h
// reading KV head h / (n_head / n_head_kv)); attention.cpp, see attention.h.
void Attention(const ForwardContext& c, uint32_t layer);
// gate = silu(gate) * up.
void SwiGlu(float* gate, const float* up, int64_t n);
// The SwiGLU feed-forward sub-block with its residual, shared by the families:
// x += W_down (silu(W_gate xn) * W_up xn) with xn = RmsNorm(x) * ffn_norm, in
// sub-batches of kFfnTokenBlock tokens (each token's values do not depend on the split).
void FeedForwardSwiGlu(const ForwardContext& c, const LayerWeights& l);
// Fills cos/sin tables [n_tokens][head_dim/2] for positions n_past.. (llama.cpp's
// theta = p * base^(-2i/d) * freq_scale / factor[i], computed the same way).
void RopeTables(const HParams& hp, const float* rope_factors, uint32_t n_past, int64_t n_tokens,
                std::vector<float>& cos_out, std::vector<float>& sin_out);
// OK, or an error naming `where` and the first non-finite value's position.
Status CheckFinite(const float* x, int64_t n_rows, int64_t n, uint32_t n_past, const std::string& where);

}  // namespace ops
}  // namespace edgelm
