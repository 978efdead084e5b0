// The probe measures what it claims: positive rates, caches visible in the bandwidth
// (an L1-sized buffer reads faster than a 256 MiB one), exact roofline arithmetic, and
// model costs counted from a constructed file.
#include "probe/probe.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "gguf/gguf_writer.h"

namespace edgelm {
namespace {

TEST(ProbeBandwidth, PositiveAndCachesAreFaster) {
  ThreadPool pool(1);
  auto small = MeasureReadBandwidth(pool, 16 * 1024, 0.02);
  ASSERT_TRUE(small.ok()) << small.status().ToString();
  auto large = MeasureReadBandwidth(pool, 256ull << 20, 0.05);
  ASSERT_TRUE(large.ok()) << large.status().ToString();
  EXPECT_GT(small->bytes_per_s, 0.0);
  EXPECT_GT(large->bytes_per_s, 0.0);
  EXPECT_GE(small->passes, 3);
  EXPECT_EQ(large->buffer_bytes, 256ull << 20);
  // An L1-resident buffer is read at least a little faster than main memory everywhere.
  EXPECT_GT(small->bytes_per_s, large->bytes_per_s)
      << "L1 " << small->bytes_per_s << " B/s vs 256 MiB " << large->bytes_per_s << " B/s";
}

TEST(ProbeBandwidth, MultiThreadedCoversTheWholeBuffer) {
  ThreadPool pool(3);
  auto r = MeasureReadBandwidth(pool, 1 << 20, 0.01);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->n_threads, 3);
  EXPECT_GT(r->bytes_per_s, 0.0);
  // bytes_per_s is the median pass, best_bytes_per_s the fastest.
  EXPECT_GE(r->best_bytes_per_s, r->bytes_per_s);
}

TEST(ProbeBandwidth, RejectsBadArguments) {
  ThreadPool pool(1);
  auto tiny = MeasureReadBandwidth(pool, 100, 0.01);
  ASSERT_FALSE(tiny.ok());
  EXPECT_NE(tiny.status().message().find("4096"), std::string::npos) << tiny.status().message();
  EXPECT_FALSE(MeasureReadBandwidth(pool, 1 << 20, 0.0).ok());
  EXPECT_FALSE(MeasureReadBandwidth(pool, 1 << 20, -1.0).ok());
}

TEST(ProbePeak, EveryAvailablePathAndFamilyIsPositive) {
  ThreadPool pool(2);
  for (Isa isa : AvailableIsas(DetectCpuFeatures())) {
    for (MacFamily f : {MacFamily::kInt8, MacFamily::kF16, MacFamily::kF32}) {
      auto r = MeasurePeakMacs(pool, isa, f, 0.005);
      ASSERT_TRUE(r.ok()) << IsaName(isa) << " " << MacFamilyName(f) << ": "
                          << r.status().ToString();
      EXPECT_GT(r->macs_per_s, 0.0) << IsaName(isa) << " " << MacFamilyName(f);
      EXPECT_EQ(r->n_threads, 2);
      EXPECT_FALSE(r->instruction.empty());
    }
  }
}

TEST(ProbePeak, RejectsBadArguments) {
  ThreadPool pool(1);
  EXPECT_FALSE(MeasurePeakMacs(pool, Isa::kScalar, MacFamily::kInt8, 0.0).ok());
  const CpuFeatures& cpu = DetectCpuFeatures();
  for (Isa isa : {Isa::kAvx2, Isa::kAvx512, Isa::kNeon, Isa::kNeonDot}) {
    if (IsaAvailable(isa, cpu)) continue;
    auto r = MeasurePeakMacs(pool, isa, MacFamily::kF32, 0.01);
    ASSERT_FALSE(r.ok()) << IsaName(isa);
    EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
  }
}

TEST(ProbeRoofline, ArithmeticIsExact) {
  // 500 MB per token at 25 GB/s: 50 tokens/s; 1e9 MACs per token at 2e11 MAC/s: 200.
  const Roofline r = ComputeRoofline(500'000'000, 1'000'000'000, 25e9, 2e11);
  EXPECT_DOUBLE_EQ(r.decode_tokens_per_s, 50.0);
  EXPECT_DOUBLE_EQ(r.prefill_tokens_per_s, 200.0);
  const Roofline none = ComputeRoofline(0, 0, 25e9, 2e11);
  EXPECT_EQ(none.decode_tokens_per_s, 0.0);
  EXPECT_EQ(none.prefill_tokens_per_s, 0.0);
}

TEST(ProbeMacFamily, FollowsTheActivationFormat) {
  EXPECT_EQ(MacFamilyForType(GgmlType::kQ4_0), MacFamily::kInt8);
  EXPECT_EQ(MacFamilyForType(GgmlType::kQ4_K), MacFamily::kInt8);
  EXPECT_EQ(MacFamilyForType(GgmlType::kF16), MacFamily::kF16);
  EXPECT_EQ(MacFamilyForType(GgmlType::kF32), MacFamily::kF32);
}

TEST(ProbeBytes, ParsesSuffixes) {
  EXPECT_EQ(*ParseByteCount("4096"), 4096u);
  EXPECT_EQ(*ParseByteCount("32K"), 32u << 10);
  EXPECT_EQ(*ParseByteCount("32KiB"), 32u << 10);
  EXPECT_EQ(*ParseByteCount("256m"), 256ull << 20);
  EXPECT_EQ(*ParseByteCount("2G"), 2ull << 30);
  EXPECT_FALSE(ParseByteCount("").ok());
  EXPECT_FALSE(ParseByteCount("12X").ok());
  EXPECT_FALSE(ParseByteCount("-5").ok());
  EXPECT_FALSE(ParseByteCount("99999999999999999999").ok());
  EXPECT_FALSE(ParseByteCount("17179869184T").ok());
}

// A two-layer-free toy model: embedding 64 x 10 (F16), one 64 x 64 Q8_0 matrix, a norm
// (F32) and an output matrix 64 x 10 (Q4_0).
std::string WriteToyModel(bool with_output) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("edgelm_probe_toy_" + std::to_string(with_output) + ".gguf"))
                               .string();
  GgufWriter w;
  w.SetString("general.architecture", "llama");
  EXPECT_TRUE(w.AddTensor("token_embd.weight", GgmlType::kF16, {64, 10}).ok());
  EXPECT_TRUE(w.AddTensor("blk.0.attn_q.weight", GgmlType::kQ8_0, {64, 64}).ok());
  EXPECT_TRUE(w.AddTensor("output_norm.weight", GgmlType::kF32, {64}).ok());
  if (with_output) {
    EXPECT_TRUE(w.AddTensor("output.weight", GgmlType::kQ4_0, {64, 10}).ok());
  }
  EXPECT_TRUE(w.Begin(path).ok());
  std::vector<uint8_t> zeros(64 * 64 * 2, 0);
  EXPECT_TRUE(w.Write(zeros.data(), 64 * 10 * 2).ok());
  EXPECT_TRUE(w.Write(zeros.data(), 64 * 64 / 32 * 34).ok());
  EXPECT_TRUE(w.Write(zeros.data(), 64 * 4).ok());
  if (with_output) {
    EXPECT_TRUE(w.Write(zeros.data(), 10 * 2 * 18).ok());
  }
  EXPECT_TRUE(w.Finish().ok());
  return path;
}

