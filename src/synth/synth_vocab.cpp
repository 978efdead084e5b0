// Tokenizer metadata for synthesized models: the built-in byte-level vocabulary,
// padding, reading tokenizer.* keys from another GGUF, and writing VocabMetadata back.
#include <string>

#include "edgelm/tokenizer.h"
#include "synth/synth.h"

namespace edgelm {
namespace {

// GPT-2's byte -> unicode mapping: printable Latin-1 bytes map to themselves, the other
// 68 bytes to U+0100 upwards in byte order (so space is U+0120 'Ġ').
std::string Gpt2ByteToken(uint8_t b) {
  const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
  uint32_t cp = b;
  if (!printable) {
    uint32_t n = 0;
    for (uint32_t x = 0; x < b; ++x) {
      const bool p = (x >= 0x21 && x <= 0x7E) || (x >= 0xA1 && x <= 0xAC) || x >= 0xAE;
      if (!p) ++n;
    }
    cp = 256 + n;
  }
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

constexpr int32_t TypeId(TokenType t) { return static_cast<int32_t>(t); }

}  // namespace

Result<VocabMetadata> BuiltinByteVocab(uint32_t n_vocab) {
  constexpr uint32_t kMinVocab = 3 + 256;
  if (n_vocab < kMinVocab) {
    return InvalidArgumentError("the built-in byte vocabulary needs n_vocab >= " + std::to_string(kMinVocab) +
                                " (3 control tokens + 256 bytes), got " + std::to_string(n_vocab));
  }
  VocabMetadata v;
  v.model = "gpt2";
  v.pre = "default";
  v.tokens = {"<unk>", "<s>", "</s>"};
  v.token_types = {TypeId(TokenType::kUnknown), TypeId(TokenType::kControl), TypeId(TokenType::kControl)};
  for (int b = 0; b < 256; ++b) {
    v.tokens.push_back(Gpt2ByteToken(static_cast<uint8_t>(b)));
    v.token_types.push_back(TypeId(TokenType::kNormal));
  }
  v.unk_id = 0;
  v.bos_id = 1;
  v.eos_id = 2;
  v.add_bos = true;
  v.add_eos = false;
  EDGELM_RETURN_IF_ERROR(PadVocab(&v, n_vocab));
  return v;
}

Status PadVocab(VocabMetadata* v, uint32_t n_vocab) {
  if (v->tokens.size() > n_vocab) {
    return InvalidArgumentError("the tokenizer has " + std::to_string(v->tokens.size()) +
                                " tokens but the model's vocabulary (n_vocab) is " + std::to_string(n_vocab) +
                                " (pick a larger --n-vocab or a matching tokenizer)");
  }
  if (!v->token_types.empty() && v->token_types.size() != v->tokens.size()) {
    return InvalidArgumentError("tokenizer has " + std::to_string(v->tokens.size()) + " tokens but " +
                                std::to_string(v->token_types.size()) + " token types");
  }
  if (!v->scores.empty() && v->scores.size() != v->tokens.size()) {
    return InvalidArgumentError("tokenizer has " + std::to_string(v->tokens.size()) + " tokens but " +
                                std::to_string(v->scores.size()) + " scores");
  }
  const bool has_types = !v->token_types.empty() || v->tokens.empty();
  for (uint32_t id = static_cast<uint32_t>(v->tokens.size()); id < n_vocab; ++id) {
    v->tokens.push_back("[PAD" + std::to_string(id) + "]");
    if (has_types) v->token_types.push_back(TypeId(TokenType::kUnused));
    if (!v->scores.empty()) v->scores.push_back(0.0f);
  }
  return Status::Ok();
}

void SetVocabMetadata(const VocabMetadata& v, GgufWriter* w) {
  w->SetString("tokenizer.ggml.model", v.model);
  if (!v.pre.empty()) w->SetString("tokenizer.ggml.pre", v.pre);
  w->SetStringArray("tokenizer.ggml.tokens", v.tokens);
  if (!v.scores.empty()) w->SetF32Array("tokenizer.ggml.scores", v.scores);
  if (!v.token_types.empty()) w->SetI32Array("tokenizer.ggml.token_type", v.token_types);
  // llama.cpp requires the merges key for gpt2 vocabularies, even when empty.
  if (v.model == "gpt2" || !v.merges.empty()) w->SetStringArray("tokenizer.ggml.merges", v.merges);
  auto id = [w](const char* key, const std::optional<int32_t>& value) {
    if (value) w->SetU32(key, static_cast<uint32_t>(*value));
  };
  id("tokenizer.ggml.bos_token_id", v.bos_id);
  id("tokenizer.ggml.eos_token_id", v.eos_id);
  id("tokenizer.ggml.unknown_token_id", v.unk_id);
  id("tokenizer.ggml.padding_token_id", v.pad_id);
  id("tokenizer.ggml.eot_token_id", v.eot_id);
  id("tokenizer.ggml.seperator_token_id", v.sep_id);  // llama.cpp's spelling
  if (v.add_bos) w->SetBool("tokenizer.ggml.add_bos_token", *v.add_bos);
  if (v.add_eos) w->SetBool("tokenizer.ggml.add_eos_token", *v.add_eos);
  if (!v.chat_template.empty()) w->SetString("tokenizer.chat_template", v.chat_template);
}

Result<VocabMetadata> ReadVocabFromGguf(const GgufFile& f) {
  VocabMetadata v;
  EDGELM_ASSIGN_OR_RETURN(v.model, f.GetString("tokenizer.ggml.model"));
  EDGELM_ASSIGN_OR_RETURN(v.pre, f.GetStringOr("tokenizer.ggml.pre", ""));
  EDGELM_ASSIGN_OR_RETURN(const GgufArray* tokens, f.GetArray("tokenizer.ggml.tokens", GgufValueType::kString));
  v.tokens.assign(tokens->strings.begin(), tokens->strings.end());
  if (f.FindKeyOrNull("tokenizer.ggml.scores")) {
    EDGELM_ASSIGN_OR_RETURN(const GgufArray* a, f.GetArray("tokenizer.ggml.scores", GgufValueType::kF32));
    for (uint64_t i = 0; i < a->count; ++i) v.scores.push_back(static_cast<float>(a->FloatAt(i)));
  }
  if (f.FindKeyOrNull("tokenizer.ggml.token_type")) {
    EDGELM_ASSIGN_OR_RETURN(const GgufArray* a, f.GetArray("tokenizer.ggml.token_type", GgufValueType::kI32));
    for (uint64_t i = 0; i < a->count; ++i) v.token_types.push_back(static_cast<int32_t>(a->IntAt(i)));
  }
  if (f.FindKeyOrNull("tokenizer.ggml.merges")) {
    EDGELM_ASSIGN_OR_RETURN(const GgufArray* a, f.GetArray("tokenizer.ggml.merges", GgufValueType::kString));
    v.merges.assign(a->strings.begin(), a->strings.end());
  }
  struct IdKey {
    const char* key;
    std::optional<int32_t>* out;
  };
  const IdKey ids[] = {{"tokenizer.ggml.bos_token_id", &v.bos_id},     {"tokenizer.ggml.eos_token_id", &v.eos_id},
                       {"tokenizer.ggml.unknown_token_id", &v.unk_id}, {"tokenizer.ggml.padding_token_id", &v.pad_id},
                       {"tokenizer.ggml.eot_token_id", &v.eot_id},     {"tokenizer.ggml.seperator_token_id", &v.sep_id}};
  for (const auto& k : ids) {
    if (!f.FindKeyOrNull(k.key)) continue;
    EDGELM_ASSIGN_OR_RETURN(const uint64_t id, f.GetU64(k.key));
    // Ids at or past the vocabulary (0xFFFFFFFF "none" in llama2.c conversions) mean absent.
    if (id < v.tokens.size()) *k.out = static_cast<int32_t>(id);
  }
  if (f.FindKeyOrNull("tokenizer.ggml.add_bos_token")) {
    EDGELM_ASSIGN_OR_RETURN(const bool b, f.GetBool("tokenizer.ggml.add_bos_token"));
    v.add_bos = b;
  }
  if (f.FindKeyOrNull("tokenizer.ggml.add_eos_token")) {
    EDGELM_ASSIGN_OR_RETURN(const bool b, f.GetBool("tokenizer.ggml.add_eos_token"));
    v.add_eos = b;
  }
  EDGELM_ASSIGN_OR_RETURN(v.chat_template, f.GetStringOr("tokenizer.chat_template", ""));
  return v;
}

}  // namespace edgelm
