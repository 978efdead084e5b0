// The engine's implementations of Model and Session (include/edgelm/engine.h).
#pragma once

#include <memory>
#include <vector>

#include "edgelm/engine.h"
#include "gguf/gguf_reader.h"
#include "kernels/matmul.h"
#include "model/arch/architecture.h"
#include "model/hparams.h"
#include "model/kv_cache.h"
#include "model/ops.h"
#include "model/weights.h"

namespace edgelm {

class ModelImpl final : public Model {
 public:
  const ModelInfo& info() const override { return info_; }
  const Tokenizer& tokenizer() const override { return *tokenizer_; }
  const LoadTimings& load_timings() const override { return timings_; }
  const GgufFile& gguf() const override { return *file_; }
  Result<std::unique_ptr<Session>> NewSession(const SessionOptions& options) const override;

  const HParams& hparams() const { return hp_; }
  const ModelWeights& weights() const { return weights_; }
  const Architecture& architecture() const { return *arch_; }

 private:
  friend Result<std::unique_ptr<Model>> LoadModelImpl(const LoadOptions& options);

// The model layer's single call into the tokenizer layer (tokenizer_hook.cpp).
Result<std::unique_ptr<Tokenizer>> LoadModelTokenizer(const GgufFile& file);
  std::unique_ptr<GgufFile> file_;
  std::unique_ptr<Tokenizer> tokenizer_;
  const Architecture* arch_ = nullptr;
  HParams hp_;
  ModelWeights weights_;
  ModelInfo info_;
  LoadTimings timings_;
};

class SessionImpl final : public Session {
 public:
  static Result<std::unique_ptr<Session>> Create(const ModelImpl& model, const SessionOptions& options);

  Status Prefill(std::span<const int32_t> tokens, bool all_logits) override;
  Status Decode(int32_t token) override;
  std::span<const float> Logits(int i) const override;
  int n_logit_rows() const override { return n_logit_rows_; }
  uint32_t n_past() const override { return n_past_; }
  uint32_t n_ctx() const override { return n_ctx_; }
  Status TruncateTo(uint32_t n) override;
  void Reset() override { n_past_ = 0; n_logit_rows_ = 0; }
  MemoryUsage memory() const override;
  const std::vector<PhaseEvent>& events() const override { return events_; }
  void ClearTimings() override { events_.clear(); }
  Isa isa() const override { return kernels_.isa; }
  int n_threads() const override { return pool_->size(); }
  const Model& model() const override { return model_; }

 private:
  SessionImpl(const ModelImpl& model) : model_(model), hp_(model.hparams()) {}
  Status Allocate();
  // Computes n tokens at positions n_past_.. (n <= n_batch_). When first_logit >= 0,
  // writes the logits of rows first_logit..n-1 to logits_out ([n - first_logit][n_vocab]).
  Status Step(const int32_t* tokens, int64_t n, int64_t first_logit, float* logits_out);
  Status Run(std::span<const int32_t> tokens, bool all_logits, PhaseEvent::Kind kind);

  const ModelImpl& model_;
  const HParams& hp_;
  uint32_t n_ctx_ = 0;
  uint32_t n_batch_ = 0;
  uint32_t n_past_ = 0;
  int n_logit_rows_ = 0;
  KernelTable kernels_;
  std::unique_ptr<ThreadPool> pool_;
  KvCache kv_;
  MatMulScratch matmul_scratch_;
  std::vector<AttentionScratch> attention_scratch_;
  // Activations for n_batch_ tokens.
  std::vector<float> x_, xn_, q_, k_, v_, attn_, proj_, gate_, up_, rope_cos_, rope_sin_;
  std::vector<float> logits_;  // [n_logit_rows_][n_vocab]
  std::vector<PhaseEvent> events_;
};

Result<std::unique_ptr<Model>> LoadModelImpl(const LoadOptions& options);

// The model layer's single call into the tokenizer layer (tokenizer_hook.cpp).
Result<std::unique_ptr<Tokenizer>> LoadModelTokenizer(const GgufFile& file);

}  // namespace edgelm
