#include "edgelm/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <set>

namespace edgelm {
namespace {

// Only the stage under test is on.
SamplerParams Plain(float temperature = 1.0f) {
  SamplerParams p;
  p.temperature = temperature;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  return p;
}

Sampler Make(const SamplerParams& p) {
  Result<Sampler> s = Sampler::Create(p);
  EDGELM_CHECK_MSG(s.ok(), s.status().ToString());
  return *s;
}

std::vector<float> RandomLogits(std::mt19937& rng, size_t n) {
  std::normal_distribution<float> normal(0.0f, 3.0f);
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

std::vector<double> Softmax(const std::vector<float>& logits, double temperature) {
  double max = *std::max_element(logits.begin(), logits.end());
  std::vector<double> p(logits.size());
  double total = 0;
  for (size_t i = 0; i < logits.size(); ++i)
    total += p[i] = std::exp((logits[i] - max) / temperature);
  for (double& x : p) x /= total;
  return p;
}

std::set<int32_t> Ids(const std::vector<TokenProb>& d) {
  std::set<int32_t> ids;
  for (const TokenProb& t : d) ids.insert(t.id);
  return ids;
}

// Probabilities 0.5, 0.2, 0.15, 0.1, 0.05 spread over ids in a shuffled order.
// id:        0     1     2     3     4
const std::vector<float> kLogits = {std::log(0.2f), std::log(0.05f), std::log(0.5f), std::log(0.1f),
                                    std::log(0.15f)};

TEST(SamplerTest, GreedyIsArgmaxWithTiesToTheLowestId) {
  Sampler greedy = Make(Plain(0.0f));
  std::mt19937 rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    const std::vector<float> logits = RandomLogits(rng, 1000);
    Result<SampledToken> t = greedy.Sample(logits);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->id, std::max_element(logits.begin(), logits.end()) - logits.begin());
    EXPECT_EQ(t->sampler_prob, 1.0f);
  }
  const std::vector<float> tied = {1.0f, 3.0f, -2.0f, 3.0f, 2.0f};
  EXPECT_EQ(greedy.Sample(tied)->id, 1);
  Sampler negative_temperature = Make(Plain(-1.0f));
  EXPECT_EQ(negative_temperature.Sample(tied)->id, 1);
}

TEST(SamplerTest, LogprobIsTheModelsOwnLogSoftmax) {
  Sampler s = Make(Plain(0.0f));
  const std::vector<float> logits = {1.0f, 2.0f, 0.5f};
  Result<SampledToken> t = s.Sample(logits);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->id, 1);
  EXPECT_NEAR(t->logprob, std::log(Softmax(logits, 1.0)[1]), 1e-6);

  // Penalties, truncation and temperature change the draw, not the reported logprob.
  SamplerParams p = Plain(0.3f);
  p.top_k = 1;
  p.repeat_penalty = 5.0f;
  Sampler penalized = Make(p);
  penalized.Accept(1);
  Result<SampledToken> u = penalized.Sample(logits);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->id, 0);  // 2.0 / 5 = 0.4 < 1.0
  EXPECT_NEAR(u->logprob, std::log(Softmax(logits, 1.0)[0]), 1e-6);
  EXPECT_EQ(u->sampler_prob, 1.0f);
}

TEST(SamplerTest, TopK1EqualsGreedy) {
  Sampler greedy = Make(Plain(0.0f));
  SamplerParams p;  // the defaults, with top_k = 1
  p.top_k = 1;
  p.temperature = 1.5f;
  Sampler top1 = Make(p);
  std::mt19937 rng(11);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<float> logits = RandomLogits(rng, 300);
    if (trial % 5 == 0) logits[17] = logits[250] = 100.0f;  // a tie for the top
    EXPECT_EQ(top1.Sample(logits)->id, greedy.Sample(logits)->id);
  }
}

TEST(SamplerTest, TopKKeepsTheKLargest) {
  SamplerParams p = Plain();
  p.top_k = 3;
  Sampler s = Make(p);
  Result<std::vector<TokenProb>> d = s.Distribution(kLogits);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(Ids(*d), (std::set<int32_t>{2, 0, 4}));
  ASSERT_EQ(d->size(), 3u);
  EXPECT_EQ((*d)[0].id, 2);  // most likely first
  EXPECT_NEAR((*d)[0].prob, 0.5 / 0.85, 1e-6);
}

