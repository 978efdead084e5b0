// The sampling chain of include/edgelm/sampler.h.
#include "edgelm/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace edgelm {
namespace {

// (logit desc, id asc): a total order, so results never depend on the sort algorithm.
bool MoreLikely(const TokenProb& a, const TokenProb& b) {
  if (a.logit != b.logit) return a.logit > b.logit;
  return a.id < b.id;
}

std::string FloatText(float v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return std::to_string(v);
}

Status RangeError(const char* field, const char* range, float value) {
  return InvalidArgumentError(std::string("sampler parameter ") + field + " must be " + range +
                              ", got " + FloatText(value));
}

// exp() in float: a float's precision is all the probabilities need, and expf is several
// times faster than exp, which matters when it runs over a 150k-token vocabulary.
inline double ExpDiff(float logit, float max_logit) {
  return static_cast<double>(std::exp(logit - max_logit));
}

// Keeps the smallest prefix of the most likely tokens whose probabilities (softmax of
// the logits, temperature 1) reach top_p. Orders only as far as needed, in growing
// chunks (select with nth_element, then sort the chunk): the prefix is usually a few
// dozen tokens of a vocabulary of 10^5, so a full sort would dominate.
void KeepTopP(std::vector<TokenProb>& c, float top_p, bool& sorted) {
  const size_t n = c.size();
  float max_logit = -std::numeric_limits<float>::infinity();
  for (const TokenProb& t : c) max_logit = std::max(max_logit, t.logit);
  double total = 0;
  for (const TokenProb& t : c) total += ExpDiff(t.logit, max_logit);
  const double target = static_cast<double>(top_p) * total;

  size_t done = 0;  // c[0, done) holds the `done` most likely tokens, in order
  size_t end = sorted ? n : std::min<size_t>(n, 64);
  double cumulative = 0;
  while (true) {
    if (!sorted) {
      const auto first = c.begin() + static_cast<std::ptrdiff_t>(done);
      const auto last = c.begin() + static_cast<std::ptrdiff_t>(end);
      if (end < n) std::nth_element(first, last, c.end(), MoreLikely);
      std::sort(first, last, MoreLikely);
    }
    for (size_t i = done; i < end; ++i) {
      cumulative += ExpDiff(c[i].logit, max_logit);
      if (cumulative >= target) {
        c.resize(i + 1);
        sorted = true;
        return;
      }
    }
    if (end == n) {
      // Rounding left the sum just below the target: every token is kept.
      sorted = true;
      return;
    }
    done = end;
    end = std::min(n, end * 4);
  }
}

}  // namespace

Status SamplerParams::Validate() const {
  if (!std::isfinite(temperature))
    return RangeError("temperature", "a finite number (<= 0: greedy)", temperature);
  if (top_k < 0) {
    return InvalidArgumentError("sampler parameter top_k must be >= 0 (0 turns it off), got " +
                                std::to_string(top_k));
  }
  if (!(top_p >= 0.0f && top_p <= 1.0f))
    return RangeError("top_p", "in [0, 1] (1 turns it off)", top_p);
  if (!(min_p >= 0.0f && min_p <= 1.0f))
    return RangeError("min_p", "in [0, 1] (0 turns it off)", min_p);
  if (!(repeat_penalty > 0.0f) || !std::isfinite(repeat_penalty)) {
    return RangeError("repeat_penalty", "a finite number > 0 (1 turns it off)", repeat_penalty);
  }
  if (repeat_last_n < 0) {
    return InvalidArgumentError(
        "sampler parameter repeat_last_n must be >= 0 (0 turns penalties "
        "off), got " +
        std::to_string(repeat_last_n));
  }
  if (!std::isfinite(presence_penalty))
    return RangeError("presence_penalty", "a finite number", presence_penalty);
  if (!std::isfinite(frequency_penalty))
    return RangeError("frequency_penalty", "a finite number", frequency_penalty);
  return Status::Ok();
}

