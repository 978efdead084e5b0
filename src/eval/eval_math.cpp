#include "eval/eval_math.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace edgelm {

double LogSumExp(std::span<const float> logits) {
  float max = -std::numeric_limits<float>::infinity();
  for (float v : logits) max = std::max(max, v);
  double sum = 0;
  for (float v : logits) sum += std::exp(static_cast<double>(v) - max);
  return max + std::log(sum);
}

double NegLogProb(std::span<const float> logits, int32_t token) {
  return LogSumExp(logits) - static_cast<double>(logits[static_cast<size_t>(token)]);
}

int32_t ArgMax(std::span<const float> logits) {
  return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

double KlDivergence(std::span<const float> base, std::span<const float> model) {
  const double lse_p = LogSumExp(base), lse_q = LogSumExp(model);
  double kl = 0;
  for (size_t i = 0; i < base.size(); ++i) {
    const double lp = base[i] - lse_p, lq = model[i] - lse_q;
    kl += std::exp(lp) * (lp - lq);
  }
  // Rounding can leave a tiny negative value for near-identical rows; KLD is >= 0.
  return std::max(0.0, kl);
}

namespace {

// Log of the probability mass of the tokens not in `ids`, summed in index order so that
// the same row always gives the same bits.
double LogRestMass(std::span<const float> logits, double lse, const std::vector<int32_t>& ids) {
  if (ids.size() >= logits.size()) return -std::numeric_limits<double>::infinity();
  std::vector<bool> in_top(logits.size(), false);
  for (int32_t id : ids) in_top[static_cast<size_t>(id)] = true;
  double rest = 0;
  for (size_t i = 0; i < logits.size(); ++i) {
    if (!in_top[i]) rest += std::exp(static_cast<double>(logits[i]) - lse);
  }
  return std::log(rest);
}

}  // namespace

TopK TopKLogProbs(std::span<const float> logits, int k) {
  const size_t n = logits.size();
  const size_t kk = std::min<size_t>(static_cast<size_t>(std::max(k, 1)), n);
  std::vector<int32_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(kk), idx.end(), [&](int32_t a, int32_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  });
  TopK out;
  out.lse = LogSumExp(logits);
  out.ids.assign(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(kk));
  for (int32_t id : out.ids) out.logits.push_back(logits[static_cast<size_t>(id)]);
  out.log_rest = LogRestMass(logits, out.lse, out.ids);
  return out;
}

double KlDivergenceTopK(const TopK& base, std::span<const float> model) {
  const double lse_q = LogSumExp(model);
  double kl = 0;
  for (size_t i = 0; i < base.ids.size(); ++i) {
    const double lp = base.LogProb(i);
    const double lq = static_cast<double>(model[static_cast<size_t>(base.ids[i])]) - lse_q;
    kl += std::exp(lp) * (lp - lq);
  }
  if (std::isfinite(base.log_rest)) {
    const double log_q_rest = LogRestMass(model, lse_q, base.ids);
    kl += std::exp(base.log_rest) * (base.log_rest - log_q_rest);
  }
  return std::max(0.0, kl);
}

Interval WilsonInterval(size_t successes, size_t n, double z) {
  if (n == 0) return {0, 1};
  const double p = static_cast<double>(successes) / static_cast<double>(n);
  const double nn = static_cast<double>(n);
  const double denom = 1 + z * z / nn;
  const double centre = (p + z * z / (2 * nn)) / denom;
  const double half = z * std::sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn)) / denom;
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

MeanError MeanWithError(std::span<const double> values) {
  MeanError out;
  if (values.empty()) return out;
  double sum = 0, sum2 = 0;
  for (double v : values) {
    sum += v;
    sum2 += v * v;
  }
  const double n = static_cast<double>(values.size());
  out.mean = sum / n;
  if (values.size() >= 2) out.stderr_ = std::sqrt(std::max(0.0, sum2 / n - out.mean * out.mean) / (n - 1));
  return out;
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(values.begin(), values.end());
  const double pos = std::clamp(p, 0.0, 1.0) * static_cast<double>(values.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (values[hi] - values[lo]) * (pos - static_cast<double>(lo));
}

}  // namespace edgelm
