#include <gtest/gtest.h>

#include <filesystem>

#include "analysis/fit.h"

namespace edgelm::analysis {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
const char* kDir = EDGELM_SOURCE_DIR "/data/devices";

// Llama-3-8B's published shape (hidden 4096, 32 layers, 32 heads, 8 KV heads, FFN 14336,
// vocabulary 128256, untied), so the estimates can be checked against known file sizes.
ModelShape Llama8B() {
  ModelShape m;
  m.shape.arch = "llama";
  m.shape.name = "llama-8b-shape";
  m.shape.n_embd = 4096;
  m.shape.n_layer = 32;
  m.shape.n_head = 32;
  m.shape.n_head_kv = 8;
  m.shape.n_ff = 14336;
  m.shape.n_vocab = 128256;
  m.shape.n_ctx = 131072;
  m.head_dim = 128;
  m.source = "test";
  return m;
}

DeviceSpec Synthetic(double usable_bytes, double bandwidth) {
  DeviceSpec d;
  d.profile.id = "synthetic";
  d.profile.name = "synthetic";
  d.usable_memory_bytes = Figure{usable_bytes, Provenance::kAssumed, "test", ""};
  d.memory_bandwidth_bytes_per_s = Figure{bandwidth, Provenance::kPublished, "test peak", ""};
  return d;
}

TEST(FitWeightsTest, Qwen05bF16AndQ8_0ByHand) {
  auto m = ShapeFromPreset("qwen2.5-0.5b");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->head_dim, 64u);
  // F16: tied token_embd 896 x 151936 x 2 B = 272,269,312.
  // Per layer: matrices (896x896 x2 + 896x128 x2 + 896x4864 x3) = 14,909,440 x 2 B = 29,818,880
  //            + F32 norms/biases (896 + 896 + 896 + 128 + 128) x 4 B = 11,776 -> 29,830,656; x 24.
  // output_norm 896 x 4 = 3,584. Total 272,269,312 + 715,935,744 + 3,584 = 988,208,640.
  auto f16 = EstimateWeights(*m, "F16");
  ASSERT_TRUE(f16.ok());
  EXPECT_EQ(f16->weights_bytes, 988208640u);
  EXPECT_EQ(f16->token_embd_bytes, 272269312u);
  // Q8_0: rows of 896 -> 28 blocks x 34 B = 952 B; rows of 4864 -> 152 x 34 = 5,168 B.
  // token_embd (tied, the output type stays Q8_0): 151936 x 952 = 144,643,072.
  // Per layer: (896 + 896 + 128 + 128 + 4864 + 4864) rows x 952 + 896 rows x 5,168 + 11,776 = 15,853,056; x 24.
  // Total 144,643,072 + 380,473,344 + 3,584 = 525,120,000.
  auto q8 = EstimateWeights(*m, "Q8_0");
  ASSERT_TRUE(q8.ok());
  EXPECT_EQ(q8->weights_bytes, 525120000u);
  EXPECT_FALSE(EstimateWeights(*m, "Q3_K_S").ok());
}

TEST(FitWeightsTest, Llama8BMatchesKnownFileSizes) {
  const ModelShape m = Llama8B();
  // F16: 2 x 128256 x 4096 x 2 B (embedding + output) + 32 x (218,103,808 x 2 + 32,768) + 16,384
  //      = 16,061,054,976 bytes (Llama 3 8B F16 GGUFs are 16.06 GB).
  EXPECT_EQ(EstimateWeights(m, "F16")->weights_bytes, 16061054976u);
  // Q4_0: token_embd 128256 rows x 2,304 B = 295,501,824; output Q6_K 128256 x 3,360 = 430,940,160;
  //       per layer (4096+4096+1024+1024+14336+14336) rows x 2,304 + 4096 rows x 8,064 + 32,768
  //       = 122,716,160; x 32 = 3,926,917,120; + 16,384 -> 4,653,375,488 (about 4.66 GB published).
  auto q4 = EstimateWeights(m, "Q4_0");
  EXPECT_EQ(q4->weights_bytes, 4653375488u);
  EXPECT_EQ(q4->token_embd_bytes, 295501824u);
  // The K mixes are larger than their base type: Q4_K_M above 4.5 bits, Q5_K_M above 5.5.
  EXPECT_GT(EstimateWeights(m, "Q4_K_M")->bits_per_weight, 4.5);
  EXPECT_LT(EstimateWeights(m, "Q4_K_M")->bits_per_weight, 5.0);
  EXPECT_GT(EstimateWeights(m, "Q5_K_M")->bits_per_weight, 5.5);
  EXPECT_LT(EstimateWeights(m, "Q5_K_M")->bits_per_weight, EstimateWeights(m, "Q6_K")->bits_per_weight);
}

