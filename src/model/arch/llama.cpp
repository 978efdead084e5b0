// The llama family (Llama 1-3, TinyLlama, SmolLM, stories*): RMSNorm, RoPE on adjacent
// pairs (the converter permuted the Q/K rows for it), grouped-query attention, SwiGLU
// feed-forward, output head optionally tied to the embedding, and Llama-3.1 style
// per-pair rope frequency divisors in the optional rope_freqs.weight.
#include "model/arch/architecture.h"

namespace edgelm {
namespace {

class Llama final : public Architecture {
 public:
  const char* name() const override { return "llama"; }

  Status BindWeights(const TensorBinder& b, ModelWeights& w) const override {
    EDGELM_RETURN_IF_ERROR(BindCommonWeights(b, w));
    if (b.Has("rope_freqs.weight")) {
      EDGELM_ASSIGN_OR_RETURN(w.rope_freqs, b.Vector("rope_freqs.weight", b.hparams().head_dim / 2));
    }
    return Status::Ok();
  }

  void ForwardLayer(const ForwardContext& c, uint32_t layer) const override {
    const HParams& hp = *c.hp;
    const LayerWeights& l = c.weights->layers[layer];
    const int64_t n = c.n_tokens;

    ops::RmsNorm(c, c.x, l.attn_norm, n, c.xn);
    ops::MatMul(c, l.wq, c.xn, c.q);
    ops::MatMul(c, l.wk, c.xn, c.k);
    ops::MatMul(c, l.wv, c.xn, c.v);
    ops::RopeAdjacentPairs(c, c.q, hp.n_head);
    ops::RopeAdjacentPairs(c, c.k, hp.n_head_kv);
    ops::Attention(c, layer);
    ops::MatMul(c, l.wo, c.attn, c.proj);
    ops::Add(c.x, c.proj, n * hp.n_embd);

    ops::FeedForwardSwiGlu(c, l);
  }
};

}  // namespace

const Architecture& LlamaArchitecture() {
  static const Llama kLlama;
  return kLlama;
}

}  // namespace edgelm
