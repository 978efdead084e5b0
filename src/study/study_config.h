// The study file (TOML): which models, weight types, threads, context sizes and lengths
// to measure, which quality tasks, which energy source and device profile, the budgets
// and prices, and optional hook commands. Format and keys: docs/REPORT.md; examples in
// data/studies/ (default.toml is built into the binary and is what `edgelm study` runs
// without --config).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "report/study_data.h"

namespace edgelm::study {

// One quality task of the study: NAME[:LIMIT], as `edgelm eval --task` takes it.
struct QualityTask {
  std::string name;  // one of eval::KnownTaskNames()
  size_t limit = 0;  // items evaluated; 0 = all
  std::string Spec() const { return limit ? name + ":" + std::to_string(limit) : name; }
};
// Parses "NAME" or "NAME:LIMIT" (LIMIT > 0); an unknown name or a bad limit is an
// InvalidArgument error that lists the known tasks. `where` names the key or flag.
Result<QualityTask> ParseQualityTask(const std::string& spec, const std::string& where);

struct StudyConfig {
  std::string name;
  // "synth:PRESET" (synthesized into the cache at each weight type) or a GGUF path.
  std::vector<std::string> models;
  // For synth models: the types to synthesize. For a file: the types to re-quantize it
  // to (from F32/F16/BF16); empty: the file as it is.
  std::vector<std::string> weight_types;
  std::vector<int> threads;          // 0 = every CPU online
  std::vector<uint32_t> contexts;    // context sizes: memory and decode at each
  uint32_t n_prompt = 64, n_gen = 32;
  int repetitions = 3, warmups = 1;
  bool request = true;               // the request test (inter-token latency)
  uint32_t request_tokens = 32;
  // Quality: real-weight files (the first is the KLD base) and a text for perplexity.
  std::vector<std::string> quality_models;
  std::string quality_text;
  uint32_t quality_ctx = 128;
  uint32_t quality_chunks = 4;
  bool quality_kld = true;
  // Accuracy tasks evaluated on every quality model (multiple choice; LAMBADA), from a
  // directory laid out like ../shared/data ("" -> ../shared/data or shared/data).
  std::vector<QualityTask> quality_tasks;
  std::string quality_data_dir;
  int quality_shots = 5;             // MMLU few-shot examples
  // The fixed prompt suite (data/prompts, or prompts_dir) answered by every quality model.
  bool quality_samples = false;
  std::string quality_prompts_dir;
  // Energy.
  std::string energy_source = "auto";  // auto | estimate | rapl | hwmon | jetson | rpi5-pmic | nvml | external
  std::string power_cmd;               // external meter command (energy_source external)
  std::string device_profile = "auto";
  double energy_interval_ms = 50;
  double idle_baseline_s = 0;
  // Budgets and prices.
  std::optional<uint64_t> memory_budget_bytes;
  std::optional<double> power_budget_watts;
  // prices.cloud: the study's own [[prices.cloud]] entries; empty: loaded when the study
  // runs from `cloud_table`, else the shipped table (analysis::DefaultCloudPriceFile).
  report::Prices prices;
  std::string cloud_table;
  // Shell command run before each configuration (environment: EDGELM_CONFIG_KEY,
  // EDGELM_MODEL, EDGELM_THREADS, EDGELM_CTX, EDGELM_TEST); its exit code and output are
  // recorded. edgelm itself never changes power settings.
  std::string hook_before;
  // Where synthesized models are kept: "" -> $XDG_CACHE_HOME/edgelm, else ~/.cache/edgelm.
  std::string cache_dir;
};

// The data directory of the quality tasks: config.quality_data_dir, else ../shared/data
// or shared/data when present; NotFound when none is.
Result<std::string> QualityDataDir(const StudyConfig& config);
// The prompt suite directory: config.quality_prompts_dir, else the source tree's
// data/prompts, else ./data/prompts; NotFound when none is.
Result<std::string> QualityPromptsDir(const StudyConfig& config);

// Parses TOML text; `origin` names the file in errors. Unknown keys are errors (a typo
// must not silently drop a setting).
Result<StudyConfig> ParseStudyConfig(const std::string& text, const std::string& origin);
// The built-in default study (data/studies/default.toml, compiled in).
const std::string& DefaultStudyToml();
// The reduced setting (--quick): smaller shapes and lengths, for CI.
void ApplyQuick(StudyConfig* config);
// The cache directory: config.cache_dir, else $XDG_CACHE_HOME/edgelm, else ~/.cache/edgelm.
Result<std::string> CacheDir(const StudyConfig& config);

}  // namespace edgelm::study
