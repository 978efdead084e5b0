// The results store: one SQLite file that keeps every benchmark run, so that no result
// is ever lost to a crash, a Ctrl-C or a closed terminal.
//
// Each configuration is written in its own transaction the moment it finishes (WAL
// journal, synchronous=FULL: a committed configuration survives a power cut). A run row
// keeps the run context and the sweep specification, which is what lets --resume rerun
// exactly the configurations that are missing.
//
// Tables: runs (one per `edgelm bench` invocation, with its context), run_models (file,
// size, sha256), configurations (one per finished configuration: the main figures as
// columns for SQL queries, and the full record as JSON), samples (one row per raw value:
// metric 'ns', 'ts', 'ttft_ms', 'decode_ts', 'e2e_ts', 'itl_ms'), energy (with --energy:
// one row per configuration, phase and source: J, W, J/token, net of the idle baseline,
// estimated flag, reason when absent, and the phase's max temperature, mean frequency
// and throttling flag).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bench/run_record.h"
#include "bench/sweep.h"
#include "bench/writers.h"
#include "core/status.h"

struct sqlite3;

namespace edgelm::bench {

// $XDG_DATA_HOME/edgelm/results.db, else ~/.local/share/edgelm/results.db.
Result<std::string> DefaultResultsDbPath();

struct RunSummary {
  int64_t run_id = 0;
  std::string started_at, status, command_line, cpu_info, build_commit, models;
  int n_planned = 0;
  int n_done = 0;
};

class ResultsStore {
 public:
  // Opens or creates the file (and its directory), sets WAL and the schema.
  static Result<std::unique_ptr<ResultsStore>> Open(const std::string& path);
  ~ResultsStore();
  ResultsStore(const ResultsStore&) = delete;
  ResultsStore& operator=(const ResultsStore&) = delete;

  // A new run in status "running". spec may be absent (a report imported with -o sqlite
  // cannot be resumed).
  Result<int64_t> BeginRun(const RunContext& context, const std::optional<SweepSpec>& spec, int n_planned);
  // One finished configuration: row + samples, in one transaction.
  Status AddRecord(int64_t run_id, const ConfigRecord& record);
  // "complete", "interrupted", "failed", "running".
  Status SetRunStatus(int64_t run_id, const std::string& status);

  Result<std::vector<RunSummary>> ListRuns();
  // The run's context, status and records in the order they were completed.
  Result<BenchReport> LoadRun(int64_t run_id);
  Result<SweepSpec> LoadSpec(int64_t run_id);
  // Keys (BenchConfig::Key) of the configurations the run has completed.
  Result<std::set<std::string>> CompletedKeys(int64_t run_id);
  // Raw samples of one metric for a configuration of a run, by config key.
  Result<std::vector<double>> Samples(int64_t run_id, const std::string& config_key, const std::string& metric);

  const std::string& path() const { return path_; }

 private:
  ResultsStore() = default;
  Status Exec(const std::string& sql);
  Status RunExists(int64_t run_id);
  Status AddEnergyRows(int64_t config_id, const EnergyRecord& e);
  sqlite3* db_ = nullptr;
  std::string path_;
};

// Writes a whole report into a results-store file (the -o sqlite writer).
Status WriteReportToStoreFile(const BenchReport& report, const std::string& path);

}  // namespace edgelm::bench
