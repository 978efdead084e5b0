// End-to-end tests of `edgelm bench` and `edgelm results` on the real engine with
// stories260K (a 260K-parameter model: each configuration takes milliseconds).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "bench/engine_target.h"
#include "bench/results_store.h"
#include "bench/runner.h"
#include "bench/sha256.h"

namespace edgelm::bench {
namespace {

using nlohmann::json;

const std::string kEdgelm = std::string(EDGELM_BINARY_DIR) + "/bin/edgelm";
const std::string kModel = std::string(EDGELM_SHARED_DIR) + "/models/stories260K/stories260K-f32.gguf";

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Proc {
  pid_t pid = -1;
  std::string out_path, err_path;
};

// Starts edgelm with args, stdout and stderr to files.
Proc Spawn(const std::vector<std::string>& args, const std::string& tag) {
  Proc p;
  p.out_path = std::string(::testing::TempDir()) + "/bench_cli_" + tag + ".out";
  p.err_path = std::string(::testing::TempDir()) + "/bench_cli_" + tag + ".err";
  p.pid = ::fork();
  if (p.pid == 0) {
    int out = ::open(p.out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(p.err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, 1);
    ::dup2(err, 2);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(kEdgelm.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(kEdgelm.c_str(), argv.data());
    ::_exit(127);
  }
  return p;
}

int Wait(const Proc& p) {
  int status = 0;
  ::waitpid(p.pid, &status, 0);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

struct Ran {
  int code;
  std::string out, err;
};

Ran RunEdgelm(const std::vector<std::string>& args, const std::string& tag) {
  Proc p = Spawn(args, tag);
  int code = Wait(p);
  return {code, Slurp(p.out_path), Slurp(p.err_path)};
}

class BenchCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kModel)) GTEST_SKIP() << "needs ../shared (stories260K): " << kModel;
    db_ = std::string(::testing::TempDir()) + "/bench_cli_" +
          ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
    for (const char* s : {"", "-wal", "-shm"}) std::remove((db_ + s).c_str());
  }
  std::string db_;
};

TEST_F(BenchCliTest, BadFlagsAreUsageErrors) {
  Ran r = RunEdgelm({"bench", "-m", kModel, "-t", "4-1", "--db", db_}, "bad1");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("ends before it starts"), std::string::npos) << r.err;
  EXPECT_EQ(RunEdgelm({"bench", "-m", kModel, "--bogus", "--db", db_}, "bad2").code, 2);
  EXPECT_EQ(RunEdgelm({"bench", "--db", db_}, "bad3").code, 2) << "no model";
  EXPECT_EQ(RunEdgelm({"bench", "-m", kModel, "-o", "xml", "--db", db_}, "bad4").code, 2);
  EXPECT_EQ(RunEdgelm({"bench", "-m", kModel, "-ctk", "q9", "--db", db_}, "bad5").code, 2);
  EXPECT_EQ(RunEdgelm({"bench", "-m", kModel, "-pg", "512", "--db", db_}, "bad6").code, 2);
  EXPECT_EQ(RunEdgelm({"bench", "-m", kModel, "-o", "sqlite", "--db", db_}, "bad7").code, 2);
  Ran missing = RunEdgelm({"bench", "-m", "/nonexistent/x.gguf", "-p", "16", "-n", "0", "--db", db_}, "bad8");
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find("/nonexistent/x.gguf"), std::string::npos);
  Ran help = RunEdgelm({"bench", "--help"}, "help");
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("--n-prompt"), std::string::npos);
}