Result<Sampler> Sampler::Create(const SamplerParams& params) {
  EDGELM_RETURN_IF_ERROR(params.Validate());
  return Sampler(params);
}

void Sampler::Accept(int32_t token) {
  EDGELM_CHECK_MSG(token >= 0, "Sampler::Accept with negative token id " + std::to_string(token));
  if (params_.repeat_last_n == 0) return;
  recent_.push_back(token);
  while (recent_.size() > static_cast<size_t>(params_.repeat_last_n)) recent_.pop_front();
}

void Sampler::Reset() {
  recent_.clear();
  rng_.seed(params_.seed);
}

double Sampler::NextUniform() {
  // 53 random bits fill a double's mantissa exactly: uniform on a 2^-53 grid in [0, 1).
  return static_cast<double>(rng_() >> 11) * 0x1.0p-53;
}

std::span<const int32_t> Sampler::AcceptedTokens() {
  recent_scratch_.assign(recent_.begin(), recent_.end());
  return recent_scratch_;
}

Status Sampler::BuildDistribution(std::span<const float> logits, std::span<const int32_t> recent,
                                  bool& sorted) {
  if (logits.empty()) return InvalidArgumentError("sampling from empty logits (n_vocab is 0)");
  if (logits.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return InvalidArgumentError("sampling from " + std::to_string(logits.size()) +
                                " logits: more than token ids (int32) can address");
  }
  for (size_t i = 0; i < logits.size(); ++i) {
    if (std::isnan(logits[i]) || logits[i] == std::numeric_limits<float>::infinity()) {
      return InvalidArgumentError("logit of token " + std::to_string(i) + " is " +
                                  FloatText(logits[i]) +
                                  " (expected a finite number or -inf); the forward pass "
                                  "produced non-finite values");
    }
  }
  const size_t n_vocab = logits.size();
  // Penalties look back over the last repeat_last_n tokens only.
  if (recent.size() > static_cast<size_t>(params_.repeat_last_n)) {
    recent = recent.subspan(recent.size() - static_cast<size_t>(params_.repeat_last_n));
  }
  for (int32_t token : recent) {
    if (token < 0 || static_cast<size_t>(token) >= n_vocab) {
      return InvalidArgumentError("recent token " + std::to_string(token) +
                                  " is outside the vocabulary of the logits (n_vocab " +
                                  std::to_string(n_vocab) + "); tokens from another model?");
    }
  }

  candidates_.resize(n_vocab);
  for (size_t i = 0; i < n_vocab; ++i) {
    candidates_[i] = TokenProb{static_cast<int32_t>(i), logits[i], 0.0f};
  }

  // 1. Penalties, while candidates_[id] is still token id.
  const bool penalize =
      !recent.empty() && (params_.repeat_penalty != 1.0f || params_.frequency_penalty != 0.0f ||
                          params_.presence_penalty != 0.0f);
  if (penalize) {
    std::vector<int32_t> seen(recent.begin(), recent.end());
    std::sort(seen.begin(), seen.end());
    for (size_t i = 0; i < seen.size();) {
      size_t j = i;
      while (j < seen.size() && seen[j] == seen[i]) ++j;
      const auto count = static_cast<float>(j - i);
      float& logit = candidates_[static_cast<size_t>(seen[i])].logit;
      logit = logit <= 0.0f ? logit * params_.repeat_penalty : logit / params_.repeat_penalty;
      logit -= count * params_.frequency_penalty + params_.presence_penalty;
      i = j;
    }
  }

  // 2. Masked tokens can never be drawn.
  std::erase_if(candidates_, [](const TokenProb& t) { return std::isinf(t.logit); });
  if (candidates_.empty()) {
    return InvalidArgumentError("every one of the " + std::to_string(n_vocab) +
                                " logits is -inf: no token can be sampled");
  }
  sorted = false;

  if (params_.temperature <= 0.0f) {
    const auto best = std::min_element(candidates_.begin(), candidates_.end(), MoreLikely);
    const TokenProb chosen{best->id, best->logit, 1.0f};
    candidates_.assign(1, chosen);
    sorted = true;
    return Status::Ok();
  }

  // 3. Top-k.
  const size_t k = static_cast<size_t>(params_.top_k);
  if (k > 0 && k < candidates_.size()) {
    std::partial_sort(candidates_.begin(), candidates_.begin() + static_cast<std::ptrdiff_t>(k),
                      candidates_.end(), MoreLikely);
    candidates_.resize(k);
    sorted = true;
  }
  // 4. Top-p.
  if (params_.top_p < 1.0f) KeepTopP(candidates_, params_.top_p, sorted);
  // 5. Min-p: p_i >= min_p * p_max  <=>  logit_i >= max_logit + log(min_p).
  if (params_.min_p > 0.0f) {
    float max_logit = -std::numeric_limits<float>::infinity();
    for (const TokenProb& t : candidates_) max_logit = std::max(max_logit, t.logit);
    const float threshold = max_logit + std::log(params_.min_p);
    std::erase_if(candidates_, [threshold](const TokenProb& t) { return t.logit < threshold; });
  }
  // 6. Temperature, 7. softmax. The exponent is taken as (logit - max) / temperature so
  // that a tiny temperature cannot overflow it to inf - inf = NaN.
  const float inv_temperature = 1.0f / params_.temperature;
  float max_logit = -std::numeric_limits<float>::infinity();
  for (const TokenProb& t : candidates_) max_logit = std::max(max_logit, t.logit);
  double total = 0;
  for (TokenProb& t : candidates_) {
    t.prob = std::exp((t.logit - max_logit) * inv_temperature);
    t.logit *= inv_temperature;
    total += t.prob;
  }
  const double inv_total = 1.0 / total;
  for (TokenProb& t : candidates_) t.prob = static_cast<float>(t.prob * inv_total);
  return Status::Ok();
}

