// VocabMetadataFromHuggingFace on small tokenizer.json files written by the test: both
// merge forms, added tokens, pre-tokenizer recognition, config fields, and errors.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "edgelm/tokenizer.h"
#include "tokenizer/vocab_metadata.h"

namespace edgelm {
namespace {

constexpr const char* kLlama3Split =
    R"("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+")";

class HfConvert : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("edgelm_hf_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  // A tokenizer.json with the given pre_tokenizer, merges and model fields.
  std::string Tokenizer(const std::string& pre_tokenizer, const std::string& merges,
                        const std::string& extra_root = "", const std::string& model_type = "BPE",
                        const std::string& vocab = R"({"a": 0, "b": 1, "ab": 2, "\u0120": 3})") {
    return Write("tokenizer.json", R"({"version": "1.0", "added_tokens": [
        {"id": 5, "content": "<s>", "special": true},
        {"id": 6, "content": "<tool>", "special": false},
        {"id": 7, "content": "<|fim|>", "special": false}],
      "pre_tokenizer": )" + pre_tokenizer + extra_root +
        R"(, "model": {"type": ")" + model_type + R"(", "vocab": )" + vocab +
        R"(, "merges": )" + merges + "}}");
  }

  std::filesystem::path dir_;
};

std::string SplitPre(const std::string& regex) {
  return R"({"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": )" +
         regex + R"(}, "behavior": "Isolated"}, {"type": "ByteLevel", "use_regex": false}]})";
}

TEST_F(HfConvert, Llama3StyleWithConfig) {
  const std::string tok = Tokenizer(SplitPre(kLlama3Split), R"(["a b"])");
  const std::string config = Write("tokenizer_config.json", R"({
      "bos_token": {"content": "<s>", "lstrip": false}, "eos_token": "<tool>",
      "add_bos_token": true,
      "chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]})");
  auto v = VocabMetadataFromHuggingFace(tok, config);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->model, "gpt2");
  EXPECT_EQ(v->pre, "llama-bpe");
  ASSERT_EQ(v->tokens.size(), 8u);
  EXPECT_EQ(v->tokens[4], "[PAD4]");  // gap between vocab and added tokens
  EXPECT_EQ(v->token_types[4], static_cast<int32_t>(TokenType::kUnused));
  EXPECT_EQ(v->token_types[5], static_cast<int32_t>(TokenType::kControl));
  EXPECT_EQ(v->token_types[6], static_cast<int32_t>(TokenType::kUserDefined));
  EXPECT_EQ(v->token_types[7], static_cast<int32_t>(TokenType::kControl));  // looks special
  EXPECT_EQ(v->merges, std::vector<std::string>{"a b"});
  EXPECT_EQ(v->bos_id, 5);
  EXPECT_EQ(v->eos_id, 6);
  EXPECT_EQ(v->add_bos, true);
  EXPECT_EQ(v->chat_template, "D");

  auto t = Tokenizer::FromVocabMetadata(*v);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  auto ids = (*t)->Encode("ab ab<tool>", true, false);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, (std::vector<int32_t>{5, 2, 3, 2, 6}));
}

TEST_F(HfConvert, ByteLevelGpt2AndTemplateBos) {
  const std::string tok = Tokenizer(
      R"({"type": "ByteLevel", "add_prefix_space": false, "use_regex": true})", R"([["a", "b"]])",
      R"(, "post_processor": {"type": "TemplateProcessing",
           "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A"}}]})");
  auto v = VocabMetadataFromHuggingFace(tok, "");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->pre, "gpt-2");
  EXPECT_EQ(v->merges, std::vector<std::string>{"a b"});
  EXPECT_EQ(v->bos_id, 5);
  EXPECT_EQ(v->add_bos, true);
  EXPECT_TRUE(v->chat_template.empty());
}

TEST_F(HfConvert, DigitsThenByteLevelIsSmollm) {
  const std::string tok = Tokenizer(
      R"({"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": true},
          {"type": "ByteLevel", "use_regex": true}]})", R"(["a b"])");
  auto v = VocabMetadataFromHuggingFace(tok, "");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->pre, "smollm");
}

TEST_F(HfConvert, Errors) {
  // Unknown Split regex: named in the error.
  auto v = VocabMetadataFromHuggingFace(Tokenizer(SplitPre(R"("\\w+")"), R"(["a b"])"), "");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(v.status().message().find("\\w+"), std::string::npos);

  v = VocabMetadataFromHuggingFace(Write("bad.json", "{\"model\": [1, 2"), "");
  EXPECT_EQ(v.status().code(), StatusCode::kCorrupt);

  v = VocabMetadataFromHuggingFace(Tokenizer(SplitPre(kLlama3Split), "[]", "", "Unigram"), "");
  EXPECT_EQ(v.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(v.status().message().find("Unigram"), std::string::npos);

  v = VocabMetadataFromHuggingFace(Tokenizer(SplitPre(kLlama3Split), R"(["a b", 7])"), "");
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("merges[1]"), std::string::npos);

  v = VocabMetadataFromHuggingFace(
      Tokenizer(SplitPre(kLlama3Split), "[]", "", "BPE", R"({"a": 0, "b": 0})"), "");
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("id 0 is used by both"), std::string::npos);

  v = VocabMetadataFromHuggingFace(
      Tokenizer(SplitPre(kLlama3Split), "[]", "", "BPE", R"({"a": 4000000000})"), "");
  EXPECT_EQ(v.status().code(), StatusCode::kCorrupt);

  const std::string tok = Tokenizer(SplitPre(kLlama3Split), R"(["a b"])");
  v = VocabMetadataFromHuggingFace(tok, Write("cfg.json", R"({"eos_token": "<missing>"})"));
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("<missing>"), std::string::npos);

  v = VocabMetadataFromHuggingFace(tok, (dir_ / "no_config.json").string());
  EXPECT_EQ(v.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace edgelm
