#include "core/cpu_features.h"

#include <gtest/gtest.h>

namespace edgelm {
namespace {

TEST(CpuFeaturesTest, ScalarAlwaysAvailableAndBestIsAvailable) {
  const CpuFeatures& cpu = DetectCpuFeatures();
  EXPECT_TRUE(IsaAvailable(Isa::kScalar, cpu));
  EXPECT_TRUE(IsaAvailable(BestIsa(cpu), cpu));
  EXPECT_EQ(AvailableIsas(cpu).front(), Isa::kScalar);
  EXPECT_FALSE(DescribeCpuFeatures(cpu).empty());
}

TEST(CpuFeaturesTest, ParseIsa) {
  const CpuFeatures& cpu = DetectCpuFeatures();
  EXPECT_EQ(*ParseIsa("scalar", cpu), Isa::kScalar);
  EXPECT_EQ(*ParseIsa("auto", cpu), BestIsa(cpu));
  auto bad = ParseIsa("sse9", cpu);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  CpuFeatures none;  // a CPU with nothing: every SIMD path must be refused
#if defined(__x86_64__)
  auto r = ParseIsa("avx2", none);
#else
  auto r = ParseIsa("neon", none);
#endif
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
}

}  // namespace
}  // namespace edgelm
