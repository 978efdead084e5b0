#include "model/hparams.h"

#include <cmath>

#include "gguf/gguf_reader.h"

namespace edgelm {
namespace {

// The engine keeps per-token buffers of these widths; the caps reject hostile metadata
// before anything is sized from it (the largest real models are far below them).
constexpr uint32_t kMaxWidth = 1u << 20;
constexpr uint32_t kMaxLayers = 4096;
constexpr uint32_t kMaxHeads = 4096;

Status Positive(const std::string& key, uint32_t value, uint32_t max) {
  if (value == 0 || value > max) {
    return CorruptError("metadata key '" + key + "' is " + std::to_string(value) +
                        ", expected 1.." + std::to_string(max) + " (corrupt or hand-edited header?)");
  }
  return Status::Ok();
}

}  // namespace

Result<HParams> ReadHParams(const GgufFile& file, const std::string& arch) {
  HParams hp;
  hp.arch = arch;
  const std::string p = arch + ".";
  EDGELM_ASSIGN_OR_RETURN(hp.n_embd, file.GetU32(p + "embedding_length"));
  EDGELM_ASSIGN_OR_RETURN(hp.n_layer, file.GetU32(p + "block_count"));
  EDGELM_ASSIGN_OR_RETURN(hp.n_ff, file.GetU32(p + "feed_forward_length"));
  EDGELM_ASSIGN_OR_RETURN(hp.n_head, file.GetU32(p + "attention.head_count"));
  EDGELM_ASSIGN_OR_RETURN(hp.n_head_kv, file.GetU32Or(p + "attention.head_count_kv", hp.n_head));
  EDGELM_ASSIGN_OR_RETURN(hp.n_ctx_train, file.GetU32Or(p + "context_length", 0));
  EDGELM_ASSIGN_OR_RETURN(hp.rms_norm_eps, file.GetF32Or(p + "attention.layer_norm_rms_epsilon", 1e-5f));
  EDGELM_ASSIGN_OR_RETURN(hp.rope_freq_base, file.GetF32Or(p + "rope.freq_base", 10000.0f));

  EDGELM_RETURN_IF_ERROR(Positive(p + "embedding_length", hp.n_embd, kMaxWidth));
  EDGELM_RETURN_IF_ERROR(Positive(p + "block_count", hp.n_layer, kMaxLayers));
  EDGELM_RETURN_IF_ERROR(Positive(p + "feed_forward_length", hp.n_ff, kMaxWidth));
  EDGELM_RETURN_IF_ERROR(Positive(p + "attention.head_count", hp.n_head, kMaxHeads));
  EDGELM_RETURN_IF_ERROR(Positive(p + "attention.head_count_kv", hp.n_head_kv, kMaxHeads));
  if (hp.n_head % hp.n_head_kv != 0) {
    return CorruptError("attention.head_count (" + std::to_string(hp.n_head) +
                        ") is not a multiple of attention.head_count_kv (" +
                        std::to_string(hp.n_head_kv) + "): grouped-query attention needs whole groups");
  }
  // key_length overrides n_embd / n_head (some families decouple the head width).
  const uint32_t default_head_dim = hp.n_embd / hp.n_head;
  EDGELM_ASSIGN_OR_RETURN(hp.head_dim, file.GetU32Or(p + "attention.key_length", default_head_dim));
  EDGELM_ASSIGN_OR_RETURN(uint32_t value_length, file.GetU32Or(p + "attention.value_length", hp.head_dim));
  if (!file.FindKeyOrNull(p + "attention.key_length") && hp.n_embd % hp.n_head != 0) {
    return CorruptError(p + "embedding_length (" + std::to_string(hp.n_embd) +
                        ") is not a multiple of attention.head_count (" + std::to_string(hp.n_head) + ")");
  }
  EDGELM_RETURN_IF_ERROR(Positive(p + "attention.key_length", hp.head_dim, kMaxWidth));
  if (hp.head_dim % 2 != 0) {
    return CorruptError("head dimension " + std::to_string(hp.head_dim) +
                        " is odd: rotary embedding rotates pairs of elements");
  }
  if (value_length != hp.head_dim) {
    return UnsupportedError(p + "attention.value_length (" + std::to_string(value_length) +
                            ") differs from the key length (" + std::to_string(hp.head_dim) +
                            "): not supported by this engine");
  }
  EDGELM_ASSIGN_OR_RETURN(uint32_t rope_dims, file.GetU32Or(p + "rope.dimension_count", hp.head_dim));
  if (rope_dims != hp.head_dim) {
    return UnsupportedError(p + "rope.dimension_count is " + std::to_string(rope_dims) +
                            " but the head dimension is " + std::to_string(hp.head_dim) +
                            ": partial rotary embedding is not supported");
  }
  if (!(hp.rms_norm_eps >= 0.0f) || !std::isfinite(hp.rms_norm_eps)) {
    return CorruptError(p + "attention.layer_norm_rms_epsilon is " + std::to_string(hp.rms_norm_eps) +
                        ", expected a finite value >= 0");
  }
  if (!(hp.rope_freq_base > 0.0f) || !std::isfinite(hp.rope_freq_base)) {
    return CorruptError(p + "rope.freq_base is " + std::to_string(hp.rope_freq_base) +
                        ", expected a finite value > 0");
  }
  EDGELM_ASSIGN_OR_RETURN(std::string scaling, file.GetStringOr(p + "rope.scaling.type", "none"));
  if (scaling == "linear") {
    EDGELM_ASSIGN_OR_RETURN(float factor, file.GetF32Or(p + "rope.scaling.factor", 1.0f));
    if (!(factor > 0.0f) || !std::isfinite(factor)) {
      return CorruptError(p + "rope.scaling.factor is " + std::to_string(factor) + ", expected > 0");
    }
    hp.rope_freq_scale = 1.0f / factor;
  } else if (scaling != "none" && !scaling.empty()) {
    return UnsupportedError(p + "rope.scaling.type '" + scaling +
                            "' is not supported (supported: none, linear)");
  }

  // Vocabulary size: the explicit key, else the tokenizer's token list; the embedding
  // tensor is checked against it later.
  if (file.FindKeyOrNull(p + "vocab_size")) {
    EDGELM_ASSIGN_OR_RETURN(hp.n_vocab, file.GetU32(p + "vocab_size"));
  } else if (const GgufKeyValue* tokens = file.FindKeyOrNull("tokenizer.ggml.tokens");
             tokens && tokens->type == GgufValueType::kArray) {
    if (tokens->array.count > kMaxWidth * 16ull) {
      return CorruptError("tokenizer.ggml.tokens has " + std::to_string(tokens->array.count) +
                          " entries, more than any supported vocabulary");
    }
    hp.n_vocab = static_cast<uint32_t>(tokens->array.count);
  } else {
    const GgufTensorInfo* embd = file.FindTensorOrNull("token_embd.weight");
    if (!embd || embd->n_dims != 2) {
      return NotFoundError("cannot tell the vocabulary size: no '" + p +
                           "vocab_size' key, no tokenizer.ggml.tokens and no 2-D token_embd.weight");
    }
    hp.n_vocab = static_cast<uint32_t>(embd->ne[1]);
  }
  EDGELM_RETURN_IF_ERROR(Positive("vocabulary size", hp.n_vocab, kMaxWidth * 16));
  return hp;
}

std::string FileTypeName(uint32_t file_type) {
  // llama.cpp's llama_ftype values (ids 4, 5, 6 were retired formats).
  switch (file_type) {
    case 0: return "F32";
    case 1: return "F16";
    case 2: return "Q4_0";
    case 3: return "Q4_1";
    case 7: return "Q8_0";
    case 8: return "Q5_0";
    case 9: return "Q5_1";
    case 10: return "Q2_K";
    case 11: return "Q3_K_S";
    case 12: return "Q3_K_M";
    case 13: return "Q3_K_L";
    case 14: return "Q4_K_S";
    case 15: return "Q4_K_M";
    case 16: return "Q5_K_S";
    case 17: return "Q5_K_M";
    case 18: return "Q6_K";
    case 32: return "BF16";
    default: return "";
  }
}

}  // namespace edgelm
