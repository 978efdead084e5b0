#include "bench/results_store.h"

#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "bench/system_probe.h"
#include "core/clock.h"

namespace edgelm::bench {
namespace {

using nlohmann::json;

constexpr int kSchemaVersion = 1;

// Prepared statement with RAII and typed binds; errors name the store file.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql) : db_(db) {
    rc_ = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Status status(const std::string& what) const {
    if (rc_ == SQLITE_OK) return Status::Ok();
    return IoError(what + ": " + sqlite3_errmsg(db_));
  }
  void Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void Bind(int i, double v) { sqlite3_bind_double(stmt_, i, v); }
  void Bind(int i, const std::string& v) { sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT); }
  void BindNull(int i) { sqlite3_bind_null(stmt_, i); }
  template <typename T>
  void BindOpt(int i, const std::optional<T>& v) {
    if (v) Bind(i, *v); else BindNull(i);
  }
  // SQLITE_ROW -> true, SQLITE_DONE -> false; other codes set the error.
  Result<bool> Step(const std::string& what) {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return IoError(what + ": " + sqlite3_errmsg(db_));
  }
  Status Run(const std::string& what) {
    auto r = Step(what);
    return r.ok() ? Status::Ok() : r.status();
  }
  void Reset() { sqlite3_reset(stmt_); sqlite3_clear_bindings(stmt_); }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  double Double(int col) const { return sqlite3_column_double(stmt_, col); }
  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::string Text(int col) const {
    const unsigned char* t = sqlite3_column_text(stmt_, col);
    return t ? std::string(reinterpret_cast<const char*>(t), sqlite3_column_bytes(stmt_, col)) : std::string();
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
};

const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs(
  run_id INTEGER PRIMARY KEY AUTOINCREMENT,
  started_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  status TEXT NOT NULL,
  edgelm_version TEXT, build_commit TEXT, build_type TEXT, cpu_info TEXT, n_cores INTEGER,
  governor TEXT, mem_total_bytes INTEGER, kernel TEXT, isa_best TEXT, command_line TEXT,
  n_planned INTEGER NOT NULL,
  context_json TEXT NOT NULL,
  sweep_json TEXT);
CREATE TABLE IF NOT EXISTS run_models(
  run_id INTEGER NOT NULL REFERENCES runs(run_id),
  path TEXT NOT NULL, filename TEXT NOT NULL, size_bytes INTEGER NOT NULL, sha256 TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS configurations(
  config_id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id INTEGER NOT NULL REFERENCES runs(run_id),
  config_index INTEGER NOT NULL,
  config_key TEXT NOT NULL,
  test TEXT NOT NULL, status TEXT NOT NULL, error TEXT,
  model_filename TEXT, model_type TEXT, model_sha256 TEXT, backend TEXT,
  n_threads INTEGER, n_batch INTEGER, n_ctx INTEGER, type_k TEXT, isa TEXT, cpu_mask TEXT,
  priority INTEGER, n_prompt INTEGER, n_gen INTEGER, n_depth INTEGER, repetitions INTEGER,
  warmups INTEGER, avg_ns REAL, stddev_ns REAL, avg_ts REAL, stddev_ts REAL, median_ts REAL,
  ttft_ms REAL, itl_p50_ms REAL, itl_p90_ms REAL, itl_p99_ms REAL, decode_ts REAL, e2e_ts REAL,
  weights_bytes INTEGER, kv_bytes INTEGER, scratch_bytes INTEGER, rss_after_load_bytes INTEGER,
  peak_rss_bytes INTEGER, load_cold_ms REAL, load_warm_ms REAL,
  test_time TEXT, completed_at TEXT NOT NULL,
  record_json TEXT NOT NULL,
  UNIQUE(run_id, config_key));
CREATE TABLE IF NOT EXISTS samples(
  config_id INTEGER NOT NULL REFERENCES configurations(config_id),
  metric TEXT NOT NULL,
  rep INTEGER NOT NULL,
  value REAL NOT NULL,
  PRIMARY KEY(config_id, metric, rep));
CREATE TABLE IF NOT EXISTS energy(
  config_id INTEGER NOT NULL REFERENCES configurations(config_id),
  phase TEXT NOT NULL, source TEXT NOT NULL, sensor TEXT NOT NULL, estimated INTEGER NOT NULL,
  tokens INTEGER, duration_s REAL, joules REAL, avg_watts REAL, baseline_watts REAL, net_joules REAL,
  joules_per_token REAL, net_joules_per_token REAL, tokens_per_joule REAL, n_samples INTEGER,
  sample_interval_ms REAL, method TEXT, coverage TEXT, reason TEXT,
  max_temp_c REAL, mean_freq_mhz REAL, throttling INTEGER);
)sql";

std::string Now() { return IsoUtc(WallClockNs()); }

}  // namespace

