// Hugging Face tokenizer.json conversion and the golden vectors for the byte-level BPE
// vocabularies that ../shared has only as tokenizer.json (Llama 3 -> llama-bpe,
// Qwen3 -> qwen2). The .out ids were produced without BOS (none of them starts with
// 128000, and Qwen has no BOS).
#include <gtest/gtest.h>

#include <map>

#include "edgelm/tokenizer.h"
#include "test_util.h"
#include "tokenizer/vocab_metadata.h"

namespace edgelm {
namespace {

using testing::ReadVocabCases;
using testing::SharedExists;
using testing::SharedPath;

// Converted once per process: parsing the 9-11 MB JSON files is the slow part.
const VocabMetadata* Converted(const std::string& name) {
  static std::map<std::string, std::unique_ptr<VocabMetadata>> cache;
  auto it = cache.find(name);
  if (it != cache.end()) return it->second.get();
  const std::string dir = "models/hf-tokenizers/" + name + "/";
  auto vocab = VocabMetadataFromHuggingFace(SharedPath(dir + "tokenizer.json"),
                                            SharedPath(dir + "tokenizer_config.json"));
  EXPECT_TRUE(vocab.ok()) << vocab.status().ToString();
  if (!vocab.ok()) return nullptr;
  return (cache[name] = std::make_unique<VocabMetadata>(std::move(vocab).value())).get();
}

const Tokenizer* Built(const std::string& name) {
  static std::map<std::string, std::unique_ptr<Tokenizer>> cache;
  auto it = cache.find(name);
  if (it != cache.end()) return it->second.get();
  const VocabMetadata* vocab = Converted(name);
  if (vocab == nullptr) return nullptr;
  auto tokenizer = Tokenizer::FromVocabMetadata(*vocab);
  EXPECT_TRUE(tokenizer.ok()) << tokenizer.status().ToString();
  if (!tokenizer.ok()) return nullptr;
  return (cache[name] = std::move(tokenizer).value()).get();
}

#define SKIP_WITHOUT(rel)                                                         \
  do {                                                                            \
    if (!SharedExists(rel)) GTEST_SKIP() << "../shared/" << rel << " is absent"; \
  } while (0)

TEST(HfConversion, Llama3Metadata) {
  SKIP_WITHOUT("models/hf-tokenizers/llama3/tokenizer.json");
  const VocabMetadata* v = Converted("llama3");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->model, "gpt2");
  EXPECT_EQ(v->pre, "llama-bpe");
  EXPECT_EQ(v->tokens.size(), 128256u);
  EXPECT_EQ(v->merges.size(), 280147u);
  EXPECT_EQ(v->merges[0], "\xC4\xA0 \xC4\xA0");  // "Ġ Ġ"
  EXPECT_EQ(v->bos_id, 128000);
  EXPECT_EQ(v->eos_id, 128001);
  EXPECT_EQ(v->tokens[128009], "<|eot_id|>");
  EXPECT_EQ(v->token_types[128009], static_cast<int32_t>(TokenType::kControl));
  EXPECT_EQ(v->token_types[1000], static_cast<int32_t>(TokenType::kNormal));
  EXPECT_FALSE(v->add_bos.has_value());  // neither config nor post-processor says
  EXPECT_NE(v->chat_template.find("start_header_id"), std::string::npos);

  const Tokenizer* t = Built("llama3");
  ASSERT_NE(t, nullptr);
  EXPECT_TRUE(t->add_bos_default());  // llama-bpe default, as in llama.cpp
  EXPECT_TRUE(t->IsEndOfGeneration(128001));
  EXPECT_TRUE(t->IsEndOfGeneration(128009));  // <|eot_id|> by its text
  EXPECT_FALSE(t->IsEndOfGeneration(128000));
}

TEST(HfConversion, Qwen3Metadata) {
  SKIP_WITHOUT("models/hf-tokenizers/qwen3/tokenizer.json");
  const VocabMetadata* v = Converted("qwen3");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->pre, "qwen2");
  EXPECT_EQ(v->tokens.size(), 151669u);
  EXPECT_EQ(v->merges[2], "i n");  // array form ["i", "n"]
  EXPECT_FALSE(v->bos_id.has_value());
  EXPECT_EQ(v->eos_id, 151645);  // <|im_end|>
  EXPECT_EQ(v->pad_id, 151643);
  EXPECT_EQ(v->add_bos, false);
  EXPECT_EQ(v->tokens[151667], "<think>");
  EXPECT_EQ(v->token_types[151667], static_cast<int32_t>(TokenType::kUserDefined));
  EXPECT_EQ(v->tokens[151659], "<|fim_prefix|>");
  EXPECT_EQ(v->token_types[151659], static_cast<int32_t>(TokenType::kControl));  // looks special
  EXPECT_NE(v->chat_template.find("im_start"), std::string::npos);

