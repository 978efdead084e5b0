// The model quantizer: target names, the per-tensor plan, and end-to-end files whose
// tensors must equal llama-quantize's byte for byte (the shared fixtures were made by it).
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "edgelm/engine.h"
#include "gguf/gguf_reader.h"
#include "model/quantize_model.h"

namespace edgelm {
namespace {

namespace fs = std::filesystem;
const std::string kShared = EDGELM_SHARED_DIR;
const std::string kRefDir = kShared + "/fixtures/reference";
const std::string kStories = kShared + "/models/stories260K";

std::string TempPath(const std::string& tag) {
  return (fs::temp_directory_path() / ("edgelm_quantize_test_" + std::to_string(getpid()) + "_" + tag + ".gguf")).string();
}

// Every tensor of `got` has the type and bytes of the same-named tensor in `want`.
void ExpectSameTensors(const std::string& got_path, const std::string& want_path) {
  auto got = GgufFile::Open(got_path);
  auto want = GgufFile::Open(want_path);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_TRUE(want.ok()) << want.status().ToString();
  ASSERT_EQ((*got)->tensors().size(), (*want)->tensors().size());
  for (const GgufTensorInfo& t : (*got)->tensors()) {
    const GgufTensorInfo* w = (*want)->FindTensorOrNull(t.name);
    ASSERT_NE(w, nullptr) << t.name;
    EXPECT_EQ(GgmlTypeName(t.type), GgmlTypeName(w->type)) << t.name;
    ASSERT_EQ(t.n_bytes, w->n_bytes) << t.name;
    EXPECT_EQ(std::memcmp(t.data, w->data, t.n_bytes), 0) << t.name << " differs";
  }
  EXPECT_EQ((*got)->GetU32("general.file_type").value_or(999), (*want)->GetU32("general.file_type").value_or(998));
}

TEST(QuantizeTarget, ParsesNamesAndMixes) {
  EXPECT_EQ(ParseQuantizeTarget("q4_k_m")->name, "Q4_K_M");
  EXPECT_EQ(ParseQuantizeTarget("Q4_K_M")->base, GgmlType::kQ4_K);
  EXPECT_EQ(ParseQuantizeTarget("Q4_K_M")->file_type, 15u);
  EXPECT_EQ(ParseQuantizeTarget("q5_k")->name, "Q5_K_S");
  EXPECT_EQ(ParseQuantizeTarget("Q8_0")->file_type, 7u);
  EXPECT_EQ(ParseQuantizeTarget("bf16")->base, GgmlType::kBF16);
  auto bad = ParseQuantizeTarget("Q3_XL");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("Q4_K_M"), std::string::npos);
}

class QuantizeFixtures : public ::testing::TestWithParam<std::pair<std::string, std::string>> {
 protected:
  void SetUp() override {
    if (!fs::is_directory(kRefDir)) GTEST_SKIP() << "reference fixtures absent: " << kRefDir;
  }
};

TEST_P(QuantizeFixtures, MatchesLlamaQuantizeBytes) {
  const auto& [stem, type] = GetParam();
  const std::string out = TempPath(stem + type);
  auto target = ParseQuantizeTarget(type);
  ASSERT_TRUE(target.ok());
  size_t calls = 0;
  auto stats = QuantizeModelFile(kRefDir + "/" + stem + "/" + stem + "-F32.gguf", out, *target, 2,
                                 [&](size_t done, size_t total, const TensorPlan&) {
                                   ++calls;
                                   EXPECT_LE(done, total);
                                 });
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->file_bytes, fs::file_size(out));
  EXPECT_LT(stats->output_bytes, stats->input_bytes);
  EXPECT_GT(calls, 0u);
  ExpectSameTensors(out, kRefDir + "/" + stem + "/" + stem + "-" + type + ".gguf");
  // And the engine runs it.
  LoadOptions lo;
  lo.path = out;
  auto model = Model::Load(lo);
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  fs::remove(out);
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, QuantizeFixtures,
    ::testing::Values(std::make_pair("ref-llama-gqa-tied", "Q8_0"), std::make_pair("ref-llama-gqa-tied", "Q4_0"),
                      std::make_pair("ref-llama-gqa-tied", "Q4_K_S"), std::make_pair("ref-llama-gqa-tied", "Q5_K_S"),
                      std::make_pair("ref-llama-gqa-tied", "Q6_K"), std::make_pair("ref-llama-mha", "Q4_0"),
                      std::make_pair("ref-qwen2", "Q4_K_S"), std::make_pair("ref-llama-mha", "F16")));

