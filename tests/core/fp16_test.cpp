#include "core/fp16.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace edgelm {
namespace {

TEST(Fp16Test, EveryHalfRoundTripsThroughFloat) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    float f = Fp16ToF32(static_cast<uint16_t>(h));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(Fp16ToF32(F32ToFp16(f))));
      continue;
    }
    ASSERT_EQ(F32ToFp16(f), h) << "half 0x" << std::hex << h << " -> " << f;
  }
}

TEST(Fp16Test, KnownValuesAndRounding) {
  EXPECT_EQ(Fp16ToF32(0x3C00), 1.0f);
  EXPECT_EQ(Fp16ToF32(0xC000), -2.0f);
  EXPECT_EQ(Fp16ToF32(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(F32ToFp16(65504.0f), 0x7BFF);               // largest finite
  EXPECT_EQ(F32ToFp16(70000.0f), 0x7C00);               // overflow to inf
  EXPECT_EQ(F32ToFp16(1.0f + std::ldexp(1.0f, -11)), 0x3C00);  // tie rounds to even
  EXPECT_EQ(F32ToFp16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);
  EXPECT_EQ(F32ToFp16(std::ldexp(1.0f, -26)), 0x0000);  // below half the smallest subnormal
  EXPECT_EQ(F32ToFp16(std::ldexp(1.5f, -25)), 0x0001);
}

TEST(Bf16Test, RoundsToNearestEven) {
  EXPECT_EQ(F32ToBf16(1.0f), 0x3F80);
  EXPECT_EQ(Bf16ToF32(0x3F80), 1.0f);
  EXPECT_EQ(F32ToBf16(BitsToF32(0x3F808000)), 0x3F80);  // tie -> even
  EXPECT_EQ(F32ToBf16(BitsToF32(0x3F818000)), 0x3F82);
  EXPECT_TRUE(std::isnan(Bf16ToF32(F32ToBf16(std::numeric_limits<float>::quiet_NaN()))));
}

}  // namespace
}  // namespace edgelm