  const Tokenizer* t = Built("qwen3");
  ASSERT_NE(t, nullptr);
  EXPECT_FALSE(t->add_bos_default());
  EXPECT_EQ(t->bos_id(), -1);
  EXPECT_TRUE(t->IsEndOfGeneration(151645));
  EXPECT_TRUE(t->IsEndOfGeneration(151643));  // <|endoftext|>
  auto with_bos = t->Encode("hi", /*add_bos=*/true, false);
  EXPECT_FALSE(with_bos.ok());  // no BOS to add
}

void ExpectVectorsExact(const std::string& tokenizer_name, const std::string& vectors) {
  SKIP_WITHOUT("models/hf-tokenizers/" + tokenizer_name + "/tokenizer.json");
  SKIP_WITHOUT("models/vocab/" + vectors);
  const Tokenizer* t = Built(tokenizer_name);
  ASSERT_NE(t, nullptr);
  const auto cases = ReadVocabCases(SharedPath("models/vocab/" + vectors));
  ASSERT_EQ(cases.size(), 46u);
  int exact = 0;
  for (const auto& c : cases) {
    auto ids = t->Encode(c.text, /*add_bos=*/false, /*parse_special=*/false);
    ASSERT_TRUE(ids.ok()) << ids.status().ToString();
    EXPECT_EQ(*ids, c.ids) << "text '" << c.text << "'\n got:" << testing::IdsToString(*ids)
                           << "\nwant:" << testing::IdsToString(c.ids);
    exact += (*ids == c.ids);
    EXPECT_EQ(t->Decode(*ids), c.text);
  }
  EXPECT_EQ(exact, 46);
}

TEST(HfGolden, LlamaBpeVectorsExact) {
  ExpectVectorsExact("llama3", "ggml-vocab-llama-bpe.gguf.inp");
}

TEST(HfGolden, Qwen2VectorsExact) {
  ExpectVectorsExact("qwen3", "ggml-vocab-qwen2.gguf.inp");
}

TEST(HfGolden, QwenSpecialTokens) {
  SKIP_WITHOUT("models/hf-tokenizers/qwen3/tokenizer.json");
  const Tokenizer* t = Built("qwen3");
  ASSERT_NE(t, nullptr);
  const std::string chat = "<|im_start|>user\nHi<|im_end|>";
  auto parsed = t->Encode(chat, false, /*parse_special=*/true);
  ASSERT_TRUE(parsed.ok());
  ASSERT_GE(parsed->size(), 3u);
  EXPECT_EQ(parsed->front(), 151644);
  EXPECT_EQ(parsed->back(), 151645);
  EXPECT_EQ(t->Decode(*parsed, /*render_special=*/true), chat);
  EXPECT_EQ(t->Decode(*parsed, /*render_special=*/false), "user\nHi");

  auto literal = t->Encode(chat, false, /*parse_special=*/false);
  ASSERT_TRUE(literal.ok());
  for (int32_t id : *literal) EXPECT_NE(t->token_type(id), TokenType::kControl);
  EXPECT_EQ(t->Decode(*literal), chat);

  // User-defined tokens are recognised even without parse_special, as in llama.cpp.
  auto think = t->Encode("<think>x</think>", false, false);
  ASSERT_TRUE(think.ok());
  EXPECT_EQ(think->front(), 151667);
  EXPECT_EQ(think->back(), 151668);
  EXPECT_EQ(t->Decode(*think), "<think>x</think>");
}

TEST(HfGolden, Llama3SpecialTokensAndBos) {
  SKIP_WITHOUT("models/hf-tokenizers/llama3/tokenizer.json");
  const Tokenizer* t = Built("llama3");
  ASSERT_NE(t, nullptr);
  auto ids = t->Encode("<|start_header_id|>user<|end_header_id|>", /*add_bos=*/true, true);
  ASSERT_TRUE(ids.ok());
  ASSERT_EQ(ids->size(), 4u);
  EXPECT_EQ((*ids)[0], 128000);
  EXPECT_EQ((*ids)[1], 128006);
  EXPECT_EQ((*ids)[3], 128007);
  EXPECT_EQ(t->TokenToPiece(128006, true), "<|start_header_id|>");
  EXPECT_EQ(t->TokenToPiece(128006, false), "");
}

TEST(HfConversion, Errors) {
  auto missing = VocabMetadataFromHuggingFace("/nonexistent/tokenizer.json", "");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("/nonexistent/tokenizer.json"), std::string::npos);
}

}  // namespace
}  // namespace edgelm