TEST(FitMemoryTest, KvAndScratchByHand) {
  const ModelShape m = Llama8B();
  // KV f16 at 4096: 2 x 32 layers x 4096 x 8 heads x 128 x 2 B = 536,870,912 (512 MiB).
  EXPECT_EQ(KvCacheBytes(m, 4096, KvCacheType::kF16), 536870912u);
  EXPECT_EQ(KvCacheBytes(m, 4096, KvCacheType::kF32), 2 * 536870912u);
  // Scratch floats at 4096, 4 threads, n_batch 512:
  //   512 x (3x4096 + 2x4096 + 2x1024 + 2x14336) = 26,214,400; RoPE 512 x 128 = 65,536;
  //   logits 128,256; MatMul 512 x 14,336 = 7,340,032; threads 4 x (128 + 2 x 4096) = 33,280
  //   -> 33,781,504 floats x 4 B = 135,126,016.
  EXPECT_EQ(ScratchBytes(m, 4096, 4), 135126016u);
}

TEST(FitTest, EveryProfileAgainstHandComputedMemory) {
  // Llama-8B shape in Q4_0 at 4096 tokens, f16 KV:
  //   4,653,375,488 weights + 536,870,912 KV + 135,126,016 scratch + 67,108,864 overhead
  //   = 5,392,481,280 bytes (5.02 GiB).
  const uint64_t total = 5392481280u;
  struct Expect { const char* id; double usable_gib; bool fits; uint32_t max_ctx; };
  // max_ctx: total(n) = 4,855,479,296 + 131,104 n for n >= 512 (KV 131,072 B and scratch
  // 32 B per token), so n = floor((usable - 4,855,479,296) / 131,104); 0 when negative.
  const Expect expect[] = {
      {"raspberry-pi-4-4gb", 3.4, false, 0},        {"raspberry-pi-4-8gb", 7.4, true, 23570},
      {"raspberry-pi-5-4gb", 3.4, false, 0},        {"raspberry-pi-5-8gb", 7.4, true, 23570},
      {"raspberry-pi-5-16gb", 15.4, true, 89090},   {"jetson-orin-nano-8gb", 6.3, true, 14561},
      {"jetson-orin-nx-16gb", 14.0, true, 77624},   {"orange-pi-5-8gb", 7.3, true, 22751},
      {"laptop-x86", 12.0, true, 61244},
  };
  ModelShape m = Llama8B();
  FitOptions o;
  o.n_ctx = 4096;
  o.weight_type = "Q4_0";
  for (const Expect& e : expect) {
    auto d = FindDeviceSpec(e.id, kDir, telemetry::SysfsRoot("/"));
    ASSERT_TRUE(d.ok()) << e.id << ": " << d.status().ToString();
    auto r = Fit(m, *d, o);
    ASSERT_TRUE(r.ok()) << e.id << ": " << r.status().ToString();
    EXPECT_EQ(r->memory.total_bytes(), total) << e.id;
    const auto usable = static_cast<uint64_t>(e.usable_gib * kGiB);
    EXPECT_EQ(static_cast<uint64_t>(r->usable_memory_bytes->value), usable) << e.id;
    EXPECT_EQ(r->fits, std::optional<bool>(e.fits)) << e.id;
    EXPECT_EQ(*r->headroom_bytes, static_cast<int64_t>(usable) - static_cast<int64_t>(total)) << e.id;
    EXPECT_EQ(r->max_ctx, std::optional<uint32_t>(e.max_ctx)) << e.id;
    EXPECT_FALSE(r->max_ctx_capped_by_training) << e.id;
    // Roofline: untied, so bytes per token = weights - token_embd + one embedding row.
    const double bytes0 = 4653375488.0 - 295501824.0 + 2304.0;
    EXPECT_EQ(r->decode_bytes_per_token_start, static_cast<uint64_t>(bytes0)) << e.id;
    ASSERT_TRUE(r->predicted_decode_tokens_per_s_start.has_value()) << e.id;
    EXPECT_NEAR(*r->predicted_decode_tokens_per_s_start, d->memory_bandwidth_bytes_per_s->value / bytes0, 1e-9) << e.id;
    EXPECT_EQ(r->types.size(), FitWeightTypes().size());
  }
}

