// Token sampling and stop strings.
//
// Goals: the llama.cpp sampling chain with its semantics, deterministic for a seed on
// every platform (the random numbers come from std::mt19937_64, whose sequence the C++
// standard fixes, turned into doubles by our own code rather than by
// std::uniform_real_distribution, whose algorithm is implementation-defined); the
// log-probability of each chosen token; stop strings that straddle token boundaries.
// Non-goals: grammars, DRY, XTC, mirostat, typical-p.
//
// Order of operations in Sample(), on the logits of one position:
//   1. penalties   over the last repeat_last_n accepted tokens: each distinct token
//                  seen c times gets logit / repeat_penalty (logit * repeat_penalty
//                  when <= 0), then - c * frequency_penalty - presence_penalty;
//   2. tokens with logit -inf are dropped (masked tokens can never be drawn);
//      temperature <= 0 stops here: greedy, the largest logit, ties to the lowest id;
//   3. top-k       keeps the k largest logits (ties to the lower id);
//   4. top-p       keeps the smallest set of most likely tokens whose probabilities,
//                  at temperature 1, add up to >= top_p (at least one token);
//   5. min-p       keeps tokens whose probability, at temperature 1, is >= min_p
//                  times the largest probability;
//   6. temperature divides the remaining logits by temperature;
//   7. softmax over the remaining tokens and a draw from that distribution.
// Truncation (3-5) thus does not depend on the temperature, as in llama.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace edgelm {

struct SamplerParams {
  // A fixed default keeps runs reproducible; the CLI may draw a seed from the clock.
  static constexpr uint64_t kDefaultSeed = 0x5EEDull;

  float temperature = 0.8f;     // <= 0: greedy
  int top_k = 40;               // 0: off
  float top_p = 0.95f;          // 1: off
  float min_p = 0.05f;          // 0: off
  float repeat_penalty = 1.0f;  // 1: off
  int repeat_last_n = 64;       // tokens the penalties look back over; 0: off
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
  uint64_t seed = kDefaultSeed;

  // Errors name the field, the allowed range and the value found.
  Status Validate() const;
};

// One token of the sampler's final distribution.
struct TokenProb {
  int32_t id = -1;
  float logit = 0;  // after penalties and temperature
  float prob = 0;   // softmax over the kept tokens
};

struct SampledToken {
  int32_t id = -1;
  // log softmax of the raw logits at id: the model's own log-probability of the token,
  // independent of penalties, truncation and temperature (what --json reports).
  float logprob = 0;
  // Probability with which the sampler drew it (1 for greedy).
  float sampler_prob = 0;
};

class Sampler {
 public:
  static Result<Sampler> Create(const SamplerParams& params);

  // Chooses the next token from logits [n_vocab]; penalties use the tokens passed to
  // Accept(). Does not accept the token itself. Errors: empty logits, a NaN or +inf
  // logit (names the token id), every logit -inf, a recent token >= n_vocab.
  Result<SampledToken> Sample(std::span<const float> logits);
  // Same, with the penalties looking at the last repeat_last_n tokens of `recent`
  // instead of the accepted ones (for callers that keep the context themselves).
  Result<SampledToken> Sample(std::span<const float> logits, std::span<const int32_t> recent);
  // The distribution Sample() would draw from, most likely first (ties: lower id).
  // For greedy it is the chosen token with probability 1.
  Result<std::vector<TokenProb>> Distribution(std::span<const float> logits);

  // Records a token that entered the context (prompt tokens too, if they should count
  // for the penalties, as llama.cpp does). Keeps the last repeat_last_n.
  void Accept(int32_t token);
  // Forgets the accepted tokens and restarts the random sequence from params().seed.
  void Reset();

  const SamplerParams& params() const { return params_; }
  const std::deque<int32_t>& recent_tokens() const { return recent_; }

 private:
  explicit Sampler(const SamplerParams& params) : params_(params), rng_(params.seed) {}
  // Steps 1-7 up to the softmax; leaves the kept tokens in candidates_. sorted tells
  // whether they are in (logit desc, id asc) order.
  Status BuildDistribution(std::span<const float> logits, std::span<const int32_t> recent,
                           bool& sorted);
  std::span<const int32_t> AcceptedTokens();
  // A double in [0, 1) from the top 53 bits of the generator.
  double NextUniform();

  SamplerParams params_;
  std::mt19937_64 rng_;
  std::deque<int32_t> recent_;
  std::vector<TokenProb> candidates_;  // scratch, reused between calls
  std::vector<int32_t> recent_scratch_;
};

// Watches generated text for stop strings that may arrive split over several tokens,
// and holds back only what could still become one:
//   matcher.Push(piece); print(matcher.TakeSafe()); if (matcher.stopped()) break;
//   ... at the end of generation: print(matcher.Flush());
class StopStringMatcher {
 public:
  // Empty strings are ignored (they would match everywhere).
  explicit StopStringMatcher(std::vector<std::string> stop_strings);

  // Appends generated text; returns true once a stop string is complete. The stop
  // string and everything after it are dropped. Pushes after a stop are ignored.
  bool Push(std::string_view text);
  bool stopped() const { return stopped_; }
  // The stop string that ended generation ("" while none has).
  const std::string& matched() const { return matched_; }

  // Text pushed and not yet taken.
  std::string_view pending() const { return pending_; }
  // How many leading bytes of pending() may be printed now: they can no longer be part
  // of a stop string (after a stop: all of the text before it).
  size_t safe_bytes() const { return safe_bytes_; }
  // Removes and returns those bytes.
  std::string TakeSafe();
  // End of generation: returns everything pending, including a held-back partial match
  // (it turned out to be plain text).
  std::string Flush();
  // Clears the text and the stopped state; keeps the stop strings.
  void Reset();

 private:
  std::vector<std::string> stops_;
  size_t max_stop_bytes_ = 0;
  std::string pending_;
  size_t safe_bytes_ = 0;
  bool stopped_ = false;
  std::string matched_;
};

}  // namespace edgelm
