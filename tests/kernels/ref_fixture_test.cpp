// Proves the bit layouts on files llama.cpp wrote: every 2-D tensor of the quantized
// ref-llama-mha files, dequantized here, must be close to the same tensor of the F32 file
// (within its type's budget), and our reference quantizers, run on the F32 tensors, must
// reproduce llama-quantize's blocks bit for bit. The K-quant searches follow ggml's order
// of float operations, and IEEE arithmetic without contraction (-std=c++20 turns FMA
// contraction off in GCC) is deterministic, so this holds on x86-64 and aarch64 alike.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "gguf/gguf_reader.h"
#include "kernels/quantize.h"
#include "ref_test_util.h"

namespace edgelm {
namespace {

const std::string kDir = std::string(EDGELM_SHARED_DIR) + "/fixtures/reference/ref-llama-mha/";

// Round-trip budget per type on these N(0, 0.02^2) weights (rel. RMSE), as in
// ref_quantize_test.cpp.
double Budget(GgmlType t) {
  switch (t) {
    case GgmlType::kF16:
      return 2.5e-4;
    case GgmlType::kQ8_0:
      return 0.0065;
    case GgmlType::kQ6_K:
      return 0.021;
    case GgmlType::kQ5_K:
      return 0.042;
    case GgmlType::kQ5_0:
      return 0.05;
    case GgmlType::kQ4_0:
      return 0.1;
    case GgmlType::kQ4_K:
      return 0.085;
    default:
      return 0.0;
  }
}

std::unique_ptr<GgufFile> OpenOrNull(const std::string& path) {
  auto file = GgufFile::Open(path);
  if (!file.ok()) {
    ADD_FAILURE() << file.status().ToString();
    return nullptr;
  }
  return std::move(file).value();
}

class RefFixture : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kDir + "ref-llama-mha-F32.gguf")) {
      GTEST_SKIP() << "shared fixtures not found under " << kDir;
    }
  }
};

TEST_P(RefFixture, DequantizedTensorsMatchTheF32File) {
  const std::string variant = GetParam();
  auto f32 = OpenOrNull(kDir + "ref-llama-mha-F32.gguf");
  auto quant = OpenOrNull(kDir + "ref-llama-mha-" + variant + ".gguf");
  ASSERT_TRUE(f32 && quant);
  int checked = 0;
  for (const GgufTensorInfo& t : quant->tensors()) {
    if (t.n_dims != 2) continue;  // norms stay F32 in every file
    ASSERT_TRUE(IsSupportedWeightType(t.type)) << t.name << " " << GgmlTypeName(t.type);
    const GgufTensorInfo* ref = f32->FindTensorOrNull(t.name);
    ASSERT_NE(ref, nullptr) << t.name;
    ASSERT_EQ(ref->type, GgmlType::kF32);
    ASSERT_EQ(ref->n_elements, t.n_elements);
    const int64_t n_per_row = t.ne[0], n_rows = t.ne[1];
    std::vector<float> expected(ref->n_elements), got(t.n_elements);
    std::memcpy(expected.data(), ref->data, ref->n_bytes);
    ASSERT_TRUE(DequantizeRows(t.type, t.data, got.data(), n_rows, n_per_row).ok()) << t.name;
    const double err = testing::RelativeRmse(expected, got);
    EXPECT_LE(err, Budget(t.type)) << t.name << " (" << GgmlTypeName(t.type) << ")";
    // A layout error (swapped nibbles, misplaced scale bits) gives errors near 1 or far
    // above; a correct decoder lands near the type's typical error, not just under it.
    EXPECT_GE(err, Budget(t.type) * 0.3)
        << t.name << ": suspiciously exact for " << GgmlTypeName(t.type);
    ++checked;
  }
  EXPECT_EQ(checked, 2 + 2 * 7);  // token_embd, output, 7 matrices in each of 2 layers
}

