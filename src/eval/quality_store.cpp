#include "eval/quality_store.h"

#include <sqlite3.h>

#include <filesystem>
#include <map>
#include <tuple>

namespace edgelm {
namespace {

constexpr int kQualitySchemaVersion = 1;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS quality_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS quality_figures(
  figure_id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id INTEGER NOT NULL,
  recorded_at TEXT NOT NULL,
  command TEXT NOT NULL,
  model_path TEXT NOT NULL, model_label TEXT NOT NULL, weight_type TEXT NOT NULL, bits_per_weight REAL,
  metric TEXT NOT NULL, task TEXT NOT NULL,
  value REAL, stderr REAL, ci_low REAL, ci_high REAL, ci_method TEXT NOT NULL,
  n INTEGER NOT NULL, n_unit TEXT NOT NULL, detail TEXT NOT NULL,
  seconds REAL, tokens_per_s REAL,
  interrupted INTEGER NOT NULL, reason TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS quality_figures_run ON quality_figures(run_id);
CREATE TABLE IF NOT EXISTS quality_progress(
  progress_id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id INTEGER NOT NULL,
  model_path TEXT NOT NULL, task TEXT NOT NULL, unit TEXT NOT NULL,
  done INTEGER NOT NULL, total INTEGER NOT NULL, successes INTEGER,
  running_metric TEXT NOT NULL, running_value REAL NOT NULL, elapsed_s REAL NOT NULL,
  recorded_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS quality_progress_run ON quality_progress(run_id);
CREATE TABLE IF NOT EXISTS quality_samples(
  sample_id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id INTEGER NOT NULL,
  model_path TEXT NOT NULL, model_label TEXT NOT NULL, weight_type TEXT NOT NULL, bits_per_weight REAL,
  prompt_id TEXT NOT NULL, prompt_format TEXT NOT NULL, text TEXT NOT NULL, stop_reason TEXT NOT NULL,
  n_prompt_tokens INTEGER NOT NULL, n_generated INTEGER NOT NULL, ttft_ms REAL, decode_tokens_per_s REAL,
  seed INTEGER NOT NULL, recorded_at TEXT NOT NULL);
)sql";

constexpr const char* kNow = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')";

// A prepared statement with typed binds; errors name the store file and the action.
class Stmt {
 public:
  Stmt(sqlite3* db, const std::string& path, const std::string& sql) : db_(db), path_(path) {
    rc_ = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr);
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Status Prepared(const std::string& what) const {
    if (rc_ == SQLITE_OK) return Status::Ok();
    return IoError("results store '" + path_ + "': " + what + ": " + sqlite3_errmsg(db_));
  }
  void Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void Bind(int i, double v) { sqlite3_bind_double(stmt_, i, v); }
  void Bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  template <typename T>
  void Bind(int i, const std::optional<T>& v) {
    if (v) Bind(i, *v); else sqlite3_bind_null(stmt_, i);
  }
  Result<bool> Step(const std::string& what) {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return IoError("results store '" + path_ + "': " + what + ": " + sqlite3_errmsg(db_));
  }
  int64_t Int(int c) const { return sqlite3_column_int64(stmt_, c); }
  std::optional<double> OptDouble(int c) const {
    if (sqlite3_column_type(stmt_, c) == SQLITE_NULL) return std::nullopt;
    return sqlite3_column_double(stmt_, c);
  }
  std::optional<int64_t> OptInt(int c) const {
    if (sqlite3_column_type(stmt_, c) == SQLITE_NULL) return std::nullopt;
    return sqlite3_column_int64(stmt_, c);
  }
  std::string Text(int c) const {
    const unsigned char* t = sqlite3_column_text(stmt_, c);
    return t ? std::string(reinterpret_cast<const char*>(t), static_cast<size_t>(sqlite3_column_bytes(stmt_, c)))
             : std::string();
  }

 private:
  sqlite3* db_;
  std::string path_;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
};

constexpr const char* kFigureColumns =
    "figure_id, run_id, recorded_at, command, model_path, model_label, weight_type, bits_per_weight, metric, task,"
    " value, stderr, ci_low, ci_high, ci_method, n, n_unit, detail, seconds, tokens_per_s, interrupted, reason";

QualityFigure ReadFigure(const Stmt& q) {
  QualityFigure f;
  f.figure_id = q.Int(0);
  f.run_id = q.Int(1);
  f.recorded_at = q.Text(2);
  f.command = q.Text(3);
  f.model.path = q.Text(4);
  f.model.label = q.Text(5);
  f.model.weight_type = q.Text(6);
  f.model.bits_per_weight = q.OptDouble(7);
  f.metric = q.Text(8);
  f.task = q.Text(9);
  f.value = q.OptDouble(10);
  f.stderr_value = q.OptDouble(11);
  f.ci_low = q.OptDouble(12);
  f.ci_high = q.OptDouble(13);
  f.ci_method = q.Text(14);
  f.n = q.Int(15);
  f.n_unit = q.Text(16);
  f.detail = q.Text(17);
  f.seconds = q.OptDouble(18);
  f.tokens_per_s = q.OptDouble(19);
  f.interrupted = q.Int(20) != 0;
  f.reason = q.Text(21);
  return f;
}

}  // namespace

Result<std::unique_ptr<QualityStore>> QualityStore::Open(const std::string& path) {
  std::error_code ec;
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::filesystem::create_directories(parent, ec);
    if (ec) return IoError("cannot create directory '" + parent.string() + "' for the results store: " + ec.message());
  }
  std::unique_ptr<QualityStore> s(new QualityStore());
  s->path_ = path;
  if (sqlite3_open_v2(path.c_str(), &s->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    return IoError("results store '" + path + "': cannot open: " + (s->db_ ? sqlite3_errmsg(s->db_) : "out of memory"));
  }
  // Another connection (the bench store, a study) may hold the write lock briefly.
  sqlite3_busy_timeout(s->db_, 10000);
  // WAL with synchronous=NORMAL: a committed row survives a crash or kill of edgelm;
  // a fsync per item would slow the evaluation it records (and its tokens/s).
  EDGELM_RETURN_IF_ERROR(s->Exec("PRAGMA journal_mode=WAL"));
  EDGELM_RETURN_IF_ERROR(s->Exec("PRAGMA synchronous=NORMAL"));
  EDGELM_RETURN_IF_ERROR(s->Exec(kSchema));
  {
    Stmt q(s->db_, path, "SELECT value FROM quality_meta WHERE key = 'schema_version'");
    EDGELM_RETURN_IF_ERROR(q.Prepared("reading the quality schema version"));
    EDGELM_ASSIGN_OR_RETURN(bool row, q.Step("reading the quality schema version"));
    if (row && q.Text(0) != std::to_string(kQualitySchemaVersion)) {
      return UnsupportedError("results store '" + path + "' has quality tables of schema version " + q.Text(0) +
                              ", this edgelm reads version " + std::to_string(kQualitySchemaVersion) +
                              " (written by another edgelm version)");
    }
  }
  EDGELM_RETURN_IF_ERROR(s->Exec("INSERT OR IGNORE INTO quality_meta(key, value) VALUES('schema_version', '" +
                                 std::to_string(kQualitySchemaVersion) + "')"));
  return s;
}

QualityStore::~QualityStore() { sqlite3_close(db_); }

Status QualityStore::Exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    return IoError("results store '" + path_ + "': " + msg + " (not an SQLite file, or read-only?)");
  }
  return Status::Ok();
}