TEST_F(BenchCliTest, BenchesStoriesAndRoundTripsEveryFormat) {
  Ran r = RunEdgelm({"bench", "-m", kModel, "-p", "16", "-n", "8", "-r", "2", "-t", "1", "--db", db_, "-o", "json"}, "json");
  ASSERT_EQ(r.code, 0) << r.err;
  json doc = json::parse(r.out);
  EXPECT_EQ(doc["status"], "complete");
  EXPECT_EQ(doc["context"]["models"][0]["sha256"], *Sha256File(kModel));
  EXPECT_EQ(doc["context"]["models"][0]["size_bytes"], std::filesystem::file_size(kModel));
  ASSERT_EQ(doc["results"].size(), 2u);
  const json& pp = doc["results"][0];
  const json& tg = doc["results"][1];
  EXPECT_EQ(pp["test"], "pp16");
  EXPECT_EQ(tg["test"], "tg8");
  for (const json* j : {&pp, &tg}) {
    EXPECT_EQ((*j)["status"], "ok") << (*j)["error"];
    EXPECT_EQ((*j)["samples_ns"].size(), 2u);
    EXPECT_GT((*j)["avg_ts"].get<double>(), 0);
    EXPECT_EQ((*j)["n_threads"], 1);
    EXPECT_EQ((*j)["warmups"], 1);
    EXPECT_GT((*j)["model_n_params"].get<uint64_t>(), 200000u);
    EXPECT_GT((*j)["kv_bytes"].get<uint64_t>(), 0u);
    EXPECT_GT((*j)["peak_rss_bytes"].get<uint64_t>(), 0u);
    EXPECT_FALSE((*j)["isa"].get<std::string>().empty());
    EXPECT_TRUE((*j)["load_warm_ms"].is_number());
    EXPECT_EQ((*j)["model_sha256"], doc["context"]["models"][0]["sha256"]);
  }
  const int64_t run_id = doc["run_id"].get<int64_t>();
  const std::string id = std::to_string(run_id);

  // The store holds the same records; every export format reads back.
  Ran jsonl = RunEdgelm({"results", "export", id, "-o", "jsonl", "--db", db_}, "jsonl");
  ASSERT_EQ(jsonl.code, 0) << jsonl.err;
  std::istringstream lines(jsonl.out);
  std::string line;
  std::vector<json> rows;
  while (std::getline(lines, line)) rows.push_back(json::parse(line));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["samples_ns"], pp["samples_ns"]);
  EXPECT_EQ(rows[1]["samples_ts"], tg["samples_ts"]);
  EXPECT_EQ(rows[0]["run_id"], run_id);

  Ran csv = RunEdgelm({"results", "export", id, "-o", "csv", "--db", db_}, "csv");
  ASSERT_EQ(csv.code, 0);
  EXPECT_EQ(std::count(csv.out.begin(), csv.out.end(), '\n'), 3);
  EXPECT_EQ(csv.out.rfind("run_id,run_status,", 0), 0u);

  Ran md = RunEdgelm({"results", "show", id, "--db", db_}, "md");
  ASSERT_EQ(md.code, 0);
  EXPECT_NE(md.out.find("| model | size | params | backend | threads | isa | test | t/s |"), std::string::npos) << md.out;
  EXPECT_NE(md.out.find("| pp16 |"), std::string::npos);
  EXPECT_NE(md.out.find("| tg8 |"), std::string::npos);

  const std::string copy = db_ + ".export.db";
  std::remove(copy.c_str());
  Ran sq = RunEdgelm({"results", "export", id, "-o", "sqlite", "--out", copy, "--db", db_}, "sqlite");
  ASSERT_EQ(sq.code, 0) << sq.err;
  auto exported = ResultsStore::Open(copy);
  ASSERT_TRUE(exported.ok());
  auto back = (*exported)->LoadRun(1);
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->records.size(), 2u);
  EXPECT_EQ(RecordToJson(back->records[0])["samples_ns"], pp["samples_ns"]);

  Ran list = RunEdgelm({"results", "list", "--db", db_}, "list");
  EXPECT_NE(list.out.find("| " + id + " |"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("| complete | 2/2 |"), std::string::npos) << list.out;

  // A second run compares against the first.
  Ran again = RunEdgelm({"bench", "-m", kModel, "-p", "16", "-n", "8", "-r", "2", "-t", "1", "--db", db_, "-o", "csv"}, "again");
  ASSERT_EQ(again.code, 0) << again.err;
  Ran cmp = RunEdgelm({"results", "compare", id, std::to_string(run_id + 1), "--db", db_}, "compare");
  ASSERT_EQ(cmp.code, 0) << cmp.err;
  EXPECT_NE(cmp.out.find("| pp16 | t=1 b=512 ctk=f16 isa=auto |"), std::string::npos) << cmp.out;
  EXPECT_NE(cmp.out.find("Welch's t-test"), std::string::npos);
}

