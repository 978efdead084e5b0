// Energy attribution in the bench: span selection, the record's energy fields in every
// output format and the results store, and real short benches of stories260K against
// an external meter (a script printing constant watts), a fixture RAPL counter advanced
// by a background thread, and an empty sysfs tree (no sensor: absent with reasons).
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "bench/energy.h"
#include "bench/energy_table.h"
#include "bench/engine_target.h"
#include "bench/results_store.h"
#include "bench/runner.h"
#include "bench/writers.h"
#include "core/clock.h"

namespace edgelm::bench {
namespace {

const std::string kModel = std::string(EDGELM_SHARED_DIR) + "/models/stories260K/stories260K-f32.gguf";

bool HaveModel() {
  struct stat st;
  return ::stat(kModel.c_str(), &st) == 0;
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = "/tmp/edgelm_energy_XXXXXX";
    path_ = ::mkdtemp(tmpl.data()) ? tmpl : "";
  }
  ~TempDir() {
    if (!path_.empty()) (void)std::system(("rm -rf '" + path_ + "'").c_str());
  }
  const std::string& path() const { return path_; }
  void Write(const std::string& rel, const std::string& text) const {
    const std::string full = path_ + "/" + rel;
    (void)std::system(("mkdir -p '" + full.substr(0, full.rfind('/')) + "'").c_str());
    std::ofstream(full) << text;
  }

 private:
  std::string path_;
};

using Kind = RecordedSpan::Kind;

TEST(SelectSpansTest, WarmupsAndDepthFillsAreExcluded) {
  // warmup rep: depth fill + prefill + decode; two measured reps the same.
  std::vector<RecordedSpan> log;
  for (int rep = 0; rep < 3; ++rep) {
    const int64_t t = rep * 1000;
    log.push_back({Kind::kReset, 0, 0, 0});
    log.push_back({Kind::kPrefill, t, t + 100, 64});  // --n-depth fill
    log.push_back({Kind::kPrefill, t + 100, t + 300, 16});
    log.push_back({Kind::kDecode, t + 300, t + 900, 8});
  }
  PhaseSpans s = SelectMeasuredSpans(log, 1);
  ASSERT_EQ(s.prefill.size(), 2u);
  ASSERT_EQ(s.decode.size(), 2u);
  EXPECT_EQ(s.prefill[0].start_ns, 1100);
  EXPECT_EQ(s.prefill[0].tokens, 16);
  EXPECT_EQ(s.decode[1].start_ns, 2300);
  // A decode-only test after a depth fill: the fill is not the test's prefill.
  std::vector<RecordedSpan> tg = {{Kind::kReset, 0, 0, 0}, {Kind::kPrefill, 0, 10, 64}, {Kind::kDecode, 10, 50, 4}};
  s = SelectMeasuredSpans(tg, 0);
  EXPECT_EQ(s.decode.size(), 1u);
  EXPECT_EQ(s.prefill.size(), 1u);  // indistinguishable from a pg prefill: kept, tokens 64
  // Spans before the first Reset (none in practice) are ignored, as are warmups beyond the log.
  EXPECT_TRUE(SelectMeasuredSpans(tg, 5).decode.empty());
}

TEST(ParseEnergyModeTest, NamesAreChecked) {
  EXPECT_TRUE(ParseEnergyMode("auto").ok());
  EXPECT_TRUE(ParseEnergyMode("auto")->empty());
  auto list = ParseEnergyMode("rapl,hwmon,estimate");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 3u);
  auto bad = ParseEnergyMode("rapl,watts");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'watts'"), std::string::npos);
  EXPECT_FALSE(ParseEnergyMode("").ok());
  EXPECT_FALSE(ParseEnergyMode("rapl,").ok());
}

ConfigRecord RecordWithEnergy(bool estimated) {
  ConfigRecord r;
  r.config.kind = TestKind::kPromptGen;
  r.config.n_prompt = 16;
  r.config.n_gen = 8;
  r.config.model_path = "m.gguf";
  r.config.repetitions = 2;
  r.model_filename = "m.gguf";
  r.n_prompt = 16;
  r.n_gen = 8;
  r.warmups = r.config.warmups;
  r.samples_ns = {1000000, 1100000};
  r.samples_ts = {24000, 21818};
  EnergyRecord e;
  e.mode = "auto";
  PhaseEnergyFigures pre;
  pre.phase = "prefill";
  pre.source = estimated ? "estimate" : "rapl";
  pre.estimated = estimated;
  pre.tokens = 32;
  pre.reason = "repetition 1 of 2 (300 us): too short for this sensor (needs >= 30 ms)";
  PhaseEnergyFigures dec = pre;
  dec.phase = "decode";
  dec.tokens = 16;
  dec.reason.clear();
  dec.joules = 0.8;
  dec.joules_per_token = 0.05;
  dec.tokens_per_joule = 20;
  dec.avg_watts = 4;
  dec.baseline_watts = 1;
  dec.net_joules_per_token = 0.0375;
  e.energy = {pre, dec};
  PhaseSystemFigures sys;
  sys.phase = "decode";
  sys.max_temp_c = 55.5;
  sys.mean_freq_mhz = 2400;
  sys.throttling = false;
  sys.counters_reason = "cycles: perf_event_open: EACCES";
  e.system = {sys};
  r.energy = e;
  return r;
}

