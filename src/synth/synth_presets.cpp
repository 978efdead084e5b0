// Model shapes from each model's published config.json (Hugging Face): hidden_size,
// num_hidden_layers, num_attention_heads, num_key_value_heads, intermediate_size,
// vocab_size, max_position_embeddings, rope_theta, rms_norm_eps, tie_word_embeddings;
// qkv bias for qwen2. The stories models are llama2.c checkpoints (its ModelArgs).
#include <algorithm>

#include "synth/synth.h"

namespace edgelm {
namespace {

SynthShape Shape(const char* arch, const char* name, uint32_t n_embd, uint32_t n_layer, uint32_t n_head,
                 uint32_t n_head_kv, uint32_t n_ff, uint32_t n_vocab, uint32_t n_ctx, float rope_base,
                 float rms_eps, bool tied) {
  SynthShape s;
  s.arch = arch;
  s.name = name;
  s.n_embd = n_embd;
  s.n_layer = n_layer;
  s.n_head = n_head;
  s.n_head_kv = n_head_kv;
  s.n_ff = n_ff;
  s.n_vocab = n_vocab;
  s.n_ctx = n_ctx;
  s.rope_base = rope_base;
  s.rms_eps = rms_eps;
  s.tied = tied;
  s.qkv_bias = std::string(arch) == "qwen2";
  return s;
}

SynthShape WithLlama3Rope(SynthShape s) {
  // rope_scaling {"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
  // "high_freq_factor": 4.0, "original_max_position_embeddings": 8192} (Llama 3.2 1B/3B).
  s.rope_scaling = {32.0f, 1.0f, 4.0f, 8192};
  return s;
}

std::vector<SynthPreset> MakePresets() {
  return {
      {"stories15m", "karpathy/tinyllamas stories15M (llama2.c: dim 288, 6 layers, 6 heads, seq 256)",
       Shape("llama", "stories15M", 288, 6, 6, 6, 768, 32000, 256, 10000.f, 1e-5f, true), 15000000},
      {"stories110m", "karpathy/tinyllamas stories110M (llama2.c: dim 768, 12 layers, 12 heads, seq 1024)",
       Shape("llama", "stories110M", 768, 12, 12, 12, 2048, 32000, 1024, 10000.f, 1e-5f, true), 110000000},
      {"smollm2-135m", "HuggingFaceTB/SmolLM2-135M",
       Shape("llama", "SmolLM2-135M", 576, 30, 9, 3, 1536, 49152, 8192, 100000.f, 1e-5f, true), 135000000},
      {"smollm2-360m", "HuggingFaceTB/SmolLM2-360M",
       Shape("llama", "SmolLM2-360M", 960, 32, 15, 5, 2560, 49152, 8192, 100000.f, 1e-5f, true), 362000000},
      {"qwen2.5-0.5b", "Qwen/Qwen2.5-0.5B",
       Shape("qwen2", "Qwen2.5-0.5B", 896, 24, 14, 2, 4864, 151936, 32768, 1000000.f, 1e-6f, true), 494000000},
      {"qwen2.5-1.5b", "Qwen/Qwen2.5-1.5B",
       Shape("qwen2", "Qwen2.5-1.5B", 1536, 28, 12, 2, 8960, 151936, 32768, 1000000.f, 1e-6f, true), 1540000000},
      {"llama-3.2-1b", "meta-llama/Llama-3.2-1B",
       WithLlama3Rope(Shape("llama", "Llama-3.2-1B", 2048, 16, 32, 8, 8192, 128256, 131072, 500000.f, 1e-5f, true)),
       1240000000},
      {"llama-3.2-3b", "meta-llama/Llama-3.2-3B",
       WithLlama3Rope(Shape("llama", "Llama-3.2-3B", 3072, 28, 24, 8, 8192, 128256, 131072, 500000.f, 1e-5f, true)),
       3210000000},
      {"tinyllama-1.1b", "TinyLlama/TinyLlama-1.1B-intermediate-step-1431k-3T",
       Shape("llama", "TinyLlama-1.1B", 2048, 22, 32, 4, 5632, 32000, 2048, 10000.f, 1e-5f, false), 1100000000},
  };
}

}  // namespace

const std::vector<SynthPreset>& SynthPresets() {
  static const std::vector<SynthPreset> presets = MakePresets();
  return presets;
}

Result<const SynthPreset*> FindSynthPreset(const std::string& name) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  std::string known;
  for (const auto& p : SynthPresets()) {
    if (lower == p.name) return &p;
    known += std::string(known.empty() ? "" : ", ") + p.name;
  }
  return InvalidArgumentError("unknown synth preset '" + name + "' (known: " + known + ")");
}

}  // namespace edgelm
