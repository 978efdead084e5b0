// The quality part of the results store: the figures of `edgelm ppl`, `kld`, `eval`,
// `samples` and the study's quality step, kept in the same SQLite file as the bench
// runs (bench/results_store.h) and keyed by the run id that store hands out, so a
// figure carries the run's context (machine, build, model sha256, command line).
//
// Tables (schema version in quality_meta; append-only: rows are never updated):
//  - quality_figures: one row per final figure (ppl, kld_mean, acc, ...) with its
//    standard error, its 95% interval and which method made it, n, timing and whether
//    the run was interrupted (the figure then covers what finished). A figure that could
//    not be measured is a row with a NULL value and a reason.
//  - quality_progress: one row per finished chunk or item (cumulative counts and the
//    running value), so a run killed before its figures were written still shows how
//    far it got and what it measured until then.
//  - quality_samples: one row per answer of `edgelm samples`.
//
// The eval layer does not know the bench layer: the caller (the CLI, the study) begins
// the run in bench::ResultsStore and passes its id here. A second connection to the
// same WAL file, like report::StudyStore.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

struct sqlite3;

namespace edgelm {

// How a figure's interval was made.
inline constexpr const char* kIntervalWilson = "wilson";  // binomial proportion, 95% Wilson score
inline constexpr const char* kIntervalNormal = "normal";  // mean ± 1.96 × standard error
inline constexpr const char* kIntervalNone = "none";      // no interval (medians, percentiles...)

// Which model file a figure is about.
struct QualityModel {
  std::string path;
  std::string label;        // file name, or the study's label ("stories260K Q4_0")
  std::string weight_type;  // "Q4_0", "F16"
  std::optional<double> bits_per_weight;
};

struct QualityFigure {
  // Filled by the reader.
  int64_t figure_id = 0, run_id = 0;
  std::string recorded_at;  // ISO 8601 UTC

  std::string command;      // "ppl", "kld", "eval", "study"
  QualityModel model;
  std::string metric;       // ppl, kld_mean, kld_median, kld_p99, top1_agreement, acc, acc_norm, lambada_acc, ...
  std::string task;         // eval task name, or the text file of ppl/kld ("wiki.test.raw")
  std::optional<double> value, stderr_value, ci_low, ci_high;
  std::string ci_method = kIntervalNone;
  int64_t n = 0;            // items, tokens scored or positions compared
  std::string n_unit;       // "items", "tokens", "positions"
  std::string detail;       // context size, chunks, shots, base model...
  std::optional<double> seconds, tokens_per_s;
  bool interrupted = false; // the run was stopped: the figure covers the finished part
  std::string reason;       // why value is absent
};

// One finished chunk or item of a long evaluation (cumulative).
struct QualityProgress {
  int64_t run_id = 0;
  std::string model_path, task;
  std::string unit;         // "chunk" or "item"
  int64_t done = 0, total = 0;
  std::optional<int64_t> successes;  // items answered correctly so far (accuracy tasks)
  std::string running_metric;        // what running_value is: "ppl", "kld_mean", "acc"
  double running_value = 0;
  double elapsed_s = 0;
};

// One answer of `edgelm samples`.
struct QualitySample {
  int64_t run_id = 0;
  QualityModel model;
  std::string prompt_id, prompt_format, text, stop_reason;
  int n_prompt_tokens = 0, n_generated = 0;
  std::optional<double> ttft_ms, decode_tokens_per_s;
  uint64_t seed = 0;
};

class QualityStore {
 public:
  // Opens (or creates) the tables in the results-store file at `path`.
  static Result<std::unique_ptr<QualityStore>> Open(const std::string& path);
  ~QualityStore();
  QualityStore(const QualityStore&) = delete;
  QualityStore& operator=(const QualityStore&) = delete;

  // Each write is its own transaction, committed before it returns.
  Status AddFigure(int64_t run_id, const QualityFigure& f);
  Status AddProgress(const QualityProgress& p);
  Status AddSample(int64_t run_id, const QualitySample& s);

  // Every figure of a run (all runs when run_id is absent), in the order written.
  Result<std::vector<QualityFigure>> Figures(std::optional<int64_t> run_id = std::nullopt);
  // The figures of a run with only the last one written for each (model label, metric,
  // task): what a report shows when a step was redone (a resumed study).
  Result<std::vector<QualityFigure>> LatestFigures(int64_t run_id);
  // The last progress row of each (model, task) of a run, in the order they started.
  Result<std::vector<QualityProgress>> LastProgress(int64_t run_id);
  Result<std::vector<QualitySample>> Samples(int64_t run_id);

  const std::string& path() const { return path_; }

 private:
  QualityStore() = default;
  Status Exec(const std::string& sql);
  sqlite3* db_ = nullptr;
  std::string path_;
};

}  // namespace edgelm
