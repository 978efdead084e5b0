// Hyperparameters of a llama-family model, read from the GGUF `{arch}.*` keys with the
// defaults of FORMATS.md, before any tensor is looked at. The tensor shapes are checked
// against these values afterwards (weights.h), so a file whose metadata and tensors
// disagree is rejected with both numbers in the message.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace edgelm {

class GgufFile;

struct HParams {
  std::string arch;              // general.architecture
  uint32_t n_vocab = 0;          // {arch}.vocab_size, else the tokenizer's token count
  uint32_t n_ctx_train = 0;      // {arch}.context_length
  uint32_t n_embd = 0;           // {arch}.embedding_length
  uint32_t n_layer = 0;          // {arch}.block_count
  uint32_t n_ff = 0;             // {arch}.feed_forward_length
  uint32_t n_head = 0;           // {arch}.attention.head_count
  uint32_t n_head_kv = 0;        // {arch}.attention.head_count_kv (default n_head)
  uint32_t head_dim = 0;         // {arch}.attention.key_length (default n_embd / n_head)
  float rms_norm_eps = 1e-5f;    // {arch}.attention.layer_norm_rms_epsilon
  float rope_freq_base = 10000;  // {arch}.rope.freq_base
  // Linear RoPE scaling ({arch}.rope.scaling.type = "linear"): positions are multiplied
  // by this (1 / factor); 1 without scaling.
  float rope_freq_scale = 1.0f;

  uint32_t n_q() const { return n_head * head_dim; }     // width of the query projection
  uint32_t n_kv() const { return n_head_kv * head_dim; }  // width of the key/value projection
};

// Reads and validates the hyperparameters for `arch`. Errors name the key, the value
// found and what was expected (e.g. heads that do not divide the width).
Result<HParams> ReadHParams(const GgufFile& file, const std::string& arch);

// llama.cpp's name for general.file_type (the quantization mix), e.g. 15 -> "Q4_K_M";
// empty for an unknown value.
std::string FileTypeName(uint32_t file_type);

}  // namespace edgelm
