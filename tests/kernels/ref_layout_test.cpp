// Bit-layout tests on hand-built blocks: each places a known code and scale at the byte
// and bit where ggml's format puts it and checks the decoded element. These pin the
// layouts independently of our own quantizers (which could share a mistake with the
// dequantizers); the fixture test proves them against llama.cpp's files.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "core/fp16.h"
#include "kernels/blocks.h"
#include "kernels/ref/k_quant_layout.h"
#include "kernels/ref/ref_rows.h"

namespace edgelm {
namespace {

constexpr fp16_t kOne = 0x3C00;   // 1.0 in IEEE half
constexpr fp16_t kHalf = 0x3800;  // 0.5

TEST(RefLayout, Q4_0LowNibbleFirstHalfHighNibbleSecondHalf) {
  BlockQ4_0 b{};
  b.d = kOne;
  std::memset(b.qs, 0x88, sizeof(b.qs));  // every code 8 -> value 0
  b.qs[3] = 0xA5;                         // element 3: 5, element 19: 10
  float out[32];
  ref::DequantizeRowQ4_0(&b, out, 32);
  EXPECT_EQ(out[3], -3.0f);
  EXPECT_EQ(out[19], 2.0f);
  EXPECT_EQ(out[4], 0.0f);
}

TEST(RefLayout, Q5_0FifthBitIsBitJOfLittleEndianQh) {
  BlockQ5_0 b{};
  b.d = kOne;
  b.qs[4] = 0x30;  // element 20 low nibble 3
  b.qh[2] = 0x10;  // bit 20 of the u32
  float out[32];
  ref::DequantizeRowQ5_0(&b, out, 32);
  EXPECT_EQ(out[20], 3.0f);   // (3 | 16) - 16
  EXPECT_EQ(out[4], -16.0f);  // code 0, no high bit
}

TEST(RefLayout, Q5_1AndQ4_1AddTheMin) {
  BlockQ5_1 b{};
  b.d = kHalf;
  b.m = kOne;
  b.qs[0] = 0x07;
  b.qh[3] = 0x80;  // bit 31: element 31
  b.qs[15] = 0x20;
  float out[32];
  ref::DequantizeRowQ5_1(&b, out, 32);
  EXPECT_EQ(out[0], 0.5f * 7 + 1.0f);
  EXPECT_EQ(out[31], 0.5f * (2 | 16) + 1.0f);
  BlockQ4_1 c{};
  c.d = kHalf;
  c.m = kOne;
  c.qs[15] = 0xF0;
  ref::DequantizeRowQ4_1(&c, out, 32);
  EXPECT_EQ(out[31], 0.5f * 15 + 1.0f);
  EXPECT_EQ(out[15], 1.0f);
}

TEST(RefLayout, Q2_KCodesAndScaleMinNibbles) {
  BlockQ2_K b{};
  b.d = kOne;
  b.dmin = kHalf;
  b.qs[13] = 3 << 4;   // element 77: first half, shift group 2, l = 13
  b.scales[4] = 0x5A;  // sub-block 77/16 = 4: scale 10, min 5
  std::vector<float> out(256);
  ref::DequantizeRowQ2_K(&b, out.data(), 256);
  EXPECT_EQ(out[77], 10.0f * 3 - 0.5f * 5);
  EXPECT_EQ(out[13], 0.0f);   // sub-block 0 has scale 0, min 0
  EXPECT_EQ(out[64], -2.5f);  // same sub-block 4, code 0: only the min
}

TEST(RefLayout, Q3_KHmaskAndSixBitScales) {
  BlockQ3_K b{};
  b.d = kOne;
  std::memset(b.hmask, 0xFF, sizeof(b.hmask));      // no -4 offset anywhere ...
  b.hmask[22] &= static_cast<uint8_t>(~(1u << 4));  // ... except element 4 * 32 + 22 = 150
  b.qs[32 + 22] = 2;                                // element 150: second half, shift 0
  // Scale 9 = -7, stored +32 = 25 = 0b01'1001: low nibble 9 in the high nibble of byte 1,
  // top bits 01 in byte 8 + 9 % 4 = 9 at bit 2 * (9 / 4) = 4.
  int scales[16] = {};
  for (int& s : scales) s = -32;  // stored 0
  b.scales[1] = 9 << 4;
  b.scales[9] = 1 << 4;
  EXPECT_EQ(ref::GetScaleQ3K(9, b.scales), -7);
  scales[9] = -7;
  uint8_t packed[12];
  ref::PackScalesQ3K(scales, packed);
  EXPECT_EQ(std::memcmp(packed, b.scales, 12), 0);
  std::vector<float> out(256);
  ref::DequantizeRowQ3_K(&b, out.data(), 256);
  EXPECT_EQ(out[150], -7.0f * (2 - 4));
  EXPECT_EQ(out[151], 0.0f);  // code 0 with the high bit set
}

TEST(RefLayout, Q3_KScalePackingRoundTrips) {
  int scales[16];
  for (int trial = 0; trial < 64; ++trial) {
    for (int j = 0; j < 16; ++j) scales[j] = ((trial * 7 + j * 13) % 64) - 32;
    uint8_t packed[12];
    ref::PackScalesQ3K(scales, packed);
    for (int j = 0; j < 16; ++j) ASSERT_EQ(ref::GetScaleQ3K(j, packed), scales[j]) << "scale " << j;
  }
}

TEST(RefLayout, K4ScaleMinPackingRoundTripsAllValues) {
  for (int v = 0; v < 64; ++v) {
    uint8_t sc[8], mn[8];
    for (int j = 0; j < 8; ++j) {
      sc[j] = static_cast<uint8_t>((v + 5 * j) % 64);
      mn[j] = static_cast<uint8_t>((63 - v + 11 * j) % 64);
    }
    uint8_t packed[12];
    ref::PackScaleMinK4(sc, mn, packed);
    for (int j = 0; j < 8; ++j) {
      uint8_t s, m;
      ref::GetScaleMinK4(j, packed, &s, &m);
      ASSERT_EQ(s, sc[j]) << "sub-block " << j;
      ASSERT_EQ(m, mn[j]) << "sub-block " << j;
    }
  }
}

TEST(RefLayout, Q4_KUpperSubBlockScaleUsesSpareTopBits) {
  BlockQ4_K b{};
  b.d = kOne;
  b.dmin = kOne;
  // Sub-block 5: scale 37 = 0b10'0101, min 45 = 0b10'1101. Low nibbles go to byte 9,
  // top two bits to bits 6-7 of byte 1 (scale) and byte 5 (min).
  b.scales[9] = 5 | (13 << 4);
  b.scales[1] = 2 << 6;
  b.scales[5] = 2 << 6;
  b.qs[64 + 3] = 0x70;  // element 163: 64-group 2, high nibble, l = 3
  std::vector<float> out(256);
  ref::DequantizeRowQ4_K(&b, out.data(), 256);
  EXPECT_EQ(out[163], 37.0f * 7 - 45.0f);
  EXPECT_EQ(out[131], 0.0f);  // sub-block 4: scale 0 min 0
}

TEST(RefLayout, Q5_KHighBitIsBitIOver32OfQh) {
  BlockQ5_K b{};
  b.d = kOne;
  b.dmin = kOne;
  b.scales[3] = 2;      // sub-block 3 (elements 96..127): scale 2
  b.scales[7] = 1;      // min 1
  b.qs[32 + 4] = 0x90;  // element 100: 64-group 1, high nibble 9
  b.qh[4] = 1 << 3;     // bit 100 / 32 = 3
  std::vector<float> out(256);
  ref::DequantizeRowQ5_K(&b, out.data(), 256);
  EXPECT_EQ(out[100], 2.0f * (9 + 16) - 1.0f);
  EXPECT_EQ(out[36], 0.0f);
}

TEST(RefLayout, Q6_KQlQhInterleave) {
  BlockQ6_K b{};
  b.d = kOne;
  std::memset(b.ql, 0, sizeof(b.ql));
  std::memset(b.qh, 0xAA, sizeof(b.qh));  // top bits 2 everywhere: code 32 -> value 0
  // Element 200: second half, offset 72: high nibble of ql[64 + 8], bits 4-5 of qh[32 + 8].
  b.ql[72] = 0xB0;
  b.qh[40] = static_cast<uint8_t>((0xAA & ~0x30) | (2 << 4));
  b.scales[12] = -3;
  std::vector<float> out(256);
  ref::DequantizeRowQ6_K(&b, out.data(), 256);
  EXPECT_EQ(out[200], -3.0f * ((11 | (2 << 4)) - 32));
  EXPECT_EQ(out[136], 0.0f);  // the low nibble of ql[72] (scale 0 anyway)
}

TEST(RefLayout, ElementCodeHelpersAgreeWithDecoders) {
  // The per-element formulas in k_quant_layout.h must describe the same layout as the
  // loop-based decoders: fill blocks with pseudo-random bytes and compare every element.
  uint32_t state = 12345;
  auto next = [&state]() {
    state = state * 1664525u + 1013904223u;
    return static_cast<uint8_t>(state >> 24);
  };
  auto fill = [&](void* p, size_t n) {
    auto* bytes = static_cast<uint8_t*>(p);
    for (size_t i = 0; i < n; ++i) bytes[i] = next();
  };
  std::vector<float> out(256);
  BlockQ2_K q2;
  fill(&q2, sizeof(q2));
  q2.d = kOne;
  q2.dmin = 0;
  BlockQ3_K q3;
  fill(&q3, sizeof(q3));
  q3.d = kOne;
  BlockQ4_K q4;
  fill(&q4, sizeof(q4));
  q4.d = kOne;
  q4.dmin = 0;
  BlockQ5_K q5;
  fill(&q5, sizeof(q5));
  q5.d = kOne;
  q5.dmin = 0;
  BlockQ6_K q6;
  fill(&q6, sizeof(q6));
  q6.d = kOne;
  ref::DequantizeRowQ2_K(&q2, out.data(), 256);
  for (int i = 0; i < 256; ++i)
    ASSERT_EQ(out[i], (q2.scales[i / 16] & 15) * ref::CodeQ2K(q2, i)) << i;
  ref::DequantizeRowQ3_K(&q3, out.data(), 256);
  for (int i = 0; i < 256; ++i)
    ASSERT_EQ(out[i], ref::GetScaleQ3K(i / 16, q3.scales) * ref::CodeQ3K(q3, i)) << i;
  ref::DequantizeRowQ4_K(&q4, out.data(), 256);
  for (int i = 0; i < 256; ++i) {
    uint8_t s, m;
    ref::GetScaleMinK4(i / 32, q4.scales, &s, &m);
    ASSERT_EQ(out[i], s * ref::CodeQ4K(q4, i)) << i;
  }
  ref::DequantizeRowQ5_K(&q5, out.data(), 256);
  for (int i = 0; i < 256; ++i) {
    uint8_t s, m;
    ref::GetScaleMinK4(i / 32, q5.scales, &s, &m);
    ASSERT_EQ(out[i], s * ref::CodeQ5K(q5, i)) << i;
  }
  ref::DequantizeRowQ6_K(&q6, out.data(), 256);
  for (int i = 0; i < 256; ++i) ASSERT_EQ(out[i], q6.scales[i / 16] * ref::CodeQ6K(q6, i)) << i;
}

TEST(RefLayout, Q8_KActivationsFollowGgmlReference) {
  std::vector<float> x(256);
  for (int i = 0; i < 256; ++i) x[i] = static_cast<float>(i % 37) * 0.25f - 4.0f;
  x[100] = 10.0f;  // the extreme, positive: maps to -127 (d negative)
  BlockQ8_K y;
  ref::QuantizeRowQ8_K(x.data(), &y, 256);
  EXPECT_EQ(y.qs[100], -127);
  EXPECT_FLOAT_EQ(y.d, -10.0f / 127.0f);
  for (int g = 0; g < 16; ++g) {
    int sum = 0;
    for (int l = 0; l < 16; ++l) sum += y.qs[g * 16 + l];
    EXPECT_EQ(y.bsums[g], sum) << "group " << g;
  }
  std::vector<float> zeros(256, 0.0f);
  ref::QuantizeRowQ8_K(zeros.data(), &y, 256);
  EXPECT_EQ(y.d, 0.0f);
  for (int g = 0; g < 16; ++g) EXPECT_EQ(y.bsums[g], 0);
}

TEST(RefLayout, NearestIntRoundsHalfToEven) {
  EXPECT_EQ(ref::NearestInt(2.5f), 2);
  EXPECT_EQ(ref::NearestInt(3.5f), 4);
  EXPECT_EQ(ref::NearestInt(-2.5f), -2);
  EXPECT_EQ(ref::NearestInt(-0.4f), 0);
  EXPECT_EQ(ref::NearestInt(126.6f), 127);
  EXPECT_EQ(ref::NearestInt(-126.6f), -127);
}

}  // namespace
}  // namespace edgelm
