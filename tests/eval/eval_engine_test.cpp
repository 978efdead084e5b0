// Quality evaluation through the real engine on the stories260K model and its
// quantizations (../shared): perplexity against the reference engine's figures, KLD
// identities, and multiple-choice scoring on constructed items.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "eval/choice_eval.h"
#include "eval/perplexity.h"
#include "eval/samples.h"

namespace edgelm {
namespace {

namespace fs = std::filesystem;

std::string ModelPath(const std::string& type) {
  return std::string(EDGELM_SHARED_DIR) + "/models/stories260K/stories260K-" + type + ".gguf";
}
std::string WikiPath() { return std::string(EDGELM_SHARED_DIR) + "/data/wikitext-2-raw/wiki.test.raw"; }

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::unique_ptr<Model> LoadOrDie(const std::string& path) {
  LoadOptions lo;
  lo.path = path;
  auto m = Model::Load(lo);
  EDGELM_CHECK_MSG(m.ok(), m.status().ToString());
  return std::move(m).value();
}

class EvalEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(ModelPath("f32")) || !fs::exists(WikiPath())) {
      GTEST_SKIP() << "../shared (stories260K, wikitext-2) absent: quality golden tests skipped";
    }
  }
  ChunkedEvalOptions Options(size_t chunks) {
    ChunkedEvalOptions o;
    o.n_ctx = 256;
    o.max_chunks = chunks;
    o.session.n_threads = 2;
    o.session.kv_type = KvCacheType::kF32;
    return o;
  }
};

TEST_F(EvalEngineTest, PerplexityMatchesReferenceEngineF32) {
  // The reference engine's figure for stories260K f32, --ctx 256 --chunks 100 (issue 6).
  auto model = LoadOrDie(ModelPath("f32"));
  auto r = RunPerplexity(*model, ReadAll(WikiPath()), Options(100));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->n_chunks, 100u);
  EXPECT_EQ(r->n_scored, 100u * 127u);
  EXPECT_NEAR(r->ppl, 115.70, 115.70 * 0.002);
  EXPECT_GT(r->ppl_stderr, 0.0);
  ASSERT_EQ(r->running_ppl.size(), 100u);
  EXPECT_DOUBLE_EQ(r->running_ppl.back(), r->ppl);
}

TEST_F(EvalEngineTest, PerplexityOfEveryWeightTypeMatchesReference) {
  struct Ref { const char* type; double ppl; };
  for (Ref ref : {Ref{"f16", 115.72}, {"q8_0", 115.94}, {"q4_k_m", 116.31}, {"q4_0", 121.02}}) {
    auto model = LoadOrDie(ModelPath(ref.type));
    auto r = RunPerplexity(*model, ReadAll(WikiPath()), Options(100));
    ASSERT_TRUE(r.ok()) << ref.type << ": " << r.status().ToString();
    EXPECT_NEAR(r->ppl, ref.ppl, ref.ppl * 0.005) << ref.type;
  }
}

TEST_F(EvalEngineTest, KldIdentities) {
  auto f32 = LoadOrDie(ModelPath("f32"));
  auto f16 = LoadOrDie(ModelPath("f16"));
  auto q4 = LoadOrDie(ModelPath("q4_0"));
  const std::string text = ReadAll(WikiPath());
  auto self = RunKld(*f32, *f32, text, Options(4));
  ASSERT_TRUE(self.ok()) << self.status().ToString();
  EXPECT_EQ(self->mean, 0.0);
  EXPECT_EQ(self->max, 0.0);
  EXPECT_EQ(self->top1_agreement, 1.0);
  EXPECT_EQ(self->base.ppl, self->model.ppl);
  auto half = RunKld(*f32, *f16, text, Options(4));
  ASSERT_TRUE(half.ok());
  EXPECT_GT(half->mean, 0.0);
  EXPECT_LT(half->mean, 1e-4);  // f16 weights barely move the distributions
  auto quarter = RunKld(*f32, *q4, text, Options(4));
  ASSERT_TRUE(quarter.ok());
  EXPECT_GT(quarter->mean, half->mean * 10);  // 4-bit moves them much more
  EXPECT_LE(quarter->median, quarter->p90);
  EXPECT_LE(quarter->p90, quarter->p99);
  EXPECT_LE(quarter->p99, quarter->max);
}