TEST_F(BenchCliTest, RequestAndIsolate) {
  Ran r = RunEdgelm({"bench", "-m", kModel, "-p", "16", "-n", "0", "--request", "--request-tokens", "8", "-c", "256", "-r",
               "2", "-t", "1", "--isolate", "--db", db_, "-o", "json"},
              "request");
  ASSERT_EQ(r.code, 0) << r.err;
  json doc = json::parse(r.out);
  ASSERT_EQ(doc["results"].size(), 2u);
  const json& pp = doc["results"][0];
  EXPECT_EQ(pp["peak_rss_scope"], "child");
  const json& req = doc["results"][1];
  EXPECT_EQ(req["test"], "req8");
  ASSERT_EQ(req["status"], "ok") << req["error"];
  EXPECT_GT(req["n_prompt"].get<int>(), 10);
  EXPECT_EQ(req["samples_ttft_ms"].size(), 2u);
  EXPECT_EQ(req["samples_itl_ms"].size(), 2u * 7);
  EXPECT_GT(req["ttft_ms"].get<double>(), 0);
  EXPECT_LE(req["itl_p50_ms"].get<double>(), req["itl_p99_ms"].get<double>());
  EXPECT_GT(req["decode_ts"].get<double>(), 0);
  EXPECT_GT(req["e2e_ts"].get<double>(), 0);
  EXPECT_EQ(req["eos_ignored"], true);
  EXPECT_FALSE(req["generated_text"].get<std::string>().empty());
}

TEST_F(BenchCliTest, AFailedConfigurationIsRecordedAndTheSweepGoesOn) {
  // CPU 1023 does not exist here: pinning fails for the second configuration only.
  Ran r = RunEdgelm({"bench", "-m", kModel, "-p", "16", "-n", "0", "-r", "1", "-t", "1", "-C", "0x0,0x8" + std::string(255, '0'),
                     "--db", db_, "-o", "jsonl"},
                    "failed");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("1 configuration(s) failed"), std::string::npos) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  std::vector<json> rows;
  while (std::getline(lines, line)) rows.push_back(json::parse(line));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["status"], "ok");
  EXPECT_EQ(rows[1]["status"], "error");
  EXPECT_NE(rows[1]["error"].get<std::string>().find("CPU 1023"), std::string::npos) << rows[1]["error"];
  EXPECT_TRUE(rows[1]["avg_ts"].is_null());
  Ran show = RunEdgelm({"results", "show", "1", "--db", db_}, "failed_show");
  EXPECT_EQ(show.code, 0) << show.err;
  EXPECT_NE(show.out.find("error: "), std::string::npos);
}

// Counts run 1's configurations with a read-only connection, so that polling never
// competes with the benchmark for the write lock.
int CountConfigs(const std::string& db) {
  sqlite3* h = nullptr;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(h);
    return 0;
  }
  sqlite3_busy_timeout(h, 2000);
  int n = 0;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(h, "SELECT COUNT(*) FROM configurations WHERE run_id = 1", -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    n = sqlite3_column_int(st, 0);
  }
  sqlite3_finalize(st);
  sqlite3_close(h);
  return n;
}

