// `edgelm eval`, `edgelm ppl` and `edgelm results quality` end to end on stories260K into
// a temporary results store: the run is recorded like a bench run (context, models with
// sha256, command line, status), each figure has its interval, and progress with ETA
// goes to stderr while --json keeps stdout to the JSON alone.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "bench/results_store.h"
#include "eval/eval_math.h"
#include "eval/quality_store.h"

namespace edgelm {
namespace {

namespace fs = std::filesystem;

const std::string kEdgelm = std::string(EDGELM_BINARY_DIR) + "/bin/edgelm";
const std::string kShared = EDGELM_SHARED_DIR;

struct Outcome {
  int rc = -1;
  std::string out, err;
};

Outcome RunEdgelm(const std::string& args, const fs::path& dir) {
  Outcome o;
  const std::string err_path = (dir / "stderr.txt").string();
  FILE* p = ::popen((kEdgelm + " " + args + " 2>" + err_path).c_str(), "r");
  if (!p) return o;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) o.out.append(buf.data(), n);
  const int st = ::pclose(p);
  o.rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  std::ifstream in(err_path);
  std::ostringstream s;
  s << in.rdbuf();
  o.err = s.str();
  return o;
}

class EvalCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kShared + "/models/stories260K/stories260K-f32.gguf") || !fs::is_directory(kShared + "/data")) {
      GTEST_SKIP() << "../shared (stories260K, data) absent: eval CLI tests skipped";
    }
    dir_ = fs::path(::testing::TempDir()) / ("eval_cli_" + std::to_string(::getpid()) + "_" +
                                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = (dir_ / "results.db").string();
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  fs::path dir_;
  std::string db_;
};

TEST_F(EvalCliTest, EvalRecordsEachTaskWithWilsonIntervals) {
  const std::string model = kShared + "/models/stories260K/stories260K-f32.gguf";
  const Outcome o = RunEdgelm("eval -m " + model + " --task hellaswag:12 --task arc_easy:10 --data " + kShared +
                            "/data -t 1 --json --db " + db_,
                        dir_);
  ASSERT_EQ(o.rc, 0) << o.out << o.err;
  const auto j = nlohmann::json::parse(o.out, nullptr, false);  // stdout is the JSON alone
  ASSERT_FALSE(j.is_discarded()) << o.out;
  ASSERT_EQ(j.size(), 2u);
  EXPECT_NE(o.err.find("hellaswag [12/12] 100%"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("ETA"), std::string::npos) << o.err;

  auto qs = QualityStore::Open(db_);
  ASSERT_TRUE(qs.ok()) << qs.status().ToString();
  auto figures = (*qs)->Figures();
  ASSERT_TRUE(figures.ok());
  ASSERT_EQ(figures->size(), 4u);  // acc and acc_norm of each task
  const int64_t run_id = j[0]["run_id"].get<int64_t>();
  for (const QualityFigure& f : *figures) {
    SCOPED_TRACE(f.task + " " + f.metric);
    EXPECT_EQ(f.run_id, run_id);
    EXPECT_EQ(f.command, "eval");
    EXPECT_EQ(f.model.label, "stories260K-f32.gguf");
    EXPECT_EQ(f.model.weight_type, "F32");
    EXPECT_NEAR(*f.model.bits_per_weight, 32.0, 0.01);
    EXPECT_EQ(f.n, f.task == "hellaswag" ? 12 : 10);
    EXPECT_EQ(f.ci_method, "wilson");
    EXPECT_FALSE(f.interrupted);
    ASSERT_TRUE(f.value && f.ci_low && f.ci_high);
    EXPECT_LE(*f.ci_low, *f.value);
    EXPECT_LE(*f.value, *f.ci_high);
    // The interval is Wilson's for the stored count.
    const auto successes = static_cast<size_t>(std::llround(*f.value * static_cast<double>(f.n)));
    const Interval w = WilsonInterval(successes, static_cast<size_t>(f.n));
    EXPECT_DOUBLE_EQ(*f.ci_low, w.low);
    EXPECT_DOUBLE_EQ(*f.ci_high, w.high);
    const auto& jt = j[f.task == "hellaswag" ? 0 : 1];
    EXPECT_DOUBLE_EQ(*f.value, jt[f.metric].get<double>());
    EXPECT_GT(*f.tokens_per_s, 0);
  }
  // The run is a results-store run with its context, like `edgelm bench`'s.
  auto store = bench::ResultsStore::Open(db_);
  ASSERT_TRUE(store.ok());
  auto runs = (*store)->ListRuns();
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].run_id, run_id);
  EXPECT_EQ((*runs)[0].status, "complete");
  EXPECT_NE((*runs)[0].command_line.find("eval -m"), std::string::npos) << (*runs)[0].command_line;
  auto report = (*store)->LoadRun(run_id);
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->context.models.size(), 1u);
  EXPECT_EQ(report->context.models[0].sha256.size(), 64u);
  EXPECT_FALSE(report->context.cpu_info.empty());

  // `edgelm results quality` lists them.
  const Outcome list = RunEdgelm("results quality --db " + db_, dir_);
  ASSERT_EQ(list.rc, 0) << list.err;
  EXPECT_NE(list.out.find("| hellaswag | acc_norm |"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("| arc_easy | acc |"), std::string::npos) << list.out;
}

