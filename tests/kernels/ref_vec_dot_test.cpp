// Each type's vec_dot must equal the dot product of the dequantized weight row with the
// dequantized activations (computed in double): the integer block sums and scale
// factoring are then exactly the format's arithmetic, up to float rounding of the
// per-block products. Weight rows are random bit patterns with sane scales, so every code
// value and every scale bit occurs, independent of any quantizer.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/fp16.h"
#include "kernels/blocks.h"
#include "kernels/quantize.h"
#include "kernels/ref/ref_kernels.h"
#include "kernels/ref/ref_rows.h"
#include "ref_test_util.h"

namespace edgelm {
namespace {

constexpr GgmlType kAllTypes[] = {
    GgmlType::kF32,  GgmlType::kF16,  GgmlType::kBF16, GgmlType::kQ4_0, GgmlType::kQ4_1,
    GgmlType::kQ5_0, GgmlType::kQ5_1, GgmlType::kQ8_0, GgmlType::kQ2_K, GgmlType::kQ3_K,
    GgmlType::kQ4_K, GgmlType::kQ5_K, GgmlType::kQ6_K};

DequantizeRowFn ActDequantizer(GgmlType act) {
  switch (act) {
    case GgmlType::kF32:
      return ref::DequantizeRowF32;
    case GgmlType::kF16:
      return ref::DequantizeRowF16;
    case GgmlType::kBF16:
      return ref::DequantizeRowBF16;
    case GgmlType::kQ8_0:
      return ref::DequantizeRowQ8_0;
    case GgmlType::kQ8_1:
      return ref::DequantizeRowQ8_1;
    case GgmlType::kQ8_K:
      return ref::DequantizeRowQ8_K;
    default:
      return nullptr;
  }
}

// Offsets of the fp16 scale fields in each block, overwritten with small positive values
// so that random bytes do not produce inf/NaN scales.
std::vector<size_t> ScaleOffsets(GgmlType t) {
  switch (t) {
    case GgmlType::kQ4_0:
    case GgmlType::kQ5_0:
    case GgmlType::kQ8_0:
      return {0};
    case GgmlType::kQ4_1:
    case GgmlType::kQ5_1:
      return {0, 2};
    case GgmlType::kQ2_K:
      return {offsetof(BlockQ2_K, d), offsetof(BlockQ2_K, dmin)};
    case GgmlType::kQ3_K:
      return {offsetof(BlockQ3_K, d)};
    case GgmlType::kQ4_K:
      return {offsetof(BlockQ4_K, d), offsetof(BlockQ4_K, dmin)};
    case GgmlType::kQ5_K:
      return {offsetof(BlockQ5_K, d), offsetof(BlockQ5_K, dmin)};
    case GgmlType::kQ6_K:
      return {offsetof(BlockQ6_K, d)};
    default:
      return {};
  }
}

// A weight row of n elements with random codes and scales in [0.001, 0.03).
std::vector<uint8_t> RandomWeightRow(GgmlType t, int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  const uint64_t bytes = testing::RowBytes(t, n);
  std::vector<uint8_t> row(bytes);
  if (t == GgmlType::kF32 || t == GgmlType::kF16 || t == GgmlType::kBF16) {
    const std::vector<float> v = testing::RandomNormal(n, seed);
    KernelTable table;
    FillScalarKernels(table);
    table.For(t).quantize_act(v.data(), row.data(), n);  // plain conversion for these types
    return row;
  }
  for (auto& b : row) b = static_cast<uint8_t>(rng());
  const GgmlTypeInfo* info = FindGgmlTypeInfo(t);
  std::uniform_real_distribution<float> scale(0.001f, 0.03f);
  for (uint64_t block = 0; block < bytes / info->block_bytes; ++block) {
    for (size_t off : ScaleOffsets(t)) {
      const fp16_t h = F32ToFp16(scale(rng));
      std::memcpy(row.data() + block * info->block_bytes + off, &h, sizeof(h));
    }
  }
  return row;
}

class RefVecDot : public ::testing::TestWithParam<GgmlType> {};

TEST_P(RefVecDot, EqualsDotOfDequantizedOperands) {
  const GgmlType type = GetParam();
  KernelTable table;
  FillScalarKernels(table);
  const TypeKernels& k = table.For(type);
  ASSERT_TRUE(k.supported);
  const int64_t block =
      FindGgmlTypeInfo(type)->block_size == 1 ? 32 : FindGgmlTypeInfo(type)->block_size;
  for (int64_t n_blocks : {1, 7, 33}) {
    const int64_t n = n_blocks * block;
    const std::vector<uint8_t> w =
        RandomWeightRow(type, n, static_cast<uint32_t>(n_blocks) * 31u + 7u);
    const std::vector<float> x = testing::RandomNormal(n, static_cast<uint32_t>(n_blocks) + 1000u);
    std::vector<uint8_t> act(testing::RowBytes(k.act_type, n));
    k.quantize_act(x.data(), act.data(), n);

    std::vector<float> wf(static_cast<size_t>(n)), af(static_cast<size_t>(n));
    k.dequantize(w.data(), wf.data(), n);
    ActDequantizer(k.act_type)(act.data(), af.data(), n);
    double expected = 0.0, magnitude = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      expected += static_cast<double>(wf[i]) * af[i];
      magnitude += std::fabs(static_cast<double>(wf[i]) * af[i]);
    }
    if (k.act_type == GgmlType::kQ8_1) {
      // Q4_1/Q5_1 add the weight block's min m times the activations' stored fp16 sum s
      // (= d * sum q, rounded): replace the exact m * sum(a) by that term.
      const uint64_t wbytes = FindGgmlTypeInfo(type)->block_bytes;
      const auto* a_blocks = reinterpret_cast<const BlockQ8_1*>(act.data());
      for (int64_t b = 0; b < n_blocks; ++b) {
        fp16_t m16;
        std::memcpy(&m16, w.data() + b * wbytes + 2, sizeof(m16));
        double exact_sum = 0.0;
        for (int i = 0; i < 32; ++i) exact_sum += af[b * 32 + i];
        expected += Fp16ToF32(m16) * (Fp16ToF32(a_blocks[b].s) - exact_sum);
      }
    }
    float got = 0.0f;
    k.vec_dot(n, w.data(), act.data(), &got);
    // Float rounding of one product per block (and of the scale products): a few ulp of
    // the sum of magnitudes.
    EXPECT_NEAR(got, expected, 1e-5 * magnitude + 1e-7)
        << GgmlTypeName(type) << " with " << n_blocks << " blocks";
  }
}

TEST_P(RefVecDot, ActivationFormatIsGgmls) {
  const GgmlType type = GetParam();
  KernelTable table;
  FillScalarKernels(table);
  const GgmlType act = table.For(type).act_type;
  switch (type) {
    case GgmlType::kF32:
      EXPECT_EQ(act, GgmlType::kF32);
      break;
    case GgmlType::kF16:
      EXPECT_EQ(act, GgmlType::kF16);
      break;
    case GgmlType::kBF16:
      EXPECT_EQ(act, GgmlType::kBF16);
      break;
    case GgmlType::kQ4_0:
    case GgmlType::kQ5_0:
    case GgmlType::kQ8_0:
      EXPECT_EQ(act, GgmlType::kQ8_0);
      break;
    case GgmlType::kQ4_1:
    case GgmlType::kQ5_1:
      EXPECT_EQ(act, GgmlType::kQ8_1);
      break;
    default:
      EXPECT_EQ(act, GgmlType::kQ8_K);
      break;
  }
}

INSTANTIATE_TEST_SUITE_P(AllTypes, RefVecDot, ::testing::ValuesIn(kAllTypes),
                         [](const ::testing::TestParamInfo<GgmlType>& param) {
                           return GgmlTypeName(param.param);
                         });

// End to end, as matmul uses the table: quantized weights times prepared activations
// against the exact f32 dot products. Weight and activation rounding errors are
// independent, so the relative error of the outputs is about sqrt(e_w^2 + e_a^2) with
// e_w the weight type's round-trip error and e_a the activation format's (Q8_0/Q8_1
// ~0.0054, Q8_K ~0.0045, F16/BF16 as their round trips); bound: 1.3x that.
TEST(RefVecDotEndToEnd, OutputErrorMatchesWeightAndActivationRounding) {
  struct Case {
    GgmlType type;
    double weight_err, act_err;
  };
  constexpr Case kCases[] = {
      {GgmlType::kF32, 0.0, 0.0},        {GgmlType::kF16, 2.1e-4, 2.1e-4},
      {GgmlType::kBF16, 1.7e-3, 1.7e-3}, {GgmlType::kQ8_0, 0.0054, 0.0054},
      {GgmlType::kQ4_0, 0.086, 0.0054},  {GgmlType::kQ4_1, 0.078, 0.0054},
      {GgmlType::kQ5_0, 0.043, 0.0054},  {GgmlType::kQ5_1, 0.038, 0.0054},
      {GgmlType::kQ2_K, 0.297, 0.0045},  {GgmlType::kQ3_K, 0.151, 0.0045},
      {GgmlType::kQ4_K, 0.071, 0.0045},  {GgmlType::kQ5_K, 0.036, 0.0045},
      {GgmlType::kQ6_K, 0.0176, 0.0045},
  };
  KernelTable table;
  FillScalarKernels(table);
  const int64_t n_rows = 64, n = 1024;
  const std::vector<float> w = testing::RandomNormal(n_rows * n, 3);
  const std::vector<float> x = testing::RandomNormal(n, 4);
  for (const Case& c : kCases) {
    const TypeKernels& k = table.For(c.type);
    const uint64_t row_bytes = testing::RowBytes(c.type, n);
    std::vector<uint8_t> wq(row_bytes * n_rows), act(testing::RowBytes(k.act_type, n));
    ASSERT_TRUE(QuantizeRows(c.type, w.data(), wq.data(), n_rows, n).ok());
    k.quantize_act(x.data(), act.data(), n);
    std::vector<float> exact(n_rows), got(n_rows);
    for (int64_t r = 0; r < n_rows; ++r) {
      double s = 0.0;
      for (int64_t i = 0; i < n; ++i) s += static_cast<double>(w[r * n + i]) * x[i];
      exact[r] = static_cast<float>(s);
      k.vec_dot(n, wq.data() + r * row_bytes, act.data(), &got[r]);
    }
    const double err = testing::RelativeRmse(exact, got);
    const double bound =
        1.3 * std::sqrt(c.weight_err * c.weight_err + c.act_err * c.act_err) + 1e-6;
    std::printf("[ dot-err  ] %-5s %.5f (bound %.5f)\n", GgmlTypeName(c.type).c_str(), err, bound);
    EXPECT_LE(err, bound) << GgmlTypeName(c.type);
  }
}

TEST(RefKernelTable, FillsExactlyTheEngineTypes) {
  KernelTable table;
  table.types[static_cast<uint32_t>(GgmlType::kIQ4_NL)].supported = true;  // stale entry
  FillScalarKernels(table);
  EXPECT_EQ(table.isa, Isa::kScalar);
  int supported = 0;
  for (const TypeKernels& k : table.types) {
    if (!k.supported) continue;
    ++supported;
    EXPECT_NE(k.quantize_act, nullptr);
    EXPECT_NE(k.dequantize, nullptr);
    EXPECT_NE(k.vec_dot, nullptr);
  }
  EXPECT_EQ(supported, 13);
  for (GgmlType t : kAllTypes) EXPECT_TRUE(table.For(t).supported) << GgmlTypeName(t);
  EXPECT_FALSE(table.For(GgmlType::kIQ4_NL).supported);
}

TEST(RefQ8Activations, Q8_0RoundsHalfAwayFromZeroWithScaleAmaxOver127) {
  std::vector<float> x(32, 0.0f);
  x[0] = 127.0f;  // d = 1 exactly
  x[1] = 2.5f;    // round() -> 3 (half away from zero), nearbyint would give 2
  x[2] = -2.5f;
  BlockQ8_0 y;
  ref::QuantizeRowQ8_0(x.data(), &y, 32);
  EXPECT_EQ(Fp16ToF32(y.d), 1.0f);
  EXPECT_EQ(y.qs[0], 127);
  EXPECT_EQ(y.qs[1], 3);
  EXPECT_EQ(y.qs[2], -3);
  BlockQ8_1 z;
  ref::QuantizeRowQ8_1(x.data(), &z, 32);
  EXPECT_EQ(Fp16ToF32(z.s), 127.0f + 3.0f - 3.0f);
}

TEST(RefFloatDot, AccumulatesInDouble) {
  // 1 + 2^-30 * many: a float accumulator would drop every small term.
  const int64_t n = 4096;
  std::vector<float> w(n, 1.0f), a(n, 0x1.0p-30f);
  a[0] = 1.0f;
  float got = 0.0f;
  ref::VecDotF32(n, w.data(), a.data(), &got);
  EXPECT_FLOAT_EQ(got, 1.0f + 4095.0f * 0x1.0p-30f);
}

}  // namespace
}  // namespace edgelm
