// synth: random-weight GGUF models with the exact shapes of real ones.
//
// Goals: measure speed, memory and energy at real scale where the real weights cannot be
// downloaded. A synthesized file has the tensor names, shapes, types and metadata that
// llama.cpp's converter writes for the model, random weights whose activations stay
// finite through every layer, and a self-contained tokenizer, so any GGUF engine loads
// and runs it. Deterministic: the same options and seed give identical bytes. Streams
// tensor by tensor (a few MiB of RAM for any model size).
// Non-goals: meaningful text (the weights are noise); architectures beyond llama/qwen2.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "gguf/ggml_types.h"
#include "gguf/gguf_reader.h"
#include "gguf/gguf_writer.h"
#include "tokenizer/vocab_metadata.h"

namespace edgelm {

// Llama 3.1-style RoPE frequency scaling, written as the rope_freqs.weight tensor.
struct Llama3RopeScaling {
  float factor = 0;            // 0: none
  float low_freq_factor = 1;
  float high_freq_factor = 4;
  uint32_t original_context = 8192;
};

struct SynthShape {
  std::string arch = "llama";  // "llama" or "qwen2"
  std::string name;            // general.name
  uint32_t n_embd = 0;
  uint32_t n_layer = 0;
  uint32_t n_head = 0;
  uint32_t n_head_kv = 0;
  uint32_t n_ff = 0;
  uint32_t n_vocab = 0;
  uint32_t n_ctx = 2048;
  float rope_base = 10000.0f;
  float rms_eps = 1e-5f;
  bool tied = false;           // output head reuses token_embd.weight
  bool qkv_bias = false;       // attn_{q,k,v}.bias (qwen2)
  Llama3RopeScaling rope_scaling;
};

struct SynthPreset {
  const char* name;            // "qwen2.5-0.5b"
  const char* source;          // where the shape comes from (Hugging Face repo)
  SynthShape shape;
  uint64_t published_parameters;  // as the model card states it (rounded there)
};

const std::vector<SynthPreset>& SynthPresets();
// The preset or an error listing the known names.
Result<const SynthPreset*> FindSynthPreset(const std::string& name);

// Checks that the shape describes a runnable model (heads divide the width, even head
// size for RoPE, query heads a multiple of KV heads, ...); errors name the field.
Status ValidateSynthShape(const SynthShape& shape);

enum class SynthTensorKind { kMatrix, kNorm, kBias, kRopeFreqs };

struct SynthTensor {
  std::string name;
  SynthTensorKind kind;
  std::vector<int64_t> ne;     // ggml order: [n_in, n_out] for matrices
};

// Every tensor llama.cpp's converter writes for the shape, in its order.
std::vector<SynthTensor> SynthTensorList(const SynthShape& shape);
uint64_t SynthParameterCount(const SynthShape& shape);

// rope_freqs.weight values (head_dim/2 factors that divide each rotary frequency), by the
// formula llama.cpp's converter applies for rope_scaling type "llama3".
std::vector<float> Llama3RopeFreqFactors(uint32_t head_dim, float rope_base, const Llama3RopeScaling& s);

// The weight type a tensor gets when `type` does not fit its row length (llama.cpp's
// fallbacks: Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0, Q2_K/Q3_K -> Q4_0, then F16).
GgmlType SynthTypeForRow(GgmlType type, int64_t row_length);
// llama.cpp's general.file_type for a file whose matrices are `type` (the *_S variant
// for k-quants), or nullopt.
std::optional<uint32_t> SynthFileTypeId(GgmlType type);

// Built-in byte-level vocabulary: <unk>, <s>, </s>, the 256 bytes in GPT-2's byte-to-
// unicode spelling, then "[PAD<id>]" tokens up to n_vocab; model "gpt2", pre "default",
// no merges. Needs n_vocab >= 259.
Result<VocabMetadata> BuiltinByteVocab(uint32_t n_vocab);
// Pads a vocabulary to n_vocab with "[PAD<id>]" tokens of type UNUSED (as llama.cpp's
// converter does); errors when it already has more tokens.
Status PadVocab(VocabMetadata* vocab, uint32_t n_vocab);
// Writes VocabMetadata as the tokenizer.* keys llama.cpp reads.
void SetVocabMetadata(const VocabMetadata& vocab, GgufWriter* writer);
// Reads the tokenizer.* keys of a GGUF file (tokens, types, scores, merges, ids, flags,
// chat template); errors name the key.
Result<VocabMetadata> ReadVocabFromGguf(const GgufFile& file);

// Tokenizer for --vocab-from PATH: a Hugging Face tokenizer.json (with the
// tokenizer_config.json beside it, when present) is converted to VocabMetadata; any other
// path is opened as a GGUF whose tokenizer.* keys are copied (`gguf_out` keeps it alive).
struct SynthVocabSource {
  std::optional<VocabMetadata> converted;
  std::unique_ptr<GgufFile> gguf;
};
Result<SynthVocabSource> LoadSynthVocabSource(const std::string& path);

struct SynthOptions {
  SynthShape shape;
  std::string preset;              // recorded in the metadata when set
  GgmlType type = GgmlType::kF16;  // matrices; 1-D tensors are always F32
  uint64_t seed = 0;
  // Tokenizer, in order of precedence: every tokenizer.* key of `vocab_source` copied
  // verbatim (token arrays padded to n_vocab); else `vocab`, padded; else the built-in
  // byte vocabulary. `vocab_source` must outlive the call.
  const GgufFile* vocab_source = nullptr;
  std::optional<VocabMetadata> vocab;
  // Checked between tensors: when set, the partial file is removed and the result is
  // kCancelled (a multi-gigabyte synthesis interrupted with Ctrl-C leaves nothing behind).
  const std::atomic<bool>* cancel = nullptr;
};

// Sets every metadata key: general.*, {arch}.* hyperparameters, tokenizer.*.
Status SetSynthMetadata(const SynthOptions& options, GgufWriter* writer);
// Declares every tensor with its type (requested type, or its fallback for rows that do
// not fit; 1-D tensors F32); `types_out`, when given, receives the types in order.
Status DeclareSynthTensors(const SynthOptions& options, GgufWriter* writer, std::vector<GgmlType>* types_out);
// Both (the writer is then ready for Begin()).
Status PrepareSynthWriter(const SynthOptions& options, GgufWriter* writer,
                          std::vector<GgmlType>* types_out = nullptr);

struct SynthProgress {
  size_t tensor_index;
  size_t tensor_count;
  uint64_t bytes_written;
  uint64_t bytes_total;
};
struct SynthResult {
  uint64_t file_size_bytes = 0;
  uint64_t parameters = 0;
  // Matrices whose row length does not fit the requested type, grouped:
  // "37 tensors (token_embd.weight, ...): Q4_K -> Q5_0 (row length 288 is not a ...)".
  std::vector<std::string> fallbacks;
};

// Writes the model to `path`. `progress` (optional) is called after each tensor.
Result<SynthResult> SynthesizeModel(const SynthOptions& options, const std::string& path,
                                    const std::function<void(const SynthProgress&)>& progress = {});

}  // namespace edgelm
