// A whole study in-process on stories260K (real weights, tiny): a file re-quantized on
// request, two thread counts, two context sizes, the request test, quality (perplexity
// and KLD) on real weights, the labelled energy estimate, a hook command; then resume.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "bench/results_store.h"
#include "core/clock.h"
#include "eval/quality_store.h"
#include "eval/samples.h"
#include "report/findings.h"
#include "study/study.h"

namespace edgelm::study {
namespace {

namespace fs = std::filesystem;

const std::string kStories = std::string(EDGELM_SHARED_DIR) + "/models/stories260K";
const std::string kWiki = std::string(EDGELM_SHARED_DIR) + "/data/wikitext-2-raw/wiki.test.raw";

class StudyRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kStories) || !fs::exists(kWiki)) GTEST_SKIP() << "../shared is absent (stories260K, wikitext-2)";
    dir_ = fs::temp_directory_path() / ("edgelm_study_run_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    // A small slice of WikiText keeps perplexity to a fraction of a second.
    std::ifstream in(kWiki);
    std::string text(20000, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<size_t>(in.gcount()));
    std::ofstream((dir_ / "wiki.txt").string()) << text;
  }
  void TearDown() override { fs::remove_all(dir_); }

  StudyOptions Options() {
    auto c = ParseStudyConfig(R"(
name = "stories <260K> study"
[models]
list = [")" + kStories + R"(/stories260K-f32.gguf"]
weight_types = ["Q8_0"]
[bench]
threads = [1, 2]
contexts = [64, 128]
n_prompt = 16
n_gen = 8
repetitions = 2
warmups = 1
request = true
request_tokens = 8
[quality]
models = [")" + kStories + R"(/stories260K-f32.gguf", ")" + kStories + R"(/stories260K-q4_0.gguf"]
text = ")" + (dir_ / "wiki.txt").string() + R"("
n_ctx = 64
chunks = 2
[energy]
source = "estimate"
interval_ms = 20
[budget]
memory_mib = 64
[prices]
device_usd = 80
electricity_usd_per_kwh = 0.3
[[prices.cloud]]
provider = "Acme"
model = "api"
input_usd_per_mtok = 0.1
output_usd_per_mtok = 0.6
date = "2024-07-01"
source = "https://acme.example/pricing"
[hooks]
before = "echo hook $EDGELM_THREADS"
)", "test.toml");
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    StudyOptions o;
    o.config = *c;
    o.config.cache_dir = (dir_ / "cache").string();
    o.config_text = "test";
    o.db_path = (dir_ / "results.db").string();
    o.report_path = (dir_ / "report.html").string();
    o.log = [](const std::string& s) {
      if (std::getenv("EDGELM_TEST_VERBOSE")) std::fprintf(stderr, "%.3f %s\n", double(MonotonicNs()) * 1e-9, s.c_str());
    };
    return o;
  }
  fs::path dir_;
};

