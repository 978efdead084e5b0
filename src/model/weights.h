// The model's weights as views into the memory-mapped GGUF file (never copied), and the
// binder that looks tensors up by name and checks their shape and type against the
// hyperparameters. Architecture files (arch/*.cpp) say which tensors they need.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "gguf/gguf_reader.h"
#include "kernels/matmul.h"
#include "model/hparams.h"

namespace edgelm {

struct LayerWeights {
  const float* attn_norm = nullptr;  // [n_embd]
  WeightView wq, wk, wv;             // [n_embd, n_q], [n_embd, n_kv], [n_embd, n_kv]
  const float* bq = nullptr;         // [n_q] (qwen2), else null
  const float* bk = nullptr;         // [n_kv]
  const float* bv = nullptr;         // [n_kv]
  WeightView wo;                     // [n_q, n_embd]
  const float* ffn_norm = nullptr;   // [n_embd]
  WeightView w_gate, w_up;           // [n_embd, n_ff]
  WeightView w_down;                 // [n_ff, n_embd]
};

struct ModelWeights {
  WeightView token_embd;              // [n_embd, n_vocab]; rows read through dequantize
  const float* output_norm = nullptr; // [n_embd]
  WeightView output;                  // [n_embd, n_vocab]; token_embd when tied
  bool tied_output = false;
  const float* rope_freqs = nullptr;  // [head_dim / 2] frequency divisors, or null
  std::vector<LayerWeights> layers;
};

// Looks tensors up in a parsed file and checks them. Every error names the tensor and
// gives the expected and found shape or type.
class TensorBinder {
 public:
  TensorBinder(const GgufFile& file, const HParams& hp) : file_(file), hp_(hp) {}

  // A matrix of n_out rows of n_in elements (ggml ne = [n_in, n_out]) of a type the
  // engine can compute with.
  Result<WeightView> Matrix(const std::string& name, int64_t n_in, int64_t n_out) const;
  // A 1-D F32 vector of n elements (norm weights, biases, rope factors).
  Result<const float*> Vector(const std::string& name, int64_t n) const;
  bool Has(const std::string& name) const { return file_.FindTensorOrNull(name) != nullptr; }

  const HParams& hparams() const { return hp_; }

 private:
  Result<const GgufTensorInfo*> Find(const std::string& name) const;
  const GgufFile& file_;
  const HParams& hp_;
};

// The tensors every llama-family file has: token_embd, output_norm, output (tied to
// token_embd when absent) and the per-layer attention/FFN matrices and norms. The
// architecture files add their own extras (biases, rope factors).
Status BindCommonWeights(const TensorBinder& binder, ModelWeights& weights);

// "[256, 1024]" for error messages.
std::string ShapeString(const int64_t* ne, uint32_t n_dims);

}  // namespace edgelm
