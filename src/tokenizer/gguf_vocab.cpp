// Reading tokenizer.* metadata out of a GGUF file.
#include <algorithm>
#include <limits>
#include <variant>

#include "edgelm/tokenizer.h"
#include "gguf/gguf_reader.h"
#include "tokenizer/vocab_metadata.h"

namespace edgelm {
namespace {

// Special-token ids are stored as u32 by llama.cpp's converter, some files use i32; -1 and
// 0xFFFFFFFF mean "none" (stories260K carries such a padding id).
Result<std::optional<int32_t>> ReadOptionalId(const GgufFile& file, std::string_view key) {
  const GgufKeyValue* kv = file.FindKeyOrNull(key);
  if (kv == nullptr) return std::optional<int32_t>();
  if (kv->type == GgufValueType::kArray || kv->type == GgufValueType::kString ||
      kv->type == GgufValueType::kBool || kv->type == GgufValueType::kF32 ||
      kv->type == GgufValueType::kF64) {
    return CorruptError(file.name() + ": key '" + std::string(key) + "' has type " +
                        GgufValueTypeName(kv->type) + ", expected an integer token id");
  }
  int64_t value = 0;
  bool too_big = false;
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
          if constexpr (std::is_same_v<T, uint64_t>) {
            too_big = v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
            value = static_cast<int64_t>(v);
          } else {
            value = static_cast<int64_t>(v);
          }
        }
      },
      kv->scalar);
  if (value == -1 || value == 0xFFFFFFFFll) return std::optional<int32_t>();
  if (too_big || value < 0 || value > std::numeric_limits<int32_t>::max()) {
    return CorruptError(file.name() + ": key '" + std::string(key) + "' = " +
                        std::to_string(value) + " is not a valid token id");
  }
  return std::optional<int32_t>(static_cast<int32_t>(value));
}

Result<std::optional<bool>> ReadOptionalBool(const GgufFile& file, std::string_view key) {
  if (file.FindKeyOrNull(key) == nullptr) return std::optional<bool>();
  auto value = file.GetBool(key);
  if (!value.ok()) return value.status().WithContext(file.name());
  return std::optional<bool>(*value);
}

}  // namespace

Result<VocabMetadata> VocabMetadataFromGguf(const GgufFile& file) {
  VocabMetadata vocab;
  auto model = file.GetString("tokenizer.ggml.model");
  if (!model.ok()) {
    return model.status().WithContext(file.name() + ": the file carries no tokenizer");
  }
  vocab.model = *model;
  auto pre = file.GetStringOr("tokenizer.ggml.pre", "");
  if (!pre.ok()) return pre.status().WithContext(file.name());
  vocab.pre = *pre;

  auto tokens = file.GetArray("tokenizer.ggml.tokens", GgufValueType::kString);
  if (!tokens.ok()) return tokens.status().WithContext(file.name());
  vocab.tokens.reserve((*tokens)->strings.size());
  for (std::string_view t : (*tokens)->strings) vocab.tokens.emplace_back(t);

  if (file.FindKeyOrNull("tokenizer.ggml.scores") != nullptr) {
    auto scores = file.GetArray("tokenizer.ggml.scores", GgufValueType::kF32);
    if (!scores.ok()) return scores.status().WithContext(file.name());
    vocab.scores.resize((*scores)->count);
    for (uint64_t i = 0; i < (*scores)->count; ++i) {
      vocab.scores[i] = static_cast<float>((*scores)->FloatAt(i));
    }
  }
  if (const GgufKeyValue* kv = file.FindKeyOrNull("tokenizer.ggml.token_type")) {
    if (kv->type != GgufValueType::kArray ||
        (kv->array.element_type != GgufValueType::kI32 &&
         kv->array.element_type != GgufValueType::kU32)) {
      return CorruptError(file.name() +
                          ": key 'tokenizer.ggml.token_type' must be an array of i32, found " +
                          (kv->type == GgufValueType::kArray
                               ? std::string("array of ") + GgufValueTypeName(kv->array.element_type)
                               : std::string(GgufValueTypeName(kv->type))));
    }
    vocab.token_types.resize(kv->array.count);
    for (uint64_t i = 0; i < kv->array.count; ++i) {
      // Out-of-range values are kept (clamped to int32) so that the tokenizer's check
      // reports them with their index.
      vocab.token_types[i] = static_cast<int32_t>(std::clamp<int64_t>(
          kv->array.IntAt(i), std::numeric_limits<int32_t>::min(),
          std::numeric_limits<int32_t>::max()));
    }
  }
  if (file.FindKeyOrNull("tokenizer.ggml.merges") != nullptr) {
    auto merges = file.GetArray("tokenizer.ggml.merges", GgufValueType::kString);
    if (!merges.ok()) return merges.status().WithContext(file.name());
    vocab.merges.reserve((*merges)->strings.size());
    for (std::string_view m : (*merges)->strings) vocab.merges.emplace_back(m);
  }

  struct IdKey {
    const char* key;
    std::optional<int32_t>* field;
  };
  const IdKey id_keys[] = {
      {"tokenizer.ggml.bos_token_id", &vocab.bos_id},
      {"tokenizer.ggml.eos_token_id", &vocab.eos_id},
      {"tokenizer.ggml.unknown_token_id", &vocab.unk_id},
      {"tokenizer.ggml.padding_token_id", &vocab.pad_id},
      {"tokenizer.ggml.eot_token_id", &vocab.eot_id},
      {"tokenizer.ggml.seperator_token_id", &vocab.sep_id},  // sic: llama.cpp's spelling
  };
  for (const IdKey& k : id_keys) {
    auto id = ReadOptionalId(file, k.key);
    if (!id.ok()) return id.status();
    *k.field = *id;
  }
  struct BoolKey {
    const char* key;
    std::optional<bool>* field;
  };
  const BoolKey bool_keys[] = {
      {"tokenizer.ggml.add_bos_token", &vocab.add_bos},
      {"tokenizer.ggml.add_eos_token", &vocab.add_eos},
      {"tokenizer.ggml.add_space_prefix", &vocab.add_space_prefix},
  };
  for (const BoolKey& k : bool_keys) {
    auto value = ReadOptionalBool(file, k.key);
    if (!value.ok()) return value.status();
    *k.field = *value;
  }
  auto chat_template = file.GetStringOr("tokenizer.chat_template", "");
  if (!chat_template.ok()) return chat_template.status().WithContext(file.name());
  vocab.chat_template = *chat_template;
  return vocab;
}

Result<std::unique_ptr<Tokenizer>> Tokenizer::FromGguf(const GgufFile& file) {
  auto vocab = VocabMetadataFromGguf(file);
  if (!vocab.ok()) return vocab.status();
  auto tokenizer = FromVocabMetadata(*vocab);
  if (!tokenizer.ok()) return tokenizer.status().WithContext(file.name());
  return tokenizer;
}

}  // namespace edgelm