TEST(SamplerTest, TopPKeepsTheSmallestSetReachingP) {
  const struct {
    float top_p;
    std::set<int32_t> kept;
  } cases[] = {
      {0.45f, {2}},              // 0.5 alone reaches 0.45
      {0.6f, {2, 0}},            // 0.5 + 0.2 = 0.7
      {0.8f, {2, 0, 4}},         // + 0.15 = 0.85
      {0.9f, {2, 0, 4, 3}},      // + 0.1 = 0.95
      {0.99f, {2, 0, 4, 3, 1}},  // everything
      {0.0f, {2}},               // at least one token
  };
  for (const auto& c : cases) {
    SamplerParams p = Plain();
    p.top_p = c.top_p;
    Sampler s = Make(p);
    Result<std::vector<TokenProb>> d = s.Distribution(kLogits);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(Ids(*d), c.kept) << "top_p " << c.top_p;
  }
  // The kept tokens are renormalized.
  SamplerParams p = Plain();
  p.top_p = 0.6f;
  Sampler s = Make(p);
  const std::vector<TokenProb> d = *s.Distribution(kLogits);
  EXPECT_NEAR(d[0].prob, 0.5 / 0.7, 1e-6);
  EXPECT_NEAR(d[1].prob, 0.2 / 0.7, 1e-6);
}

TEST(SamplerTest, MinPKeepsTokensAboveAFractionOfTheBest) {
  const struct {
    float min_p;
    std::set<int32_t> kept;
  } cases[] = {
      {0.05f, {2, 0, 4, 3, 1}},  // threshold 0.025
      {0.15f, {2, 0, 4, 3}},     // threshold 0.075
      {0.25f, {2, 0, 4}},        // threshold 0.125
      {0.35f, {2, 0}},           // threshold 0.175
      {1.0f, {2}},
  };
  for (const auto& c : cases) {
    SamplerParams p = Plain();
    p.min_p = c.min_p;
    Sampler s = Make(p);
    Result<std::vector<TokenProb>> d = s.Distribution(kLogits);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(Ids(*d), c.kept) << "min_p " << c.min_p;
  }
}

TEST(SamplerTest, TruncationHappensBeforeTemperature) {
  // At temperature 10 the distribution is nearly flat, yet top-p and min-p still judge
  // the temperature-1 probabilities, as in llama.cpp.
  SamplerParams p = Plain(10.0f);
  p.top_p = 0.8f;
  p.min_p = 0.35f;
  Sampler s = Make(p);
  const std::vector<TokenProb> d = *s.Distribution(kLogits);
  EXPECT_EQ(Ids(d), (std::set<int32_t>{2, 0}));
  // Then the temperature applies to what is left: softmax(log p / 10) over {0.5, 0.2}.
  const double a = std::pow(0.5, 0.1), b = std::pow(0.2, 0.1);
  EXPECT_NEAR(d[0].prob, a / (a + b), 1e-5);
  EXPECT_NEAR(d[0].logit, std::log(0.5f) / 10.0f, 1e-6);
}

TEST(SamplerTest, TopPOnALargeFlatVocabulary) {
  // Thousands of tokens inside top_p exercise the incremental partial sort.
  std::mt19937 rng(3);
  std::vector<float> logits = RandomLogits(rng, 20000);
  for (float& x : logits) x *= 0.1f;
  SamplerParams p = Plain();
  p.top_p = 0.5f;
  Sampler s = Make(p);
  const std::vector<TokenProb> d = *s.Distribution(logits);

  std::vector<int32_t> order(logits.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int32_t>(i);
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return logits[a] != logits[b] ? logits[a] > logits[b] : a < b;
  });
  const std::vector<double> probs = Softmax(logits, 1.0);
  double cumulative = 0;
  size_t expected = 0;
  while (cumulative < 0.5) cumulative += probs[order[expected++]];
  ASSERT_GT(expected, 1000u);
  ASSERT_EQ(d.size(), expected);
  for (size_t i = 0; i < expected; ++i) ASSERT_EQ(d[i].id, order[i]) << i;
}

