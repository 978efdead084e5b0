// A session: KV cache, activation buffers and thread pool for one sequence, and the
// forward pass that is the same for every architecture family (embedding lookup, the
// family's layers, final norm and output head), batched in steps of n_batch tokens.
#include <algorithm>
#include <new>

#include "core/clock.h"
#include "model/model_impl.h"

namespace edgelm {
namespace {

// The default context when neither the caller nor the file says otherwise; also the cap
// of the default (a 128k training context would otherwise allocate a huge cache).
constexpr uint32_t kDefaultMaxCtx = 4096;

template <typename T>
uint64_t Capacity(const std::vector<T>& v) {
  return v.capacity() * sizeof(T);
}

Status CheckKernels(const KernelTable& kernels, const ModelWeights& w, const char* isa) {
  auto check = [&](const WeightView& view, const std::string& name) -> Status {
    const TypeKernels& tk = kernels.For(view.type);
    if (!tk.supported || !tk.vec_dot || !tk.dequantize) {
      return UnsupportedError("weight type " + GgmlTypeName(view.type) + " of tensor '" + name +
                              "' has no kernels on the " + isa + " path");
    }
    return Status::Ok();
  };
  EDGELM_RETURN_IF_ERROR(check(w.token_embd, "token_embd.weight"));
  EDGELM_RETURN_IF_ERROR(check(w.output, w.tied_output ? "token_embd.weight" : "output.weight"));
  for (size_t i = 0; i < w.layers.size(); ++i) {
    const LayerWeights& l = w.layers[i];
    const std::string p = "blk." + std::to_string(i) + ".";
    EDGELM_RETURN_IF_ERROR(check(l.wq, p + "attn_q.weight"));
    EDGELM_RETURN_IF_ERROR(check(l.wk, p + "attn_k.weight"));
    EDGELM_RETURN_IF_ERROR(check(l.wv, p + "attn_v.weight"));
    EDGELM_RETURN_IF_ERROR(check(l.wo, p + "attn_output.weight"));
    EDGELM_RETURN_IF_ERROR(check(l.w_gate, p + "ffn_gate.weight"));
    EDGELM_RETURN_IF_ERROR(check(l.w_up, p + "ffn_up.weight"));
    EDGELM_RETURN_IF_ERROR(check(l.w_down, p + "ffn_down.weight"));
  }
  for (GgmlType t : {GgmlType::kF32, GgmlType::kF16}) {
    const TypeKernels& tk = kernels.For(t);
    if (!tk.supported || !tk.vec_dot || (tk.act_type != GgmlType::kF32 && !tk.quantize_act)) {
      return InternalError(std::string("the ") + isa + " kernel table lacks " + GgmlTypeName(t) +
                           " dot products needed by the KV cache");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Session>> SessionImpl::Create(const ModelImpl& model, const SessionOptions& options) {
  auto s = std::unique_ptr<SessionImpl>(new SessionImpl(model));
  const HParams& hp = model.hparams();
  s->n_ctx_ = options.n_ctx;
  if (s->n_ctx_ == 0) s->n_ctx_ = hp.n_ctx_train ? std::min(hp.n_ctx_train, kDefaultMaxCtx) : kDefaultMaxCtx;
  if (options.n_batch == 0) return InvalidArgumentError("n_batch is 0, expected at least 1");
  s->n_batch_ = std::min(options.n_batch, s->n_ctx_);
  if (options.n_threads < 0) {
    return InvalidArgumentError("thread count " + std::to_string(options.n_threads) + " is negative (0 means all CPUs)");
  }
  const int n_threads = options.n_threads > 0 ? options.n_threads : AvailableCpuCount();

  EDGELM_ASSIGN_OR_RETURN(Isa isa, ParseIsa(options.isa, DetectCpuFeatures()));
  s->kernels_ = MakeKernelTable(isa);
  EDGELM_RETURN_IF_ERROR(CheckKernels(s->kernels_, model.weights(), IsaName(isa)));

  s->pool_ = std::make_unique<ThreadPool>(n_threads);
  if (!options.cpu_affinity.empty()) EDGELM_RETURN_IF_ERROR(s->pool_->SetAffinity(options.cpu_affinity));
  EDGELM_RETURN_IF_ERROR(s->kv_.Allocate(options.kv_type, hp.n_layer, s->n_ctx_, hp.n_kv()));
  EDGELM_RETURN_IF_ERROR(s->Allocate());
  return std::unique_ptr<Session>(std::move(s));
}

Status SessionImpl::Allocate() {
  const uint64_t nb = n_batch_;
  try {
    x_.assign(nb * hp_.n_embd, 0.0f);
    xn_.assign(nb * hp_.n_embd, 0.0f);
    proj_.assign(nb * hp_.n_embd, 0.0f);
    q_.assign(nb * hp_.n_q(), 0.0f);
    attn_.assign(nb * hp_.n_q(), 0.0f);
    k_.assign(nb * hp_.n_kv(), 0.0f);
    v_.assign(nb * hp_.n_kv(), 0.0f);
    const uint64_t ffn_rows = std::min<uint64_t>(nb, kFfnTokenBlock);
    gate_.assign(ffn_rows * hp_.n_ff, 0.0f);
    up_.assign(ffn_rows * hp_.n_ff, 0.0f);
    rope_cos_.reserve(nb * hp_.head_dim / 2);
    rope_sin_.reserve(nb * hp_.head_dim / 2);
    logits_.reserve(hp_.n_vocab);
    attention_scratch_.resize(pool_->size());
    const TypeKernels& kv_kernels = kernels_.For(kv_.element_type());
    for (AttentionScratch& a : attention_scratch_) ResizeAttentionScratch(hp_, kv_kernels, a);
  } catch (const std::bad_alloc&) {
    return ResourceExhaustedError("cannot allocate activation buffers for n_batch=" + std::to_string(n_batch_) +
                                  " and n_ctx=" + std::to_string(n_ctx_) + "; use a smaller --batch or --ctx");
  }
  return Status::Ok();
}

Status SessionImpl::Prefill(std::span<const int32_t> tokens, bool all_logits) {
  return Run(tokens, all_logits, PhaseEvent::kPrefill);
}

Status SessionImpl::Decode(int32_t token) { return Run(std::span<const int32_t>(&token, 1), false, PhaseEvent::kDecode); }

Status SessionImpl::Run(std::span<const int32_t> tokens, bool all_logits, PhaseEvent::Kind kind) {
  const int64_t n = static_cast<int64_t>(tokens.size());
  if (n == 0) return InvalidArgumentError("no tokens to compute (an empty prompt?)");
  for (int64_t i = 0; i < n; ++i) {
    if (tokens[i] < 0 || static_cast<uint32_t>(tokens[i]) >= hp_.n_vocab) {
      return InvalidArgumentError("token id " + std::to_string(tokens[i]) + " at index " + std::to_string(i) +
                                  " is out of range: the vocabulary has " + std::to_string(hp_.n_vocab) +
                                  " tokens (ids 0.." + std::to_string(hp_.n_vocab - 1) + ")");
    }
  }
  if (static_cast<uint64_t>(n_past_) + static_cast<uint64_t>(n) > n_ctx_) {
    return OutOfRangeError(std::to_string(n) + " tokens at position " + std::to_string(n_past_) +
                           " do not fit the context of " + std::to_string(n_ctx_) + " tokens (need " +
                           std::to_string(n_past_ + n) + "); use a larger context or a shorter prompt");
  }
  const int64_t start_ns = MonotonicNs();
  const uint32_t n_past_before = n_past_;
  n_logit_rows_ = 0;
  const int64_t rows = all_logits ? n : 1;
  try {
    logits_.resize(static_cast<size_t>(rows) * hp_.n_vocab);
  } catch (const std::bad_alloc&) {
    return ResourceExhaustedError("cannot allocate logits for " + std::to_string(rows) + " positions");
  }
  for (int64_t begin = 0; begin < n; begin += n_batch_) {
    const int64_t step = std::min<int64_t>(n_batch_, n - begin);
    const bool last_step = begin + step == n;
    int64_t first_logit = -1;  // first row of this step that needs logits
    if (all_logits) {
      first_logit = 0;
    } else if (last_step) {
      first_logit = step - 1;
    }
    float* logits_out = nullptr;  // where row first_logit's logits go
    if (first_logit >= 0) logits_out = logits_.data() + (all_logits ? begin : 0) * static_cast<int64_t>(hp_.n_vocab);
    EDGELM_RETURN_IF_ERROR(Step(tokens.data() + begin, step, first_logit, logits_out));
  }
  n_logit_rows_ = static_cast<int>(rows);
  events_.push_back(PhaseEvent{kind, start_ns, MonotonicNs(), static_cast<uint32_t>(n), n_past_before});
  return Status::Ok();
}

Status SessionImpl::Step(const int32_t* tokens, int64_t n, int64_t first_logit, float* logits_out) {
  const ModelWeights& w = model_.weights();
  const TypeKernels& embd = kernels_.For(w.token_embd.type);
  const uint8_t* embd_data = static_cast<const uint8_t*>(w.token_embd.data);
  for (int64_t t = 0; t < n; ++t) {
    embd.dequantize(embd_data + static_cast<uint64_t>(tokens[t]) * w.token_embd.row_bytes, x_.data() + t * hp_.n_embd,
                    hp_.n_embd);
  }
  ops::RopeTables(hp_, w.rope_freqs, n_past_, n, rope_cos_, rope_sin_);

  ForwardContext c;
  c.hp = &hp_;
  c.weights = &w;
  c.kernels = &kernels_;
  c.pool = pool_.get();
  c.kv = &kv_;
  c.matmul_scratch = &matmul_scratch_;
  c.attention_scratch = &attention_scratch_;
  c.n_tokens = n;
  c.n_past = n_past_;
  c.x = x_.data();
  c.xn = xn_.data();
  c.q = q_.data();
  c.k = k_.data();
  c.v = v_.data();
  c.attn = attn_.data();
  c.proj = proj_.data();
  c.gate = gate_.data();
  c.up = up_.data();
  c.rope_cos = rope_cos_.data();
  c.rope_sin = rope_sin_.data();

  bool saw_non_finite = false;
  c.saw_non_finite = &saw_non_finite;
  const Architecture& arch = model_.architecture();
  for (uint32_t il = 0; il < hp_.n_layer; ++il) {
    arch.ForwardLayer(c, il);
    const std::string where = "layer " + std::to_string(il) + " (blk." + std::to_string(il) + ")";
    if (saw_non_finite) {
      return CorruptError("non-finite activation (NaN or Inf) inside " + where +
                          ": the weights contain NaN/Inf or values large enough to overflow");
    }
    EDGELM_RETURN_IF_ERROR(ops::CheckFinite(c.x, n, hp_.n_embd, n_past_, where));
  }
  const uint32_t n_past_step = n_past_;
  n_past_ += static_cast<uint32_t>(n);

  if (first_logit >= 0) {
    const int64_t m = n - first_logit;
    const float* x_rows = c.x + first_logit * hp_.n_embd;
    ops::RmsNorm(c, x_rows, w.output_norm, m, c.xn);
    float* out = logits_out;
    MatMul(kernels_, *pool_, w.output, c.xn, m, out, matmul_scratch_);
    EDGELM_RETURN_IF_ERROR(
        ops::CheckFinite(out, m, hp_.n_vocab, n_past_step + static_cast<uint32_t>(first_logit), "the output head"));
  }
  return Status::Ok();
}

std::span<const float> SessionImpl::Logits(int i) const {
  if (i < 0) i += n_logit_rows_;
  EDGELM_CHECK_MSG(i >= 0 && i < n_logit_rows_, "logit row " + std::to_string(i) + " of " + std::to_string(n_logit_rows_));
  return std::span<const float>(logits_.data() + static_cast<size_t>(i) * hp_.n_vocab, hp_.n_vocab);
}

Status SessionImpl::TruncateTo(uint32_t n) {
  if (n > n_past_) {
    return InvalidArgumentError("cannot truncate to " + std::to_string(n) + " positions: the session holds only " +
                                std::to_string(n_past_));
  }
  n_past_ = n;
  n_logit_rows_ = 0;
  return Status::Ok();
}

MemoryUsage SessionImpl::memory() const {
  MemoryUsage m;
  m.weights_bytes = model_.info().weights_bytes;
  m.kv_bytes = kv_.bytes();
  uint64_t scratch = Capacity(x_) + Capacity(xn_) + Capacity(q_) + Capacity(k_) + Capacity(v_) + Capacity(attn_) +
                     Capacity(proj_) + Capacity(gate_) + Capacity(up_) + Capacity(rope_cos_) + Capacity(rope_sin_) +
                     Capacity(logits_) + matmul_scratch_.capacity_bytes();
  for (const AttentionScratch& a : attention_scratch_) scratch += a.bytes();
  m.scratch_bytes = scratch;
  return m;
}

}  // namespace edgelm