TEST_F(EvalEngineTest, SavedBaseReproducesOnePassAndRejectsBadFiles) {
  auto f32 = LoadOrDie(ModelPath("f32"));
  auto q8 = LoadOrDie(ModelPath("q8_0"));
  const std::string text = ReadAll(WikiPath());
  const std::string path = std::string(::testing::TempDir()) + "/stories-f32.kldbase";
  const int full = static_cast<int>(f32->info().n_vocab);
  ASSERT_TRUE(SaveBaseDistributions(*f32, text, Options(3), full, path).ok());
  auto self = RunKldFromSaved(*f32, text, path, Options(3));
  ASSERT_TRUE(self.ok()) << self.status().ToString();
  EXPECT_EQ(self->mean, 0.0);
  EXPECT_EQ(self->top1_agreement, 1.0);
  auto saved = RunKldFromSaved(*q8, text, path, Options(3));
  auto live = RunKld(*f32, *q8, text, Options(3));
  ASSERT_TRUE(saved.ok() && live.ok());
  EXPECT_NEAR(saved->mean, live->mean, 1e-9 + live->mean * 1e-6);  // full vocab saved: same figure
  EXPECT_NEAR(saved->base.ppl, live->base.ppl, live->base.ppl * 1e-6);

  // Top-k: a lower bound close to the full figure.
  const std::string topk_path = path + ".top16";
  ASSERT_TRUE(SaveBaseDistributions(*f32, text, Options(3), 16, topk_path).ok());
  auto approx = RunKldFromSaved(*q8, text, topk_path, Options(3));
  ASSERT_TRUE(approx.ok());
  EXPECT_EQ(approx->base_top_k, 16);
  EXPECT_LE(approx->mean, live->mean + 1e-12);
  EXPECT_GT(approx->mean, live->mean * 0.5);

  // A truncated file is an error naming it, not a crash or a silent partial figure.
  const std::string cut = path + ".cut";
  fs::copy_file(path, cut, fs::copy_options::overwrite_existing);
  fs::resize_file(cut, fs::file_size(path) / 2);
  auto bad = RunKldFromSaved(*q8, text, cut, Options(3));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(bad.status().message().find(".cut"), std::string::npos);
  // A different --ctx than the file was saved with is refused.
  ChunkedEvalOptions other = Options(3);
  other.n_ctx = 128;
  EXPECT_EQ(RunKldFromSaved(*q8, text, path, other).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(EvalEngineTest, TextTooShortForTwoChunksIsAnError) {
  auto model = LoadOrDie(ModelPath("f32"));
  auto r = RunPerplexity(*model, "Once upon a time.", Options(1));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("fewer than 2 × ctx"), std::string::npos) << r.status().message();
}

// Greedy continuation of `prompt` as text.
std::string GreedyText(const Model& model, const std::string& prompt, int n) {
  SessionOptions so;
  so.n_threads = 1;
  auto session = std::move(model.NewSession(so)).value();
  auto tokens = model.tokenizer().Encode(prompt, true, false).value();
  EDGELM_CHECK(session->Prefill(tokens).ok());
  std::vector<int32_t> all = tokens;
  for (int i = 0; i < n; ++i) {
    auto logits = session->Logits();
    int32_t next = static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    all.push_back(next);
    EDGELM_CHECK(session->Decode(next).ok());
  }
  // The continuation's text is what decoding the whole sequence adds to the prompt's
  // text (decoding the new tokens alone would drop the word-initial space).
  const std::string prompt_text = model.tokenizer().Decode(tokens);
  const std::string full_text = model.tokenizer().Decode(all);
  EDGELM_CHECK(full_text.compare(0, prompt_text.size(), prompt_text) == 0);
  return full_text.substr(prompt_text.size());
}

TEST_F(EvalEngineTest, GreedyContinuationWinsMultipleChoice) {
  auto model = LoadOrDie(ModelPath("f32"));
  const std::string ctx = "Once upon a time, there was a little girl named Lily.";
  const std::string greedy = GreedyText(*model, ctx, 12);
  ASSERT_FALSE(greedy.empty());
  TaskData task{"constructed", {}, {}};
  ChoiceItem item;
  item.contexts = {ctx};
  item.continuations = {" purple quantum spreadsheets", greedy, " the of and to a in", " zebra zebra zebra"};
  item.gold = 1;
  task.items.push_back(item);
  ChoiceEvalOptions o;
  o.session.n_threads = 1;
  auto r = EvaluateChoices(*model, task, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->n, 1u);
  EXPECT_EQ(r->correct, 1u) << "greedy continuation '" << greedy << "' lost";
  EXPECT_GT(r->tokens_per_s, 0.0);

  // The per-choice scores: the greedy continuation is all argmax tokens.
  auto session = std::move(model->NewSession(o.session)).value();
  auto scores = ScoreItem(*session, model->tokenizer(), item);
  ASSERT_TRUE(scores.ok());
  EXPECT_TRUE(scores->greedy[1]);
  EXPECT_FALSE(scores->greedy[3]);
}

TEST_F(EvalEngineTest, SharedPrefixReuseGivesTheSameScoresAsFreshContexts) {
  auto model = LoadOrDie(ModelPath("f32"));
  ChoiceItem item;
  item.contexts = {"The cat sat on the"};
  item.continuations = {" mat.", " hat and smiled.", " big red chair."};
  SessionOptions so;
  so.n_threads = 1;
  so.kv_type = KvCacheType::kF32;
  auto session = std::move(model->NewSession(so)).value();
  auto shared = ScoreItem(*session, model->tokenizer(), item);
  ASSERT_TRUE(shared.ok());
  for (size_t i = 0; i < 3; ++i) {
    ChoiceItem single;  // pairs each choice with a dummy so the shared prefix differs
    single.contexts = {item.contexts[0]};
    single.continuations = {item.continuations[i], " zzzz qqqq"};
    auto fresh = ScoreItem(*session, model->tokenizer(), single);
    ASSERT_TRUE(fresh.ok());
    EXPECT_NEAR(fresh->log_likelihood[0], shared->log_likelihood[i], 1e-4) << "choice " << i;
  }
}

TEST_F(EvalEngineTest, LambadaHitWhenTheWordIsGreedy) {
  auto model = LoadOrDie(ModelPath("f32"));
  const std::string ctx = "Once upon a time, there was a little";
  std::string greedy = GreedyText(*model, ctx, 1);
  TaskData task{"lambada", {}, {}};
  task.lambada.push_back({ctx, greedy});
  task.lambada.push_back({ctx, " xylophonequartz"});
  ChoiceEvalOptions o;
  o.session.n_threads = 1;
  auto r = EvaluateLambada(*model, task, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->n, 2u);
  EXPECT_EQ(r->correct, 1u);
  EXPECT_GT(r->ppl, 1.0);
}

}  // namespace
}  // namespace edgelm

