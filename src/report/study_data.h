// What a study adds to the results store beyond the bench tables (runs, configurations,
// samples): energy per configuration and phase, the power timeline with its phases,
// quality figures, hook commands and the study's settings (device, memory budget,
// prices). The study writes these records; the report reads them.
//
// Goals: one file holds everything a report needs, so a report can be rebuilt offline
// from the store alone. Each record is a row of one table, `study_items`, keyed by run,
// kind and configuration, with the record as JSON: the records evolve without schema
// migrations, and a store written by plain `edgelm bench` simply has none.
// A value that was not measured is an empty optional with a reason, never 0.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "analysis/cost.h"
#include "core/status.h"

struct sqlite3;

namespace edgelm::report {

// Energy of one phase ("prefill", "decode") of one configuration, summed over its
// measured repetitions, from one source.
struct EnergyRecord {
  std::string config_key;
  std::string phase;
  std::string source;    // rapl, hwmon, jetson, rpi5-pmic, nvml, external, estimate
  std::string basis;     // what the figure covers / where an estimate comes from
  bool estimated = false;
  int64_t tokens = 0;
  double seconds = 0;
  std::optional<double> joules, avg_watts;
  std::string reason;    // why joules is absent
  std::optional<double> tokens_per_joule() const;
};

struct PowerSample {
  double t_s = 0;        // seconds since the study started
  double watts = 0;
};

struct PowerTimeline {
  std::string source;
  bool estimated = false;
  double window_s = 0;   // each sample is the mean power over this window
  std::vector<PowerSample> samples;
  std::string reason;    // why there are no samples
};

// A stretch of the timeline where one configuration ran one phase.
struct PhaseSpan {
  std::string config_key, phase;
  double t0_s = 0, t1_s = 0;
};

// One quality figure of one model file, as the report shows it. The study and the quality
// commands record figures in the quality tables (eval/quality_store.h), which
// LoadReportInput turns into these; a store written before those tables holds them as
// study items of kind "quality" (AddQuality), still read.
struct QualityRecord {
  std::string model_label;   // file name
  std::string weight_type;   // "Q4_0"
  std::optional<double> bits_per_weight;
  std::string metric;        // "ppl", "kld_mean", "top1_agreement"
  std::optional<double> value, stderr_value;
  std::string detail;        // text, chunks, context
  std::string reason;        // why value is absent
  // From the quality tables (absent in stores written before them).
  std::string task;          // "hellaswag", or the perplexity text's file name
  std::optional<double> ci_low, ci_high;  // 95% interval
  std::string ci_method;     // "wilson", "normal", "none"
  int64_t n = 0;             // items, tokens or positions
  std::string n_unit;
};

// One answer of the prompt suite (the study's [quality] samples, or `edgelm samples`).
struct SampleRecord {
  std::string model_label, weight_type;
  std::string prompt_id, prompt_format, text, stop_reason;
  int n_generated = 0;
  std::optional<double> decode_tokens_per_s, ttft_ms;
};

struct HookRecord {
  std::string config_key, when, command;  // when: "before"
  int exit_code = 0;
  std::string output;
};

// A model file of the study: where it came from and what it is.
struct VariantInfo {
  std::string model_path;
  std::string label;        // "smollm2-135m Q4_0"
  std::string origin;       // "synth:smollm2-135m" or the file it was given as
  std::string weight_type;
  std::optional<double> bits_per_weight;
  // Roofline upper bound of decode at position 0 (analysis::Fit: memory bandwidth /
  // bytes read per token); absent without a bandwidth figure (StudySettings::roofline_note).
  std::optional<double> roofline_decode_tokens_per_s;
};

// A cloud API's dated list price: the analysis layer's record (data/prices/README.md).
using CloudPrice = analysis::CloudPrice;

struct Prices {
  std::optional<double> device_usd;
  double amortisation_years = 3;
  double duty_cycle = 0.5;  // fraction of the time the device generates
  std::optional<double> electricity_usd_per_kwh;
  std::vector<CloudPrice> cloud;
  std::string cloud_table;  // where the cloud prices came from (a file, or the study's own entries)
  std::string note;         // where the prices come from
  std::string overrides;    // command-line flags that replaced the study's prices, "" when none
};

// Command-line replacements for the study's prices (`edgelm study` and `edgelm report`
// take the same flags); an absent field keeps the study's value.
struct PriceOverrides {
  std::optional<double> device_usd;               // --device-price
  std::optional<double> lifetime_years;           // --lifetime-years
  std::optional<double> duty_cycle;               // --duty-cycle
  std::optional<double> electricity_usd_per_kwh;  // --electricity-price
  std::string cloud_table;                        // --price-table: a data/prices-format file
  bool empty() const {
    return !device_usd && !lifetime_years && !duty_cycle && !electricity_usd_per_kwh && cloud_table.empty();
  }
};
// Checks each value's range (InvalidArgument naming the flag) and loads the price table
// (its errors name the file and entry); records what was replaced in `prices->overrides`.
Status ApplyPriceOverrides(const PriceOverrides& o, Prices* prices);

struct Budget {
  std::optional<uint64_t> memory_bytes;  // usable memory for the model
  std::string memory_basis;              // "MemAvailable at the start", "device profile"
  std::optional<double> power_watts;     // average power budget for recommendations
};

struct StudySettings {
  std::string name;
  std::string config_text;   // the study TOML, as run
  std::string device_profile, device_name;
  std::string energy_source; // what was asked: "auto", "estimate", "rapl", ...
  std::string energy_note;   // how energy was obtained, or why it is absent
  std::string quality_note;  // why there is no quality section, when there is none
  Budget budget;
  Prices prices;
  std::vector<VariantInfo> variants;
  // Command-line options of `edgelm study` that change the grid (--quick, quality
  // models...), as JSON, so that --resume continues the same study.
  std::string cli_flags_json;
  // Wall time of the study's phases in the session that wrote the report (a resumed
  // study: the resuming session), for the run context; empty when not recorded.
  std::vector<std::pair<std::string, double>> phase_seconds;
  // Where the roofline bound's bandwidth comes from (device, figure, provenance), or why
  // there is no bound.
  std::string roofline_note;
};

struct StudyData {
  std::optional<StudySettings> settings;  // absent: the run was not made by a study
  std::vector<EnergyRecord> energy;
  std::vector<PowerTimeline> power;
  std::vector<PhaseSpan> phases;
  std::vector<QualityRecord> quality;
  std::vector<SampleRecord> samples;  // the last answer of each (model, prompt)
  std::vector<HookRecord> hooks;
};

// A second connection to the results store for the study tables (WAL: the bench store
// can stay open).
class StudyStore {
 public:
  static Result<std::unique_ptr<StudyStore>> Open(const std::string& path);
  ~StudyStore();
  StudyStore(const StudyStore&) = delete;
  StudyStore& operator=(const StudyStore&) = delete;

  Status PutSettings(int64_t run_id, const StudySettings& s);  // replaces
  Status AddEnergy(int64_t run_id, const EnergyRecord& r);
  Status AddPower(int64_t run_id, const PowerTimeline& t);
  Status AddPhase(int64_t run_id, const PhaseSpan& p);
  Status AddQuality(int64_t run_id, const QualityRecord& r);
  Status AddHook(int64_t run_id, const HookRecord& r);
  // Removes the records of one kind ("quality", ...) of a run (a resumed study redoes it).
  Status Clear(int64_t run_id, const std::string& kind);
  Result<StudyData> Load(int64_t run_id);

 private:
  StudyStore() = default;
  Status Put(int64_t run_id, const std::string& kind, const std::string& key, const std::string& json);
  sqlite3* db_ = nullptr;
  std::string path_;
};

}  // namespace edgelm::report