Result<std::string> DefaultResultsDbPath() {
  const char* xdg = std::getenv("XDG_DATA_HOME");
  if (xdg && *xdg) return std::string(xdg) + "/edgelm/results.db";
  const char* home = std::getenv("HOME");
  if (home && *home) return std::string(home) + "/.local/share/edgelm/results.db";
  return NotFoundError("neither XDG_DATA_HOME nor HOME is set: give the results store with --db FILE");
}

Result<std::unique_ptr<ResultsStore>> ResultsStore::Open(const std::string& path) {
  std::error_code ec;
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::filesystem::create_directories(parent, ec);
    if (ec) return IoError("cannot create directory '" + parent.string() + "' for the results store: " + ec.message());
  }
  std::unique_ptr<ResultsStore> store(new ResultsStore());
  store->path_ = path;
  if (sqlite3_open_v2(path.c_str(), &store->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    std::string msg = store->db_ ? sqlite3_errmsg(store->db_) : "out of memory";
    return IoError("cannot open results store '" + path + "': " + msg);
  }
  // Another edgelm process may be writing (a run in progress); wait for its short
  // per-configuration transactions instead of failing.
  sqlite3_busy_timeout(store->db_, 10000);
  EDGELM_RETURN_IF_ERROR(store->Exec("PRAGMA journal_mode=WAL"));
  EDGELM_RETURN_IF_ERROR(store->Exec("PRAGMA synchronous=FULL"));
  EDGELM_RETURN_IF_ERROR(store->Exec("PRAGMA foreign_keys=ON"));
  EDGELM_RETURN_IF_ERROR(store->Exec(kSchema));
  {
    Statement q(store->db_, "SELECT value FROM meta WHERE key='schema_version'");
    EDGELM_RETURN_IF_ERROR(q.status("reading the schema version"));
    EDGELM_ASSIGN_OR_RETURN(bool row, q.Step("reading the schema version"));
    if (row && q.Text(0) != std::to_string(kSchemaVersion)) {
      return UnsupportedError("results store '" + path + "' has schema version " + q.Text(0) + ", this edgelm reads " +
                              std::to_string(kSchemaVersion) + " (written by another edgelm version)");
    }
  }
  EDGELM_RETURN_IF_ERROR(store->Exec("INSERT OR IGNORE INTO meta(key, value) VALUES('schema_version', '" +
                                     std::to_string(kSchemaVersion) + "')"));
  return store;
}

ResultsStore::~ResultsStore() { sqlite3_close(db_); }

Status ResultsStore::Exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    return IoError("results store '" + path_ + "': " + msg);
  }
  return Status::Ok();
}

Status ResultsStore::RunExists(int64_t run_id) {
  Statement q(db_, "SELECT 1 FROM runs WHERE run_id = ?");
  EDGELM_RETURN_IF_ERROR(q.status("looking up a run"));
  q.Bind(1, run_id);
  EDGELM_ASSIGN_OR_RETURN(bool row, q.Step("looking up a run"));
  if (!row) {
    return NotFoundError("run " + std::to_string(run_id) + " is not in the results store '" + path_ +
                         "' (see `edgelm results list`)");
  }
  return Status::Ok();
}

