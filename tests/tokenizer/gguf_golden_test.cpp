// Tokenizers loaded from GGUF files in ../shared, checked against the token ids the
// reference implementations produced: llama.cpp's vocab test vectors (llama-spm, phi-3,
// gpt-2) and the fixture models' tokenizer (README example, WikiText-2 prefix).
#include <gtest/gtest.h>

#include "edgelm/tokenizer.h"
#include "fixture_vocab.h"
#include "gguf/gguf_reader.h"
#include "test_util.h"
#include "tokenizer/vocab_metadata.h"

namespace edgelm {
namespace {

using testing::ReadVocabCases;
using testing::SharedExists;
using testing::SharedPath;

#define SKIP_WITHOUT(rel)                                                         \
  do {                                                                            \
    if (!SharedExists(rel)) GTEST_SKIP() << "../shared/" << rel << " is absent"; \
  } while (0)

std::unique_ptr<Tokenizer> Load(const std::string& rel) {
  auto file = GgufFile::Open(SharedPath(rel));
  EXPECT_TRUE(file.ok()) << file.status().ToString();
  if (!file.ok()) return nullptr;
  auto tokenizer = Tokenizer::FromGguf(**file);
  EXPECT_TRUE(tokenizer.ok()) << tokenizer.status().ToString();
  return tokenizer.ok() ? std::move(tokenizer).value() : nullptr;
}

// Every .inp string must give exactly the .out ids (no BOS: the vectors were made with
// add_special_tokens=False) and decode back to itself.
void ExpectVectorsExact(const std::string& name) {
  const std::string gguf = "models/vocab/ggml-vocab-" + name + ".gguf";
  SKIP_WITHOUT(gguf);
  auto t = Load(gguf);
  ASSERT_NE(t, nullptr);
  const auto cases = ReadVocabCases(SharedPath(gguf + ".inp"));
  ASSERT_EQ(cases.size(), 46u);
  int exact = 0;
  for (const auto& c : cases) {
    auto ids = t->Encode(c.text, /*add_bos=*/false, /*parse_special=*/false);
    ASSERT_TRUE(ids.ok()) << ids.status().ToString();
    EXPECT_EQ(*ids, c.ids) << "text '" << c.text << "'\n got:" << testing::IdsToString(*ids)
                           << "\nwant:" << testing::IdsToString(c.ids);
    exact += (*ids == c.ids);
    EXPECT_EQ(t->Decode(*ids), c.text);
    // Streaming gives the same text (all these strings are valid UTF-8).
    StreamDetokenizer stream(*t);
    std::string streamed;
    for (int32_t id : *ids) streamed += stream.Push(id);
    EXPECT_EQ(streamed + stream.Flush(), c.text);
  }
  EXPECT_EQ(exact, 46);
}

TEST(GgufGolden, LlamaSpmVectorsExact) { ExpectVectorsExact("llama-spm"); }
TEST(GgufGolden, Phi3VectorsExact) { ExpectVectorsExact("phi-3"); }
TEST(GgufGolden, Gpt2VectorsExact) { ExpectVectorsExact("gpt-2"); }

TEST(GgufGolden, LlamaSpmMetadata) {
  SKIP_WITHOUT("models/vocab/ggml-vocab-llama-spm.gguf");
  auto t = Load("models/vocab/ggml-vocab-llama-spm.gguf");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->model_name(), "llama");
  EXPECT_EQ(t->n_vocab(), 32000);
  EXPECT_EQ(t->bos_id(), 1);
  EXPECT_EQ(t->eos_id(), 2);
  EXPECT_TRUE(t->add_bos_default());
  EXPECT_TRUE(t->adds_space_prefix());
  EXPECT_EQ(t->token_type(3), TokenType::kByte);
  EXPECT_EQ(t->TokenToPiece(3 + 0x41), "A");  // <0x41>
  auto ids = t->Encode("Hello world", /*add_bos=*/true, false);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(ids->front(), 1);
  EXPECT_EQ(t->Decode(*ids), "Hello world");
}

TEST(GgufGolden, Gpt2Metadata) {
  SKIP_WITHOUT("models/vocab/ggml-vocab-gpt-2.gguf");
  auto t = Load("models/vocab/ggml-vocab-gpt-2.gguf");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->model_name(), "gpt2");
  EXPECT_EQ(t->pre_name(), "gpt-2");
  EXPECT_FALSE(t->add_bos_default());
  EXPECT_TRUE(t->IsEndOfGeneration(50256));  // <|endoftext|>
  auto ids = t->Encode("<|endoftext|>", false, /*parse_special=*/true);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, std::vector<int32_t>{50256});
}