namespace edgelm {
namespace {

TEST_F(EvalEngineTest, SamplesAnswerTheSuiteDeterministically) {
  auto prompts = LoadPromptSuite(std::string(EDGELM_SOURCE_DIR) + "/data/prompts");
  ASSERT_TRUE(prompts.ok()) << prompts.status().ToString();
  ASSERT_EQ(prompts->size(), 6u);
  std::vector<SamplePrompt> two(prompts->begin(), prompts->begin() + 2);
  for (auto& p : two) p.max_tokens = 12;
  auto model = LoadOrDie(ModelPath("q8_0"));
  SamplesOptions o;
  o.session.n_threads = 1;
  auto a = GenerateSamples(*model, "stories260K-q8_0.gguf", two, o);
  auto b = GenerateSamples(*model, "stories260K-q8_0.gguf", two, o);
  ASSERT_TRUE(a.ok() && b.ok()) << a.status().ToString();
  ASSERT_EQ(a->size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ((*a)[i].text, (*b)[i].text);  // fixed seed: identical answers
    EXPECT_EQ((*a)[i].prompt_format, "plain");  // stories260K has no chat template
    EXPECT_GT((*a)[i].n_generated, 0);
    EXPECT_GT((*a)[i].ttft_ms, 0.0);
  }
  const std::string md = SamplesMarkdown(two, *a);
  EXPECT_NE(md.find("## 01-instructions (instruction following)"), std::string::npos);
  EXPECT_NE(md.find("**stories260K-q8_0.gguf**"), std::string::npos);
  EXPECT_NE(md.find((*a)[0].text), std::string::npos);
}

}  // namespace
}  // namespace edgelm
