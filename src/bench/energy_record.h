// Energy, power, temperature, frequency and counter figures of one benchmark
// configuration, as plain data (no telemetry dependency): what the run record, the
// writers and the results store carry. energy.h fills it from a telemetry session.
//
// Goals: every figure says its source and whether it is estimated; a figure that could
// not be given is an empty optional with the reason (never 0). Phases are "prefill"
// (J per prompt token) and "decode" (J per generated token), summed over the measured
// repetitions only (warmups and depth prefills excluded).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/status.h"

namespace edgelm::bench {

// One phase's energy from one source, over all measured repetitions.
struct PhaseEnergyFigures {
  std::string phase;     // "prefill" | "decode"
  std::string source;    // rapl, hwmon, jetson, rpi5-pmic, nvml, external, estimate
  std::string sensor;    // "rapl", "external:cmd", ...
  std::string coverage;  // what the source's total covers
  bool estimated = false;
  int64_t tokens = 0;    // prompt tokens (prefill) or generated tokens (decode)
  int n_spans = 0;       // timed spans summed (one per measured repetition)
  double duration_s = 0;
  std::optional<double> joules, avg_watts, baseline_watts, net_joules;
  std::optional<double> joules_per_token, net_joules_per_token, tokens_per_joule;
  std::string method;             // counter difference / trapezoid
  int64_t n_samples = 0;
  double sample_interval_ms = 0;  // of the first span
  std::string reason;             // why joules is absent
};

// Thermal, clock and counter figures of one phase.
struct PhaseSystemFigures {
  std::string phase;
  std::optional<double> max_temp_c;      // hottest zone, any span
  std::optional<double> mean_freq_mhz;   // mean over cores and spans (duration-weighted)
  std::optional<bool> throttling;        // suspected in any span
  std::string throttling_reason, temp_reason, freq_reason;
  std::optional<double> cycles, instructions, cache_references, cache_misses;
  std::string counters_reason;  // why counters are absent
};

struct EnergyRecord {
  std::string mode;   // --energy as given: "auto", "rapl,hwmon", "estimate"
  std::string note;   // e.g. "no measured energy source on this machine; ..."
  std::vector<PhaseEnergyFigures> energy;  // per phase, measured sources first
  std::vector<PhaseSystemFigures> system;  // per phase

  // The figure a table shows for `phase`: the first measured source with a value, else
  // the first source with a value, else the first entry (with its reason); null if none.
  const PhaseEnergyFigures* Primary(const std::string& phase) const;
};

nlohmann::json EnergyRecordToJson(const EnergyRecord& e);
Result<EnergyRecord> EnergyRecordFromJson(const nlohmann::json& j);

// Flat fields for CSV/JSONL/JSON (null when absent; `energy_reason` says why):
// energy_source, energy_estimated, energy_reason, prefill_j_per_token,
// decode_j_per_token, prefill_net_j_per_token, decode_net_j_per_token,
// prefill_tokens_per_j, decode_tokens_per_j, prefill_avg_w, decode_avg_w,
// baseline_w, max_temp_c, mean_freq_mhz, throttling, cycles, instructions,
// cache_references, cache_misses.
const std::vector<std::string>& EnergyFlatColumns();
nlohmann::json EnergyFlatFields(const std::optional<EnergyRecord>& e);

// Markdown cell text for a J/token figure: "0.0123", "0.0123 (est.)", or "-".
std::string EnergyCell(const PhaseEnergyFigures* f);

}  // namespace edgelm::bench
