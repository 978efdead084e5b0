// VocabMetadataFromGguf / Tokenizer::FromGguf on small GGUF files written in memory:
// what is read, and errors that name the key.
#include <gtest/gtest.h>

#include "edgelm/tokenizer.h"
#include "gguf/gguf_reader.h"
#include "gguf_builder.h"
#include "tokenizer/vocab_metadata.h"

namespace edgelm {
namespace {

using testing::GgufBuilder;

// A minimal valid byte-level vocabulary: 'a', 'b', "ab" and one merge.
GgufBuilder Gpt2Base(const std::string& pre = "gpt-2") {
  GgufBuilder b;
  b.Str("tokenizer.ggml.model", "gpt2")
      .Str("tokenizer.ggml.pre", pre)
      .StrArray("tokenizer.ggml.tokens", {"<eos>", "a", "b", "ab"})
      .I32Array("tokenizer.ggml.token_type", {3, 1, 1, 1})
      .StrArray("tokenizer.ggml.merges", {"a b"});
  return b;
}

struct Parsed {
  std::vector<uint8_t> bytes;  // must outlive the file
  std::unique_ptr<GgufFile> file;
};

Parsed Parse(const GgufBuilder& b) {
  Parsed p{b.Build(), nullptr};
  auto file = GgufFile::Parse(p.bytes.data(), p.bytes.size(), "test.gguf");
  EXPECT_TRUE(file.ok()) << file.status().ToString();
  if (file.ok()) p.file = std::move(file).value();
  return p;
}

TEST(GgufVocab, ReadsKeys) {
  GgufBuilder b = Gpt2Base();
  b.U32("tokenizer.ggml.eos_token_id", 0)
      .U32("tokenizer.ggml.padding_token_id", 0xFFFFFFFFu)  // "none", as in stories260K
      .I32("tokenizer.ggml.bos_token_id", -1)
      .Bool("tokenizer.ggml.add_bos_token", false)
      .Str("tokenizer.chat_template", "{{ messages }}");
  Parsed p = Parse(b);
  ASSERT_NE(p.file, nullptr);
  auto v = VocabMetadataFromGguf(*p.file);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->model, "gpt2");
  EXPECT_EQ(v->pre, "gpt-2");
  EXPECT_EQ(v->tokens.size(), 4u);
  EXPECT_EQ(v->merges, std::vector<std::string>{"a b"});
  EXPECT_EQ(v->eos_id, 0);
  EXPECT_FALSE(v->pad_id.has_value());
  EXPECT_FALSE(v->bos_id.has_value());
  EXPECT_EQ(v->add_bos, false);
  EXPECT_EQ(v->chat_template, "{{ messages }}");

  auto t = Tokenizer::FromGguf(*p.file);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  auto ids = (*t)->Encode("ab", false, false);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, std::vector<int32_t>{3});
  EXPECT_TRUE((*t)->IsEndOfGeneration(0));
}

TEST(GgufVocab, UnknownPreNamesIt) {
  Parsed p = Parse(Gpt2Base("brand-new-pre"));
  ASSERT_NE(p.file, nullptr);
  auto t = Tokenizer::FromGguf(*p.file);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(t.status().message().find("'brand-new-pre'"), std::string::npos);
  EXPECT_NE(t.status().message().find("test.gguf"), std::string::npos);
}

TEST(GgufVocab, MissingPreMeansDefault) {
  GgufBuilder b;
  b.Str("tokenizer.ggml.model", "gpt2")
      .StrArray("tokenizer.ggml.tokens", {"a", "b", "ab"})
      .StrArray("tokenizer.ggml.merges", {"a b"});
  Parsed p = Parse(b);
  ASSERT_NE(p.file, nullptr);
  auto t = Tokenizer::FromGguf(*p.file);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ((*t)->pre_name(), "default");
}