TEST_F(StudyRunTest, RunsEveryPartAndWritesTheReport) {
  StudyOptions first = Options();
  first.price_overrides.electricity_usd_per_kwh = 0.2;  // --electricity-price
  auto out = RunStudy(first);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  // Q8_0 file: pp+tg at 2 thread counts, tg at ctx 128, request = 6; two quality
  // models: one tg each = 8.
  EXPECT_EQ(out->n_configs, 8);
  EXPECT_EQ(out->n_done, 8);
  EXPECT_EQ(out->n_failed, 0);
  EXPECT_TRUE(fs::exists(fs::path(Options().config.cache_dir) / "stories260K-f32-requant-Q8_0.gguf"));
  ASSERT_TRUE(fs::exists(out->files.html_path));
  ASSERT_TRUE(fs::exists(out->files.markdown_path));

  auto in = report::LoadReportInput(out->db_path, out->run_id);
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  EXPECT_EQ(in->bench.status, "complete");
  EXPECT_EQ(in->bench.records.size(), 8u);
  ASSERT_TRUE(in->study.settings);
  EXPECT_EQ(in->study.settings->variants.size(), 3u);
  EXPECT_NE(in->study.settings->energy_note.find("ESTIMATED"), std::string::npos);
  // Prices: the study's own cloud entry, its device price, the flag's electricity price.
  const auto& prices = in->study.settings->prices;
  ASSERT_EQ(prices.cloud.size(), 1u);
  EXPECT_EQ(prices.cloud[0].model, "api");
  EXPECT_EQ(prices.cloud[0].date, "2024-07-01");
  EXPECT_EQ(*prices.device_usd, 80);
  EXPECT_EQ(*prices.electricity_usd_per_kwh, 0.2);
  EXPECT_EQ(prices.overrides, "--electricity-price 0.2");
  // The roofline bound of decode for each file (this machine's measured bandwidth, or
  // its profile's published figure).
  for (const auto& v : in->study.settings->variants) {
    ASSERT_TRUE(v.roofline_decode_tokens_per_s) << v.label << ": " << in->study.settings->roofline_note;
    EXPECT_GT(*v.roofline_decode_tokens_per_s, 0);
  }
  // The phase times are in the run context.
  ASSERT_EQ(in->study.settings->phase_seconds.size(), 4u);
  EXPECT_EQ(in->study.settings->phase_seconds[2].first, "bench");
  EXPECT_GT(in->study.settings->phase_seconds[2].second, 0);
  // Energy: every decode phase has an estimated record (a value or a reason).
  int decode = 0, prefill = 0, request = 0;
  for (const auto& e : in->study.energy) {
    EXPECT_TRUE(e.estimated);
    EXPECT_EQ(e.source, "estimate");
    EXPECT_TRUE(e.joules.has_value() || !e.reason.empty());
    EXPECT_GT(e.seconds, 0);
    decode += e.phase == "decode";
    prefill += e.phase == "prefill";
    if (e.phase == "request") {
      ++request;
      // Two measured requests of 8 generated tokens each; the warmup is not counted.
      EXPECT_EQ(e.tokens, 16);
    } else if (e.phase == "decode") {
      EXPECT_EQ(e.tokens, 16);  // tg 8 x 2 measured repetitions
    } else {
      EXPECT_EQ(e.tokens, 32);  // pp 16 x 2
    }
  }
  EXPECT_EQ(decode, 5);  // 2 threads + ctx 128 + two quality models
  EXPECT_EQ(prefill, 2);  // pp at 2 thread counts
  EXPECT_EQ(request, 1);  // prompt in to last token, one window
  // Quality on real weights: finite perplexities, KLD of Q4_0 against F32.
  std::set<std::string> metrics;
  for (const auto& q : in->study.quality) {
    ASSERT_TRUE(q.value) << q.metric << ": " << q.reason;
    EXPECT_GT(*q.value, 0);
    metrics.insert(q.metric);
  }
  EXPECT_EQ(metrics, (std::set<std::string>{"ppl", "kld_mean", "top1_agreement"}));
  EXPECT_EQ(in->study.hooks.size(), 8u);
  EXPECT_EQ(in->study.hooks[0].exit_code, 0);
  EXPECT_NE(in->study.hooks[0].output.find("hook 1"), std::string::npos);
  // Memory fits the 64 MiB budget; the recommendations have answers.
  auto recs = report::Recommend(*in);
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_TRUE(recs[0].answer) << recs[0].absent_reason;
  EXPECT_TRUE(recs[2].answer) << recs[2].absent_reason;
  std::ifstream html(out->files.html_path);
  std::string page((std::istreambuf_iterator<char>(html)), {});
  EXPECT_NE(page.find("stories &lt;260K&gt; study"), std::string::npos);
  EXPECT_NE(page.find("id=\"chart-ppl\""), std::string::npos);
  EXPECT_NE(page.find("<th>study time</th>"), std::string::npos);
  EXPECT_NE(page.find("Decode against the roofline bound"), std::string::npos);
  EXPECT_NE(page.find("id=\"chart-threads\""), std::string::npos);
  EXPECT_NE(page.find("id=\"chart-itl\""), std::string::npos);

  // Resume a finished run: nothing left to run, the same records.
  StudyOptions again = Options();
  again.resume_run = out->run_id;
  auto resumed = RunStudy(again);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  EXPECT_EQ(resumed->n_done, 0);
  EXPECT_EQ(resumed->n_skipped, 8);
  auto store = bench::ResultsStore::Open(out->db_path);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->LoadRun(out->run_id)->records.size(), 8u);
}