TEST(GgufGolden, FixtureTokenizerMatchesReadme) {
  const std::string rel = "fixtures/reference/ref-llama-mha/ref-llama-mha-F32.gguf";
  SKIP_WITHOUT(rel);
  auto file = GgufFile::Open(SharedPath(rel));
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  auto vocab = VocabMetadataFromGguf(**file);
  ASSERT_TRUE(vocab.ok()) << vocab.status().ToString();
  // The README's description, rebuilt in code, is exactly what the file holds.
  const VocabMetadata expected = testing::FixtureVocab();
  EXPECT_EQ(vocab->model, expected.model);
  EXPECT_EQ(vocab->pre, expected.pre);
  EXPECT_EQ(vocab->tokens, expected.tokens);
  EXPECT_EQ(vocab->token_types, expected.token_types);
  EXPECT_EQ(vocab->merges, expected.merges);
  EXPECT_EQ(vocab->bos_id, 1);
  EXPECT_EQ(vocab->eos_id, 2);
  EXPECT_EQ(vocab->unk_id, 0);
  EXPECT_EQ(vocab->add_bos, true);

  auto t = Tokenizer::FromGguf(**file);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  auto ids = (*t)->Encode(" the quick brown fox", /*add_bos=*/false, false);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, (std::vector<int32_t>{278, 471, 275, 813, 347, 260, 117, 671, 113, 264, 672}));
}

// The first 10240 ids llama-perplexity fed the fixture models: the file tokenized with
// BOS. A prefix of the text cut at a line end gives the same leading ids.
TEST(GgufGolden, FixtureWikiTextPrefix) {
  const std::string rel = "fixtures/reference/ref-llama-mha/ref-llama-mha-F32.gguf";
  SKIP_WITHOUT(rel);
  SKIP_WITHOUT("data/wikitext-2-raw/wiki.test.raw");
  SKIP_WITHOUT("fixtures/reference/wikitext2-test.tokens-first10240.txt");
  auto t = Load(rel);
  ASSERT_NE(t, nullptr);
  std::string text = testing::ReadFileOrEmpty(SharedPath("data/wikitext-2-raw/wiki.test.raw"));
  ASSERT_GT(text.size(), 100000u);
  text.resize(text.find('\n', 60000) + 1);
  std::istringstream want_stream(testing::ReadFileOrEmpty(
      SharedPath("fixtures/reference/wikitext2-test.tokens-first10240.txt")));
  std::vector<int32_t> want;
  int32_t id;
  while (want_stream >> id) want.push_back(id);
  ASSERT_EQ(want.size(), 10240u);
  auto ids = t->Encode(text, /*add_bos=*/true, false);
  ASSERT_TRUE(ids.ok());
  ASSERT_GT(ids->size(), want.size());
  size_t first_diff = 0;
  while (first_diff < want.size() && (*ids)[first_diff] == want[first_diff]) ++first_diff;
  EXPECT_EQ(first_diff, want.size()) << "first difference at token " << first_diff;
}

// The whole file, as llama-perplexity tokenized it: BOS + the text, 830,638 ids in all.
TEST(GgufGolden, FixtureWikiTextWholeFileCount) {
  const std::string model = "fixtures/reference/ref-llama-gqa-tied/ref-llama-gqa-tied-F32.gguf";
  const std::string data = "data/wikitext-2-raw/wiki.test.raw";
  for (const std::string& rel : {model, data}) {
    if (!testing::SharedExists(rel)) GTEST_SKIP() << "../shared/" << rel << " is absent";
  }
  auto file = GgufFile::Open(testing::SharedPath(model));
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  auto t = Tokenizer::FromGguf(**file);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  const std::string text = testing::ReadFileOrEmpty(testing::SharedPath(data));
  auto ids = (*t)->Encode(text, /*add_bos=*/true, false);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(ids->size(), 830638u);
  EXPECT_EQ((*t)->Decode(*ids), text);
}

TEST(GgufGolden, Stories260KRoundTrip) {
  const std::string rel = "models/stories260K/stories260K-f32.gguf";
  SKIP_WITHOUT(rel);
  auto t = Load(rel);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->n_vocab(), 512);
  EXPECT_EQ(t->model_name(), "llama");
  const std::string text =
      testing::ReadFileOrEmpty(SharedPath("models/stories260K/expected-greedy-200.txt"));
  ASSERT_FALSE(text.empty());
  auto ids = t->Encode(text, /*add_bos=*/true, false);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(ids->front(), 1);
  EXPECT_EQ(t->Decode(*ids), text);  // BOS, then the leading space of "▁Once" is dropped
}

}  // namespace
}  // namespace edgelm