Result<std::vector<TokenProb>> Sampler::Distribution(std::span<const float> logits) {
  bool sorted = false;
  EDGELM_RETURN_IF_ERROR(BuildDistribution(logits, AcceptedTokens(), sorted));
  std::vector<TokenProb> out = candidates_;
  if (!sorted) std::sort(out.begin(), out.end(), MoreLikely);
  return out;
}

Result<SampledToken> Sampler::Sample(std::span<const float> logits) {
  return Sample(logits, AcceptedTokens());
}

Result<SampledToken> Sampler::Sample(std::span<const float> logits,
                                     std::span<const int32_t> recent) {
  bool sorted = false;
  EDGELM_RETURN_IF_ERROR(BuildDistribution(logits, recent, sorted));

  SampledToken result;
  if (candidates_.size() == 1) {
    result.id = candidates_[0].id;
    result.sampler_prob = candidates_[0].prob;
    if (params_.temperature > 0.0f) NextUniform();  // one draw per sample, always
  } else {
    // Walk the cumulative distribution in the kept order (deterministic: it is either
    // the sorted order or ascending id). The last token catches rounding.
    const double u = NextUniform();
    double total = 0;
    for (const TokenProb& t : candidates_) total += t.prob;
    const double target = u * total;
    double cumulative = 0;
    const TokenProb* chosen = &candidates_.back();
    for (const TokenProb& t : candidates_) {
      cumulative += t.prob;
      if (cumulative > target) {
        chosen = &t;
        break;
      }
    }
    result.id = chosen->id;
    result.sampler_prob = chosen->prob;
  }

  // The model's own log-probability: log softmax of the raw logits.
  float max_raw = -std::numeric_limits<float>::infinity();
  for (float v : logits) max_raw = std::max(max_raw, v);
  double total_raw = 0;
  for (float v : logits) total_raw += ExpDiff(v, max_raw);
  result.logprob = static_cast<float>(static_cast<double>(logits[static_cast<size_t>(result.id)]) -
                                      max_raw - std::log(total_raw));
  return result;
}

}  // namespace edgelm
