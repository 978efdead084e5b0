#include "eval/eval_math.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace edgelm {
namespace {

std::vector<float> RandomLogits(size_t n, uint32_t seed, float scale = 3.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

TEST(EvalMathTest, NegLogProbMatchesDirectSoftmax) {
  std::vector<float> l = {1.0f, 2.0f, 3.0f};
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  EXPECT_NEAR(NegLogProb(l, 0), -std::log(std::exp(1.0) / z), 1e-12);
  EXPECT_NEAR(NegLogProb(l, 2), -std::log(std::exp(3.0) / z), 1e-12);
  // Stable for large logits.
  std::vector<float> big = {1000.0f, 1000.0f};
  EXPECT_NEAR(NegLogProb(big, 1), std::log(2.0), 1e-12);
  EXPECT_EQ(ArgMax(std::vector<float>{1, 5, 5, 2}), 1);
}

TEST(EvalMathTest, KlDivergenceIdentities) {
  auto a = RandomLogits(1000, 1);
  EXPECT_EQ(KlDivergence(a, a), 0.0);  // self: exactly zero
  // Shifting all logits by a constant does not change the distribution.
  auto shifted = a;
  for (auto& x : shifted) x += 7.0f;
  EXPECT_NEAR(KlDivergence(a, shifted), 0.0, 1e-9);
  auto b = RandomLogits(1000, 2);
  const double ab = KlDivergence(a, b), ba = KlDivergence(b, a);
  EXPECT_GT(ab, 0.1);
  EXPECT_GT(ba, 0.1);
  EXPECT_NE(ab, ba);  // KLD is not symmetric in general
  // Two-point distributions: closed form.
  std::vector<float> p = {0.0f, std::log(3.0f)};  // P = (1/4, 3/4)
  std::vector<float> q = {0.0f, 0.0f};            // Q = (1/2, 1/2)
  const double expected = 0.25 * std::log(0.25 / 0.5) + 0.75 * std::log(0.75 / 0.5);
  EXPECT_NEAR(KlDivergence(p, q), expected, 1e-7);
}

TEST(EvalMathTest, TopKApproximation) {
  auto a = RandomLogits(500, 3), b = RandomLogits(500, 4);
  TopK full = TopKLogProbs(a, 500);
  EXPECT_FALSE(std::isfinite(full.log_rest));
  EXPECT_NEAR(KlDivergenceTopK(full, b), KlDivergence(a, b), 1e-6);  // exact when k = vocab
  EXPECT_EQ(KlDivergenceTopK(TopKLogProbs(a, 500), a), 0.0);
  TopK top = TopKLogProbs(a, 32);
  ASSERT_EQ(top.ids.size(), 32u);
  EXPECT_EQ(top.ids[0], ArgMax(a));
  for (size_t i = 1; i < top.logits.size(); ++i) EXPECT_GE(top.LogProb(i - 1), top.LogProb(i));
  // Grouping the tail can only lose information: the approximation is a lower bound.
  EXPECT_LE(KlDivergenceTopK(top, b), KlDivergence(a, b) + 1e-9);
  EXPECT_EQ(KlDivergenceTopK(top, a), 0.0);  // against its own row: exactly zero
}

TEST(EvalMathTest, IntervalsAndPercentiles) {
  Interval w = WilsonInterval(50, 100);
  EXPECT_NEAR(w.low, 0.4038, 1e-4);
  EXPECT_NEAR(w.high, 0.5962, 1e-4);
  Interval zero = WilsonInterval(0, 10);
  EXPECT_EQ(zero.low, 0.0);
  EXPECT_NEAR(zero.high, 0.2775, 1e-4);
  Interval none = WilsonInterval(0, 0);
  EXPECT_EQ(none.low, 0.0);
  EXPECT_EQ(none.high, 1.0);

  std::vector<double> v = {1, 2, 3, 4};
  MeanError me = MeanWithError(v);
  EXPECT_DOUBLE_EQ(me.mean, 2.5);
  EXPECT_NEAR(me.stderr_, std::sqrt(1.25 / 3), 1e-12);  // population variance / (n - 1)
  std::vector<double> one = {5};
  EXPECT_LT(MeanWithError(one).stderr_, 0);  // absent for n = 1
  EXPECT_DOUBLE_EQ(Percentile(v, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(Percentile({4, 1, 3, 2}, 1.0), 4);
  EXPECT_DOUBLE_EQ(Percentile(v, 0.0), 1);
}

}  // namespace
}  // namespace edgelm
