// Energy of a time interval from a sensor's samples: counter difference (wrap-aware)
// for energy counters, trapezoidal integration for power samples; idle baseline, gross
// and net energy, J/token.
//
// Goals: exact arithmetic on the samples (no smoothing), and no made-up numbers: an
// interval the samples cannot resolve (too short for the sensor, not covered by
// samples, a counter reset) yields an empty optional and the reason.
// Non-goals: sampling (sampler.h) and presentation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "telemetry/sampler.h"
#include "telemetry/sensor.h"

namespace edgelm::telemetry {

// An interval shorter than this many sampling intervals is refused: its value would be
// mostly interpolation across samples that lie outside it.
inline constexpr int kMinSamplingIntervalsPerPhase = 3;

// The change of a cumulative quantity, or the integral of a rate, over [t0_ns, t1_ns].
struct IntervalAmount {
  std::optional<double> value;  // joules (energy/power) or events (event counters)
  std::string reason;           // why value is absent
  std::string method;           // "counter difference (wrap-aware)", "trapezoid over power samples"
  int64_t t0_ns = 0, t1_ns = 0;
  size_t n_samples = 0;          // samples inside [t0, t1] (both ends included)
  double sample_interval_ms = 0;  // median spacing of the samples around the interval
  double max_gap_ms = 0;          // largest spacing between the samples used
  int wraps = 0;                  // counter wrap-arounds corrected

  double duration_s() const { return double(t1_ns - t0_ns) * 1e-9; }
};

// One channel. `sampling_interval_ns` is the interval the sampler used (0 when the
// sensor streams at its own pace); the larger of it and the observed spacing decides
// the shortest interval that can be measured.
IntervalAmount ChannelAmount(const Series& series, size_t channel, const ChannelInfo& info,
                             int64_t t0_ns, int64_t t1_ns, int64_t sampling_interval_ns);

// Sum over the channels with in_total (energy/power channels only). Absent when any
// counted channel is absent (the reason names it).
IntervalAmount TotalEnergy(const Series& series, const std::vector<ChannelInfo>& channels,
                           int64_t t0_ns, int64_t t1_ns, int64_t sampling_interval_ns);

// Min/mean/max of a level quantity (temperature, frequency, power) over the samples in
// [t0, t1]; when no sample falls inside, the latest sample before t0 stands for it.
struct LevelStats {
  std::optional<double> min, mean, max;  // SI units
  size_t n_samples = 0;
};
LevelStats ChannelLevels(const Series& series, size_t channel, const ChannelInfo& info,
                         int64_t t0_ns, int64_t t1_ns);

// Energy figures of one phase from one source.
struct PhaseEnergy {
  IntervalAmount gross;                   // joules over the phase
  std::optional<double> avg_watts;        // gross / duration
  std::optional<double> baseline_watts;   // idle power, when a baseline was measured
  std::optional<double> net_joules;       // gross - baseline_watts * duration
  std::optional<double> joules_per_token;      // gross / tokens
  std::optional<double> net_joules_per_token;  // net / tokens
  std::optional<double> tokens_per_joule;      // tokens / gross
  int64_t tokens = 0;
};

// `baseline_watts` absent -> no net figures. `tokens` 0 -> no per-token figures.
PhaseEnergy ComputePhaseEnergy(const IntervalAmount& gross, std::optional<double> baseline_watts,
                               int64_t tokens);

}  // namespace edgelm::telemetry