Result<int64_t> ResultsStore::BeginRun(const RunContext& c, const std::optional<SweepSpec>& spec, int n_planned) {
  EDGELM_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  auto body = [&]() -> Result<int64_t> {
    Statement ins(db_,
                  "INSERT INTO runs(started_at, updated_at, status, edgelm_version, build_commit, build_type, cpu_info,"
                  " n_cores, governor, mem_total_bytes, kernel, isa_best, command_line, n_planned, context_json,"
                  " sweep_json) VALUES(?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    EDGELM_RETURN_IF_ERROR(ins.status("recording a new run"));
    ins.Bind(1, c.date);
    ins.Bind(2, Now());
    ins.Bind(3, c.edgelm_version);
    ins.Bind(4, c.build_commit);
    ins.Bind(5, c.build_type);
    ins.Bind(6, c.cpu_info);
    ins.Bind(7, int64_t{c.n_cores});
    ins.BindOpt(8, c.governor);
    if (c.mem_total_bytes) ins.Bind(9, static_cast<int64_t>(*c.mem_total_bytes)); else ins.BindNull(9);
    ins.Bind(10, c.kernel);
    ins.Bind(11, c.isa_best);
    ins.Bind(12, c.command_line);
    ins.Bind(13, int64_t{n_planned});
    ins.Bind(14, RunContextToJson(c).dump());
    if (spec) ins.Bind(15, SweepSpecToJson(*spec).dump()); else ins.BindNull(15);
    EDGELM_RETURN_IF_ERROR(ins.Run("recording a new run"));
    const int64_t run_id = sqlite3_last_insert_rowid(db_);
    Statement model(db_, "INSERT INTO run_models(run_id, path, filename, size_bytes, sha256) VALUES(?, ?, ?, ?, ?)");
    EDGELM_RETURN_IF_ERROR(model.status("recording the run's models"));
    for (const auto& m : c.models) {
      model.Reset();
      model.Bind(1, run_id);
      model.Bind(2, m.path);
      model.Bind(3, m.filename);
      model.Bind(4, static_cast<int64_t>(m.size_bytes));
      model.Bind(5, m.sha256);
      EDGELM_RETURN_IF_ERROR(model.Run("recording the run's models"));
    }
    return run_id;
  };
  auto result = body();
  if (!result.ok()) {
    (void)Exec("ROLLBACK");
    return result.status();
  }
  EDGELM_RETURN_IF_ERROR(Exec("COMMIT"));
  return result;
}

Status ResultsStore::AddRecord(int64_t run_id, const ConfigRecord& r) {
  EDGELM_RETURN_IF_ERROR(RunExists(run_id));
  const DerivedMetrics d = Derive(r);
  EDGELM_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  auto body = [&]() -> Status {
    Statement ins(db_,
                  "INSERT INTO configurations(run_id, config_index, config_key, test, status, error, model_filename,"
                  " model_type, model_sha256, backend, n_threads, n_batch, n_ctx, type_k, isa, cpu_mask, priority,"
                  " n_prompt, n_gen, n_depth, repetitions, warmups, avg_ns, stddev_ns, avg_ts, stddev_ts, median_ts,"
                  " ttft_ms, itl_p50_ms, itl_p90_ms, itl_p99_ms, decode_ts, e2e_ts, weights_bytes, kv_bytes,"
                  " scratch_bytes, rss_after_load_bytes, peak_rss_bytes, load_cold_ms, load_warm_ms, test_time,"
                  " completed_at, record_json) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
                  "?,?,?,?,?,?,?,?,?,?,?,?)");
    EDGELM_RETURN_IF_ERROR(ins.status("saving a configuration"));
    const BenchConfig& c = r.config;
    int i = 1;
    auto opt_u64 = [&](const std::optional<uint64_t>& v) {
      if (v) ins.Bind(i, static_cast<int64_t>(*v)); else ins.BindNull(i);
      ++i;
    };
    ins.Bind(i++, run_id);
    ins.Bind(i++, int64_t{c.index});
    ins.Bind(i++, c.Key());
    ins.Bind(i++, c.TestName());
    ins.Bind(i++, r.status);
    ins.Bind(i++, r.error);
    ins.Bind(i++, r.model_filename);
    ins.Bind(i++, r.model_type);
    ins.Bind(i++, r.model_sha256);
    ins.Bind(i++, r.backend);
    ins.Bind(i++, int64_t{r.n_threads});
    ins.Bind(i++, int64_t{c.n_batch});
    ins.Bind(i++, int64_t{r.n_ctx});
    ins.Bind(i++, c.type_k);
    ins.Bind(i++, r.isa);
    ins.Bind(i++, c.cpu_mask);
    ins.Bind(i++, int64_t{c.priority});
    ins.Bind(i++, int64_t{r.n_prompt});
    ins.Bind(i++, int64_t{r.n_gen});
    ins.Bind(i++, int64_t{c.n_depth});
    ins.Bind(i++, int64_t{c.repetitions});
    ins.Bind(i++, int64_t{r.warmups});
    for (const auto& v : {d.ns.mean, d.ns.stddev, d.ts.mean, d.ts.stddev, d.ts.median, d.ttft_ms, d.itl_p50_ms,
                          d.itl_p90_ms, d.itl_p99_ms, d.decode_ts, d.e2e_ts}) {
      ins.BindOpt(i++, v);
    }
    opt_u64(r.weights_bytes);
    opt_u64(r.kv_bytes);
    opt_u64(r.scratch_bytes);
    opt_u64(r.rss_after_load_bytes);
    opt_u64(r.peak_rss_bytes);
    ins.BindOpt(i++, r.load_cold_ms);
    ins.BindOpt(i++, r.load_warm_ms);
    ins.Bind(i++, r.test_time);
    ins.Bind(i++, Now());
    ins.Bind(i++, RecordToJson(r).dump());
    EDGELM_RETURN_IF_ERROR(ins.Run("saving configuration " + c.TestName()));
    const int64_t config_id = sqlite3_last_insert_rowid(db_);
    Statement s(db_, "INSERT INTO samples(config_id, metric, rep, value) VALUES(?, ?, ?, ?)");
    EDGELM_RETURN_IF_ERROR(s.status("saving samples"));
    auto add = [&](const char* metric, int64_t rep, auto value) -> Status {
      s.Reset();
      s.Bind(1, config_id);
      s.Bind(2, std::string(metric));
      s.Bind(3, rep);
      s.Bind(4, value);
      return s.Run("saving samples");
    };
    for (size_t k = 0; k < r.samples_ns.size(); ++k) EDGELM_RETURN_IF_ERROR(add("ns", k, int64_t{r.samples_ns[k]}));
    const std::pair<const char*, const std::vector<double>*> series[] = {
        {"ts", &r.samples_ts}, {"ttft_ms", &r.ttft_ms_samples}, {"decode_ts", &r.decode_ts_samples},
        {"e2e_ts", &r.e2e_ts_samples}, {"itl_ms", &r.itl_ms}};
    for (const auto& [metric, values] : series) {
      for (size_t k = 0; k < values->size(); ++k) EDGELM_RETURN_IF_ERROR(add(metric, k, (*values)[k]));
    }
    if (r.energy) EDGELM_RETURN_IF_ERROR(AddEnergyRows(config_id, *r.energy));
    Statement upd(db_, "UPDATE runs SET updated_at = ? WHERE run_id = ?");
    EDGELM_RETURN_IF_ERROR(upd.status("updating the run"));
    upd.Bind(1, Now());
    upd.Bind(2, run_id);
    return upd.Run("updating the run");
  };
  Status st = body();
  if (!st.ok()) {
    (void)Exec("ROLLBACK");
    return st.WithContext("results store '" + path_ + "'");
  }
  return Exec("COMMIT");
}

Status ResultsStore::AddEnergyRows(int64_t config_id, const EnergyRecord& e) {
  Statement ins(db_,
                "INSERT INTO energy(config_id, phase, source, sensor, estimated, tokens, duration_s, joules, avg_watts,"
                " baseline_watts, net_joules, joules_per_token, net_joules_per_token, tokens_per_joule, n_samples,"
                " sample_interval_ms, method, coverage, reason, max_temp_c, mean_freq_mhz, throttling)"
                " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  EDGELM_RETURN_IF_ERROR(ins.status("saving energy figures"));
  for (const PhaseEnergyFigures& f : e.energy) {
    const PhaseSystemFigures* sys = nullptr;
    for (const auto& s : e.system) {
      if (s.phase == f.phase) sys = &s;
    }
    ins.Reset();
    int i = 1;
    ins.Bind(i++, config_id);
    ins.Bind(i++, f.phase);
    ins.Bind(i++, f.source);
    ins.Bind(i++, f.sensor);
    ins.Bind(i++, int64_t{f.estimated});
    ins.Bind(i++, f.tokens);
    ins.Bind(i++, f.duration_s);
    for (const auto& v : {f.joules, f.avg_watts, f.baseline_watts, f.net_joules, f.joules_per_token,
                          f.net_joules_per_token, f.tokens_per_joule}) {
      ins.BindOpt(i++, v);
    }
    ins.Bind(i++, f.n_samples);
    ins.Bind(i++, f.sample_interval_ms);
    ins.Bind(i++, f.method);
    ins.Bind(i++, f.coverage);
    ins.Bind(i++, f.reason);
    ins.BindOpt(i++, sys ? sys->max_temp_c : std::nullopt);
    ins.BindOpt(i++, sys ? sys->mean_freq_mhz : std::nullopt);
    if (sys && sys->throttling) ins.Bind(i++, int64_t{*sys->throttling}); else ins.BindNull(i++);
    EDGELM_RETURN_IF_ERROR(ins.Run("saving energy figures"));
  }
  return Status::Ok();
}

Status ResultsStore::SetRunStatus(int64_t run_id, const std::string& status) {
  EDGELM_RETURN_IF_ERROR(RunExists(run_id));
  Statement upd(db_, "UPDATE runs SET status = ?, updated_at = ? WHERE run_id = ?");
  EDGELM_RETURN_IF_ERROR(upd.status("updating the run status"));
  upd.Bind(1, status);
  upd.Bind(2, Now());
  upd.Bind(3, run_id);
  return upd.Run("updating the run status");
}

Result<std::vector<RunSummary>> ResultsStore::ListRuns() {
  Statement q(db_,
              "SELECT r.run_id, r.started_at, r.status, r.command_line, r.cpu_info, r.build_commit, r.n_planned,"
              " (SELECT COUNT(*) FROM configurations c WHERE c.run_id = r.run_id),"
              " (SELECT group_concat(filename, ',') FROM run_models m WHERE m.run_id = r.run_id)"
              " FROM runs r ORDER BY r.run_id");
  EDGELM_RETURN_IF_ERROR(q.status("listing runs"));
  std::vector<RunSummary> runs;
  while (true) {
    EDGELM_ASSIGN_OR_RETURN(bool row, q.Step("listing runs"));
    if (!row) break;
    RunSummary s;
    s.run_id = q.Int(0);
    s.started_at = q.Text(1);
    s.status = q.Text(2);
    s.command_line = q.Text(3);
    s.cpu_info = q.Text(4);
    s.build_commit = q.Text(5);
    s.n_planned = static_cast<int>(q.Int(6));
    s.n_done = static_cast<int>(q.Int(7));
    s.models = q.Text(8);
    runs.push_back(std::move(s));
  }
  return runs;
}

Result<BenchReport> ResultsStore::LoadRun(int64_t run_id) {
  EDGELM_RETURN_IF_ERROR(RunExists(run_id));
  BenchReport report;
  report.run_id = run_id;
  {
    Statement q(db_, "SELECT status, context_json FROM runs WHERE run_id = ?");
    EDGELM_RETURN_IF_ERROR(q.status("reading a run"));
    q.Bind(1, run_id);
    EDGELM_ASSIGN_OR_RETURN(bool row, q.Step("reading a run"));
    EDGELM_CHECK(row);
    report.status = q.Text(0);
    json ctx = json::parse(q.Text(1), nullptr, false);
    if (ctx.is_discarded()) return CorruptError("run " + std::to_string(run_id) + ": context_json is not valid JSON");
    EDGELM_ASSIGN_OR_RETURN(report.context, RunContextFromJson(ctx));
  }
  Statement q(db_, "SELECT record_json FROM configurations WHERE run_id = ? ORDER BY config_id");
  EDGELM_RETURN_IF_ERROR(q.status("reading configurations"));
  q.Bind(1, run_id);
  while (true) {
    EDGELM_ASSIGN_OR_RETURN(bool row, q.Step("reading configurations"));
    if (!row) break;
    json j = json::parse(q.Text(0), nullptr, false);
    if (j.is_discarded()) return CorruptError("run " + std::to_string(run_id) + ": a record_json is not valid JSON");
    EDGELM_ASSIGN_OR_RETURN(ConfigRecord r, RecordFromJson(j));
    report.records.push_back(std::move(r));
  }
  return report;
}

Result<SweepSpec> ResultsStore::LoadSpec(int64_t run_id) {
  EDGELM_RETURN_IF_ERROR(RunExists(run_id));
  Statement q(db_, "SELECT sweep_json FROM runs WHERE run_id = ?");
  EDGELM_RETURN_IF_ERROR(q.status("reading a run's sweep"));
  q.Bind(1, run_id);
  EDGELM_ASSIGN_OR_RETURN(bool row, q.Step("reading a run's sweep"));
  if (!row || q.IsNull(0)) {
    return NotFoundError("run " + std::to_string(run_id) + " has no stored sweep (it was imported, not run): it cannot be resumed");
  }
  json j = json::parse(q.Text(0), nullptr, false);
  if (j.is_discarded()) return CorruptError("run " + std::to_string(run_id) + ": sweep_json is not valid JSON");
  return SweepSpecFromJson(j);
}

Result<std::set<std::string>> ResultsStore::CompletedKeys(int64_t run_id) {
  EDGELM_RETURN_IF_ERROR(RunExists(run_id));
  Statement q(db_, "SELECT config_key FROM configurations WHERE run_id = ?");
  EDGELM_RETURN_IF_ERROR(q.status("reading completed configurations"));
  q.Bind(1, run_id);
  std::set<std::string> keys;
  while (true) {
    EDGELM_ASSIGN_OR_RETURN(bool row, q.Step("reading completed configurations"));
    if (!row) break;
    keys.insert(q.Text(0));
  }
  return keys;
}

Result<std::vector<double>> ResultsStore::Samples(int64_t run_id, const std::string& config_key,
                                                  const std::string& metric) {
  Statement q(db_,
              "SELECT s.value FROM samples s JOIN configurations c ON c.config_id = s.config_id"
              " WHERE c.run_id = ? AND c.config_key = ? AND s.metric = ? ORDER BY s.rep");
  EDGELM_RETURN_IF_ERROR(q.status("reading samples"));
  q.Bind(1, run_id);
  q.Bind(2, config_key);
  q.Bind(3, metric);
  std::vector<double> values;
  while (true) {
    EDGELM_ASSIGN_OR_RETURN(bool row, q.Step("reading samples"));
    if (!row) break;
    values.push_back(q.Double(0));
  }
  return values;
}

Status WriteReportToStoreFile(const BenchReport& report, const std::string& path) {
  EDGELM_ASSIGN_OR_RETURN(auto store, ResultsStore::Open(path));
  EDGELM_ASSIGN_OR_RETURN(int64_t run_id,
                          store->BeginRun(report.context, std::nullopt, static_cast<int>(report.records.size())));
  for (const ConfigRecord& r : report.records) EDGELM_RETURN_IF_ERROR(store->AddRecord(run_id, r));
  return store->SetRunStatus(run_id, report.status);
}

}  // namespace edgelm::bench