TEST(EnergyRecordTest, JsonRoundTripAndFlatFields) {
  const ConfigRecord r = RecordWithEnergy(false);
  nlohmann::json j = RecordToJson(r);
  EXPECT_EQ(j.at("energy_source"), "rapl");
  EXPECT_DOUBLE_EQ(j.at("decode_j_per_token").get<double>(), 0.05);
  EXPECT_TRUE(j.at("prefill_j_per_token").is_null());  // absent, never 0
  EXPECT_NE(j.at("energy_reason").get<std::string>().find("too short for this sensor"), std::string::npos);
  EXPECT_DOUBLE_EQ(j.at("max_temp_c").get<double>(), 55.5);
  EXPECT_TRUE(j.at("cycles").is_null());
  auto back = RecordFromJson(j);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_TRUE(back->energy.has_value());
  EXPECT_EQ(EnergyRecordToJson(*back->energy), EnergyRecordToJson(*r.energy));
  // Without energy: the fields exist, null, with the reason.
  ConfigRecord plain = r;
  plain.energy.reset();
  j = RecordToJson(plain);
  EXPECT_TRUE(j.at("decode_j_per_token").is_null());
  EXPECT_NE(j.at("energy_reason").get<std::string>().find("--energy none"), std::string::npos);
  back = RecordFromJson(j);
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->energy.has_value());
  // Malformed energy object: an error, not a silent default.
  j = RecordToJson(r);
  j["energy"]["energy"][0].erase("phase");
  EXPECT_FALSE(RecordFromJson(j).ok());
}

TEST(EnergyRecordTest, EveryOutputFormatCarriesTheFields) {
  BenchReport report;
  report.records = {RecordWithEnergy(false), RecordWithEnergy(true)};
  const std::string md = FormatMarkdown(report);
  EXPECT_NE(md.find("J/tok dec"), std::string::npos);
  EXPECT_NE(md.find("| 0.05 |"), std::string::npos) << md;
  EXPECT_NE(md.find("0.05 (est.)"), std::string::npos) << md;
  EXPECT_NE(md.find("too short for this sensor"), std::string::npos);
  const std::string csv = FormatCsv(report);
  const std::string header = csv.substr(0, csv.find('\n'));
  for (const char* col : {"decode_j_per_token", "prefill_j_per_token", "energy_source", "energy_estimated",
                          "max_temp_c", "mean_freq_mhz", "throttling", "cycles"}) {
    EXPECT_NE(header.find(col), std::string::npos) << col;
  }
  EXPECT_NE(csv.find("estimate"), std::string::npos);
  const std::string jsonl = FormatJsonl(report);
  nlohmann::json line = nlohmann::json::parse(jsonl.substr(0, jsonl.find('\n')));
  EXPECT_DOUBLE_EQ(line.at("decode_tokens_per_j").get<double>(), 20);
  nlohmann::json doc = nlohmann::json::parse(FormatJson(report));
  EXPECT_TRUE(doc.at("results").at(1).at("energy_estimated").get<bool>());
  EXPECT_EQ(doc.at("results").at(1).at("energy").at("energy").size(), 2u);
  // No energy anywhere: no energy table.
  report.records[0].energy.reset();
  report.records[1].energy.reset();
  EXPECT_EQ(FormatMarkdown(report).find("J/tok dec"), std::string::npos);
}