TEST(SamplerTest, RepetitionPresenceAndFrequencyPenalties) {
  const std::vector<float> logits = {2.0f, -1.0f, 0.5f, 3.0f};
  SamplerParams p = Plain();
  p.repeat_penalty = 2.0f;
  Sampler repeat = Make(p);
  repeat.Accept(0);
  repeat.Accept(1);
  repeat.Accept(0);
  std::vector<TokenProb> d = *repeat.Distribution(logits);
  std::vector<float> got(4);
  for (const TokenProb& t : d) got[t.id] = t.logit;
  // Positive logits are divided, negative ones multiplied, once per distinct token.
  EXPECT_EQ(got, (std::vector<float>{1.0f, -2.0f, 0.5f, 3.0f}));

  p = Plain();
  p.presence_penalty = 0.5f;
  p.frequency_penalty = 0.25f;
  Sampler presence = Make(p);
  for (int32_t id : {0, 0, 2}) presence.Accept(id);
  d = *presence.Distribution(logits);
  for (const TokenProb& t : d) got[t.id] = t.logit;
  EXPECT_EQ(got, (std::vector<float>{2.0f - 2 * 0.25f - 0.5f, -1.0f, 0.5f - 0.25f - 0.5f, 3.0f}));

  // Only the last repeat_last_n accepted tokens count.
  p = Plain();
  p.repeat_penalty = 2.0f;
  p.repeat_last_n = 2;
  Sampler window = Make(p);
  for (int32_t id : {3, 0, 2}) window.Accept(id);
  EXPECT_EQ(window.recent_tokens().size(), 2u);
  d = *window.Distribution(logits);
  for (const TokenProb& t : d) got[t.id] = t.logit;
  EXPECT_EQ(got, (std::vector<float>{1.0f, -1.0f, 0.25f, 3.0f}));

  // Penalties apply before greedy selection too.
  SamplerParams g = Plain(0.0f);
  g.repeat_penalty = 4.0f;
  Sampler greedy = Make(g);
  greedy.Accept(3);
  EXPECT_EQ(greedy.Sample(logits)->id, 0);  // 3 / 4 < 2
}

TEST(SamplerTest, SameSeedSameSequence) {
  SamplerParams p;  // defaults: temperature 0.8, top-k 40, top-p 0.95, min-p 0.05
  p.seed = 1234;
  Sampler a = Make(p), b = Make(p);
  p.seed = 1235;
  Sampler c = Make(p);
  std::mt19937 rng(5);
  std::vector<int32_t> seq_a, seq_b, seq_c;
  std::vector<std::vector<float>> steps;
  for (int i = 0; i < 200; ++i) steps.push_back(RandomLogits(rng, 64));
  for (const auto& logits : steps) {
    seq_a.push_back(a.Sample(logits)->id);
    seq_b.push_back(b.Sample(logits)->id);
    seq_c.push_back(c.Sample(logits)->id);
    a.Accept(seq_a.back());
    b.Accept(seq_b.back());
    c.Accept(seq_c.back());
  }
  EXPECT_EQ(seq_a, seq_b);
  EXPECT_NE(seq_a, seq_c);
  // Reset() restarts the same sequence.
  a.Reset();
  std::vector<int32_t> again;
  for (const auto& logits : steps) {
    again.push_back(a.Sample(logits)->id);
    a.Accept(again.back());
  }
  EXPECT_EQ(again, seq_a);
}

TEST(SamplerTest, EmpiricalFrequenciesMatchTheSoftmax) {
  const std::vector<float> logits = {1.0f, 0.5f, 0.0f, -0.5f, -1.0f, 2.0f};
  const double temperature = 0.7;
  const std::vector<double> expected = Softmax(logits, temperature);
  SamplerParams p = Plain(static_cast<float>(temperature));
  p.seed = 99;
  Sampler s = Make(p);
  constexpr int kDraws = 100000;  // standard error of each frequency <= 0.0016
  std::vector<int> counts(logits.size());
  for (int i = 0; i < kDraws; ++i) {
    Result<SampledToken> t = s.Sample(logits);
    ASSERT_TRUE(t.ok());
    ++counts[t->id];
    if (i < 10) {
      EXPECT_NEAR(t->sampler_prob, expected[t->id], 1e-6);
    }
  }
  for (size_t id = 0; id < logits.size(); ++id) {
    EXPECT_NEAR(static_cast<double>(counts[id]) / kDraws, expected[id], 0.006) << "token " << id;
  }
}

TEST(SamplerTest, TinyTemperatureActsLikeGreedy) {
  Sampler s = Make(Plain(1e-30f));
  const std::vector<float> logits = {1.0f, 5.0f, 4.999f, -3.0f};
  for (int i = 0; i < 20; ++i) {
    Result<SampledToken> t = s.Sample(logits);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->id, 1);
    EXPECT_EQ(t->sampler_prob, 1.0f);
  }
}