TEST_P(RefFixture, OurQuantizersReproduceLlamaQuantize) {
  const std::string variant = GetParam();
  auto f32 = OpenOrNull(kDir + "ref-llama-mha-F32.gguf");
  auto quant = OpenOrNull(kDir + "ref-llama-mha-" + variant + ".gguf");
  ASSERT_TRUE(f32 && quant);
  // A sample covering every type of every file (attn_v is Q5_K in Q4_K_S, output Q6_K).
  for (const char* name :
       {"token_embd.weight", "output.weight", "blk.0.attn_v.weight", "blk.1.ffn_down.weight"}) {
    const GgufTensorInfo* t = quant->FindTensorOrNull(name);
    const GgufTensorInfo* ref = f32->FindTensorOrNull(name);
    ASSERT_TRUE(t && ref) << name;
    const int64_t n_per_row = t->ne[0], n_rows = t->ne[1];
    std::vector<float> x(ref->n_elements);
    std::memcpy(x.data(), ref->data, ref->n_bytes);
    std::vector<uint8_t> ours(t->n_bytes);
    ASSERT_TRUE(QuantizeRows(t->type, x.data(), ours.data(), n_rows, n_per_row).ok());
    const GgmlTypeInfo* info = FindGgmlTypeInfo(t->type);
    const uint64_t n_blocks = t->n_bytes / info->block_bytes;
    uint64_t same = 0;
    for (uint64_t b = 0; b < n_blocks; ++b) {
      same += std::memcmp(ours.data() + b * info->block_bytes, t->data + b * info->block_bytes,
                          info->block_bytes) == 0;
    }
    const double fraction = static_cast<double>(same) / static_cast<double>(n_blocks);
    std::printf("[ llama-q  ] %-6s %-22s %-5s %llu/%llu blocks identical\n", variant.c_str(), name,
                GgmlTypeName(t->type).c_str(), static_cast<unsigned long long>(same),
                static_cast<unsigned long long>(n_blocks));
    EXPECT_EQ(fraction, 1.0) << name << " " << GgmlTypeName(t->type);

    // And the error of our output is no worse than llama-quantize's.
    std::vector<float> y_ours(x.size()), y_theirs(x.size());
    ASSERT_TRUE(DequantizeRows(t->type, ours.data(), y_ours.data(), n_rows, n_per_row).ok());
    ASSERT_TRUE(DequantizeRows(t->type, t->data, y_theirs.data(), n_rows, n_per_row).ok());
    EXPECT_LE(testing::RelativeRmse(x, y_ours), testing::RelativeRmse(x, y_theirs) * 1.001) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(LlamaMha, RefFixture,
                         ::testing::Values("F16", "Q8_0", "Q4_0", "Q4_K_S", "Q5_K_S", "Q6_K"));

// A trained model: stories260K's rows (64, 172) are too short for K-quants, so its Q4_K_M
// file falls back to Q5_0, Q8_0 and F16 (the only llama.cpp-written Q5_0 tensors here);
// its Q4_0 and Q8_0 files mix in F16 for the 172-wide rows. Trained weights are
// heavier-tailed than Gaussian ones, so the error bound is looser; the bytes are exact.
TEST(RefFixtureStories, TrainedWeightsDequantizeAndRequantizeExactly) {
  const std::string dir = std::string(EDGELM_SHARED_DIR) + "/models/stories260K/";
  if (!std::filesystem::exists(dir + "stories260K-q4_k_m.gguf"))
    GTEST_SKIP() << "no stories260K under " << dir;
  auto f32 = OpenOrNull(dir + "stories260K-f32.gguf");
  ASSERT_TRUE(f32);
  int q5_tensors = 0;
  for (const char* variant : {"q4_k_m", "q4_0", "q8_0"}) {
    auto quant = OpenOrNull(dir + "stories260K-" + variant + ".gguf");
    ASSERT_TRUE(quant);
    for (const GgufTensorInfo& t : quant->tensors()) {
      if (t.n_dims != 2) continue;
      const GgufTensorInfo* ref = f32->FindTensorOrNull(t.name);
      ASSERT_TRUE(ref != nullptr && ref->type == GgmlType::kF32 && ref->n_elements == t.n_elements)
          << t.name;
      const int64_t n_per_row = t.ne[0], n_rows = t.ne[1];
      std::vector<float> x(ref->n_elements), y(t.n_elements);
      std::memcpy(x.data(), ref->data, ref->n_bytes);
      ASSERT_TRUE(DequantizeRows(t.type, t.data, y.data(), n_rows, n_per_row).ok()) << t.name;
      EXPECT_LE(testing::RelativeRmse(x, y), 2 * Budget(t.type))
          << t.name << " " << GgmlTypeName(t.type);
      std::vector<uint8_t> ours(t.n_bytes);
      ASSERT_TRUE(QuantizeRows(t.type, x.data(), ours.data(), n_rows, n_per_row).ok()) << t.name;
      EXPECT_EQ(std::memcmp(ours.data(), t.data, t.n_bytes), 0)
          << t.name << " " << GgmlTypeName(t.type);
      q5_tensors += t.type == GgmlType::kQ5_0;
    }
  }
  EXPECT_GT(q5_tensors, 0);
}

}  // namespace
}  // namespace edgelm
