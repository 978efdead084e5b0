// The qwen2 family (Qwen1.5, Qwen2, Qwen2.5): like llama, plus biases on the Q/K/V
// projections (added before RoPE) and "NeoX" RoPE that rotates the split halves
// (i, i + head_dim/2) of each head. The output head is usually tied to the embedding.
#include "model/arch/architecture.h"

namespace edgelm {
namespace {

class Qwen2 final : public Architecture {
 public:
  const char* name() const override { return "qwen2"; }

  Status BindWeights(const TensorBinder& b, ModelWeights& w) const override {
    EDGELM_RETURN_IF_ERROR(BindCommonWeights(b, w));
    const HParams& hp = b.hparams();
    for (uint32_t i = 0; i < hp.n_layer; ++i) {
      const std::string p = "blk." + std::to_string(i) + ".";
      LayerWeights& l = w.layers[i];
      EDGELM_ASSIGN_OR_RETURN(l.bq, b.Vector(p + "attn_q.bias", hp.n_q()));
      EDGELM_ASSIGN_OR_RETURN(l.bk, b.Vector(p + "attn_k.bias", hp.n_kv()));
      EDGELM_ASSIGN_OR_RETURN(l.bv, b.Vector(p + "attn_v.bias", hp.n_kv()));
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
    ops::AddBias(c.q, l.bq, n, hp.n_q());
    ops::AddBias(c.k, l.bk, n, hp.n_kv());
    ops::AddBias(c.v, l.bv, n, hp.n_kv());
    ops::RopeSplitHalves(c, c.q, hp.n_head);
    ops::RopeSplitHalves(c, c.k, hp.n_head_kv);
    ops::Attention(c, layer);
    ops::MatMul(c, l.wo, c.attn, c.proj);
    ops::Add(c.x, c.proj, n * hp.n_embd);

    ops::FeedForwardSwiGlu(c, l);
  }
};

}  // namespace

const Architecture& Qwen2Architecture() {
  static const Qwen2 kQwen2;
  return kQwen2;
}

}  // namespace edgelm