TEST(FitTest, LargestContextArithmetic) {
  auto m = ShapeFromPreset("qwen2.5-0.5b");
  ASSERT_TRUE(m.ok());
  // F16, f16 KV, 4 threads, n >= 512: total(n) = 988,208,640 weights + 67,108,864 overhead
  //   + 40,323,584 fixed scratch + (12,288 KV + 32 scratch) n = 1,095,641,088 + 12,320 n.
  const uint64_t at_10000 = 1095641088u + 12320u * 10000u;
  EXPECT_EQ(LargestContext(*m, 988208640u, KvCacheType::kF16, 4, at_10000, 32768), 10000u);
  EXPECT_EQ(LargestContext(*m, 988208640u, KvCacheType::kF16, 4, at_10000 - 1, 32768), 9999u);
  EXPECT_EQ(LargestContext(*m, 988208640u, KvCacheType::kF16, 4, at_10000, 5000), 5000u);  // limit
  EXPECT_EQ(LargestContext(*m, 988208640u, KvCacheType::kF16, 4, 1000, 32768), 0u);       // nothing fits

  FitOptions o;
  o.n_ctx = 4096;
  o.weight_type = "F16";
  auto r = Fit(*m, Synthetic(static_cast<double>(at_10000), 17.07e9), o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->memory.total_bytes(), 1095641088u + 12320u * 4096u);  // 1,146,103,808
  EXPECT_EQ(r->max_ctx, std::optional<uint32_t>(10000));
  // Tied: the whole embedding is read as the output head: 988,208,640 B per token at
  // position 0 -> 17.07e9 / 988,208,640 = 17.27 tokens/s; plus 50,331,648 B of KV at 4096.
  EXPECT_NEAR(*r->predicted_decode_tokens_per_s_start, 17.07e9 / 988208640.0, 1e-9);
  EXPECT_NEAR(*r->predicted_decode_tokens_per_s_full, 17.07e9 / (988208640.0 + 50331648.0), 1e-9);
  // Plenty of memory: capped by the training context (32768).
  auto big = Fit(*m, Synthetic(64 * kGiB, 17.07e9), o);
  EXPECT_EQ(big->max_ctx, std::optional<uint32_t>(32768));
  EXPECT_TRUE(big->max_ctx_capped_by_training);
}

TEST(FitTest, UnknownMemoryAndBadOptions) {
  auto m = ShapeFromPreset("stories15m");
  ASSERT_TRUE(m.ok());
  DeviceSpec blank;
  blank.profile.id = "blank";
  auto r = Fit(*m, blank, FitOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->fits.has_value());
  EXPECT_FALSE(r->max_ctx.has_value());
  EXPECT_FALSE(r->predicted_decode_tokens_per_s_start.has_value());
  EXPECT_FALSE(r->predicted_prefill_tokens_per_s.has_value());
  FitOptions zero;
  zero.n_ctx = 0;
  EXPECT_EQ(Fit(*m, blank, zero).status().code(), StatusCode::kInvalidArgument);
  FitOptions bad_type;
  bad_type.weight_type = "Q9_9";
  auto bt = Fit(*m, blank, bad_type);
  ASSERT_FALSE(bt.ok());
  EXPECT_NE(bt.status().message().find("Q4_K_M"), std::string::npos);
  auto preset = ShapeFromPreset("gpt-17");
  ASSERT_FALSE(preset.ok());
  EXPECT_NE(preset.status().message().find("qwen2.5-0.5b"), std::string::npos);
}

TEST(FitTest, PrefillPredictionFromComputeFigure) {
  auto m = ShapeFromPreset("qwen2.5-0.5b");
  DeviceSpec d = Synthetic(8 * kGiB, 17.07e9);
  d.compute_flops_per_s = Figure{153.6e9, Provenance::kAssumed, "test", ""};
  FitOptions o;
  o.prefill_tokens = 512;
  auto r = Fit(*m, d, o);
  ASSERT_TRUE(r.ok());
  // 2 x 24 x 14,909,440 layer weights + 4 x 24 x 14 x 64 x 511/2 attention
  // + 2 x 151,936 x 896 / 512 output head = 715,653,120 + 21,977,088 + 531,776 = 738,161,984.
  EXPECT_NEAR(r->prefill_flops_per_token, 738161984.0, 1.0);
  EXPECT_NEAR(*r->predicted_prefill_tokens_per_s, 153.6e9 / 738161984.0, 1e-6);
}