TEST(EnergyRecordTest, ResultsStoreKeepsEnergyRowsAndJson) {
  TempDir dir;
  const std::string db = dir.path() + "/r.db";
  auto store = ResultsStore::Open(db);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  RunContext ctx;
  SweepSpec spec;
  auto id = (*store)->BeginRun(ctx, spec, 1);
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE((*store)->AddRecord(*id, RecordWithEnergy(true)).ok());
  auto run = (*store)->LoadRun(*id);
  ASSERT_TRUE(run.ok());
  ASSERT_EQ(run->records.size(), 1u);
  ASSERT_TRUE(run->records[0].energy.has_value());
  EXPECT_TRUE(run->records[0].energy->energy[1].estimated);
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  sqlite3_stmt* q = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(h, "SELECT phase, estimated, joules_per_token, reason, max_temp_c FROM energy ORDER BY phase",
                               -1, &q, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(q), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(q, 0)), "decode");
  EXPECT_EQ(sqlite3_column_int(q, 1), 1);
  EXPECT_DOUBLE_EQ(sqlite3_column_double(q, 2), 0.05);
  EXPECT_DOUBLE_EQ(sqlite3_column_double(q, 4), 55.5);
  ASSERT_EQ(sqlite3_step(q), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(q, 0)), "prefill");
  EXPECT_EQ(sqlite3_column_type(q, 2), SQLITE_NULL);  // absent, with the reason
  EXPECT_NE(std::string(reinterpret_cast<const char*>(sqlite3_column_text(q, 3))).find("too short"), std::string::npos);
  sqlite3_finalize(q);
  sqlite3_close(h);
}

// A real bench of stories260K through the span-recording target.
std::vector<ConfigRecord> RunStories(EnergyMeter& meter, TestKind kind, uint32_t n_prompt, uint32_t n_gen) {
  std::unique_ptr<BenchTarget> engine = MakeEngineTarget();
  RunnerOptions ro;
  ro.cold_load = false;
  ro.request_prompt = "Once upon a time, there was a little girl named Lily.";
  ro.warn = [](const std::string&) {};
  Runner runner(meter.Wrap(*engine), ro);
  BenchConfig c;
  c.kind = kind;
  c.model_path = kModel;
  c.n_prompt = n_prompt;
  c.n_gen = n_gen;
  c.n_threads = 1;
  c.repetitions = 2;
  c.warmups = 1;
  std::vector<ConfigRecord> out;
  auto outcome = runner.Run({c}, {}, [&](const ConfigRecord& r) {
    ConfigRecord a = r;
    meter.Annotate(a);
    out.push_back(a);
    return Status::Ok();
  });
  EXPECT_TRUE(outcome.ok());
  return out;
}

const PhaseEnergyFigures* Find(const EnergyRecord& e, const std::string& phase, const std::string& source) {
  for (const auto& f : e.energy) {
    if (f.phase == phase && f.source == source) return &f;
  }
  return nullptr;
}

TEST(EnergyBenchTest, ConstantWattsMeterGivesWattsTimesTimePerToken) {
  if (!HaveModel()) GTEST_SKIP() << "stories260K not found under " << EDGELM_SHARED_DIR;
  TempDir dir;
  dir.Write("meter.sh", "#!/bin/sh\nwhile :; do echo 6.5; sleep 0.002; done\n");
  ::chmod((dir.path() + "/meter.sh").c_str(), 0755);
  EnergyOptions eo;
  eo.mode = "external";
  eo.idle_s = 0.2;
  eo.power_cmd = dir.path() + "/meter.sh";
  eo.sysfs_root = dir.path();  // no other sensors, no perf/thermal fixtures needed
  auto meter = EnergyMeter::Create(eo);
  ASSERT_TRUE(meter.ok()) << meter.status().ToString();
  ASSERT_TRUE((*meter)->MeasureIdleBaseline().ok());
  // Long enough decodes: at least 3 meter intervals each.
  std::vector<ConfigRecord> recs = RunStories(**meter, TestKind::kGen, 0, 480);
  ASSERT_EQ(recs.size(), 1u);
  const ConfigRecord& r = recs[0];
  ASSERT_EQ(r.status, "ok") << r.error;
  ASSERT_TRUE(r.energy.has_value());
  const PhaseEnergyFigures* dec = Find(*r.energy, "decode", "external");
  ASSERT_NE(dec, nullptr);
  ASSERT_TRUE(dec->joules_per_token.has_value()) << dec->reason;
  double total_s = 0;
  for (int64_t ns : r.samples_ns) total_s += static_cast<double>(ns) * 1e-9;
  const double expected = 6.5 * total_s / (2.0 * 480);
  EXPECT_NEAR(*dec->joules_per_token, expected, expected * 0.01);
  EXPECT_EQ(dec->tokens, 960);
  EXPECT_EQ(dec->n_spans, 2);
  EXPECT_FALSE(dec->estimated);
  EXPECT_NEAR(*dec->avg_watts, 6.5, 0.01);
  ASSERT_TRUE(dec->baseline_watts.has_value());
  EXPECT_NEAR(*dec->baseline_watts, 6.5, 0.01);
  EXPECT_NEAR(*dec->net_joules_per_token, 0, expected * 0.01);
  EXPECT_NEAR(*dec->tokens_per_joule, 1 / expected, 0.01 / expected);
  EXPECT_GT(dec->n_samples, 0);
  EXPECT_TRUE(Find(*r.energy, "prefill", "external") == nullptr);  // tg has no prefill phase
  // The system figures say why they are absent in an empty tree.
  ASSERT_FALSE(r.energy->system.empty());
  EXPECT_FALSE(r.energy->system[0].max_temp_c.has_value());
  EXPECT_FALSE(r.energy->system[0].temp_reason.empty());
}