TEST(GgufVocab, Errors) {
  {
    GgufBuilder b;
    b.Str("general.architecture", "llama");
    Parsed p = Parse(b);
    ASSERT_NE(p.file, nullptr);
    auto v = VocabMetadataFromGguf(*p.file);
    ASSERT_FALSE(v.ok());
    EXPECT_NE(v.status().message().find("tokenizer.ggml.model"), std::string::npos);
  }
  {
    GgufBuilder b;
    b.Str("tokenizer.ggml.model", "gpt2").I32Array("tokenizer.ggml.tokens", {1, 2});
    Parsed p = Parse(b);
    ASSERT_NE(p.file, nullptr);
    auto v = VocabMetadataFromGguf(*p.file);
    ASSERT_FALSE(v.ok());
    EXPECT_NE(v.status().message().find("tokenizer.ggml.tokens"), std::string::npos);
  }
  {
    GgufBuilder b;
    b.Str("tokenizer.ggml.model", "llama")
        .StrArray("tokenizer.ggml.tokens", {"a"})
        .StrArray("tokenizer.ggml.token_type", {"normal"});
    Parsed p = Parse(b);
    ASSERT_NE(p.file, nullptr);
    auto v = VocabMetadataFromGguf(*p.file);
    ASSERT_FALSE(v.ok());
    EXPECT_NE(v.status().message().find("token_type"), std::string::npos);
  }
  {
    GgufBuilder b = Gpt2Base();
    b.U32("tokenizer.ggml.bos_token_id", 99999);
    Parsed p = Parse(b);
    ASSERT_NE(p.file, nullptr);
    auto t = Tokenizer::FromGguf(*p.file);
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.status().message().find("bos_token_id = 99999"), std::string::npos);
  }
  {
    GgufBuilder b = Gpt2Base();
    b.Str("tokenizer.ggml.eos_token_id", "2");
    Parsed p = Parse(b);
    ASSERT_NE(p.file, nullptr);
    auto v = VocabMetadataFromGguf(*p.file);
    ASSERT_FALSE(v.ok());
    EXPECT_NE(v.status().message().find("eos_token_id"), std::string::npos);
  }
  {
    GgufBuilder b;
    b.Str("tokenizer.ggml.model", "llama")
        .StrArray("tokenizer.ggml.tokens", {"a", "b"})
        .F32Array("tokenizer.ggml.scores", {0.0f});
    Parsed p = Parse(b);
    ASSERT_NE(p.file, nullptr);
    auto t = Tokenizer::FromGguf(*p.file);
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.status().message().find("scores has 1 entries"), std::string::npos);
  }
  {
    GgufBuilder b;
    b.Str("tokenizer.ggml.model", "t5").StrArray("tokenizer.ggml.tokens", {"a"});
    Parsed p = Parse(b);
    ASSERT_NE(p.file, nullptr);
    auto t = Tokenizer::FromGguf(*p.file);
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.status().code(), StatusCode::kUnsupported);
    EXPECT_NE(t.status().message().find("'t5'"), std::string::npos);
  }
}

TEST(GgufVocab, AddSpacePrefixKey) {
  GgufBuilder b;
  b.Str("tokenizer.ggml.model", "llama")
      .StrArray("tokenizer.ggml.tokens", {"<unk>", "a", "\xE2\x96\x81" "a"})
      .F32Array("tokenizer.ggml.scores", {0, -1, -1})
      .I32Array("tokenizer.ggml.token_type", {2, 1, 1})
      .U32("tokenizer.ggml.unknown_token_id", 0)
      .Bool("tokenizer.ggml.add_space_prefix", false);
  Parsed p = Parse(b);
  ASSERT_NE(p.file, nullptr);
  auto t = Tokenizer::FromGguf(*p.file);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_FALSE((*t)->adds_space_prefix());
  EXPECT_FALSE((*t)->add_bos_default());  // no BOS token
  auto ids = (*t)->Encode("a", false, false);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, std::vector<int32_t>{1});
}

}  // namespace
}  // namespace edgelm
