// `edgelm study`: the whole feasibility study in one command. Prepares the models
// (synthesizes "synth:PRESET" shapes, re-quantizes files when asked, in the cache),
// runs every bench configuration with the telemetry session sampling energy, evaluates
// quality on real weights, stores everything in one results store (resumable: a
// configuration is saved the moment it finishes), and writes the HTML report.
//
// Grid, per model file: prefill (pp N) and decode (tg N) at every thread count and the
// first context size; decode at the other context sizes (memory vs context) with the
// most threads; one request test (inter-token latency) with the most threads. Quality
// model files get the decode tests too, so their fit and power are measured.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>

#include "core/status.h"
#include "report/report.h"
#include "study/study_config.h"

namespace edgelm::study {

struct StudyOptions {
  StudyConfig config;
  std::string config_text;     // stored with the run (what `--resume` continues)
  std::string cli_flags_json;  // grid-changing command-line options, stored likewise
  std::string db_path;         // "" -> the default results store
  std::string report_path;     // "" -> <store dir>/reports/study-<run>.html
  std::optional<int64_t> resume_run;
  report::PriceOverrides price_overrides;  // --device-price ... --price-table
  std::string command_line;
  const std::atomic<bool>* interrupt = nullptr;
  // Progress and notes (one line each); default stderr.
  std::function<void(const std::string&)> log;
};

struct StudyOutcome {
  int64_t run_id = 0;
  std::string db_path;
  report::ReportFiles files;
  int n_configs = 0, n_done = 0, n_failed = 0, n_skipped = 0;
  bool interrupted = false;
  double seconds = 0;  // wall time of the whole study
  // Wall time per phase: models (synthesis, re-quantization), setup (file hashes for the
  // run context, telemetry start, idle baseline), bench (every configuration), quality,
  // report (energy attribution, power timeline, HTML and Markdown).
  double models_seconds = 0, setup_seconds = 0, bench_seconds = 0, quality_seconds = 0, report_seconds = 0;
};

Result<StudyOutcome> RunStudy(const StudyOptions& options);

// The study TOML and command-line options stored with run `run_id` (for --resume).
struct StoredStudy {
  std::string config_text, cli_flags_json;
};
Result<StoredStudy> LoadStoredStudy(const std::string& db_path, int64_t run_id);

}  // namespace edgelm::study