TEST(EnergyBenchTest, FixtureRaplCounterAndShortPrefillReason) {
  if (!HaveModel()) GTEST_SKIP() << "stories260K not found under " << EDGELM_SHARED_DIR;
  TempDir dir;
  const std::string d = "sys/class/powercap/intel-rapl:0";
  dir.Write(d + "/name", "package-0\n");
  dir.Write(d + "/energy_uj", "000000000000000\n");
  dir.Write(d + "/max_energy_range_uj", "262143328850\n");
  // 12 W: the counter follows the monotonic clock, rewritten every 200 us.
  std::atomic<bool> stop{false};
  const int64_t t0 = MonotonicNs();
  std::thread writer([&] {
    const std::string path = dir.path() + "/" + d + "/energy_uj";
    // Rewritten in place (the reader keeps its file open), fixed width so a read never
    // sees a shorter number.
    FILE* f = std::fopen(path.c_str(), "r+");
    ASSERT_NE(f, nullptr);
    while (!stop.load()) {
      const int64_t uj = (MonotonicNs() - t0) * 12 / 1000;
      std::rewind(f);
      std::fprintf(f, "%015lld\n", static_cast<long long>(uj));
      std::fflush(f);
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    std::fclose(f);
  });
  EnergyOptions eo;
  eo.mode = "rapl";
  eo.idle_s = 0;
  eo.sysfs_root = dir.path();
  eo.interval_ns = 2'000'000;
  auto meter = EnergyMeter::Create(eo);
  ASSERT_TRUE(meter.ok()) << meter.status().ToString();
  std::vector<ConfigRecord> recs = RunStories(**meter, TestKind::kPromptGen, 4, 480);
  stop = true;
  writer.join();
  ASSERT_EQ(recs.size(), 1u);
  const ConfigRecord& r = recs[0];
  ASSERT_EQ(r.status, "ok") << r.error;
  const PhaseEnergyFigures* dec = Find(*r.energy, "decode", "rapl");
  ASSERT_NE(dec, nullptr);
  ASSERT_TRUE(dec->avg_watts.has_value()) << dec->reason;
  // Counter quantisation at the span ends (one sample interval): within 15%.
  EXPECT_NEAR(*dec->avg_watts, 12, 12 * 0.15);
  EXPECT_NEAR(*dec->joules_per_token, 12 * dec->duration_s / dec->tokens, 12 * dec->duration_s / dec->tokens * 0.15);
  EXPECT_FALSE(dec->baseline_watts.has_value());  // no idle window: no net figures
  EXPECT_FALSE(dec->net_joules_per_token.has_value());
  // A 4-token prefill lasts far less than 3 sampling intervals: absent with the reason.
  const PhaseEnergyFigures* pre = Find(*r.energy, "prefill", "rapl");
  ASSERT_NE(pre, nullptr);
  EXPECT_EQ(pre->tokens, 8);
  EXPECT_FALSE(pre->joules_per_token.has_value());
  EXPECT_NE(pre->reason.find("too short"), std::string::npos) << pre->reason;
  nlohmann::json j = RecordToJson(r);
  EXPECT_TRUE(j.at("prefill_j_per_token").is_null());
  EXPECT_FALSE(j.at("decode_j_per_token").is_null());
}

TEST(EnergyBenchTest, NoSensorSaysSoAndFiguresAreAbsentWithReason) {
  if (!HaveModel()) GTEST_SKIP() << "stories260K not found under " << EDGELM_SHARED_DIR;
  TempDir dir;  // an empty tree: no powercap, hwmon, /proc/stat
  dir.Write("proc/.keep", "");
  EnergyOptions eo;
  eo.mode = "auto";
  eo.idle_s = 0;
  eo.sysfs_root = dir.path();
  auto meter = EnergyMeter::Create(eo);
  ASSERT_TRUE(meter.ok()) << meter.status().ToString();
  const std::string described = (*meter)->Describe();
  EXPECT_NE(described.find("no measured energy source"), std::string::npos) << described;
  std::vector<ConfigRecord> recs = RunStories(**meter, TestKind::kGen, 0, 16);
  ASSERT_EQ(recs.size(), 1u);
  ASSERT_TRUE(recs[0].energy.has_value());
  nlohmann::json j = RecordToJson(recs[0]);
  EXPECT_TRUE(j.at("decode_j_per_token").is_null());
  EXPECT_FALSE(j.at("energy_reason").get<std::string>().empty());
  // Whatever the estimate did, nothing is presented as measured.
  for (const auto& f : recs[0].energy->energy) EXPECT_TRUE(f.estimated) << f.source;
}

TEST(EnergyBenchTest, IsolatedRunsSayWhyEnergyIsAbsent) {
  TempDir dir;
  EnergyOptions eo;
  eo.mode = "auto";
  eo.idle_s = 0;
  eo.sysfs_root = dir.path();
  auto meter = EnergyMeter::Create(eo);
  ASSERT_TRUE(meter.ok());
  ConfigRecord r;
  (*meter)->Annotate(r, /*isolated=*/true);
  ASSERT_TRUE(r.energy.has_value());
  EXPECT_TRUE(r.energy->energy.empty());
  EXPECT_NE(r.energy->note.find("--isolate"), std::string::npos);
  EXPECT_NE(RecordToJson(r).at("energy_reason").get<std::string>().find("--isolate"), std::string::npos);
}

}  // namespace
}  // namespace edgelm::bench