// The quality step's accuracy tasks and prompt suite: a small study (one bench file, two
// quality files) with hellaswag and arc_easy at 10 items each and samples on.
StudyOptions TasksAndSamplesOptions(const fs::path& dir) {
  auto c = ParseStudyConfig(R"(
name = "tasks and samples"
[models]
list = [")" + kStories + R"(/stories260K-q8_0.gguf"]
[bench]
threads = [1]
contexts = [64]
n_prompt = 8
n_gen = 4
repetitions = 1
warmups = 0
request = false
[quality]
models = [")" + kStories + R"(/stories260K-f32.gguf", ")" + kStories + R"(/stories260K-q4_0.gguf"]
text = ")" + (dir / "wiki.txt").string() + R"("
n_ctx = 64
chunks = 1
tasks = ["hellaswag:10", "arc_easy:10"]
data_dir = ")" + std::string(EDGELM_SHARED_DIR) + R"(/data"
samples = true
[energy]
source = "none"
)", "tasks.toml");
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  StudyOptions o;
  o.config = *c;
  o.config.cache_dir = (dir / "cache").string();
  o.config_text = "tasks";
  o.db_path = (dir / "results.db").string();
  o.report_path = (dir / "report.html").string();
  o.log = [](const std::string& s) {
    if (std::getenv("EDGELM_TEST_VERBOSE")) std::fprintf(stderr, "%s\n", s.c_str());
  };
  return o;
}

TEST_F(StudyRunTest, QualityTasksAndSamplesAreRecordedAndReported) {
  const std::string data = std::string(EDGELM_SHARED_DIR) + "/data";
  if (!fs::exists(data + "/hellaswag/hellaswag_val_full.txt") || !fs::exists(data + "/tasks/arc_easy.jsonl")) {
    GTEST_SKIP() << "../shared/data lacks hellaswag or arc_easy";
  }
  auto out = RunStudy(TasksAndSamplesOptions(dir_));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_FALSE(out->interrupted);
  auto quality = QualityStore::Open(out->db_path);
  ASSERT_TRUE(quality.ok()) << quality.status().ToString();
  auto figures = (*quality)->Figures(out->run_id);
  ASSERT_TRUE(figures.ok()) << figures.status().ToString();
  // acc and acc_norm of each task on each quality file, 10 items, with Wilson intervals.
  std::map<std::string, int> per_task;
  std::set<std::string> labels;
  for (const QualityFigure& f : *figures) {
    if (f.metric != "acc" && f.metric != "acc_norm") continue;
    EXPECT_EQ(f.command, "study");
    ASSERT_TRUE(f.value) << f.task << " " << f.metric << ": " << f.reason;
    EXPECT_EQ(f.n, 10) << f.task;
    EXPECT_GE(*f.value, 0.0);
    EXPECT_LE(*f.value, 1.0);
    ASSERT_TRUE(f.ci_low && f.ci_high);
    EXPECT_LE(*f.ci_low, *f.value);
    EXPECT_GE(*f.ci_high, *f.value);
    EXPECT_EQ(f.ci_method, kIntervalWilson);
    EXPECT_FALSE(f.interrupted);
    ++per_task[f.task];
    labels.insert(f.model.label);
  }
  EXPECT_EQ(per_task, (std::map<std::string, int>{{"arc_easy", 4}, {"hellaswag", 4}}));
  EXPECT_EQ(labels.size(), 2u);
  // Every prompt of the suite answered by both files.
  auto suite = QualityPromptsDir(StudyConfig{});
  ASSERT_TRUE(suite.ok()) << suite.status().ToString();
  auto prompts = LoadPromptSuite(*suite);
  ASSERT_TRUE(prompts.ok()) << prompts.status().ToString();
  ASSERT_FALSE(prompts->empty());
  auto samples = (*quality)->Samples(out->run_id);
  ASSERT_TRUE(samples.ok()) << samples.status().ToString();
  ASSERT_EQ(samples->size(), 2 * prompts->size());
  std::map<std::string, std::set<std::string>> answered;
  for (const QualitySample& s : *samples) {
    answered[s.model.label].insert(s.prompt_id);
    EXPECT_FALSE(s.stop_reason.empty());
    EXPECT_GT(s.n_prompt_tokens, 0);
  }
  ASSERT_EQ(answered.size(), 2u);
  for (const auto& [label, ids] : answered) EXPECT_EQ(ids.size(), prompts->size()) << label;

  std::ifstream html(out->files.html_path);
  const std::string page((std::istreambuf_iterator<char>(html)), {});
  EXPECT_NE(page.find("id=\"quality-figures\""), std::string::npos);
  EXPECT_NE(page.find("id=\"quality-accuracy\""), std::string::npos);
  EXPECT_NE(page.find("<td>hellaswag</td>"), std::string::npos);
  EXPECT_NE(page.find("<td>arc_easy</td>"), std::string::npos);
  EXPECT_NE(page.find("<th>95% interval</th>"), std::string::npos);
  EXPECT_NE(page.find("<h2 id=\"samples\">Samples</h2>"), std::string::npos);
  EXPECT_NE(page.find("<h3>" + prompts->front().id + "</h3>"), std::string::npos);
  size_t n_answers = 0;
  for (size_t pos = page.find("<div class=\"sample\">"); pos != std::string::npos;
       pos = page.find("<div class=\"sample\">", pos + 1)) {
    ++n_answers;
  }
  EXPECT_EQ(n_answers, samples->size());
  std::ifstream md(out->files.markdown_path);
  const std::string summary((std::istreambuf_iterator<char>(md)), {});
  EXPECT_NE(summary.find("## Samples"), std::string::npos);
  EXPECT_NE(summary.find("### " + prompts->front().id), std::string::npos);
  EXPECT_NE(summary.find("| hellaswag | acc |"), std::string::npos);
}

