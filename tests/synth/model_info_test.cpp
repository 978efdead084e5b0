// DescribeModel on hand-made metadata: file-type names, missing and malformed keys.
#include <gtest/gtest.h>

#include "gguf/gguf_writer.h"
#include "synth/model_info.h"

namespace edgelm {
namespace {

std::unique_ptr<GgufFile> Build(const std::function<void(GgufWriter&)>& fill, std::vector<uint8_t>* buf) {
  GgufWriter w;
  fill(w);
  EXPECT_TRUE(w.BeginInMemory(buf).ok());
  EXPECT_TRUE(w.Finish().ok());
  auto f = GgufFile::Parse(buf->data(), buf->size(), "mem.gguf");
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  return f.ok() ? std::move(f).value() : nullptr;
}

TEST(ModelInfo, LlamaFileTypeNames) {
  EXPECT_EQ(LlamaFileTypeName(0).value_or(""), "F32");
  EXPECT_EQ(LlamaFileTypeName(7).value_or(""), "Q8_0");
  EXPECT_EQ(LlamaFileTypeName(8).value_or(""), "Q5_0");
  EXPECT_EQ(LlamaFileTypeName(12).value_or(""), "Q3_K_M");
  EXPECT_EQ(LlamaFileTypeName(15).value_or(""), "Q4_K_M");
  EXPECT_EQ(LlamaFileTypeName(17).value_or(""), "Q5_K_M");
  EXPECT_EQ(LlamaFileTypeName(32).value_or(""), "BF16");
  EXPECT_FALSE(LlamaFileTypeName(5).has_value());  // Q4_2, removed from llama.cpp
  EXPECT_FALSE(LlamaFileTypeName(1000).has_value());
}

TEST(ModelInfo, MalformedHyperparametersBecomeNotes) {
  std::vector<uint8_t> buf;
  auto f = Build([](GgufWriter& w) {
    w.SetString("general.architecture", "llama");
    w.SetString("llama.block_count", "two");
    w.SetU32("llama.attention.head_count", 4);
    w.SetU32("llama.embedding_length", 64);
    w.SetU32("general.file_type", 99);
    w.SetU32("tokenizer.ggml.bos_token_id", 5);
  }, &buf);
  ASSERT_TRUE(f);
  const GgufSummary m = DescribeModel(*f);
  EXPECT_FALSE(m.kv_cache.has_value());
  ASSERT_FALSE(m.notes.empty());
  EXPECT_NE(m.notes[0].find("llama.block_count"), std::string::npos) << m.notes[0];
  EXPECT_EQ(m.file_type_id.value_or(0), 99u);
  EXPECT_FALSE(m.file_type_name.has_value());
  EXPECT_FALSE(m.bits_per_weight.has_value());
  ASSERT_EQ(m.special_tokens.size(), 1u);
  EXPECT_FALSE(m.special_tokens[0].text.has_value());  // no vocabulary to look it up in
  const auto j = ModelInfoJson(m, false);
  EXPECT_TRUE(j["kv_cache"].is_null());
  EXPECT_EQ(j["file_type"]["id"], 99);
  EXPECT_TRUE(j["file_type"]["name"].is_null());
  EXPECT_EQ(j["hyperparameters"]["llama.block_count"], "two");
  const std::string text = ModelInfoText(m, false);
  EXPECT_NE(text.find("file type:        unknown (99)"), std::string::npos) << text;
  EXPECT_NE(text.find("KV cache:         (not computable"), std::string::npos);
}

TEST(ModelInfo, KeyAndValueLengthsOverrideTheHeadSize) {
  std::vector<uint8_t> buf;
  auto f = Build([](GgufWriter& w) {
    w.SetString("general.architecture", "x");
    w.SetU32("x.block_count", 2);
    w.SetU32("x.attention.head_count", 8);
    w.SetU32("x.attention.head_count_kv", 1);
    w.SetU32("x.embedding_length", 512);
    w.SetU32("x.attention.key_length", 128);
    w.SetU32("x.attention.value_length", 96);
    const float eps = 1e-6f;
    w.SetF32("x.attention.layer_norm_rms_epsilon", eps);
  }, &buf);
  ASSERT_TRUE(f);
  const GgufSummary m = DescribeModel(*f);
  ASSERT_TRUE(m.kv_cache.has_value());
  EXPECT_EQ(m.kv_cache->f16_bytes_per_1024_tokens, 2ull * 1024 * 1 * (128 + 96) * 2);
  EXPECT_EQ(m.kv_cache->f32_bytes_per_1024_tokens, 2ull * 1024 * 1 * (128 + 96) * 4);
  const auto j = ModelInfoJson(m, false);
  EXPECT_EQ(j["hyperparameters"]["x.attention.layer_norm_rms_epsilon"].get<double>(), 1e-6);
  EXPECT_TRUE(j["architecture"] == "x");
}

}  // namespace
}  // namespace edgelm
