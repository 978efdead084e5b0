// What `edgelm ppl`, `kld`, `eval` and `samples` share to record their results: the
// --db flag, a run in the results store begun with the run context (machine, build,
// models with their sha256, command line) like `edgelm bench`, the quality tables in
// the same file, and progress lines on stderr.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

#include "bench/results_store.h"
#include "core/status.h"
#include "eval/quality_store.h"

namespace edgelm::cli {

// Adds --db FILE (default: the results store `edgelm bench` uses).
void AddResultsDbFlag(CLI::App* sub, std::string& db);

struct QualityRun {
  std::unique_ptr<bench::ResultsStore> results;
  std::unique_ptr<QualityStore> quality;
  int64_t run_id = 0;
  std::string db_path;
  // Marks the run "complete" or "interrupted" and says where the results are.
  Status Finish(bool interrupted);
  // Marks the run "failed" (what finished before the failure stays stored).
  void Fail();
};

// Opens the store at db_flag (or the default path) and begins a run for `models`.
Result<std::unique_ptr<QualityRun>> BeginQualityRun(const std::string& db_flag, const std::vector<std::string>& models);

// Prints a progress line to stderr.
void PrintProgress(const std::string& line);

}  // namespace edgelm::cli