TEST(QuantizeStories, MixesAndFallbacksMatchLlamaQuantize) {
  if (!fs::is_directory(kStories)) GTEST_SKIP() << "stories260K absent: " << kStories;
  // 64-wide rows are no multiple of 256 (Q4_K -> Q5_0, Q6_K -> Q8_0) and ffn_down's 172
  // is no multiple of 32 (-> F16).
  for (const char* type : {"q4_k_m", "q4_0"}) {
    SCOPED_TRACE(type);
    const std::string out = TempPath(type);
    auto stats = QuantizeModelFile(kStories + "/stories260K-f32.gguf", out, *ParseQuantizeTarget(type), 1);
    ASSERT_TRUE(stats.ok()) << stats.status().ToString();
    ExpectSameTensors(out, kStories + "/stories260K-" + std::string(type) + ".gguf");
    fs::remove(out);
  }
  auto in = GgufFile::Open(kStories + "/stories260K-f32.gguf");
  ASSERT_TRUE(in.ok());
  auto plan = PlanQuantization(**in, *ParseQuantizeTarget("Q5_K_M"));
  ASSERT_TRUE(plan.ok());
  for (const TensorPlan& p : *plan) {
    if (p.name.find("norm") != std::string::npos) EXPECT_EQ(p.to, GgmlType::kF32) << p.name;
    if (p.name.find("ffn_down") != std::string::npos) EXPECT_EQ(p.to, GgmlType::kF16) << p.name;
    if (p.name == "blk.1.attn_q.weight") EXPECT_EQ(p.to, GgmlType::kQ5_1) << p.name;
    // 5 layers: layers 2 and 4 are the sensitive ones (Q6_K wanted, 64-wide rows -> Q8_0).
    if (p.name == "blk.4.attn_v.weight" || p.name == "blk.2.attn_v.weight") EXPECT_EQ(p.to, GgmlType::kQ8_0) << p.reason;
    if (p.name == "blk.0.attn_v.weight") EXPECT_EQ(p.to, GgmlType::kQ5_1) << p.reason;
  }
}

TEST(QuantizePlan, MediumMixGivesSensitiveLayersMoreBits) {
  if (!fs::is_directory(kRefDir)) GTEST_SKIP() << "reference fixtures absent";
  auto in = GgufFile::Open(kRefDir + "/ref-llama-gqa-tied/ref-llama-gqa-tied-F16.gguf");
  ASSERT_TRUE(in.ok());
  auto plan = PlanQuantization(**in, *ParseQuantizeTarget("Q4_K_M"));
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  for (const TensorPlan& p : *plan) {
    // 3 layers: n/8 = 0 and 7n/8 = 2, so only layer 2 is "sensitive" and gets Q6_K.
    if (p.name == "token_embd.weight") EXPECT_EQ(p.to, GgmlType::kQ6_K);  // tied output head
    if (p.name == "blk.2.attn_v.weight" || p.name == "blk.2.ffn_down.weight") EXPECT_EQ(p.to, GgmlType::kQ6_K);
    if (p.name == "blk.1.attn_v.weight" || p.name == "blk.1.ffn_down.weight") EXPECT_EQ(p.to, GgmlType::kQ4_K);
    if (p.name == "blk.0.attn_q.weight") EXPECT_EQ(p.to, GgmlType::kQ4_K);
    if (p.name == "rope_freqs.weight") EXPECT_EQ(p.to, GgmlType::kF32);
  }
}

TEST(QuantizePlan, RefusesToRequantize) {
  if (!fs::is_directory(kRefDir)) GTEST_SKIP() << "reference fixtures absent";
  auto in = GgufFile::Open(kRefDir + "/ref-qwen2/ref-qwen2-Q4_0.gguf");
  ASSERT_TRUE(in.ok());
  auto plan = PlanQuantization(**in, *ParseQuantizeTarget("Q8_0"));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(plan.status().message().find("already quantized"), std::string::npos) << plan.status().message();
}

}  // namespace
}  // namespace edgelm