TEST(SamplerTest, MaskedTokensAreNeverDrawn) {
  const float kMasked = -std::numeric_limits<float>::infinity();
  const std::vector<float> logits = {kMasked, 0.0f, kMasked, 0.0f};
  Sampler s = Make(Plain(1.0f));
  for (int i = 0; i < 200; ++i) {
    const int32_t id = s.Sample(logits)->id;
    EXPECT_TRUE(id == 1 || id == 3) << id;
  }
  EXPECT_EQ(Ids(*s.Distribution(logits)), (std::set<int32_t>{1, 3}));
}

TEST(SamplerTest, BadLogitsAreErrors) {
  Sampler s = Make(SamplerParams{});
  std::vector<float> logits = {0.0f, 1.0f, std::numeric_limits<float>::quiet_NaN(), 2.0f};
  Result<SampledToken> nan = s.Sample(logits);
  ASSERT_FALSE(nan.ok());
  EXPECT_EQ(nan.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(nan.status().message().find("token 2 is nan"), std::string::npos)
      << nan.status().message();

  logits[2] = std::numeric_limits<float>::infinity();
  Result<SampledToken> inf = s.Sample(logits);
  ASSERT_FALSE(inf.ok());
  EXPECT_NE(inf.status().message().find("token 2 is inf"), std::string::npos);

  EXPECT_FALSE(s.Sample({}).ok());
  const std::vector<float> all_masked(3, -std::numeric_limits<float>::infinity());
  Result<SampledToken> masked = s.Sample(all_masked);
  ASSERT_FALSE(masked.ok());
  EXPECT_NE(masked.status().message().find("-inf"), std::string::npos);

  Sampler g = Make(Plain(0.0f));
  EXPECT_FALSE(g.Sample(std::vector<float>{std::nanf("")}).ok());  // greedy checks too

  s.Accept(10);
  Result<SampledToken> foreign = s.Sample(std::vector<float>{0.0f, 1.0f});
  ASSERT_FALSE(foreign.ok());
  EXPECT_NE(foreign.status().message().find("token 10"), std::string::npos);
  const std::vector<int32_t> negative = {-1};
  EXPECT_FALSE(g.Sample(std::vector<float>{0.0f, 1.0f}, negative).ok());
}

TEST(SamplerTest, ExplicitRecentTokensActLikeAcceptedOnes) {
  SamplerParams p;
  p.repeat_penalty = 1.3f;
  p.presence_penalty = 0.2f;
  p.repeat_last_n = 3;
  Sampler accepted = Make(p), explicit_recent = Make(p);
  std::mt19937 rng(21);
  std::vector<int32_t> context = {5, 6, 7};
  for (int32_t id : context) accepted.Accept(id);
  for (int step = 0; step < 100; ++step) {
    const std::vector<float> logits = RandomLogits(rng, 16);
    Result<SampledToken> a = accepted.Sample(logits);
    Result<SampledToken> b = explicit_recent.Sample(logits, context);  // only the last 3 count
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_EQ(a->id, b->id) << "step " << step;
    accepted.Accept(a->id);
    context.push_back(b->id);
  }
}

TEST(SamplerTest, ParamsAreValidated) {
  EXPECT_TRUE(SamplerParams{}.Validate().ok());
  const auto check = [](SamplerParams p, const char* field) {
    Result<Sampler> s = Sampler::Create(p);
    ASSERT_FALSE(s.ok()) << field;
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.status().message().find(field), std::string::npos) << s.status().message();
  };
  SamplerParams p;
  p.temperature = std::nanf("");
  check(p, "temperature");
  p = {};
  p.top_k = -1;
  check(p, "top_k");
  p = {};
  p.top_p = 1.5f;
  check(p, "top_p");
  p = {};
  p.min_p = -0.1f;
  check(p, "min_p");
  p = {};
  p.repeat_penalty = 0.0f;
  check(p, "repeat_penalty");
  p = {};
  p.repeat_last_n = -1;
  check(p, "repeat_last_n");
  p = {};
  p.presence_penalty = std::numeric_limits<float>::infinity();
  check(p, "presence_penalty");
  p = {};
  p.frequency_penalty = std::nanf("");
  check(p, "frequency_penalty");
}

}  // namespace
}  // namespace edgelm