TEST_F(BenchCliTest, CtrlCKeepsCompletedConfigurationsAndResumeRunsTheRest) {
  // pp16, pp32, tg8, tg16 = 4 configurations, 1 s apart: the interrupt lands in the
  // cooldown after the first one (or, on a very busy machine, during a later one). One
  // thread: a multi-threaded step on a loaded 2-core machine waits for descheduled workers.
  Proc p = Spawn({"bench", "-m", kModel, "-p", "16,32", "-n", "8,16", "-r", "2", "-t", "1", "--delay", "1", "--db", db_,
                  "-o", "jsonl"},
                 "sigint");
  // Wait until the first configuration is in the store, then interrupt.
  int done = 0;
  for (int i = 0; i < 1200 && done < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    if (std::filesystem::exists(db_)) done = CountConfigs(db_);
  }
  ASSERT_GE(done, 1) << Slurp(p.err_path);
  ::kill(p.pid, SIGINT);
  const int code = Wait(p);
  EXPECT_EQ(code, 130) << Slurp(p.err_path);
  const int saved = CountConfigs(db_);
  EXPECT_GE(saved, 1);
  EXPECT_LT(saved, 4) << "interrupted before the end";
  // What was printed is exactly what was stored.
  std::istringstream out(Slurp(p.out_path));
  std::string line;
  int printed = 0;
  while (std::getline(out, line)) {
    ++printed;
    EXPECT_EQ(json::parse(line)["run_status"], "interrupted");
  }
  EXPECT_EQ(printed, saved);
  EXPECT_NE(Slurp(p.err_path).find("--resume 1"), std::string::npos);
  auto store = ResultsStore::Open(db_);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->ListRuns()->at(0).status, "interrupted");
  auto before = *(*store)->CompletedKeys(1);

  Ran bad = RunEdgelm({"bench", "--resume", "1", "-t", "4", "--db", db_}, "resume_bad");
  EXPECT_EQ(bad.code, 2) << "sweep flags with --resume";
  // --delay may be changed on resume (it is not part of what is measured).
  Ran resumed = RunEdgelm({"bench", "--resume", "1", "--delay", "0", "--db", db_, "-o", "json"}, "resume");
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  json doc = json::parse(resumed.out);
  EXPECT_EQ(doc["status"], "complete");
  ASSERT_EQ(doc["results"].size(), 4u);
  auto after = *(*store)->CompletedKeys(1);
  EXPECT_EQ(after.size(), 4u);
  for (const auto& k : before) EXPECT_TRUE(after.count(k));
  EXPECT_EQ((*store)->ListRuns()->size(), 1u) << "resume continues the run, it does not start another";
  EXPECT_EQ((*store)->ListRuns()->at(0).status, "complete");
  // The configurations done before the interrupt were not run again: their stored test
  // times are unchanged and come first.
  auto report = (*store)->LoadRun(1);
  ASSERT_TRUE(report.ok());
  for (int i = 0; i < saved; ++i) EXPECT_TRUE(before.count(report->records[i].config.Key()));
}

TEST(EngineTargetRealTest, BenchesStoriesInProcess) {
  if (!std::filesystem::exists(kModel)) GTEST_SKIP() << "needs ../shared (stories260K): " << kModel;
  auto target = MakeEngineTarget();
  RunnerOptions o;
  o.warn = [](const std::string&) {};
  Runner runner(*target, o);
  SweepSpec s;
  s.models = {kModel};
  s.n_threads = {1};
  s.n_prompt = {16};
  s.n_gen = {8};
  s.pg = {{16, 8}};
  s.n_depth = {0, 16};
  s.repetitions = 2;
  auto out = runner.Run(*ExpandSweep(s), {}, nullptr);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->records.size(), 6u);
  for (const auto& r : out->records) {
    ASSERT_EQ(r.status, "ok") << r.config.TestName() << ": " << r.error;
    EXPECT_EQ(r.samples_ns.size(), 2u);
    for (size_t i = 0; i < r.samples_ns.size(); ++i) {
      EXPECT_GT(r.samples_ns[i], 0);
      EXPECT_NEAR(r.samples_ts[i], (r.n_prompt + r.n_gen) * 1e9 / r.samples_ns[i], 1e-9 * r.samples_ts[i]);
    }
    EXPECT_EQ(r.model_filename, "stories260K-f32.gguf");
    EXPECT_NE(r.model_type.find("llama"), std::string::npos) << r.model_type;
    EXPECT_EQ(r.n_ctx, r.config.RequiredCtx());
  }
  EXPECT_EQ(out->records[3].config.TestName(), "pp16 @ d16");
}

}  // namespace
}  // namespace edgelm::bench