TEST_F(EvalCliTest, PplRecordsTheFigureWithANormalInterval) {
  // The first 16 KiB of wiki.test.raw: enough tokens for 4 chunks, quick to tokenize
  // (also under the sanitizers).
  const std::string text = (dir_ / "wiki.test.raw").string();
  {
    std::ifstream in(kShared + "/data/wikitext-2-raw/wiki.test.raw", std::ios::binary);
    std::string head(16384, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<size_t>(in.gcount()));
    std::ofstream(text, std::ios::binary) << head;
  }
  const Outcome o = RunEdgelm("ppl -m " + kShared + "/models/stories260K/stories260K-q8_0.gguf -f " + text +
                                  " --ctx 64 --chunks 4 -t 1 --db " + db_,
                              dir_);
  ASSERT_EQ(o.rc, 0) << o.out << o.err;
  EXPECT_NE(o.out.find("Final estimate: PPL = "), std::string::npos) << o.out;
  EXPECT_NE(o.err.find("wiki.test.raw [4/4] 100%  ppl "), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("[1/4] 25%"), std::string::npos) << o.err;
  auto qs = QualityStore::Open(db_);
  ASSERT_TRUE(qs.ok());
  auto figures = (*qs)->Figures();
  ASSERT_TRUE(figures.ok());
  ASSERT_EQ(figures->size(), 1u);
  const QualityFigure& f = (*figures)[0];
  EXPECT_EQ(f.metric, "ppl");
  EXPECT_EQ(f.task, "wiki.test.raw");
  EXPECT_EQ(f.model.weight_type, "Q8_0");
  EXPECT_EQ(f.n, 4 * 31);
  EXPECT_EQ(f.ci_method, "normal");
  ASSERT_TRUE(f.value && f.ci_low && f.ci_high && f.stderr_value);
  EXPECT_LT(*f.ci_low, *f.value);
  EXPECT_LT(*f.value, *f.ci_high);
  EXPECT_NEAR(*f.ci_high - *f.value, 1.959964 * *f.stderr_value, 1e-6);
  char printed[32];
  std::snprintf(printed, sizeof printed, "PPL = %.4f", *f.value);
  EXPECT_NE(o.out.find(printed), std::string::npos) << o.out;
  auto progress = (*qs)->LastProgress(f.run_id);
  ASSERT_TRUE(progress.ok());
  ASSERT_EQ(progress->size(), 1u);
  EXPECT_EQ((*progress)[0].done, 4);
}

TEST_F(EvalCliTest, SamplesRecordEveryAnswer) {
  const std::string md = (dir_ / "samples.md").string();
  const Outcome o = RunEdgelm("samples -m " + kShared + "/models/stories260K/stories260K-q8_0.gguf -t 1 -o " + md +
                                  " --db " + db_,
                              dir_);
  ASSERT_EQ(o.rc, 0) << o.out << o.err;
  EXPECT_NE(o.err.find("[6/6] 100%"), std::string::npos) << o.err;
  auto qs = QualityStore::Open(db_);
  ASSERT_TRUE(qs.ok());
  auto store = bench::ResultsStore::Open(db_);
  ASSERT_TRUE(store.ok());
  auto runs = (*store)->ListRuns();
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].status, "complete");
  auto samples = (*qs)->Samples((*runs)[0].run_id);
  ASSERT_TRUE(samples.ok());
  ASSERT_EQ(samples->size(), 6u);  // the shipped suite: data/prompts
  std::ifstream in(md);
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  for (const QualitySample& s : *samples) {
    EXPECT_EQ(s.model.weight_type, "Q8_0");
    EXPECT_EQ(s.seed, 42u);
    EXPECT_GT(s.n_generated, 0);
    EXPECT_NE(text.find(s.text), std::string::npos) << s.prompt_id;  // the stored answer is the printed one
  }
}

TEST_F(EvalCliTest, UnknownTaskRecordsNoRun) {
  const Outcome o = RunEdgelm("eval -m " + kShared + "/models/stories260K/stories260K-f32.gguf --task nosuch:3 --data " +
                            kShared + "/data --db " + db_,
                        dir_);
  EXPECT_EQ(o.rc, 2) << o.err;
  EXPECT_NE(o.err.find("unknown task 'nosuch'"), std::string::npos) << o.err;
  EXPECT_FALSE(fs::exists(db_));
}

}  // namespace
}  // namespace edgelm
