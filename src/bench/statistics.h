// Statistics over the raw samples of a measurement (one value per repetition).
//
// Goals: the summaries a benchmark report needs (mean, median, sample standard
// deviation, min, max, coefficient of variation, a 95% confidence interval for the mean
// using Student's t) and a two-sample test for comparing runs (Welch's t-test), with the
// small-sample edge cases handled the way a reader expects: a quantity that cannot be
// computed from the samples is absent (std::nullopt), never 0. With one sample there is
// no spread and no interval; with a zero mean there is no coefficient of variation.
// Non-goals: robust or non-parametric estimators, outlier rejection (samples are kept raw
// so anyone can apply those later).
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>

namespace edgelm::bench {

// A coefficient of variation above 5% means run-to-run noise is large enough to hide
// the differences people usually look for (ISA paths, thread counts, quant types differ
// by 5-30%), so the report flags it.
inline constexpr double kHighCvThreshold = 0.05;

struct SampleSummary {
  size_t n = 0;
  std::optional<double> mean, median, min, max;  // absent when n == 0
  std::optional<double> stddev;                  // sample (n-1) stddev; absent when n < 2
  std::optional<double> cv;                      // stddev / |mean|; absent when n < 2 or mean == 0
  // Two-sided 95% interval for the mean: mean -/+ t(0.975, n-1) * stddev / sqrt(n).
  std::optional<double> ci95_low, ci95_high;     // absent when n < 2
  bool high_cv = false;                          // cv > threshold
};

SampleSummary Summarize(std::span<const double> samples, double high_cv_threshold = kHighCvThreshold);

// Upper critical value of Student's t with `df` degrees of freedom (df > 0, need not be
// an integer): the t with P(|T| <= t) = confidence. df = infinity is the normal case.
double StudentTCritical(double df, double confidence = 0.95);
// Two-sided p-value P(|T| >= |t|) for Student's t with df degrees of freedom.
double StudentTTwoSidedP(double t, double df);

struct WelchTest {
  double mean_a = 0, mean_b = 0;
  double t = 0;        // (mean_b - mean_a) / sqrt(var_a/n_a + var_b/n_b)
  double df = 0;       // Welch-Satterthwaite degrees of freedom
  double p_value = 1;  // two-sided
  double alpha = 0.05;
  bool significant = false;  // p_value < alpha
  // Which test produced the numbers, for the report ("Welch's t-test, two-sided").
  std::string method;
};

// Welch's unequal-variance t-test on two raw sample sets. Needs at least two samples on
// each side (no variance otherwise): returns std::nullopt then. When both sides have zero
// variance the test degenerates: equal means are "not significant" (p = 1), different
// means are a deterministic difference (p = 0, significant) and `method` says so.
std::optional<WelchTest> WelchTTest(std::span<const double> a, std::span<const double> b,
                                    double alpha = 0.05);

// Percentile by linear interpolation between closest ranks (the "R-7"/numpy default):
// p in [0, 100]. Absent for an empty set.
std::optional<double> Percentile(std::span<const double> samples, double p);

}  // namespace edgelm::bench
