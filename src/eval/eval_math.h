// Numerics shared by the quality evaluations: stable log-softmax, KL divergence between
// two next-token distributions, and the intervals reported with every figure.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace edgelm {

// log(sum(exp(x))) computed stably in double.
double LogSumExp(std::span<const float> logits);
// -log softmax(logits)[token].
double NegLogProb(std::span<const float> logits, int32_t token);
// Index of the largest logit (lowest index on ties).
int32_t ArgMax(std::span<const float> logits);
// KL(P || Q) = sum p (log p - log q) with P = softmax(base), Q = softmax(model); >= 0, and
// exactly 0 when the rows are identical.
double KlDivergence(std::span<const float> base_logits, std::span<const float> model_logits);

// The k most probable tokens of a row, most probable first, as their raw logits with the
// row's log-sum-exp (so log p = logit - lse is recomputed exactly as for a live row), and
// the log of the probability mass outside them (-inf when k covers the vocabulary).
struct TopK {
  std::vector<int32_t> ids;
  std::vector<float> logits;
  double lse = 0;
  double log_rest = 0;
  double LogProb(size_t i) const { return static_cast<double>(logits[i]) - lse; }
};
TopK TopKLogProbs(std::span<const float> logits, int k);
// KL(P || Q) with P known only through its top k and the rest mass (a lower bound of the
// full KLD by the data-processing inequality; exact when k covers the vocabulary, and
// exactly 0 when Q is the row P came from).
double KlDivergenceTopK(const TopK& base, std::span<const float> model_logits);

// Wilson score interval for a binomial proportion (95%: z = 1.96).
struct Interval {
  double low = 0, high = 0;
};
Interval WilsonInterval(size_t successes, size_t n, double z = 1.959963984540054);

// Mean of values and its standard error sqrt(var / (n - 1)) as llama-perplexity reports
// (absent for n < 2: returns negative).
struct MeanError {
  double mean = 0;
  double stderr_ = -1;
};
MeanError MeanWithError(std::span<const double> values);

// Percentile by linear interpolation between closest ranks (values need not be sorted).
double Percentile(std::vector<double> values, double p);

}  // namespace edgelm