TEST(FitTest, FileShapeMatchesEstimateForUniformTypes) {
  // A tiny synthesized model: the estimate must equal the file's tensor bytes exactly for
  // the types synth writes uniformly (F16, Q8_0).
  SynthShape s;
  s.name = "tiny";
  s.n_embd = 64;
  s.n_layer = 2;
  s.n_head = 4;
  s.n_head_kv = 2;
  s.n_ff = 128;
  s.n_vocab = 320;
  s.n_ctx = 256;
  for (GgmlType type : {GgmlType::kF16, GgmlType::kQ8_0}) {
    SynthOptions so;
    so.shape = s;
    so.type = type;
    const std::string path = testing::TempDir() + "/analysis_tiny_" + GgmlTypeName(type) + ".gguf";
    auto written = SynthesizeModel(so, path);
    ASSERT_TRUE(written.ok()) << written.status().ToString();
    auto file = GgufFile::Open(path);
    ASSERT_TRUE(file.ok());
    auto shape = ShapeFromGguf(**file);
    ASSERT_TRUE(shape.ok()) << shape.status().ToString();
    EXPECT_EQ(shape->shape.n_layer, 2u);
    EXPECT_EQ(shape->shape.n_vocab, 320u);
    EXPECT_EQ(shape->head_dim, 16u);
    EXPECT_FALSE(shape->shape.tied);
    ASSERT_TRUE(shape->file_weights_bytes.has_value());
    const std::string name = GgmlTypeName(type);
    EXPECT_EQ(*shape->file_weights_bytes, EstimateWeights(*shape, name)->weights_bytes) << name;
    EXPECT_EQ(shape->file_type, std::optional<std::string>(name == "F16" ? "F16" : "Q8_0"));
    FitOptions o;
    o.n_ctx = 256;
    auto r = Fit(*shape, Synthetic(kGiB, 1e10), o);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->weights_from_file);
    EXPECT_EQ(r->memory.weights_bytes, *shape->file_weights_bytes);
    std::filesystem::remove(path);
  }
}

TEST(FitTest, EstimateEqualsLlamaCppFilesOfUniformTypes) {
  // Reference files written by llama.cpp (../shared): for the types without a mix the
  // estimate must equal the file's tensor bytes exactly.
  const std::string dir = std::string(EDGELM_SHARED_DIR) + "/fixtures/reference";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "no " << dir << " (../shared absent)";
  int checked = 0;
  for (const char* model : {"ref-llama-gqa-tied", "ref-llama-mha"}) {
    for (const char* type : {"F16", "Q8_0", "Q6_K", "Q4_0"}) {
      const std::string path = dir + "/" + model + "/" + model + "-" + type + ".gguf";
      if (!std::filesystem::exists(path)) continue;
      auto file = GgufFile::Open(path);
      ASSERT_TRUE(file.ok()) << file.status().ToString();
      auto shape = ShapeFromGguf(**file);
      ASSERT_TRUE(shape.ok()) << shape.status().ToString();
      EXPECT_EQ(shape->file_type, std::optional<std::string>(type)) << path;
      EXPECT_EQ(*shape->file_weights_bytes, EstimateWeights(*shape, type)->weights_bytes) << path;
      ++checked;
    }
  }
  EXPECT_GT(checked, 0);
}

TEST(FitTest, PredictionErrorAndJson) {
  EXPECT_DOUBLE_EQ(*PredictionError(12, 10), 0.2);
  EXPECT_DOUBLE_EQ(*PredictionError(8, 10), -0.2);
  EXPECT_FALSE(PredictionError(8, 0).ok());
  auto m = ShapeFromPreset("stories15m");
  auto r = Fit(*m, Synthetic(kGiB, 1e10), FitOptions{});
  ASSERT_TRUE(r.ok());
  const auto j = FitReportJson(*r);
  EXPECT_EQ(j["device"], "synthetic");
  EXPECT_EQ(j["memory"]["total_bytes"], r->memory.total_bytes());
  EXPECT_EQ(j["usable_memory_bytes"]["provenance"], "assumed");
  EXPECT_NE(j["prediction"]["kind"].get<std::string>().find("prediction"), std::string::npos);
  EXPECT_EQ(j["types"].size(), FitWeightTypes().size());
  auto jetson = FindDeviceSpec("jetson-orin-nano-8gb", kDir, telemetry::SysfsRoot("/"));
  ASSERT_TRUE(jetson.ok());
  const auto dj = DeviceSpecJson(*jetson);
  EXPECT_EQ(dj["price_usd"]["value"], 249.0);
  EXPECT_EQ(dj["memory_bandwidth_bytes_per_s"]["provenance"], "published");
  EXPECT_EQ(dj["power"]["modes"]["7W"]["peak_watts"], 8.5);
  EXPECT_EQ(dj["power"]["default_mode"], "15W");
  FitOptions seven;
  seven.power_mode = "7W";
  auto jr = Fit(*m, *jetson, seven);
  ASSERT_TRUE(jr.ok()) << jr.status().ToString();
  EXPECT_DOUBLE_EQ(jr->power.peak_watts.value, 8.5);
  EXPECT_EQ(FitReportJson(*jr)["power"]["mode"], "7W");
  seven.power_mode = "40W";
  EXPECT_FALSE(Fit(*m, *jetson, seven).ok());
  const std::string text = FitReportText(*r);
  EXPECT_NE(text.find("not a measurement"), std::string::npos);
  EXPECT_NE(text.find("Q4_K_M"), std::string::npos);
}

}  // namespace
}  // namespace edgelm::analysis
