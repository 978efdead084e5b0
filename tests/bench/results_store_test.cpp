#include "bench/results_store.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include <nlohmann/json.hpp>

#include "bench/compare.h"
#include "test_records.h"

namespace edgelm::bench {
namespace {

std::string TempDb(const char* name) {
  std::string path = std::string(::testing::TempDir()) + "/" + name;
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
  return path;
}

SweepSpec Spec() {
  SweepSpec s;
  s.models = {"/models/tiny.gguf"};
  s.n_threads = {2};
  s.n_prompt = {16};
  s.n_gen = {0};
  s.repetitions = 2;
  return s;
}

TEST(ResultsStoreTest, RunLifecycle) {
  const std::string path = TempDb("store_lifecycle.db");
  auto store = ResultsStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto run = (*store)->BeginRun(testing::TestContext(), Spec(), 2);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  auto runs = (*store)->ListRuns();
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].status, "running");
  EXPECT_EQ((*runs)[0].n_planned, 2);
  EXPECT_EQ((*runs)[0].n_done, 0);
  EXPECT_EQ((*runs)[0].models, "tiny.gguf");

  ConfigRecord pp = testing::PpRecord();
  ASSERT_TRUE((*store)->AddRecord(*run, pp).ok());
  // The same configuration twice in a run is a bug in the caller: refused, not duplicated.
  Status dup = (*store)->AddRecord(*run, pp);
  EXPECT_FALSE(dup.ok());
  ASSERT_TRUE((*store)->AddRecord(*run, testing::RequestRecord()).ok());
  ASSERT_TRUE((*store)->SetRunStatus(*run, "interrupted").ok());

  auto keys = (*store)->CompletedKeys(*run);
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->size(), 2u);
  EXPECT_TRUE(keys->count(pp.config.Key()));
  auto spec = (*store)->LoadSpec(*run);
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(SweepSpecToJson(*spec), SweepSpecToJson(Spec()));
  auto samples = (*store)->Samples(*run, pp.config.Key(), "ns");
  ASSERT_TRUE(samples.ok());
  EXPECT_EQ(*samples, (std::vector<double>{1e6, 2e6}));

  auto report = (*store)->LoadRun(*run);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->status, "interrupted");
  EXPECT_EQ(*report->run_id, *run);
  EXPECT_EQ(RunContextToJson(report->context), RunContextToJson(testing::TestContext()));
  ASSERT_EQ(report->records.size(), 2u);
  EXPECT_EQ(RecordToJson(report->records[0]), RecordToJson(pp));
  EXPECT_EQ(RecordToJson(report->records[1]), RecordToJson(testing::RequestRecord()));
  store->reset();

  // Reopening finds everything (durable), and a second run gets a new id.
  auto again = ResultsStore::Open(path);
  ASSERT_TRUE(again.ok());
  auto run2 = (*again)->BeginRun(testing::TestContext(), std::nullopt, 1);
  ASSERT_TRUE(run2.ok());
  EXPECT_GT(*run2, *run);
  EXPECT_EQ((*again)->LoadSpec(*run2).status().code(), StatusCode::kNotFound);
  EXPECT_EQ((*again)->ListRuns()->size(), 2u);
}

TEST(ResultsStoreTest, ErrorsNameTheProblem) {
  const std::string path = TempDb("store_errors.db");
  auto store = ResultsStore::Open(path);
  ASSERT_TRUE(store.ok());
  auto missing = (*store)->LoadRun(42);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("run 42"), std::string::npos);
  EXPECT_FALSE((*store)->AddRecord(42, testing::PpRecord()).ok());
  EXPECT_FALSE((*store)->SetRunStatus(42, "complete").ok());

  const std::string junk = TempDb("store_junk.db");
  { std::ofstream(junk) << "this is not a database, just some text that is long enough to look like a header....."; }
  auto bad = ResultsStore::Open(junk);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("store_junk.db"), std::string::npos);
  std::remove(junk.c_str());
}

TEST(ResultsStoreTest, DefaultPathFollowsXdg) {
  const char* old_xdg = std::getenv("XDG_DATA_HOME");
  std::string saved = old_xdg ? old_xdg : "";
  setenv("XDG_DATA_HOME", "/tmp/xdg-test", 1);
  EXPECT_EQ(*DefaultResultsDbPath(), "/tmp/xdg-test/edgelm/results.db");
  unsetenv("XDG_DATA_HOME");
  const char* home = std::getenv("HOME");
  if (home) {
    EXPECT_EQ(*DefaultResultsDbPath(), std::string(home) + "/.local/share/edgelm/results.db");
  }
  if (old_xdg) setenv("XDG_DATA_HOME", saved.c_str(), 1);
}

TEST(CompareTest, SideBySideWithWelch) {
  BenchReport a = testing::TestReport(), b = testing::TestReport();
  a.records = {testing::PpRecord(2, {1000000, 1010000, 990000}), testing::PpRecord(4, {500000, 505000})};
  b.records = {testing::PpRecord(2, {500000, 505000, 495000}), testing::PpRecord(8, {250000, 250000})};
  b.run_id = 8;
  Comparison c = CompareReports(a, b);
  ASSERT_EQ(c.rows.size(), 1u);
  const CompareRow& row = c.rows[0];
  EXPECT_EQ(row.test, "pp16");
  EXPECT_EQ(row.params, "t=2 b=512 ctk=f16 isa=auto");
  ASSERT_TRUE(row.ratio.has_value());
  EXPECT_NEAR(*row.ratio, 2.0, 0.01);
  ASSERT_TRUE(row.welch.has_value());
  EXPECT_TRUE(row.welch->significant);
  EXPECT_LT(row.welch->p_value, 1e-3);
  EXPECT_EQ(c.only_in_a.size(), 1u);
  EXPECT_EQ(c.only_in_b.size(), 1u);
  const std::string text = FormatComparison(a, b, c);
  EXPECT_NE(text.find("| pp16 | t=2 b=512 ctk=f16 isa=auto |"), std::string::npos) << text;
  EXPECT_NE(text.find("| yes |"), std::string::npos);
  EXPECT_NE(text.find("Welch's t-test"), std::string::npos);
  EXPECT_NE(text.find("only in A: pp16 | t=4"), std::string::npos);

  // One repetition on a side: no test, and the table says why.
  b.records = {testing::PpRecord(2, {500000})};
  Comparison single = CompareReports(a, b);
  ASSERT_EQ(single.rows.size(), 1u);
  EXPECT_FALSE(single.rows[0].welch.has_value());
  EXPECT_NE(FormatComparison(a, b, single).find("fewer than 2 repetitions"), std::string::npos);
}

}  // namespace
}  // namespace edgelm::bench
