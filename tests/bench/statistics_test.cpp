#include "bench/statistics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace edgelm::bench {
namespace {

TEST(StatisticsTest, EmptyHasNothing) {
  SampleSummary s = Summarize(std::vector<double>{});
  EXPECT_EQ(s.n, 0u);
  EXPECT_FALSE(s.mean.has_value());
  EXPECT_FALSE(s.median.has_value());
  EXPECT_FALSE(s.min.has_value());
  EXPECT_FALSE(s.max.has_value());
  EXPECT_FALSE(s.stddev.has_value());
  EXPECT_FALSE(s.cv.has_value());
  EXPECT_FALSE(s.ci95_low.has_value());
  EXPECT_FALSE(s.high_cv);
}

TEST(StatisticsTest, OneSampleHasNoSpreadOrInterval) {
  SampleSummary s = Summarize(std::vector<double>{5.0});
  EXPECT_EQ(s.n, 1u);
  EXPECT_DOUBLE_EQ(*s.mean, 5.0);
  EXPECT_DOUBLE_EQ(*s.median, 5.0);
  EXPECT_DOUBLE_EQ(*s.min, 5.0);
  EXPECT_DOUBLE_EQ(*s.max, 5.0);
  // Absent, not 0: one sample says nothing about the spread.
  EXPECT_FALSE(s.stddev.has_value());
  EXPECT_FALSE(s.cv.has_value());
  EXPECT_FALSE(s.ci95_low.has_value());
  EXPECT_FALSE(s.ci95_high.has_value());
  EXPECT_FALSE(s.high_cv);
}

TEST(StatisticsTest, TwoSamplesUseTWithOneDegreeOfFreedom) {
  SampleSummary s = Summarize(std::vector<double>{1.0, 3.0});
  EXPECT_DOUBLE_EQ(*s.mean, 2.0);
  EXPECT_DOUBLE_EQ(*s.median, 2.0);
  // Sample stddev: sqrt(((1-2)^2 + (3-2)^2) / 1) = sqrt(2).
  EXPECT_NEAR(*s.stddev, std::sqrt(2.0), 1e-12);
  EXPECT_NEAR(*s.cv, std::sqrt(2.0) / 2.0, 1e-12);
  EXPECT_TRUE(s.high_cv);
  // Half width t(0.975, 1) * sqrt(2) / sqrt(2) = 12.7062047.
  EXPECT_NEAR(*s.ci95_low, 2.0 - 12.7062047, 1e-6);
  EXPECT_NEAR(*s.ci95_high, 2.0 + 12.7062047, 1e-6);
}

TEST(StatisticsTest, ZeroMeanHasNoCoefficientOfVariation) {
  SampleSummary s = Summarize(std::vector<double>{-1.0, 1.0});
  EXPECT_DOUBLE_EQ(*s.mean, 0.0);
  EXPECT_NEAR(*s.stddev, std::sqrt(2.0), 1e-12);
  EXPECT_FALSE(s.cv.has_value());
  EXPECT_FALSE(s.high_cv);
  EXPECT_NEAR(*s.ci95_high, 12.7062047, 1e-6);
}

TEST(StatisticsTest, ConstantSamplesHaveZeroSpread) {
  SampleSummary s = Summarize(std::vector<double>{4.0, 4.0, 4.0});
  EXPECT_DOUBLE_EQ(*s.mean, 4.0);
  EXPECT_DOUBLE_EQ(*s.stddev, 0.0);
  EXPECT_DOUBLE_EQ(*s.cv, 0.0);
  EXPECT_FALSE(s.high_cv);
  EXPECT_DOUBLE_EQ(*s.ci95_low, 4.0);
  EXPECT_DOUBLE_EQ(*s.ci95_high, 4.0);
}

TEST(StatisticsTest, KnownSampleSet) {
  // Sum of squared deviations from the mean 5 is 32, so the sample variance is 32/7.
  std::vector<double> v = {2, 4, 4, 4, 5, 5, 7, 9};
  SampleSummary s = Summarize(v);
  EXPECT_DOUBLE_EQ(*s.mean, 5.0);
  EXPECT_DOUBLE_EQ(*s.median, 4.5);
  EXPECT_DOUBLE_EQ(*s.min, 2.0);
  EXPECT_DOUBLE_EQ(*s.max, 9.0);
  EXPECT_NEAR(*s.stddev, std::sqrt(32.0 / 7.0), 1e-12);
  // t(0.975, 7) = 2.3646243.
  const double half = 2.3646243 * std::sqrt(32.0 / 7.0) / std::sqrt(8.0);
  EXPECT_NEAR(*s.ci95_low, 5.0 - half, 1e-6);
  EXPECT_NEAR(*s.ci95_high, 5.0 + half, 1e-6);
}

TEST(StatisticsTest, LowCvIsNotFlagged) {
  SampleSummary s = Summarize(std::vector<double>{100, 101, 99, 100});
  EXPECT_LT(*s.cv, kHighCvThreshold);
  EXPECT_FALSE(s.high_cv);
}

TEST(StatisticsTest, StudentTCriticalMatchesTables) {
  EXPECT_NEAR(StudentTCritical(1), 12.7062047, 1e-6);
  EXPECT_NEAR(StudentTCritical(2), 4.3026527, 1e-6);
  EXPECT_NEAR(StudentTCritical(4), 2.7764451, 1e-6);
  EXPECT_NEAR(StudentTCritical(10), 2.2281389, 1e-6);
  EXPECT_NEAR(StudentTCritical(30), 2.0422725, 1e-6);
  EXPECT_NEAR(StudentTCritical(INFINITY), 1.9599640, 1e-6);
  EXPECT_NEAR(StudentTCritical(10, 0.99), 3.1692726, 1e-6);
}

TEST(StatisticsTest, StudentTPValues) {
  EXPECT_DOUBLE_EQ(StudentTTwoSidedP(0.0, 5), 1.0);
  EXPECT_NEAR(StudentTTwoSidedP(2.7764451, 4), 0.05, 1e-7);
  EXPECT_NEAR(StudentTTwoSidedP(-2.7764451, 4), 0.05, 1e-7);
  EXPECT_EQ(StudentTTwoSidedP(INFINITY, 3), 0.0);
}

TEST(StatisticsTest, PercentileInterpolates) {
  std::vector<double> v = {10, 20, 30, 40};
  EXPECT_DOUBLE_EQ(*Percentile(v, 0), 10);
  EXPECT_DOUBLE_EQ(*Percentile(v, 100), 40);
  EXPECT_DOUBLE_EQ(*Percentile(v, 50), 25);
  EXPECT_DOUBLE_EQ(*Percentile(v, 90), 37);  // rank 2.7 -> 30 + 0.7 * 10
  EXPECT_FALSE(Percentile(std::vector<double>{}, 50).has_value());
  EXPECT_DOUBLE_EQ(*Percentile(std::vector<double>{7}, 99), 7);
}

TEST(StatisticsTest, WelchEqualSizesIntegerDf) {
  // Equal variances (1) and sizes (3): t = 3 / sqrt(2/3), df = 4; p from integrating the
  // t density numerically: 0.0213116.
  auto w = WelchTTest(std::vector<double>{1, 2, 3}, std::vector<double>{4, 5, 6});
  ASSERT_TRUE(w.has_value());
  EXPECT_NEAR(w->t, 3.0 / std::sqrt(2.0 / 3.0), 1e-12);
  EXPECT_NEAR(w->df, 4.0, 1e-12);
  EXPECT_NEAR(w->p_value, 0.0213116, 1e-6);
  EXPECT_TRUE(w->significant);
  EXPECT_NE(w->method.find("Welch"), std::string::npos);
}

TEST(StatisticsTest, WelchUnequalVariances) {
  // var 2.5 and 10 over 5 samples each: t = 3/sqrt(2.5), df = 6.25/1.0625; p = 0.107531.
  auto w = WelchTTest(std::vector<double>{1, 2, 3, 4, 5}, std::vector<double>{2, 4, 6, 8, 10});
  ASSERT_TRUE(w.has_value());
  EXPECT_NEAR(w->t, 3.0 / std::sqrt(2.5), 1e-12);
  EXPECT_NEAR(w->df, 6.25 / 1.0625, 1e-12);
  EXPECT_NEAR(w->p_value, 0.107531, 1e-5);
  EXPECT_FALSE(w->significant);
}

TEST(StatisticsTest, WelchEdgeCases) {
  EXPECT_FALSE(WelchTTest(std::vector<double>{1}, std::vector<double>{1, 2}).has_value());
  EXPECT_FALSE(WelchTTest(std::vector<double>{}, std::vector<double>{}).has_value());
  auto same = WelchTTest(std::vector<double>{3, 3}, std::vector<double>{3, 3, 3});
  ASSERT_TRUE(same.has_value());
  EXPECT_FALSE(same->significant);
  EXPECT_DOUBLE_EQ(same->p_value, 1.0);
  auto differ = WelchTTest(std::vector<double>{3, 3}, std::vector<double>{4, 4});
  ASSERT_TRUE(differ.has_value());
  EXPECT_TRUE(differ->significant);
  EXPECT_NE(differ->method.find("degenerate"), std::string::npos);
  // One constant side: the other side's variance alone drives the test (df = n_b - 1).
  auto one = WelchTTest(std::vector<double>{5, 5, 5}, std::vector<double>{1, 2, 3});
  ASSERT_TRUE(one.has_value());
  EXPECT_NEAR(one->df, 2.0, 1e-12);
  EXPECT_NEAR(one->t, -3.0 / std::sqrt(1.0 / 3.0), 1e-12);
}

}  // namespace
}  // namespace edgelm::bench
