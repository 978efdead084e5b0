// The quality tables: every field round-trips, absent values stay absent, rows are
// appended, the latest figure per (model, metric, task) wins, and bad files or a newer
// schema are errors.
#include "eval/quality_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace edgelm {
namespace {

namespace fs = std::filesystem;

class QualityStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("quality_store_" + std::to_string(::getpid()) + "_" +
                                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    path_ = (dir_ / "sub" / "results.db").string();  // the directory is created
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::unique_ptr<QualityStore> OpenOrDie() {
    auto s = QualityStore::Open(path_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  fs::path dir_;
  std::string path_;
};

QualityFigure Figure(const std::string& label, const std::string& metric, double value) {
  QualityFigure f;
  f.command = "eval";
  f.model = {"/models/" + label, label, "Q4_0", 4.5};
  f.metric = metric;
  f.task = "hellaswag";
  f.value = value;
  f.stderr_value = 0.02;
  f.ci_low = value - 0.05;
  f.ci_high = value + 0.05;
  f.ci_method = kIntervalWilson;
  f.n = 200;
  f.n_unit = "items";
  f.detail = "0-shot";
  f.seconds = 12.5;
  f.tokens_per_s = 1234.5;
  return f;
}

TEST_F(QualityStoreTest, FiguresRoundTripWithAbsentValues) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  QualityFigure a = Figure("m.gguf", "acc", 0.31);
  a.interrupted = true;
  QualityFigure b;
  b.command = "study";
  b.model = {"/x/y.gguf", "y Q8_0", "Q8_0", std::nullopt};
  b.metric = "ppl";
  b.task = "wiki.test.raw";
  b.reason = "model failed to load";
  b.n_unit = "tokens";
  ASSERT_TRUE(store->AddFigure(7, a).ok());
  ASSERT_TRUE(store->AddFigure(8, b).ok());
  store.reset();

  auto again = OpenOrDie();  // a second open sees the same tables and version
  ASSERT_NE(again, nullptr);
  auto run7 = again->Figures(7);
  ASSERT_TRUE(run7.ok()) << run7.status().ToString();
  ASSERT_EQ(run7->size(), 1u);
  const QualityFigure& r = (*run7)[0];
  EXPECT_EQ(r.run_id, 7);
  EXPECT_FALSE(r.recorded_at.empty());
  EXPECT_EQ(r.command, "eval");
  EXPECT_EQ(r.model.path, "/models/m.gguf");
  EXPECT_EQ(r.model.label, "m.gguf");
  EXPECT_EQ(r.model.weight_type, "Q4_0");
  EXPECT_EQ(r.model.bits_per_weight, 4.5);
  EXPECT_EQ(r.metric, "acc");
  EXPECT_EQ(r.task, "hellaswag");
  EXPECT_EQ(r.value, 0.31);
  EXPECT_EQ(r.stderr_value, 0.02);
  EXPECT_DOUBLE_EQ(*r.ci_low, 0.26);
  EXPECT_DOUBLE_EQ(*r.ci_high, 0.36);
  EXPECT_EQ(r.ci_method, "wilson");
  EXPECT_EQ(r.n, 200);
  EXPECT_EQ(r.n_unit, "items");
  EXPECT_EQ(r.detail, "0-shot");
  EXPECT_EQ(r.seconds, 12.5);
  EXPECT_EQ(r.tokens_per_s, 1234.5);
  EXPECT_TRUE(r.interrupted);

  auto all = again->Figures();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  const QualityFigure& s = (*all)[1];
  EXPECT_EQ(s.run_id, 8);
  EXPECT_FALSE(s.value.has_value());
  EXPECT_FALSE(s.stderr_value.has_value());
  EXPECT_FALSE(s.ci_low.has_value());
  EXPECT_FALSE(s.model.bits_per_weight.has_value());
  EXPECT_FALSE(s.seconds.has_value());
  EXPECT_EQ(s.ci_method, "none");
  EXPECT_EQ(s.reason, "model failed to load");
  EXPECT_FALSE(s.interrupted);
}

TEST_F(QualityStoreTest, RefusesFiguresThatWouldMislead) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  QualityFigure no_value = Figure("m", "acc", 0.5);
  no_value.value.reset();
  Status st = store->AddFigure(1, no_value);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("no value and no reason"), std::string::npos) << st.message();
  QualityFigure bad_method = Figure("m", "acc", 0.5);
  bad_method.ci_method = "bootstrap";
  EXPECT_EQ(store->AddFigure(1, bad_method).code(), StatusCode::kInvalidArgument);
  QualityFigure no_metric = Figure("m", "", 0.5);
  EXPECT_EQ(store->AddFigure(1, no_metric).code(), StatusCode::kInvalidArgument);
  auto all = store->Figures();
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
}

