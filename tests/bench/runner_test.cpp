#include "bench/runner.h"

#include <gtest/gtest.h>

#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>

#include "bench/engine_target.h"
#include "bench/system_probe.h"
#include "core/mapped_file.h"
#include "fake_engine.h"

namespace edgelm::bench {
namespace {

using testing::FakeModel;
using testing::FakeOptions;

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The fake loader does not read the file, but a cold load drops its pages: it must exist.
    for (const char* name : {"a.gguf", "b.gguf"}) {
      // Per test: ctest runs tests in parallel processes that share TempDir.
      std::string path = std::string(::testing::TempDir()) + "/runner_test_" +
                         ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" + name;
      std::ofstream(path) << "fake model file";
      paths_.push_back(path);
    }
  }
  void TearDown() override {
    for (const auto& p : paths_) std::remove(p.c_str());
  }

  EngineTarget Target(bool sleep_for_real = false) {
    FakeOptions fo{sleep_for_real, &loads_};
    return EngineTarget([fo](const LoadOptions& lo) -> Result<std::unique_ptr<Model>> {
      EDGELM_RETURN_IF_ERROR(FileSizeBytes(lo.path).status());
      return std::unique_ptr<Model>(new FakeModel(fo));
    });
  }

  SweepSpec Spec() {
    SweepSpec s;
    s.models = {paths_[0]};
    s.n_threads = {2};
    s.n_prompt = {16};
    s.n_gen = {8};
    s.pg = {{16, 8}};
    s.repetitions = 3;
    s.warmups = 2;
    return s;
  }

  RunnerOptions Options() {
    RunnerOptions o;
    o.warn = [this](const std::string& w) { warnings_.push_back(w); };
    return o;
  }

  std::vector<std::string> paths_;
  std::atomic<int> loads_{0};
  std::vector<std::string> warnings_;
};

TEST_F(RunnerTest, TimingArithmeticFromEngineEvents) {
  EngineTarget target = Target();
  Runner runner(target, Options());
  auto configs = *ExpandSweep(Spec());
  std::vector<ConfigRecord> delivered;
  auto out = runner.Run(configs, {}, [&](const ConfigRecord& r) {
    delivered.push_back(r);
    return Status::Ok();
  });
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->records.size(), 3u);
  EXPECT_EQ(delivered.size(), 3u);
  EXPECT_FALSE(out->interrupted);
  const ConfigRecord& pp = out->records[0];
  ASSERT_EQ(pp.status, "ok") << pp.error;
  EXPECT_EQ(pp.config.TestName(), "pp16");
  // 16 tokens at 1 ms each: exactly 16 ms, 1000 t/s, every repetition.
  EXPECT_EQ(pp.samples_ns, (std::vector<int64_t>(3, 16000000)));
  for (double ts : pp.samples_ts) EXPECT_DOUBLE_EQ(ts, 1000.0);
  EXPECT_EQ(pp.warmups, 2);
  const ConfigRecord& tg = out->records[1];
  ASSERT_EQ(tg.status, "ok") << tg.error;
  EXPECT_EQ(tg.samples_ns, (std::vector<int64_t>(3, 16000000)));  // 8 steps x 2 ms
  for (double ts : tg.samples_ts) EXPECT_DOUBLE_EQ(ts, 500.0);
  const ConfigRecord& pg = out->records[2];
  ASSERT_EQ(pg.status, "ok") << pg.error;
  EXPECT_EQ(pg.config.TestName(), "pp16+tg8");
  // (16 + 8) tokens over 16 ms + 16 ms.
  EXPECT_EQ(pg.samples_ns, (std::vector<int64_t>(3, 32000000)));
  for (double ts : pg.samples_ts) EXPECT_DOUBLE_EQ(ts, 750.0);

  // What the backend reported is in the record.
  EXPECT_EQ(pp.model_type, "llama 260K F32");
  EXPECT_EQ(pp.model_filename, "runner_test_TimingArithmeticFromEngineEvents_a.gguf");
  EXPECT_EQ(*pp.model_size, 1000000u);
  EXPECT_EQ(*pp.model_n_params, 260000u);
  EXPECT_EQ(pp.backend, "CPU");
  EXPECT_EQ(pp.isa, "scalar");
  EXPECT_EQ(pp.n_threads, 2);
  EXPECT_EQ(pp.n_ctx, 16u) << "-c 0: what the test needs";
  EXPECT_EQ(pg.n_ctx, 24u);
  EXPECT_EQ(*pp.weights_bytes, 1000000u);
  EXPECT_EQ(*pp.kv_bytes, 16u * 1024);
  EXPECT_EQ(*pp.scratch_bytes, 4096u);
  EXPECT_TRUE(pp.rss_after_load_bytes.has_value());
  EXPECT_TRUE(pp.peak_rss_bytes.has_value());
  EXPECT_FALSE(pp.peak_rss_scope.empty());
  EXPECT_DOUBLE_EQ(*pp.load_warm_ms, 3.0) << "the engine's load timings";
  EXPECT_DOUBLE_EQ(*pp.load_cold_ms, 3.0);
  // One model for three configurations: one cold and one warm load.
  EXPECT_EQ(loads_.load(), 2);
  EXPECT_TRUE(warnings_.empty());
}