Status QualityStore::AddFigure(int64_t run_id, const QualityFigure& f) {
  if (f.metric.empty()) return InvalidArgumentError("a quality figure needs a metric name");
  if (f.ci_method != kIntervalWilson && f.ci_method != kIntervalNormal && f.ci_method != kIntervalNone) {
    return InvalidArgumentError("quality figure '" + f.metric + "': unknown interval method '" + f.ci_method +
                                "' (expected wilson, normal or none)");
  }
  if (!f.value && f.reason.empty()) {
    return InvalidArgumentError("quality figure '" + f.metric + "' of '" + f.model.label +
                                "' has no value and no reason why");
  }
  Stmt ins(db_, path_,
           std::string("INSERT INTO quality_figures(run_id, recorded_at, command, model_path, model_label, weight_type,"
                       " bits_per_weight, metric, task, value, stderr, ci_low, ci_high, ci_method, n, n_unit, detail,"
                       " seconds, tokens_per_s, interrupted, reason) VALUES(?, ") +
               kNow + ", ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  EDGELM_RETURN_IF_ERROR(ins.Prepared("saving a quality figure"));
  int i = 1;
  ins.Bind(i++, run_id);
  ins.Bind(i++, f.command);
  ins.Bind(i++, f.model.path);
  ins.Bind(i++, f.model.label);
  ins.Bind(i++, f.model.weight_type);
  ins.Bind(i++, f.model.bits_per_weight);
  ins.Bind(i++, f.metric);
  ins.Bind(i++, f.task);
  ins.Bind(i++, f.value);
  ins.Bind(i++, f.stderr_value);
  ins.Bind(i++, f.ci_low);
  ins.Bind(i++, f.ci_high);
  ins.Bind(i++, f.ci_method);
  ins.Bind(i++, f.n);
  ins.Bind(i++, f.n_unit);
  ins.Bind(i++, f.detail);
  ins.Bind(i++, f.seconds);
  ins.Bind(i++, f.tokens_per_s);
  ins.Bind(i++, int64_t{f.interrupted ? 1 : 0});
  ins.Bind(i++, f.reason);
  EDGELM_ASSIGN_OR_RETURN(bool row, ins.Step("saving quality figure " + f.metric));
  (void)row;
  return Status::Ok();
}

Status QualityStore::AddProgress(const QualityProgress& p) {
  Stmt ins(db_, path_,
           std::string("INSERT INTO quality_progress(run_id, model_path, task, unit, done, total, successes,"
                       " running_metric, running_value, elapsed_s, recorded_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ") +
               kNow + ")");
  EDGELM_RETURN_IF_ERROR(ins.Prepared("saving progress"));
  ins.Bind(1, p.run_id);
  ins.Bind(2, p.model_path);
  ins.Bind(3, p.task);
  ins.Bind(4, p.unit);
  ins.Bind(5, p.done);
  ins.Bind(6, p.total);
  ins.Bind(7, p.successes);
  ins.Bind(8, p.running_metric);
  ins.Bind(9, p.running_value);
  ins.Bind(10, p.elapsed_s);
  EDGELM_ASSIGN_OR_RETURN(bool row, ins.Step("saving progress"));
  (void)row;
  return Status::Ok();
}

Status QualityStore::AddSample(int64_t run_id, const QualitySample& s) {
  Stmt ins(db_, path_,
           std::string("INSERT INTO quality_samples(run_id, model_path, model_label, weight_type, bits_per_weight,"
                       " prompt_id, prompt_format, text, stop_reason, n_prompt_tokens, n_generated, ttft_ms,"
                       " decode_tokens_per_s, seed, recorded_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ") +
               kNow + ")");
  EDGELM_RETURN_IF_ERROR(ins.Prepared("saving a sample answer"));
  int i = 1;
  ins.Bind(i++, run_id);
  ins.Bind(i++, s.model.path);
  ins.Bind(i++, s.model.label);
  ins.Bind(i++, s.model.weight_type);
  ins.Bind(i++, s.model.bits_per_weight);
  ins.Bind(i++, s.prompt_id);
  ins.Bind(i++, s.prompt_format);
  ins.Bind(i++, s.text);
  ins.Bind(i++, s.stop_reason);
  ins.Bind(i++, int64_t{s.n_prompt_tokens});
  ins.Bind(i++, int64_t{s.n_generated});
  ins.Bind(i++, s.ttft_ms);
  ins.Bind(i++, s.decode_tokens_per_s);
  // SQLite integers are signed: the seed's bits are kept, read back as uint64_t.
  ins.Bind(i++, static_cast<int64_t>(s.seed));
  EDGELM_ASSIGN_OR_RETURN(bool row, ins.Step("saving a sample answer"));
  (void)row;
  return Status::Ok();
}

Result<std::vector<QualityFigure>> QualityStore::Figures(std::optional<int64_t> run_id) {
  Stmt q(db_, path_,
         std::string("SELECT ") + kFigureColumns + " FROM quality_figures" +
             (run_id ? " WHERE run_id = ?" : "") + " ORDER BY figure_id");
  EDGELM_RETURN_IF_ERROR(q.Prepared("reading quality figures"));
  if (run_id) q.Bind(1, *run_id);
  std::vector<QualityFigure> out;
  while (true) {
    EDGELM_ASSIGN_OR_RETURN(bool row, q.Step("reading quality figures"));
    if (!row) break;
    out.push_back(ReadFigure(q));
  }
  return out;
}

Result<std::vector<QualityFigure>> QualityStore::LatestFigures(int64_t run_id) {
  EDGELM_ASSIGN_OR_RETURN(std::vector<QualityFigure> all, Figures(run_id));
  // Keep the first position of each key (so the order stays the order of first
  // measurement) with the last value written for it.
  std::map<std::tuple<std::string, std::string, std::string>, size_t> slot;
  std::vector<QualityFigure> out;
  for (QualityFigure& f : all) {
    auto key = std::make_tuple(f.model.label, f.metric, f.task);
    auto it = slot.find(key);
    if (it == slot.end()) {
      slot.emplace(key, out.size());
      out.push_back(std::move(f));
    } else {
      out[it->second] = std::move(f);
    }
  }
  return out;
}

Result<std::vector<QualityProgress>> QualityStore::LastProgress(int64_t run_id) {
  Stmt q(db_, path_,
         "SELECT p.run_id, p.model_path, p.task, p.unit, p.done, p.total, p.successes, p.running_metric,"
         " p.running_value, p.elapsed_s FROM quality_progress p"
         " JOIN (SELECT MAX(progress_id) AS last, MIN(progress_id) AS first FROM quality_progress WHERE run_id = ?"
         " GROUP BY model_path, task) g ON p.progress_id = g.last ORDER BY g.first");
  EDGELM_RETURN_IF_ERROR(q.Prepared("reading quality progress"));
  q.Bind(1, run_id);
  std::vector<QualityProgress> out;
  while (true) {
    EDGELM_ASSIGN_OR_RETURN(bool row, q.Step("reading quality progress"));
    if (!row) break;
    QualityProgress p;
    p.run_id = q.Int(0);
    p.model_path = q.Text(1);
    p.task = q.Text(2);
    p.unit = q.Text(3);
    p.done = q.Int(4);
    p.total = q.Int(5);
    p.successes = q.OptInt(6);
    p.running_metric = q.Text(7);
    p.running_value = q.OptDouble(8).value_or(0);
    p.elapsed_s = q.OptDouble(9).value_or(0);
    out.push_back(std::move(p));
  }
  return out;
}

Result<std::vector<QualitySample>> QualityStore::Samples(int64_t run_id) {
  Stmt q(db_, path_,
         "SELECT run_id, model_path, model_label, weight_type, bits_per_weight, prompt_id, prompt_format, text,"
         " stop_reason, n_prompt_tokens, n_generated, ttft_ms, decode_tokens_per_s, seed FROM quality_samples"
         " WHERE run_id = ? ORDER BY sample_id");
  EDGELM_RETURN_IF_ERROR(q.Prepared("reading sample answers"));
  q.Bind(1, run_id);
  std::vector<QualitySample> out;
  while (true) {
    EDGELM_ASSIGN_OR_RETURN(bool row, q.Step("reading sample answers"));
    if (!row) break;
    QualitySample s;
    s.run_id = q.Int(0);
    s.model.path = q.Text(1);
    s.model.label = q.Text(2);
    s.model.weight_type = q.Text(3);
    s.model.bits_per_weight = q.OptDouble(4);
    s.prompt_id = q.Text(5);
    s.prompt_format = q.Text(6);
    s.text = q.Text(7);
    s.stop_reason = q.Text(8);
    s.n_prompt_tokens = static_cast<int>(q.Int(9));
    s.n_generated = static_cast<int>(q.Int(10));
    s.ttft_ms = q.OptDouble(11);
    s.decode_tokens_per_s = q.OptDouble(12);
    s.seed = static_cast<uint64_t>(q.Int(13));
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace edgelm
