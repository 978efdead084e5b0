#include "bench/statistics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/status.h"

namespace edgelm::bench {
namespace {

// Continued fraction for the regularized incomplete beta function, evaluated with the
// modified Lentz method. Converges quickly for x < (a+1)/(a+b+2); the caller uses the
// symmetry I_x(a,b) = 1 - I_{1-x}(b,a) otherwise.
double BetaContinuedFraction(double a, double b, double x) {
  constexpr int kMaxIterations = 500;
  constexpr double kEpsilon = 1e-15;
  constexpr double kTiny = 1e-300;  // keeps the Lentz denominators away from zero
  const double qab = a + b, qap = a + 1.0, qam = a - 1.0;
  double c = 1.0;
  double d = 1.0 - qab * x / qap;
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1.0 / d;
  double h = d;
  for (int m = 1; m <= kMaxIterations; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    const double del = d * c;
    h *= del;
    if (std::fabs(del - 1.0) < kEpsilon) break;
  }
  return h;
}

// Regularized incomplete beta I_x(a, b) for x in [0, 1].
double RegularizedIncompleteBeta(double a, double b, double x) {
  if (x <= 0.0) return 0.0;
  if (x >= 1.0) return 1.0;
  const double log_front =
      std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x);
  const double front = std::exp(log_front);
  if (x < (a + 1.0) / (a + b + 2.0)) return front * BetaContinuedFraction(a, b, x) / a;
  return 1.0 - front * BetaContinuedFraction(b, a, 1.0 - x) / b;
}

}  // namespace

double StudentTTwoSidedP(double t, double df) {
  EDGELM_CHECK(df > 0);
  if (std::isnan(t)) return std::numeric_limits<double>::quiet_NaN();
  if (std::isinf(t)) return 0.0;
  if (std::isinf(df)) return std::erfc(std::fabs(t) / std::sqrt(2.0));
  // P(|T| >= |t|) = I_{df/(df+t^2)}(df/2, 1/2).
  return RegularizedIncompleteBeta(df / 2.0, 0.5, df / (df + t * t));
}

double StudentTCritical(double df, double confidence) {
  EDGELM_CHECK(df > 0);
  EDGELM_CHECK(confidence > 0 && confidence < 1);
  const double target_p = 1.0 - confidence;
  // The two-sided p falls monotonically in |t|: bracket, then bisect to full precision.
  double lo = 0.0, hi = 1.0;
  while (StudentTTwoSidedP(hi, df) > target_p) {
    lo = hi;
    hi *= 2.0;
    EDGELM_CHECK(hi < 1e12);
  }
  for (int i = 0; i < 200 && hi - lo > 1e-13 * hi; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (StudentTTwoSidedP(mid, df) > target_p) lo = mid; else hi = mid;
  }
  return 0.5 * (lo + hi);
}

std::optional<double> Percentile(std::span<const double> samples, double p) {
  EDGELM_CHECK(p >= 0 && p <= 100);
  if (samples.empty()) return std::nullopt;
  std::vector<double> sorted(samples.begin(), samples.end());
  std::sort(sorted.begin(), sorted.end());
  const double rank = p / 100.0 * static_cast<double>(sorted.size() - 1);
  const size_t below = static_cast<size_t>(std::floor(rank));
  const size_t above = std::min(below + 1, sorted.size() - 1);
  const double frac = rank - static_cast<double>(below);
  return sorted[below] + (sorted[above] - sorted[below]) * frac;
}

SampleSummary Summarize(std::span<const double> samples, double high_cv_threshold) {
  SampleSummary s;
  s.n = samples.size();
  if (s.n == 0) return s;
  double sum = 0.0;
  for (double v : samples) sum += v;
  const double mean = sum / static_cast<double>(s.n);
  s.mean = mean;
  s.min = *std::min_element(samples.begin(), samples.end());
  s.max = *std::max_element(samples.begin(), samples.end());
  s.median = Percentile(samples, 50.0);
  if (s.n < 2) return s;
  // Two-pass variance: subtracting the mean first avoids the cancellation of sum-of-squares.
  double ss = 0.0;
  for (double v : samples) ss += (v - mean) * (v - mean);
  const double stddev = std::sqrt(ss / static_cast<double>(s.n - 1));
  s.stddev = stddev;
  if (mean != 0.0) {
    s.cv = stddev / std::fabs(mean);
    s.high_cv = *s.cv > high_cv_threshold;
  }
  const double half = StudentTCritical(static_cast<double>(s.n - 1)) * stddev /
                      std::sqrt(static_cast<double>(s.n));
  s.ci95_low = mean - half;
  s.ci95_high = mean + half;
  return s;
}

std::optional<WelchTest> WelchTTest(std::span<const double> a, std::span<const double> b,
                                    double alpha) {
  if (a.size() < 2 || b.size() < 2) return std::nullopt;
  const SampleSummary sa = Summarize(a), sb = Summarize(b);
  WelchTest w;
  w.mean_a = *sa.mean;
  w.mean_b = *sb.mean;
  w.alpha = alpha;
  const double na = static_cast<double>(sa.n), nb = static_cast<double>(sb.n);
  const double va = *sa.stddev * *sa.stddev / na, vb = *sb.stddev * *sb.stddev / nb;
  const double se2 = va + vb;
  if (se2 == 0.0) {
    // Both sides constant: no spread to test against.
    w.method = "Welch's t-test, two-sided (degenerate: both sample sets are constant)";
    w.df = na + nb - 2.0;
    const bool differ = w.mean_a != w.mean_b;
    w.t = differ ? std::copysign(std::numeric_limits<double>::infinity(), w.mean_b - w.mean_a) : 0.0;
    w.p_value = differ ? 0.0 : 1.0;
    w.significant = differ;
    return w;
  }
  w.method = "Welch's t-test, two-sided";
  w.t = (w.mean_b - w.mean_a) / std::sqrt(se2);
  // Welch-Satterthwaite; a zero-variance side contributes nothing to the denominator.
  double denom = 0.0;
  if (va > 0) denom += va * va / (na - 1.0);
  if (vb > 0) denom += vb * vb / (nb - 1.0);
  w.df = se2 * se2 / denom;
  w.p_value = StudentTTwoSidedP(w.t, w.df);
  w.significant = w.p_value < alpha;
  return w;
}

}  // namespace edgelm::bench