TEST_F(RunnerTest, DepthIsNotTimed) {
  EngineTarget target = Target();
  Runner runner(target, Options());
  SweepSpec s = Spec();
  s.pg.clear();
  s.n_depth = {32};
  s.repetitions = 2;
  auto out = runner.Run(*ExpandSweep(s), {}, nullptr);
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->records.size(), 2u);
  EXPECT_EQ(out->records[0].config.TestName(), "pp16 @ d32");
  EXPECT_EQ(out->records[0].samples_ns, (std::vector<int64_t>(2, 16000000)));
  EXPECT_EQ(out->records[1].config.TestName(), "tg8 @ d32");
  EXPECT_EQ(out->records[1].samples_ns, (std::vector<int64_t>(2, 16000000)));
  EXPECT_EQ(out->records[1].n_ctx, 40u);
}

TEST_F(RunnerTest, RequestTimesEveryToken) {
  EngineTarget target = Target(/*sleep_for_real=*/true);
  RunnerOptions o = Options();
  o.request_prompt = "Once upon";  // BOS + 9 byte tokens
  Runner runner(target, o);
  SweepSpec s = Spec();
  s.n_prompt = {0};
  s.n_gen = {0};
  s.pg.clear();
  s.request = true;
  s.request_prompt = o.request_prompt;
  s.request_n_gen = 6;
  s.repetitions = 2;
  s.warmups = 0;
  s.n_ctx = {64};
  auto out = runner.Run(*ExpandSweep(s), {}, nullptr);
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->records.size(), 1u);
  const ConfigRecord& r = out->records[0];
  ASSERT_EQ(r.status, "ok") << r.error;
  EXPECT_EQ(r.config.TestName(), "req6");
  EXPECT_EQ(r.n_prompt, 10u);
  EXPECT_EQ(r.n_gen, 6u);
  ASSERT_EQ(r.ttft_ms_samples.size(), 2u);
  ASSERT_EQ(r.itl_ms.size(), 2u * 5);
  ASSERT_EQ(r.decode_ts_samples.size(), 2u);
  ASSERT_EQ(r.e2e_ts_samples.size(), 2u);
  ASSERT_EQ(r.samples_ns.size(), 2u);
  // The fake sleeps 10 ms of prefill before the first token and 2 ms per decode step.
  for (double ttft : r.ttft_ms_samples) {
    EXPECT_GE(ttft, 10.0);
    EXPECT_LT(ttft, 1000.0);
  }
  for (double itl : r.itl_ms) EXPECT_GE(itl, 2.0);
  // Identities between the figures of each repetition.
  for (int rep = 0; rep < 2; ++rep) {
    double itl_sum = 0;
    for (int i = 0; i < 5; ++i) itl_sum += r.itl_ms[rep * 5 + i];
    const double e2e_ms = static_cast<double>(r.samples_ns[rep]) / 1e6;
    EXPECT_NEAR(e2e_ms, r.ttft_ms_samples[rep] + itl_sum, 1e-6);
    EXPECT_NEAR(r.decode_ts_samples[rep], 5 * 1000.0 / itl_sum, 1e-6 * r.decode_ts_samples[rep]);
    EXPECT_NEAR(r.e2e_ts_samples[rep], 6 * 1000.0 / e2e_ms, 1e-9 * r.e2e_ts_samples[rep]);
    EXPECT_DOUBLE_EQ(r.samples_ts[rep], r.e2e_ts_samples[rep]);
    EXPECT_LE(r.decode_ts_samples[rep], 500.0 + 1e-9);
  }
  // The fake's next token is EOS when n_past is a multiple of 5: after the 10-token
  // prompt (index 0) and after 5 decode steps (index 5); generation went on past both.
  ASSERT_TRUE(r.first_eos_index.has_value());
  EXPECT_EQ(*r.first_eos_index, 0u);
  EXPECT_EQ(r.generated_text, "lmno") << "EOS renders as nothing, the rest are letters";
  EXPECT_TRUE(r.eos_ignored);
}