TEST(ProbeModelCost, CountsOneEmbeddingRowAndEveryMatrix) {
  const std::string path = WriteToyModel(true);
  auto file = GgufFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  auto cost = ComputeModelCost(**file);
  ASSERT_TRUE(cost.ok()) << cost.status().ToString();
  EXPECT_EQ(cost->weight_bytes_per_token, 64u * 2 + 64 * 64 / 32 * 34 + 64 * 4 + 10 * 2 * 18);
  EXPECT_EQ(cost->macs_per_token, 64u * 64 + 64 * 10);
  EXPECT_EQ(cost->parameters, 640u + 4096 + 64 + 640);
  EXPECT_EQ(cost->dominant_type, GgmlType::kQ8_0);
  file->reset();
  std::filesystem::remove(path);
}

TEST(ProbeModelCost, TiedEmbeddingIsTheOutputMatrix) {
  const std::string path = WriteToyModel(false);
  auto file = GgufFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  auto cost = ComputeModelCost(**file);
  ASSERT_TRUE(cost.ok()) << cost.status().ToString();
  EXPECT_EQ(cost->weight_bytes_per_token, 64u * 10 * 2 + 64 * 64 / 32 * 34 + 64 * 4);
  EXPECT_EQ(cost->macs_per_token, 64u * 64 + 640);
  file->reset();
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace edgelm