TEST_F(StudyRunTest, InterruptDuringTheTasksStopsTheQualityStep) {
  StudyOptions o = TasksAndSamplesOptions(dir_);
  o.config.quality_models.resize(1);
  std::atomic<bool> stop{false};
  o.interrupt = &stop;
  // Stopped when the first task starts: it ends early, the second task and the samples
  // do not run, and the run is resumable.
  o.log = [&stop](const std::string& line) {
    if (line.rfind("quality: hellaswag", 0) == 0) stop = true;
  };
  auto out = RunStudy(o);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(out->interrupted);
  auto quality = QualityStore::Open(out->db_path);
  ASSERT_TRUE(quality.ok());
  auto figures = (*quality)->Figures(out->run_id);
  ASSERT_TRUE(figures.ok());
  for (const QualityFigure& f : *figures) {
    EXPECT_NE(f.task, "arc_easy");
    if (f.task == "hellaswag") {
      EXPECT_TRUE(f.interrupted);
    }
  }
  EXPECT_TRUE((*quality)->Samples(out->run_id)->empty());
}

TEST_F(StudyRunTest, BadTaskDataFailsBeforeAnyWork) {
  StudyOptions o = TasksAndSamplesOptions(dir_);
  o.config.quality_data_dir = (dir_ / "no-such-data").string();
  auto out = RunStudy(o);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kNotFound);
  EXPECT_NE(out.status().message().find("no-such-data"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "results.db"));
  o = TasksAndSamplesOptions(dir_);
  o.config.quality_prompts_dir = dir_.string();  // a directory without prompts
  out = RunStudy(o);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find(dir_.string()), std::string::npos) << out.status().message();
}

TEST_F(StudyRunTest, BadPricesFailBeforeAnyWork) {
  StudyOptions o = Options();
  o.config.prices.cloud.clear();
  o.config.cloud_table = (dir_ / "absent-prices.toml").string();
  auto out = RunStudy(o);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kNotFound);
  EXPECT_NE(out.status().message().find("absent-prices.toml"), std::string::npos);
  EXPECT_FALSE(fs::exists(fs::path(o.config.cache_dir) / "stories260K-f32-requant-Q8_0.gguf"));
  o = Options();
  o.price_overrides.duty_cycle = 0;
  out = RunStudy(o);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("--duty-cycle"), std::string::npos);
}

TEST_F(StudyRunTest, MissingModelIsAnError) {
  StudyOptions o = Options();
  o.config.models = {"/nonexistent/model.gguf"};
  auto out = RunStudy(o);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kNotFound);
  o.config.models = {"synth:no-such-preset"};
  EXPECT_FALSE(RunStudy(o).ok());
}

}  // namespace
}  // namespace edgelm::study
