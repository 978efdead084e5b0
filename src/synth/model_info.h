// What a GGUF model file holds, summarised for `edgelm inspect`: identity, size, weight
// types, hyperparameters, tokenizer and the KV-cache cost of context.
//
// It lives beside synth rather than in the gguf layer because two figures need
// transformer knowledge (llama.cpp's file-type names and the KV-cache formula); it still
// reads only metadata and tensor descriptors, never weights. A value the file does not
// provide is absent (std::nullopt / JSON null), never 0.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "gguf/gguf_reader.h"

namespace edgelm {

// llama.cpp's llama_ftype name for a general.file_type id ("Q4_K_M" for 15), or nullopt
// for an id llama.cpp never defined.
std::optional<std::string> LlamaFileTypeName(uint32_t id);

struct TensorTypeStats {
  uint64_t tensors = 0;
  uint64_t parameters = 0;
  uint64_t bytes = 0;
};

struct SpecialToken {
  std::string role;                 // "bos", "eos", "unknown", "padding", ...
  int64_t id = 0;
  std::optional<std::string> text;  // absent when the id is outside the vocabulary
};

struct KvCacheSize {
  uint32_t n_layer = 0;
  uint32_t n_head_kv = 0;
  uint32_t head_dim_k = 0;
  uint32_t head_dim_v = 0;
  // n_layer · n_tokens · n_head_kv · (head_dim_k + head_dim_v) · bytes per element.
  uint64_t f16_bytes_per_1024_tokens = 0;
  uint64_t f32_bytes_per_1024_tokens = 0;
};

struct TensorRow {
  std::string name;
  std::string type;
  std::vector<int64_t> shape;  // ggml order, ne[0] first
  uint64_t parameters = 0;
  uint64_t bytes = 0;
  uint64_t offset = 0;         // absolute file offset of the data
};

struct GgufSummary {
  std::string path;
  uint64_t file_size_bytes = 0;
  uint32_t gguf_version = 0;
  uint32_t alignment = 0;
  uint64_t key_count = 0;
  std::optional<std::string> architecture;
  std::optional<std::string> name;
  std::optional<uint32_t> file_type_id;
  std::optional<std::string> file_type_name;  // absent for an unknown id
  uint64_t parameters = 0;
  uint64_t tensor_bytes = 0;
  std::optional<double> bits_per_weight;       // tensor bytes · 8 / parameters
  std::map<std::string, TensorTypeStats> tensor_types;
  // "{arch}.*" keys in file order: value as JSON and as display text.
  std::vector<std::pair<std::string, nlohmann::ordered_json>> hyperparameters;
  std::vector<std::string> hyperparameter_text;
  std::optional<std::string> tokenizer_model;
  std::optional<std::string> tokenizer_pre;
  std::optional<uint64_t> vocab_size;
  std::optional<uint64_t> merges;
  std::vector<SpecialToken> special_tokens;
  std::optional<bool> add_bos, add_eos;
  bool has_chat_template = false;
  uint64_t chat_template_bytes = 0;
  std::optional<KvCacheSize> kv_cache;         // absent when the file lacks the keys
  std::vector<TensorRow> tensors;
  std::vector<std::string> notes;  // why a figure is absent
};

// Summarises a parsed file. Never fails: a key with an unexpected type or value leaves
// its figure absent and adds a note saying why.
GgufSummary DescribeModel(const GgufFile& file);

// Human-readable report; with_tensors appends one line per tensor.
std::string ModelInfoText(const GgufSummary& info, bool with_tensors);
// Machine-readable report (keys documented by the text above; absent values are null).
nlohmann::ordered_json ModelInfoJson(const GgufSummary& info, bool with_tensors);

}  // namespace edgelm
