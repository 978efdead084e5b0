// Figures and intervals made from evaluation results, progress lines, and evaluations
// stopped after k chunks or items (the cancel flag, as Ctrl-C sets it): the k finished
// are stored, marked interrupted.
#include "eval/quality_record.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "eval/task_data.h"

namespace edgelm {
namespace {

namespace fs = std::filesystem;

const QualityFigure* Find(const std::vector<QualityFigure>& v, const std::string& metric) {
  for (const auto& f : v) {
    if (f.metric == metric) return &f;
  }
  return nullptr;
}

TEST(QualityFiguresTest, AccuracyHasTheHandComputedWilsonInterval) {
  ChoiceEvalResult r;
  r.task = "arc_easy";
  r.n = 10;
  r.correct = 7;
  r.correct_norm = 10;
  r.seconds = 2;
  r.tokens_per_s = 500;
  const auto figures = ChoiceFigures(r, 0);
  const QualityFigure* acc = Find(figures, "acc");
  ASSERT_NE(acc, nullptr);
  // 7 of 10 at 95%: p = 0.7, z = 1.96; centre (p + z²/2n)/(1 + z²/n) = 0.64449,
  // half-width z·sqrt(p(1-p)/n + z²/4n²)/(1 + z²/n) = 0.24772.
  EXPECT_EQ(acc->value, 0.7);
  EXPECT_NEAR(*acc->ci_low, 0.396778, 1e-6);
  EXPECT_NEAR(*acc->ci_high, 0.892209, 1e-6);
  EXPECT_EQ(acc->ci_method, "wilson");
  EXPECT_NEAR(*acc->stderr_value, std::sqrt(0.7 * 0.3 / 10), 1e-12);
  EXPECT_EQ(acc->n, 10);
  EXPECT_EQ(acc->n_unit, "items");
  EXPECT_EQ(acc->task, "arc_easy");
  EXPECT_EQ(acc->tokens_per_s, 500);
  const QualityFigure* norm = Find(figures, "acc_norm");
  ASSERT_NE(norm, nullptr);
  EXPECT_EQ(norm->value, 1.0);
  EXPECT_NEAR(*norm->ci_low, 0.722467, 1e-6);  // 10 of 10: the interval still has width
  EXPECT_DOUBLE_EQ(*norm->ci_high, 1.0);
}

TEST(QualityFiguresTest, NothingEvaluatedIsAbsentNotZero) {
  ChoiceEvalResult r;
  r.task = "piqa";
  r.interrupted = true;
  for (const auto& f : ChoiceFigures(r, 0)) {
    EXPECT_FALSE(f.value.has_value()) << f.metric;
    EXPECT_FALSE(f.reason.empty()) << f.metric;
    EXPECT_TRUE(f.interrupted);
  }
  PerplexityResult p;
  EXPECT_FALSE(PerplexityFigures(p, "wiki", 256)[0].value.has_value());
}

TEST(QualityFiguresTest, PerplexityAndKldUseNormalIntervals) {
  PerplexityResult p;
  p.ppl = 115.7;
  p.ppl_stderr = 1.5;
  p.n_scored = 12700;
  p.n_chunks = 100;
  const QualityFigure f = PerplexityFigures(p, "wiki.test.raw", 256)[0];
  EXPECT_EQ(f.metric, "ppl");
  EXPECT_EQ(f.ci_method, "normal");
  EXPECT_NEAR(*f.ci_low, 115.7 - 1.959964 * 1.5, 1e-5);
  EXPECT_NEAR(*f.ci_high, 115.7 + 1.959964 * 1.5, 1e-5);
  EXPECT_EQ(f.n, 12700);
  EXPECT_NE(f.detail.find("ctx 256, 100 chunks"), std::string::npos) << f.detail;

  KldResult k;
  k.n = 1000;
  k.mean = 0.001;
  k.mean_stderr = 0.002;  // interval reaches below 0: KLD is >= 0
  k.median = 0.0005;
  k.top1_agreement = 0.95;
  k.model.n_chunks = 4;
  k.model.n_scored = 1000;
  k.model.ppl = 120;
  k.model.ppl_stderr = 2;
  const auto kf = KldFigures(k, "wiki.test.raw", 256, "f32.gguf");
  const QualityFigure* mean = Find(kf, "kld_mean");
  ASSERT_NE(mean, nullptr);
  EXPECT_EQ(mean->ci_method, "normal");
  EXPECT_EQ(*mean->ci_low, 0.0);
  EXPECT_NE(mean->detail.find("vs f32.gguf"), std::string::npos);
  const QualityFigure* median = Find(kf, "kld_median");
  ASSERT_NE(median, nullptr);
  EXPECT_EQ(median->ci_method, "none");
  EXPECT_FALSE(median->ci_low.has_value());
  const QualityFigure* top1 = Find(kf, "top1_agreement");
  ASSERT_NE(top1, nullptr);
  EXPECT_EQ(top1->ci_method, "wilson");
  const Interval w = WilsonInterval(950, 1000);
  EXPECT_DOUBLE_EQ(*top1->ci_low, w.low);
  EXPECT_DOUBLE_EQ(*top1->ci_high, w.high);
  for (const char* m : {"kld_p90", "kld_p99", "kld_max", "ppl"}) EXPECT_NE(Find(kf, m), nullptr) << m;
}

TEST(QualityFiguresTest, ProgressLineHasEta) {
  EXPECT_EQ(ProgressLine(50, 200, "acc 0.3100", 12.0), "[50/200] 25%  acc 0.3100  elapsed 0:12  ETA 0:36");
  EXPECT_EQ(ProgressLine(200, 200, "acc 0.3", 3725.0), "[200/200] 100%  acc 0.3  elapsed 1:02:05  ETA 0:00");
}

// Stops evaluations of stories260K after k units through the cancel flag.
class InterruptedEvalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model_path_ = std::string(EDGELM_SHARED_DIR) + "/models/stories260K/stories260K-f32.gguf";
    if (!fs::exists(model_path_)) GTEST_SKIP() << "../shared (stories260K) absent: interruption tests skipped";
    LoadOptions lo;
    lo.path = model_path_;
    auto m = Model::Load(lo);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    model_ = std::move(*m);
    db_ = (fs::path(::testing::TempDir()) / ("quality_interrupt_" + std::to_string(::getpid()) + "_" +
                                             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db"))
              .string();
    fs::remove(db_);
    auto s = QualityStore::Open(db_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }
  void TearDown() override {
    store_.reset();
    if (!db_.empty()) {
      for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db_ + suffix);
    }
  }
  QualityRecorder Recorder(const std::string& command) {
    return {store_.get(), 42, DescribeQualityModel(model_path_, model_->info()), command, nullptr};
  }
  std::string model_path_, db_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<QualityStore> store_;
};

// Items the 260K model can score: a short shared context and two endings.
TaskData ConstructedTask(size_t n) {
  TaskData t;
  t.name = "constructed";
  for (size_t i = 0; i < n; ++i) {
    ChoiceItem item;
    item.contexts = {"Once upon a time, there was a little girl named Lily. She"};
    item.continuations = {" liked to play.", i % 2 ? " saw a big dog." : " went to the park."};
    item.gold = static_cast<int>(i % 2);
    t.items.push_back(item);
  }
  return t;
}

TEST_F(InterruptedEvalTest, ChoiceEvalStoresTheFinishedItemsMarkedInterrupted) {
  constexpr size_t kStopAfter = 5;
  std::atomic<bool> cancel{false};
  ChoiceEvalOptions o;
  o.session.n_threads = 1;
  o.cancel = &cancel;
  o.on_item = [&](size_t done, size_t, double) {
    if (done == kStopAfter) cancel = true;
  };
  std::vector<std::string> lines;
  QualityRecorder rec = Recorder("eval");
  rec.on_progress = [&](const std::string& line) { lines.push_back(line); };
  auto r = EvaluateChoicesRecorded(*model_, ConstructedTask(12), o, 0, rec);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->interrupted);
  EXPECT_EQ(r->n, kStopAfter);
  auto figures = store_->Figures(42);
  ASSERT_TRUE(figures.ok());
  ASSERT_EQ(figures->size(), 2u);
  for (const QualityFigure& f : *figures) {
    EXPECT_EQ(f.n, static_cast<int64_t>(kStopAfter)) << f.metric;
    EXPECT_TRUE(f.interrupted) << f.metric;
    EXPECT_EQ(f.task, "constructed");
    EXPECT_EQ(f.command, "eval");
    EXPECT_EQ(f.model.weight_type, "F32");
    ASSERT_TRUE(f.value && f.ci_low && f.ci_high) << f.metric;
    EXPECT_LE(*f.ci_low, *f.value);
    EXPECT_LE(*f.value, *f.ci_high);
  }
  EXPECT_EQ((*figures)[0].value, r->acc);
  auto progress = store_->LastProgress(42);
  ASSERT_TRUE(progress.ok());
  ASSERT_EQ(progress->size(), 1u);
  EXPECT_EQ((*progress)[0].done, static_cast<int64_t>(kStopAfter));
  EXPECT_EQ((*progress)[0].total, 12);
  EXPECT_EQ((*progress)[0].successes, static_cast<int64_t>(r->correct));
  ASSERT_FALSE(lines.empty());
  EXPECT_NE(lines.front().find("[1/12]"), std::string::npos) << lines.front();
  EXPECT_NE(lines.front().find("ETA"), std::string::npos) << lines.front();
}

TEST_F(InterruptedEvalTest, PerplexityStoresTheFinishedChunksMarkedInterrupted) {
  std::ostringstream text;
  for (int i = 0; i < 40; ++i) text << "Once upon a time, there was a little girl named Lily. She liked to play. ";
  std::atomic<bool> cancel{false};
  ChunkedEvalOptions o;
  o.n_ctx = 32;
  o.session.n_threads = 1;
  o.cancel = &cancel;
  o.on_chunk = [&](size_t done, size_t, double) {
    if (done == 2) cancel = true;
  };
  auto r = RunPerplexityRecorded(*model_, text.str(), "lily.txt", o, Recorder("ppl"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->interrupted);
  EXPECT_EQ(r->n_chunks, 2u);
  auto figures = store_->Figures(42);
  ASSERT_TRUE(figures.ok());
  ASSERT_EQ(figures->size(), 1u);
  const QualityFigure& f = (*figures)[0];
  EXPECT_EQ(f.metric, "ppl");
  EXPECT_TRUE(f.interrupted);
  EXPECT_EQ(f.n, 2 * 15);  // positions 16..30 of each 32-token chunk
  EXPECT_EQ(f.task, "lily.txt");
  EXPECT_EQ(f.value, r->ppl);
  EXPECT_EQ(f.ci_method, "normal");
  auto progress = store_->LastProgress(42);
  ASSERT_TRUE(progress.ok());
  ASSERT_EQ(progress->size(), 1u);
  EXPECT_EQ((*progress)[0].done, 2);
  EXPECT_EQ((*progress)[0].unit, "chunk");
  EXPECT_DOUBLE_EQ((*progress)[0].running_value, r->ppl);
}

}  // namespace
}  // namespace edgelm