TEST_F(RunnerTest, ErrorsBecomeRecordsAndTheRunGoesOn) {
  EngineTarget target = Target();
  Runner runner(target, Options());
  SweepSpec s = Spec();
  s.pg.clear();
  s.n_ctx = {8192, 64};  // the fake refuses more than its training context
  s.repetitions = 1;
  s.warmups = 0;
  auto out = runner.Run(*ExpandSweep(s), {}, nullptr);
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->records.size(), 4u);
  EXPECT_EQ(out->records[0].status, "error");
  EXPECT_NE(out->records[0].error.find("exceeds the training context"), std::string::npos);
  EXPECT_TRUE(out->records[0].samples_ns.empty());
  EXPECT_EQ(out->records[2].status, "ok");
  EXPECT_EQ(warnings_.size(), 2u);

  // A model that does not load.
  s = Spec();
  s.models = {"/nonexistent/model.gguf"};
  auto bad = runner.Run(*ExpandSweep(s), {}, nullptr);
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->records[0].status, "error");
  EXPECT_NE(bad->records[0].error.find("/nonexistent/model.gguf"), std::string::npos) << bad->records[0].error;
}

TEST_F(RunnerTest, InterruptFinishesTheConfigurationInFlightAndResumeCompletesTheRest) {
  EngineTarget target = Target();
  std::atomic<bool> interrupt{false};
  RunnerOptions o = Options();
  o.interrupt = &interrupt;
  SweepSpec s = Spec();
  s.models = {paths_[0], paths_[1]};
  s.repetitions = 2;
  auto configs = *ExpandSweep(s);
  ASSERT_EQ(configs.size(), 6u);
  std::set<std::string> done;
  {
    Runner runner(target, o);
    auto out = runner.Run(configs, {}, [&](const ConfigRecord& r) {
      done.insert(r.config.Key());
      // Ctrl-C arrives while the second configuration runs.
      if (done.size() == 1) interrupt = true;
      return Status::Ok();
    });
    ASSERT_TRUE(out.ok());
    EXPECT_TRUE(out->interrupted);
    ASSERT_EQ(out->records.size(), 1u);
    EXPECT_EQ(out->records[0].samples_ns.size(), 2u) << "the configuration in flight is complete";
  }
  interrupt = false;
  Runner runner(target, o);
  auto rest = runner.Run(configs, done, [&](const ConfigRecord& r) {
    EXPECT_FALSE(done.count(r.config.Key())) << "ran a configuration twice";
    done.insert(r.config.Key());
    return Status::Ok();
  });
  ASSERT_TRUE(rest.ok());
  EXPECT_FALSE(rest->interrupted);
  EXPECT_EQ(rest->skipped, 1);
  EXPECT_EQ(rest->records.size(), 5u);
  EXPECT_EQ(done.size(), 6u);
}