namespace edgelm::bench {
namespace {

struct Cli {
  int exit_code = -1;
  std::string out, err;
};

Cli RunEdgelm(const std::string& args, const TempDir& dir) {
  const std::string bin = std::string(EDGELM_BINARY_DIR) + "/bin/edgelm";
  const std::string out = dir.path() + "/stdout", err = dir.path() + "/stderr";
  Cli c;
  const int status = std::system((bin + " " + args + " >" + out + " 2>" + err).c_str());
  c.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  auto slurp = [](const std::string& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  c.out = slurp(out);
  c.err = slurp(err);
  return c;
}

TEST(EnergyCliTest, MeterAndNoSensorAndBadMode) {
  if (!HaveModel()) GTEST_SKIP() << "stories260K not found under " << EDGELM_SHARED_DIR;
  TempDir dir;
  dir.Write("meter.sh", "#!/bin/sh\nwhile :; do echo 3.0; sleep 0.002; done\n");
  ::chmod((dir.path() + "/meter.sh").c_str(), 0755);
  const std::string common = "-m " + kModel + " -p 0 -n 480 -r 2 -t 1 --no-cold --db " + dir.path() + "/r.db --sysfs-root " +
                             dir.path() + " --idle-s 0.1";
  Cli c = RunEdgelm("bench " + common + " --energy external --power-cmd " + dir.path() + "/meter.sh -o jsonl", dir);
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(c.err.find("energy source external"), std::string::npos) << c.err;
  nlohmann::json j = nlohmann::json::parse(c.out.substr(0, c.out.find('\n')));
  EXPECT_EQ(j.at("energy_source"), "external");
  EXPECT_EQ(j.at("energy_estimated"), false);
  ASSERT_FALSE(j.at("decode_j_per_token").is_null()) << j.at("energy_reason");
  double total_s = 0;
  for (const auto& ns : j.at("samples_ns")) total_s += ns.get<double>() * 1e-9;
  const double expected = 3.0 * total_s / 960;
  EXPECT_NEAR(j.at("decode_j_per_token").get<double>(), expected, expected * 0.01);

  // No sensor in the tree: said so, and the run completes with absent figures.
  c = RunEdgelm("bench " + common + " --energy auto -o json", dir);
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(c.err.find("no measured energy source"), std::string::npos) << c.err;
  j = nlohmann::json::parse(c.out);
  EXPECT_TRUE(j.at("results").at(0).at("decode_j_per_token").is_null());
  EXPECT_FALSE(j.at("results").at(0).at("energy_reason").get<std::string>().empty());

  c = RunEdgelm("bench " + common + " --energy watts", dir);
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_NE(c.err.find("unknown source 'watts'"), std::string::npos) << c.err;
  c = RunEdgelm("bench " + common + " --power-cmd /bin/true", dir);
  EXPECT_EQ(c.exit_code, 2);
}

}  // namespace
}  // namespace edgelm::bench
