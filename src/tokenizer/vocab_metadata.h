// A model's tokenizer as data: what the GGUF tokenizer.* keys hold. Loaded from a GGUF
// file or converted from a Hugging Face tokenizer.json; written into new GGUF files by
// synth. The Tokenizer (include/edgelm/tokenizer.h) is built from it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace edgelm {

class GgufFile;

struct VocabMetadata {
  std::string model;               // tokenizer.ggml.model: "llama" | "gpt2"
  std::string pre;                 // tokenizer.ggml.pre: "default", "llama-bpe", "qwen2", "smollm"...
  std::vector<std::string> tokens; // tokenizer.ggml.tokens
  std::vector<float> scores;       // tokenizer.ggml.scores (may be empty for gpt2)
  std::vector<int32_t> token_types;// tokenizer.ggml.token_type (TokenType values)
  std::vector<std::string> merges; // tokenizer.ggml.merges ("a b"), gpt2 only
  std::optional<int32_t> bos_id, eos_id, unk_id, pad_id, eot_id, sep_id;
  std::optional<bool> add_bos, add_eos;
  std::string chat_template;       // tokenizer.chat_template (Jinja), empty when none
  // tokenizer.ggml.add_space_prefix ("llama" only; absent means true, as in llama.cpp).
  std::optional<bool> add_space_prefix;
};

// Reads tokenizer.* keys; errors name the key.
Result<VocabMetadata> VocabMetadataFromGguf(const GgufFile& file);

// Converts a Hugging Face tokenizer.json (+ tokenizer_config.json for the chat template,
// special tokens and add_bos; may be empty) into GGUF tokenizer metadata, choosing the
// pre-tokenizer name from the tokenizer's pre_tokenizer regex.
Result<VocabMetadata> VocabMetadataFromHuggingFace(const std::string& tokenizer_json_path,
                                                   const std::string& tokenizer_config_path);

}  // namespace edgelm
