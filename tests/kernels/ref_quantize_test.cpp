// QuantizeRows / DequantizeRows: per-type round-trip error budgets on Gaussian data,
// stability of the *_0 types, odd row lengths, degenerate blocks and the error messages.
//
// Budgets (RMS error / RMS of the data, N(0,1) values; measured values in the comments):
// a b-bit uniform quantizer over a block's range leaves an RMS error of about
// range / 2^b / sqrt(12); for Gaussian blocks of 32 the range is about 4.1 sigma
// (32 elements) and the K-quants' least-squares fit and sub-block mins win back a part.
// Each bound sits ~15-25% above the measurement so that a real regression (a wrong bit,
// a lost refinement step) fails while seed-level noise does not.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <vector>

#include "kernels/quantize.h"
#include "ref_test_util.h"

namespace edgelm {
namespace {

struct Budget {
  GgmlType type;
  double max_rel_rmse;
};

constexpr Budget kBudgets[] = {
    // type        bound     measured (seed 42, 16 x 1024)
    {GgmlType::kF32, 0.0},  // 0: a copy
    {GgmlType::kF16,
     2.5e-4},  // 2.1e-4: 11-bit mantissa, 2^-11 / sqrt(3) ~ 2.8e-4 worst-case uniform
    {GgmlType::kBF16, 2e-3},    // 1.67e-3: 8-bit mantissa
    {GgmlType::kQ8_0, 0.0065},  // 0.0054
    {GgmlType::kQ6_K, 0.021},   // 0.0176
    {GgmlType::kQ5_1, 0.045},   // 0.0381
    {GgmlType::kQ5_0, 0.05},    // 0.0426
    {GgmlType::kQ5_K, 0.042},   // 0.0361
    {GgmlType::kQ4_1, 0.09},    // 0.0778
    {GgmlType::kQ4_0, 0.1},     // 0.0858
    {GgmlType::kQ4_K, 0.085},   // 0.0712
    {GgmlType::kQ3_K, 0.18},    // 0.151
    {GgmlType::kQ2_K, 0.35},    // 0.297
};

class QuantizeRoundTrip : public ::testing::TestWithParam<Budget> {};

std::vector<float> RoundTrip(GgmlType type, const std::vector<float>& x, int64_t n_rows,
                             int64_t n_per_row) {
  std::vector<uint8_t> q(testing::RowBytes(type, n_per_row) * static_cast<uint64_t>(n_rows));
  EXPECT_TRUE(QuantizeRows(type, x.data(), q.data(), n_rows, n_per_row).ok());
  std::vector<float> y(x.size());
  EXPECT_TRUE(DequantizeRows(type, q.data(), y.data(), n_rows, n_per_row).ok());
  return y;
}

TEST_P(QuantizeRoundTrip, ErrorWithinBudget) {
  const Budget budget = GetParam();
  const int64_t n_rows = 16, n_per_row = 1024;
  const std::vector<float> x = testing::RandomNormal(n_rows * n_per_row, 42);
  const double err = testing::RelativeRmse(x, RoundTrip(budget.type, x, n_rows, n_per_row));
  std::printf("[ budget   ] %-5s relative RMSE %.5f (bound %.5f)\n",
              GgmlTypeName(budget.type).c_str(), err, budget.max_rel_rmse);
  EXPECT_LE(err, budget.max_rel_rmse) << GgmlTypeName(budget.type);
}

TEST_P(QuantizeRoundTrip, ScaleInvariantErrorOnSmallWeights) {
  // Model weights are ~N(0, 0.02^2): the relative error must not depend on the scale.
  const Budget budget = GetParam();
  const int64_t n_rows = 4, n_per_row = 768;
  const std::vector<float> x = testing::RandomNormal(n_rows * n_per_row, 7, 0.02f);
  const double err = testing::RelativeRmse(x, RoundTrip(budget.type, x, n_rows, n_per_row));
  EXPECT_LE(err, budget.max_rel_rmse * 1.1 + 1e-6) << GgmlTypeName(budget.type);
}

TEST_P(QuantizeRoundTrip, OddBlockCountsRoundTrip) {
  const Budget budget = GetParam();
  const int64_t block = std::max<int64_t>(32, FindGgmlTypeInfo(budget.type)->block_size);
  for (int64_t n_blocks : {1, 7, 33}) {
    const int64_t n = n_blocks * block;
    const std::vector<float> x = testing::RandomNormal(3 * n, static_cast<uint32_t>(n_blocks));
    const double err = testing::RelativeRmse(x, RoundTrip(budget.type, x, 3, n));
    // A single block has a noisier estimate: allow 30% more.
    EXPECT_LE(err, budget.max_rel_rmse * 1.3 + 1e-6)
        << GgmlTypeName(budget.type) << ", " << n_blocks << " blocks";
  }
}

TEST_P(QuantizeRoundTrip, ZeroAndConstantBlocksStayFinite) {
  const Budget budget = GetParam();
  const int64_t n = 512;
  std::vector<float> x(2 * n, 0.0f);
  for (int64_t i = n; i < 2 * n; ++i) x[i] = 0.25f;  // a constant row
  const std::vector<float> y = RoundTrip(budget.type, x, 2, n);
  for (int64_t i = 0; i < n; ++i)
    ASSERT_EQ(y[i], 0.0f) << GgmlTypeName(budget.type) << " element " << i;
  for (int64_t i = n; i < 2 * n; ++i) {
    ASSERT_TRUE(std::isfinite(y[i]));
    ASSERT_NEAR(y[i], 0.25f, 0.25f * 2 * budget.max_rel_rmse + 1e-6)
        << GgmlTypeName(budget.type) << " element " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(AllTypes, QuantizeRoundTrip, ::testing::ValuesIn(kBudgets),
                         [](const ::testing::TestParamInfo<Budget>& param) {
                           return GgmlTypeName(param.param.type);
                         });

TEST(QuantizeStability, ZeroTypesRequantizeToTheSameBytes) {
  for (GgmlType type : {GgmlType::kQ4_0, GgmlType::kQ5_0, GgmlType::kQ8_0}) {
    const int64_t n = 33 * 32;
    const std::vector<float> x = testing::RandomNormal(n, 5);
    std::vector<uint8_t> q1(testing::RowBytes(type, n)), q2(q1.size());
    ASSERT_TRUE(QuantizeRows(type, x.data(), q1.data(), 1, n).ok());
    std::vector<float> y(static_cast<size_t>(n));
    ASSERT_TRUE(DequantizeRows(type, q1.data(), y.data(), 1, n).ok());
    ASSERT_TRUE(QuantizeRows(type, y.data(), q2.data(), 1, n).ok());
    EXPECT_EQ(q1, q2) << GgmlTypeName(type);
  }
}

TEST(QuantizeQuality, KQuantsBeatTheirLegacyCounterparts) {
  // The least-squares scale search must pay off: Q4_K (4.5 bits) below Q4_0 (4.5 bits) and
  // Q4_1 (5 bits), Q5_K below Q5_0/Q5_1.
  const int64_t n_rows = 8, n_per_row = 1024;
  const std::vector<float> x = testing::RandomNormal(n_rows * n_per_row, 99);
  auto err = [&](GgmlType t) {
    return testing::RelativeRmse(x, RoundTrip(t, x, n_rows, n_per_row));
  };
  EXPECT_LT(err(GgmlType::kQ4_K), err(GgmlType::kQ4_0));
  EXPECT_LT(err(GgmlType::kQ4_K), err(GgmlType::kQ4_1));
  EXPECT_LT(err(GgmlType::kQ5_K), err(GgmlType::kQ5_0));
  EXPECT_LT(err(GgmlType::kQ5_K), err(GgmlType::kQ5_1));
  EXPECT_LT(err(GgmlType::kQ3_K), err(GgmlType::kQ2_K));
}

TEST(QuantizeErrors, RowLengthNotABlockMultipleNamesTypeAndLength) {
  std::vector<float> x(300, 1.0f);
  std::vector<uint8_t> q(4096);
  const Status s = QuantizeRows(GgmlType::kQ4_K, x.data(), q.data(), 1, 300);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("Q4_K"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("300"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("256"), std::string::npos) << s.message();
  std::vector<float> y(300);
  const Status d = DequantizeRows(GgmlType::kQ8_0, q.data(), y.data(), 1, 40);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.message().find("Q8_0"), std::string::npos) << d.message();
  EXPECT_NE(d.message().find("40"), std::string::npos) << d.message();
}

TEST(QuantizeErrors, UnsupportedTypesAreRejected) {
  std::vector<float> x(256, 1.0f);
  std::vector<uint8_t> q(4096);
  for (GgmlType t :
       {GgmlType::kIQ4_NL, GgmlType::kQ8_1, GgmlType::kQ8_K, GgmlType::kI32, GgmlType::kTQ2_0}) {
    EXPECT_FALSE(IsSupportedWeightType(t)) << GgmlTypeName(t);
    const Status s = QuantizeRows(t, x.data(), q.data(), 1, 256);
    EXPECT_EQ(s.code(), StatusCode::kUnsupported) << GgmlTypeName(t);
    EXPECT_NE(s.message().find(GgmlTypeName(t)), std::string::npos) << s.message();
    EXPECT_EQ(DequantizeRows(t, q.data(), x.data(), 1, 256).code(), StatusCode::kUnsupported);
  }
  for (const Budget& b : kBudgets)
    EXPECT_TRUE(IsSupportedWeightType(b.type)) << GgmlTypeName(b.type);
}

TEST(QuantizeErrors, NonFiniteAndOutOfRangeValuesNameTheirPosition) {
  std::vector<float> x(2 * 64, 0.5f);
  x[64 + 17] = std::numeric_limits<float>::quiet_NaN();
  std::vector<uint8_t> q(4096);
  const Status s = QuantizeRows(GgmlType::kQ8_0, x.data(), q.data(), 2, 64);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("element 17 of row 1"), std::string::npos) << s.message();
  x[64 + 17] = 1e6f;  // beyond fp16: fine for F32/BF16, not for F16 or fp16 scales
  EXPECT_FALSE(QuantizeRows(GgmlType::kF16, x.data(), q.data(), 2, 64).ok());
  EXPECT_TRUE(QuantizeRows(GgmlType::kBF16, x.data(), q.data(), 2, 64).ok());
  x[64 + 17] = std::numeric_limits<float>::infinity();
  EXPECT_FALSE(QuantizeRows(GgmlType::kF32, x.data(), q.data(), 2, 64).ok());
}

TEST(QuantizeErrors, BadShapesAreRejectedAndEmptyTensorsAccepted) {
  std::vector<float> x(64, 0.5f);
  std::vector<uint8_t> q(4096);
  EXPECT_EQ(QuantizeRows(GgmlType::kQ8_0, x.data(), q.data(), -1, 32).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(QuantizeRows(GgmlType::kQ8_0, x.data(), q.data(), 1, 0).code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(QuantizeRows(GgmlType::kQ8_0, nullptr, nullptr, 0, 32).ok());
}

}  // namespace
}  // namespace edgelm
