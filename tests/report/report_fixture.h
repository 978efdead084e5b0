// A constructed results store with known values: two model variants (one with a hostile
// name), prefill/decode tests at 1 and 2 threads and two context sizes, a failed
// configuration, a request test, decode energy (one estimated source), a power timeline
// with phases, quality figures, a hook, prices and a memory budget.
#pragma once

#include <filesystem>
#include <string>
#include <unistd.h>

#include <gtest/gtest.h>

#include "bench/results_store.h"
#include "report/study_data.h"

namespace edgelm::report::testing {

inline constexpr const char* kEvil = "<script>alert('x')</script>&\"";

inline std::string TempPath(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("edgelm_report_test_" + std::to_string(::getpid()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

inline bench::ConfigRecord Rec(const std::string& path, bench::TestKind kind, int threads, uint32_t ctx,
                               std::vector<double> ts, uint64_t kv_bytes) {
  bench::ConfigRecord r;
  r.config.model_path = path;
  r.config.kind = kind;
  r.config.n_threads = threads;
  r.config.n_ctx = ctx;
  if (kind == bench::TestKind::kPrompt) r.config.n_prompt = 32;
  else r.config.n_gen = 16;
  r.config.repetitions = static_cast<int>(ts.size());
  r.model_filename = std::filesystem::path(path).filename().string();
  r.model_type = "llama 1M F16";
  r.model_n_params = 1000000;
  r.backend = "CPU";
  r.isa = "avx2";
  r.n_threads = threads;
  r.n_ctx = ctx;
  r.n_prompt = r.config.n_prompt;
  r.n_gen = r.config.n_gen;
  r.warmups = 1;
  const double tokens = kind == bench::TestKind::kPrompt ? 32 : 16;
  for (double t : ts) {
    r.samples_ts.push_back(t);
    r.samples_ns.push_back(static_cast<int64_t>(tokens / t * 1e9));
  }
  r.weights_bytes = path.find("q4") != std::string::npos ? 600000 : 2000000;
  r.kv_bytes = kv_bytes;
  r.scratch_bytes = 100000;
  r.peak_rss_bytes = 5000000;
  r.load_warm_ms = 3;
  return r;
}

struct Fixture {
  std::string db;
  int64_t run_id = 0;
  std::vector<bench::ConfigRecord> records;
};

// Decode tokens/s: f16 t1 10, t2 18; q4 t1 20, t2 30. Energy J/token (decode):
// f16 t1 0.5, t2 0.4 ; q4 t1 0.2, t2 0.25 -> tokens/J 2, 2.5, 5, 4.
// Pareto (max tokens/s, max tokens/J): q4 t1 (20, 5) and q4 t2 (30, 4).
inline Fixture MakeStore(const std::string& db) {
  Fixture f;
  f.db = db;
  std::filesystem::remove(db);
  auto store = bench::ResultsStore::Open(db);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  bench::RunContext c;
  c.edgelm_version = "0.1.0";
  c.build_commit = "abc1234";
  c.build_type = "Release";
  c.compiler = "GNU 12";
  c.cpu_info = std::string("Evil CPU ") + kEvil;
  c.n_cores = 2;
  c.mem_total_bytes = 8ull << 30;
  c.mem_available_bytes = 4ull << 30;
  c.kernel = "Linux";
  c.date = "2026-11-21T08:00:00Z";
  c.command_line = "edgelm study --config x.toml";
  c.isa_best = "avx2";
  c.warnings.push_back("governor is <powersave>");
  auto run = (*store)->BeginRun(c, std::nullopt, 10);
  EXPECT_TRUE(run.ok());
  f.run_id = *run;
  const std::string f16 = "/cache/m-f16.gguf", q4 = "/cache/m-q4.gguf";
  using bench::TestKind;
  f.records = {
      Rec(f16, TestKind::kPrompt, 2, 64, {100, 110}, 65536),
      Rec(f16, TestKind::kGen, 1, 64, {10, 10}, 65536),
      Rec(f16, TestKind::kGen, 2, 64, {17, 19}, 65536),
      Rec(q4, TestKind::kPrompt, 2, 64, {200, 220}, 65536),
      Rec(q4, TestKind::kGen, 1, 64, {20, 20}, 65536),
      Rec(q4, TestKind::kGen, 2, 64, {29, 31}, 65536),
      Rec(q4, TestKind::kGen, 2, 256, {28, 28}, 262144),
  };
  bench::ConfigRecord failed = Rec(q4, TestKind::kGen, 4, 64, {}, 65536);
  failed.status = "error";
  failed.error = "session failed: <out of memory>";
  failed.weights_bytes.reset();
  f.records.push_back(failed);
  bench::ConfigRecord req = Rec(q4, TestKind::kRequest, 2, 256, {25}, 262144);
  req.config.n_gen = 8;
  req.itl_ms = {30, 31, 32, 33, 34, 35, 80};
  req.ttft_ms_samples = {50};
  req.decode_ts_samples = {29};
  req.e2e_ts_samples = {25};
  f.records.push_back(req);
  for (size_t i = 0; i < f.records.size(); ++i) {
    f.records[i].config.index = static_cast<int>(i);
    Status st = (*store)->AddRecord(f.run_id, f.records[i]);
    EXPECT_TRUE(st.ok()) << st.ToString();
  }
  EXPECT_TRUE((*store)->SetRunStatus(f.run_id, "complete").ok());

  auto ss = StudyStore::Open(db);
  EXPECT_TRUE(ss.ok());
  StudySettings s;
  s.name = std::string("test study ") + kEvil;
  s.device_profile = "this-machine";
  s.energy_source = "estimate";
  s.energy_note = "estimated from the device profile";
  s.quality_note = "";
  s.budget.memory_bytes = 2500000;
  s.budget.memory_basis = "study budget";
  s.budget.power_watts = 30;
  s.prices.device_usd = 100;
  s.prices.amortisation_years = 3;
  s.prices.duty_cycle = 0.5;
  s.prices.electricity_usd_per_kwh = 0.36;
  s.prices.cloud = {{"Cheap", "cheap-api", 0.1, 0.5, "2025-01-01", "https://cheap.example/pricing", ""},
                    {"Dear", "dear-api " + std::string(kEvil), 1, 10, "2025-01-01", "https://dear.example/pricing", ""}};
  s.prices.cloud_table = "prices.toml";
  s.variants = {{f16, "m F16", "synth:m", "F16", 16.0, 40.0}, {q4, std::string("m Q4_0 ") + kEvil, "synth:m", "Q4_0", 4.5}};
  s.roofline_note = "memory bandwidth 1.0 GB/s (measured)";
  EXPECT_TRUE((*ss)->PutSettings(f.run_id, s).ok());
  const double jpt[] = {0, 0.5, 0.4, 0, 0.2, 0.25, 0.25};
  for (size_t i = 0; i < 7; ++i) {
    if (f.records[i].config.kind != TestKind::kGen) continue;
    EnergyRecord e;
    e.config_key = f.records[i].config.Key();
    e.phase = "decode";
    e.source = "estimate";
    e.estimated = true;
    e.tokens = 32;
    e.seconds = 2;
    e.joules = jpt[i] * 32;
    e.avg_watts = *e.joules / 2;
    EXPECT_TRUE((*ss)->AddEnergy(f.run_id, e).ok());
  }
  EnergyRecord missing;
  missing.config_key = f.records[0].config.Key();
  missing.phase = "prefill";
  missing.source = "estimate";
  missing.estimated = true;
  missing.tokens = 64;
  missing.seconds = 0.01;
  missing.reason = "phase too short for this sensor";
  EXPECT_TRUE((*ss)->AddEnergy(f.run_id, missing).ok());
  PowerTimeline t;
  t.source = "estimate";
  t.estimated = true;
  t.window_s = 0.5;
  for (int i = 0; i < 12; ++i) t.samples.push_back({0.5 * i, 10.0 + i});
  EXPECT_TRUE((*ss)->AddPower(f.run_id, t).ok());
  EXPECT_TRUE((*ss)->AddPhase(f.run_id, {f.records[1].config.Key(), "prefill", 0.5, 1.0}).ok());
  EXPECT_TRUE((*ss)->AddPhase(f.run_id, {f.records[1].config.Key(), "decode", 1.0, 3.0}).ok());
  EXPECT_TRUE((*ss)->AddQuality(f.run_id, {"m F16", "F16", 16.0, "ppl", 12.5, 0.25, "wiki, 2 chunks of 128", ""}).ok());
  EXPECT_TRUE((*ss)->AddQuality(f.run_id, {std::string("m Q4_0 ") + kEvil, "Q4_0", 4.5, "ppl", 14.0, 0.3, "wiki, 2 chunks of 128", ""}).ok());
  EXPECT_TRUE((*ss)->AddQuality(f.run_id, {std::string("m Q4_0 ") + kEvil, "Q4_0", 4.5, "kld_mean", 0.05, 0.001, "vs F16", ""}).ok());
  EXPECT_TRUE((*ss)->AddQuality(f.run_id, {std::string("m Q4_0 ") + kEvil, "Q4_0", 4.5, "top1_agreement", std::nullopt, std::nullopt, "vs F16",
                                           "base model failed to load"}).ok());
  EXPECT_TRUE((*ss)->AddHook(f.run_id, {f.records[1].config.Key(), "before", "echo <hi>", 0, "<hi>\n"}).ok());
  return f;
}

}  // namespace edgelm::report::testing
