// A telemetry session: the API the bench uses.
//
//   TelemetryOptions opt;                   // sources, intervals, --power-cmd, profile...
//   auto t = Telemetry::Create(opt);        // discovers and opens sensors (before the
//                                           // engine's thread pool: perf counters)
//   t->Start();                             // background sampling begins
//   t->MeasureIdleBaseline(5'000'000'000);  // optional: 5 s quiet window
//   int64_t a = MonotonicNs(); ...prefill...; int64_t b = MonotonicNs();
//   t->MarkPhase("prefill", a, b, n_prompt_tokens);
//   ...decode...; t->MarkPhase("decode", b, c, n_generated);
//   t->Stop();
//   TelemetryReport r = t->Report();        // per source, per phase, with provenance
//
// Phases use the MonotonicNs clock of core/clock.h. EnergyBetween(t0, t1) answers for
// any interval, also while running. Every energy figure is per source and says whether
// it is measured or estimated; a value that cannot be given is an empty optional with
// the reason.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "telemetry/discovery.h"
#include "telemetry/energy.h"
#include "telemetry/perf_counters.h"
#include "telemetry/sampler.h"
#include "telemetry/system_info.h"

namespace edgelm::telemetry {

struct TelemetryOptions {
  std::string sysfs_root;              // "" -> env EDGELM_SYSFS_ROOT, else "/"
  std::vector<std::string> sources;    // see DiscoveryOptions::sources
  int64_t energy_interval_ns = 100'000'000;
  // Per energy sensor name or source label ("rapl", "nvml", "hwmon:ina226@hwmon3").
  std::map<std::string, int64_t> interval_ns_by_source;
  int64_t thermal_interval_ns = 500'000'000;
  int64_t cpufreq_interval_ns = 200'000'000;
  int64_t counter_interval_ns = 100'000'000;
  bool thermal = true, cpufreq = true, perf_counters = true;
  bool rapl_prefer_psys = true;
  std::string power_cmd, power_log;
  std::string device_profile = "auto";
  std::string device_dir;
  ToolPaths tools;
  size_t buffer_capacity = 1 << 16;
  // Tests: make reads of chosen paths fail with an errno (see SysfsRoot).
  SysfsRoot::FaultInjector fault_injector;
};

// One energy source's figures for one interval.
struct SourceEnergy {
  std::string sensor;    // "rapl", "nvml", "external:cmd"
  std::string source;    // label: rapl, hwmon, jetson, rpi5-pmic, nvml, external, estimate
  std::string coverage;  // what the total covers
  bool estimated = false;
  PhaseEnergy energy;
};

struct CounterDelta {
  std::string name;
  std::optional<double> value;
  std::string reason;
};

struct ZoneSummary {
  std::string zone;
  std::optional<double> max_c, mean_c;
  std::optional<double> trip_c;
  bool at_trip = false;
};
struct CoreFreqSummary {
  std::string cpu;
  std::optional<double> min_hz, mean_hz, max_hz;
  std::optional<double> limit_hz;  // cpuinfo_max_freq
  bool below_max = false;          // the lowest sample < 95% of the limit
};
struct ThermalSummary {
  std::vector<ZoneSummary> zones;
  std::vector<CoreFreqSummary> cores;
  // Throttling suspected: a zone at its trip point, or a core below 95% of its maximum
  // frequency in this interval (also the governor's choice when the core was idle).
  bool throttling_suspected = false;
  std::string throttling_reason;
};

struct PhaseReport {
  std::string name;
  int64_t start_ns = 0, end_ns = 0;
  int64_t tokens = 0;
  std::vector<SourceEnergy> energy;
  ThermalSummary thermal;
  std::vector<CounterDelta> counters;
};

struct SourceReport {
  std::string sensor, source, coverage;
  bool estimated = false;
  std::vector<ChannelInfo> channels;
  double interval_ms = 0;  // configured (0 for self-timed streams and logs)
  SensorStats stats;
  std::optional<double> baseline_watts;
  IntervalAmount baseline;  // the baseline window's energy (reason when absent)
};

struct TelemetryReport {
  std::vector<SourceReport> sources;   // energy sources
  std::vector<PhaseReport> phases;
  std::vector<SourceFinding> findings;  // what discovery found, with fixes
  std::vector<CounterStatus> counters;
  std::string thermal_note, cpufreq_note;  // why absent, when absent
  std::optional<int64_t> baseline_start_ns, baseline_end_ns;
  SamplerOverhead overhead;
  std::string rpi_throttled_start, rpi_throttled_end;  // decoded get_throttled, "" if n/a
  // Sensors that gave no sample within 2 s of Start() (a meter command that prints
  // nothing): their phases report "no sample" reasons.
  std::string silent_at_start;
};

class Telemetry {
 public:
  // How long Start() waits for every sensor's first sample.
  static constexpr int64_t kFirstSampleTimeoutNs = 2'000'000'000;

  static Result<std::unique_ptr<Telemetry>> Create(const TelemetryOptions& options);
  ~Telemetry();

  const std::vector<SourceFinding>& findings() const { return findings_; }
  // Whether any measured (not estimated) energy source is sampled.
  bool has_measured_energy() const;

  Status Start();
  // Samples for `duration_ns` while the caller keeps the machine quiet; that window
  // becomes the idle baseline. Requires Start().
  Status MeasureIdleBaseline(int64_t duration_ns);
  // Or name a window that was quiet.
  void SetBaselineWindow(int64_t start_ns, int64_t end_ns);
  void MarkPhase(const std::string& name, int64_t start_ns, int64_t end_ns, int64_t tokens = 0);
  Status Stop();

  // Energy of [t0, t1] from every energy source (baseline applied when measured).
  std::vector<SourceEnergy> EnergyBetween(int64_t t0_ns, int64_t t1_ns, int64_t tokens = 0) const;
  TelemetryReport Report() const;
  SamplerOverhead overhead() const { return sampler_->overhead(); }

 private:
  Telemetry() = default;
  std::optional<double> BaselineWatts(size_t sensor_index) const;
  int64_t EffectiveInterval(size_t i) const;
  ThermalSummary Thermal(int64_t t0, int64_t t1) const;
  std::vector<CounterDelta> Counters(int64_t t0, int64_t t1) const;

  TelemetryOptions options_;
  std::unique_ptr<SysfsRoot> root_;
  std::unique_ptr<Sampler> sampler_;
  std::vector<size_t> energy_idx_;
  std::optional<size_t> thermal_idx_, cpufreq_idx_, perf_idx_;
  std::vector<SourceFinding> findings_;
  std::vector<CounterStatus> counters_;
  std::vector<ThermalZoneInfo> zones_;
  std::vector<CoreInfo> cores_;
  std::string thermal_note_, cpufreq_note_;
  bool rpi_ = false;
  std::string rpi_throttled_start_, rpi_throttled_end_;
  std::string silent_at_start_;  // sensors with no sample within the start timeout
  mutable std::mutex mu_;
  std::optional<int64_t> baseline_t0_, baseline_t1_;
  struct Phase {
    std::string name;
    int64_t t0, t1, tokens;
  };
  std::vector<Phase> phases_;
};

}  // namespace edgelm::telemetry