TEST_F(QualityStoreTest, LatestFigureWinsAndKeepsFirstOrder) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->AddFigure(3, Figure("a", "ppl", 10)).ok());
  ASSERT_TRUE(store->AddFigure(3, Figure("b", "ppl", 20)).ok());
  ASSERT_TRUE(store->AddFigure(3, Figure("a", "ppl", 11)).ok());  // redone (a resumed study)
  ASSERT_TRUE(store->AddFigure(4, Figure("a", "ppl", 99)).ok());  // another run
  auto latest = store->LatestFigures(3);
  ASSERT_TRUE(latest.ok());
  ASSERT_EQ(latest->size(), 2u);
  EXPECT_EQ((*latest)[0].model.label, "a");
  EXPECT_EQ((*latest)[0].value, 11);
  EXPECT_EQ((*latest)[1].model.label, "b");
  auto every = store->Figures(3);
  ASSERT_TRUE(every.ok());
  EXPECT_EQ(every->size(), 3u);  // append-only: the first figure is still there
}

TEST_F(QualityStoreTest, LastProgressPerModelAndTask) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  for (int64_t k = 1; k <= 3; ++k) {
    ASSERT_TRUE(store->AddProgress({5, "m", "hellaswag", "item", k, 10, k - 1, "acc", (k - 1) / double(k), 0.1 * k}).ok());
  }
  ASSERT_TRUE(store->AddProgress({5, "m", "wiki", "chunk", 1, 4, std::nullopt, "ppl", 120.0, 0.5}).ok());
  ASSERT_TRUE(store->AddProgress({6, "m", "hellaswag", "item", 1, 10, 1, "acc", 1.0, 0.1}).ok());
  auto p = store->LastProgress(5);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->size(), 2u);
  EXPECT_EQ((*p)[0].task, "hellaswag");
  EXPECT_EQ((*p)[0].done, 3);
  EXPECT_EQ((*p)[0].total, 10);
  EXPECT_EQ((*p)[0].successes, 2);
  EXPECT_DOUBLE_EQ((*p)[0].elapsed_s, 0.30000000000000004);
  EXPECT_EQ((*p)[1].task, "wiki");
  EXPECT_EQ((*p)[1].unit, "chunk");
  EXPECT_FALSE((*p)[1].successes.has_value());
  EXPECT_EQ((*p)[1].running_value, 120.0);
}

TEST_F(QualityStoreTest, SamplesRoundTrip) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  QualitySample s;
  s.model = {"/m/x.gguf", "x.gguf", "F16", 16.0};
  s.prompt_id = "01-story";
  s.prompt_format = "plain";
  s.text = "Once upon a time \xe2\x80\x94 'quotes' \"and\" ; DROP TABLE";
  s.stop_reason = "length";
  s.n_prompt_tokens = 12;
  s.n_generated = 64;
  s.ttft_ms = 3.5;
  s.seed = 0xFFFFFFFFFFFFFFF0ull;  // above INT64_MAX: kept bit for bit
  ASSERT_TRUE(store->AddSample(9, s).ok());
  auto back = store->Samples(9);
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->size(), 1u);
  EXPECT_EQ((*back)[0].text, s.text);
  EXPECT_EQ((*back)[0].seed, s.seed);
  EXPECT_EQ((*back)[0].ttft_ms, 3.5);
  EXPECT_FALSE((*back)[0].decode_tokens_per_s.has_value());
  EXPECT_EQ((*back)[0].model.bits_per_weight, 16.0);
}

TEST_F(QualityStoreTest, NewerSchemaIsRefused) {
  ASSERT_NE(OpenOrDie(), nullptr);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE quality_meta SET value = '99' WHERE key = 'schema_version'", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto s = QualityStore::Open(path_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(s.status().message().find("schema version 99"), std::string::npos) << s.status().message();
}

TEST_F(QualityStoreTest, NotAnSqliteFileIsAnError) {
  fs::create_directories(fs::path(path_).parent_path());
  {
    std::ofstream out(path_, std::ios::binary);
    out << std::string(4096, 'x');
  }
  auto s = QualityStore::Open(path_);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find(path_), std::string::npos) << s.status().message();
}

}  // namespace
}  // namespace edgelm