TEST_F(RunnerTest, SaveFailureStopsTheRun) {
  EngineTarget target = Target();
  Runner runner(target, Options());
  auto out = runner.Run(*ExpandSweep(Spec()), {}, [](const ConfigRecord&) { return IoError("disk full"); });
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("disk full"), std::string::npos);
}

TEST_F(RunnerTest, IsolatedConfigurationsRunInAChild) {
  EngineTarget target = Target();
  RunnerOptions o = Options();
  o.isolate = true;
  Runner runner(target, o);
  SweepSpec s = Spec();
  s.pg.clear();
  s.n_gen = {0};
  s.priority = {-1};  // lowering priority needs no privilege, and stays in the child
  auto out = runner.Run(*ExpandSweep(s), {}, nullptr);
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->records.size(), 1u);
  const ConfigRecord& r = out->records[0];
  ASSERT_EQ(r.status, "ok") << r.error;
  EXPECT_EQ(r.samples_ns, (std::vector<int64_t>(3, 16000000)));
  EXPECT_EQ(r.peak_rss_scope, "child");
  EXPECT_TRUE(r.peak_rss_bytes.has_value());
  EXPECT_EQ(loads_.load(), 0) << "the parent loads nothing";
  EXPECT_EQ(::getpriority(PRIO_PROCESS, 0), 0) << "the parent's priority is untouched";

  // A configuration that fails in the child comes back as an error record with its cause.
  s.n_ctx = {8192};
  auto failed = runner.Run(*ExpandSweep(s), {}, nullptr);
  ASSERT_TRUE(failed.ok());
  ASSERT_EQ(failed->records.size(), 1u);
  EXPECT_EQ(failed->records[0].status, "error");
  EXPECT_NE(failed->records[0].error.find("exceeds the training context"), std::string::npos)
      << failed->records[0].error;
}

TEST_F(RunnerTest, WarnsBeforeLoadingAModelThatDoesNotFit) {
  auto available = ReadMemInfoBytes("MemAvailable");
  if (!available) GTEST_SKIP() << "no /proc/meminfo";
  // A sparse file larger than the available memory costs no disk.
  const std::string path = std::string(::testing::TempDir()) + "/runner_test_huge.gguf";
  {
    std::ofstream f(path);
  }
  ASSERT_EQ(::truncate(path.c_str(), static_cast<off_t>(*available + (1ull << 30))), 0);
  EngineTarget target = Target();
  Runner runner(target, Options());
  SweepSpec s = Spec();
  s.models = {path};
  s.pg.clear();
  s.n_gen = {0};
  s.repetitions = 1;
  auto out = runner.Run(*ExpandSweep(s), {}, nullptr);
  std::remove(path.c_str());
  ASSERT_TRUE(out.ok());
  ASSERT_FALSE(warnings_.empty());
  EXPECT_NE(warnings_[0].find("will not fit"), std::string::npos) << warnings_[0];
  EXPECT_NE(warnings_[0].find(std::to_string(*available + (1ull << 30)) + " bytes"), std::string::npos) << warnings_[0];
}

TEST_F(RunnerTest, DelayAndSleepStopOnInterrupt) {
  std::atomic<bool> flag{true};
  const int64_t t0 = MonotonicNs();
  InterruptibleSleep(10.0, &flag);
  EXPECT_LT(MonotonicNs() - t0, 1000000000);
  flag = false;
  const int64_t t1 = MonotonicNs();
  InterruptibleSleep(0.05, &flag);
  EXPECT_GE(MonotonicNs() - t1, 50000000);
}

TEST(EngineTargetTest, DescribesModelTypeLikeLlamaBench) {
  ModelInfo mi;
  mi.architecture = "llama";
  mi.file_type = "Q4_0";
  mi.n_params = 6740000000ull;
  EXPECT_EQ(DescribeModelType(mi), "llama 6.7B Q4_0");
  mi.n_params = 135000000;
  mi.architecture = "qwen2";
  mi.file_type = "";
  EXPECT_EQ(DescribeModelType(mi), "qwen2 135M");
}

}  // namespace
}  // namespace edgelm::bench
