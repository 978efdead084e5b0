#include "telemetry/telemetry.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "core/clock.h"

namespace edgelm::telemetry {

Result<std::unique_ptr<Telemetry>> Telemetry::Create(const TelemetryOptions& options) {
  std::unique_ptr<Telemetry> t(new Telemetry());
  t->options_ = options;
  t->root_ = std::make_unique<SysfsRoot>(SysfsRoot::FromFlagOrEnv(options.sysfs_root));
  if (options.fault_injector) t->root_->SetFaultInjector(options.fault_injector);
  if (options.energy_interval_ns <= 0) {
    return InvalidArgumentError("energy sampling interval must be > 0 ns, got " + std::to_string(options.energy_interval_ns));
  }
  DiscoveryOptions d;
  d.root = *t->root_;
  d.tools = options.tools;
  d.sources = options.sources;
  d.rapl_prefer_psys = options.rapl_prefer_psys;
  d.power_cmd = options.power_cmd;
  d.power_log = options.power_log;
  d.device_profile = options.device_profile;
  d.device_dir = options.device_dir;
  EDGELM_ASSIGN_OR_RETURN(Discovery found, DiscoverEnergySources(d));
  t->findings_ = std::move(found.findings);

  SamplerOptions so;
  so.default_interval_ns = options.energy_interval_ns;
  so.buffer_capacity = options.buffer_capacity;
  t->sampler_ = std::make_unique<Sampler>(so);
  for (auto& sensor : found.sensors) {
    if (sensor->source() == "rpi5-pmic") t->rpi_ = true;
    int64_t interval = options.energy_interval_ns;
    auto it = options.interval_ns_by_source.find(sensor->name());
    if (it == options.interval_ns_by_source.end()) it = options.interval_ns_by_source.find(sensor->source());
    if (it != options.interval_ns_by_source.end()) interval = it->second;
    t->energy_idx_.push_back(t->sampler_->Add(std::move(sensor), interval));
  }
  if (options.thermal) {
    t->zones_ = ReadThermalZones(*t->root_);
    if (auto s = MakeThermalSensor(*t->root_, &t->thermal_note_)) {
      t->thermal_idx_ = t->sampler_->Add(std::move(s), options.thermal_interval_ns);
    }
  }
  if (options.cpufreq) {
    t->cores_ = ReadCores(*t->root_);
    if (auto s = MakeCpuFreqSensor(*t->root_, &t->cpufreq_note_)) {
      t->cpufreq_idx_ = t->sampler_->Add(std::move(s), options.cpufreq_interval_ns);
    }
  }
  if (options.perf_counters) {
    if (auto s = MakePerfCounterSensor(&t->counters_)) {
      t->perf_idx_ = t->sampler_->Add(std::move(s), options.counter_interval_ns);
    }
  }
  return t;
}

Telemetry::~Telemetry() {
  if (sampler_) (void)sampler_->Stop();
}

bool Telemetry::has_measured_energy() const {
  for (size_t i : energy_idx_) {
    if (!sampler_->sensor(i).estimated()) return true;
  }
  return false;
}

Status Telemetry::Start() {
  if (rpi_) {
    Result<ThrottledBits> b = ReadRpiThrottled(options_.tools);
    rpi_throttled_start_ = b.ok() ? b->Describe() : b.status().ToString();
  }
  EDGELM_RETURN_IF_ERROR(sampler_->Start());
  // A phase that begins right after Start() needs a sample before it; streams (meters,
  // tegrastats) print their first line a little after they start.
  std::vector<std::string> silent = sampler_->WaitForFirstSamples(kFirstSampleTimeoutNs);
  if (!silent.empty()) {
    std::string names;
    for (const auto& n : silent) names += (names.empty() ? "" : ", ") + n;
    silent_at_start_ = names;
  }
  return Status::Ok();
}

Status Telemetry::MeasureIdleBaseline(int64_t duration_ns) {
  if (!sampler_->running()) return InvalidArgumentError("MeasureIdleBaseline before Start()");
  if (duration_ns <= 0) return InvalidArgumentError("idle baseline duration must be > 0");
  const int64_t t0 = MonotonicNs();
  std::this_thread::sleep_for(std::chrono::nanoseconds(duration_ns));
  const int64_t t1 = MonotonicNs();
  // Wait for one more reading of every polled sensor after t1 so the window is covered.
  int64_t longest = 0;
  for (size_t i : energy_idx_) longest = std::max(longest, sampler_->interval_ns(i));
  std::this_thread::sleep_for(std::chrono::nanoseconds(std::min<int64_t>(longest, 2'000'000'000) + 5'000'000));
  SetBaselineWindow(t0, t1);
  return Status::Ok();
}

void Telemetry::SetBaselineWindow(int64_t start_ns, int64_t end_ns) {
  std::lock_guard<std::mutex> lock(mu_);
  baseline_t0_ = start_ns;
  baseline_t1_ = end_ns;
}

void Telemetry::MarkPhase(const std::string& name, int64_t start_ns, int64_t end_ns, int64_t tokens) {
  std::lock_guard<std::mutex> lock(mu_);
  phases_.push_back({name, start_ns, end_ns, tokens});
}

Status Telemetry::Stop() {
  Status s = sampler_->Stop();
  if (rpi_) {
    Result<ThrottledBits> b = ReadRpiThrottled(options_.tools);
    rpi_throttled_end_ = b.ok() ? b->Describe() : b.status().ToString();
  }
  return s;
}

int64_t Telemetry::EffectiveInterval(size_t i) const {
  return sampler_->sensor(i).self_timed() ? 0 : sampler_->interval_ns(i);
}

std::optional<double> Telemetry::BaselineWatts(size_t i) const {
  std::optional<int64_t> b0, b1;
  {
    std::lock_guard<std::mutex> lock(mu_);
    b0 = baseline_t0_;
    b1 = baseline_t1_;
  }
  if (!b0) return std::nullopt;
  const Sensor& s = sampler_->sensor(i);
  IntervalAmount a = TotalEnergy(sampler_->Snapshot(i), s.channels(), *b0, *b1, EffectiveInterval(i));
  if (!a.value || a.duration_s() <= 0) return std::nullopt;
  return *a.value / a.duration_s();
}

std::vector<SourceEnergy> Telemetry::EnergyBetween(int64_t t0, int64_t t1, int64_t tokens) const {
  std::vector<SourceEnergy> out;
  for (size_t i : energy_idx_) {
    const Sensor& s = sampler_->sensor(i);
    SourceEnergy e;
    e.sensor = s.name();
    e.source = s.source();
    e.coverage = s.coverage();
    e.estimated = s.estimated();
    IntervalAmount gross = TotalEnergy(sampler_->Snapshot(i), s.channels(), t0, t1, EffectiveInterval(i));
    e.energy = ComputePhaseEnergy(gross, BaselineWatts(i), tokens);
    out.push_back(std::move(e));
  }
  return out;
}

ThermalSummary Telemetry::Thermal(int64_t t0, int64_t t1) const {
  ThermalSummary th;
  if (thermal_idx_) {
    const Sensor& s = sampler_->sensor(*thermal_idx_);
    Series series = sampler_->Snapshot(*thermal_idx_);
    for (size_t c = 0; c < s.channels().size(); ++c) {
      LevelStats st = ChannelLevels(series, c, s.channels()[c], t0, t1);
      ZoneSummary z;
      z.zone = s.channels()[c].name;
      z.max_c = st.max;
      z.mean_c = st.mean;
      for (const auto& info : zones_) {
        if (z.zone.rfind(info.zone + " ", 0) == 0 || z.zone == info.zone) z.trip_c = info.trip_c;
      }
      if (z.max_c && z.trip_c && *z.max_c >= *z.trip_c) {
        z.at_trip = true;
        th.throttling_suspected = true;
        th.throttling_reason += (th.throttling_reason.empty() ? "" : "; ") + z.zone + " reached its trip point (" +
                                std::to_string(*z.max_c) + " >= " + std::to_string(*z.trip_c) + " C)";
      }
      th.zones.push_back(z);
    }
  }
  if (cpufreq_idx_) {
    const Sensor& s = sampler_->sensor(*cpufreq_idx_);
    Series series = sampler_->Snapshot(*cpufreq_idx_);
    std::string below;
    for (size_t c = 0; c < s.channels().size(); ++c) {
      LevelStats st = ChannelLevels(series, c, s.channels()[c], t0, t1);
      CoreFreqSummary f;
      f.cpu = s.channels()[c].name;
      f.min_hz = st.min;
      f.mean_hz = st.mean;
      f.max_hz = st.max;
      for (const auto& core : cores_) {
        if ("cpu" + std::to_string(core.cpu) == f.cpu && core.max_freq_khz) f.limit_hz = double(*core.max_freq_khz) * 1e3;
      }
      // 95%: drivers report frequencies a few percent off the nominal maximum.
      if (f.min_hz && f.limit_hz && *f.min_hz < 0.95 * *f.limit_hz) {
        f.below_max = true;
        below += (below.empty() ? "" : ", ") + f.cpu;
      }
      th.cores.push_back(f);
    }
    if (!below.empty()) {
      th.throttling_suspected = true;
      th.throttling_reason += (th.throttling_reason.empty() ? "" : "; ") + std::string("frequency below 95% of max on ") +
                              below + " (throttling, a power cap, or the governor lowering an idle core)";
    }
  }
  return th;
}

std::vector<CounterDelta> Telemetry::Counters(int64_t t0, int64_t t1) const {
  std::vector<CounterDelta> out;
  if (perf_idx_) {
    const Sensor& s = sampler_->sensor(*perf_idx_);
    Series series = sampler_->Snapshot(*perf_idx_);
    for (size_t c = 0; c < s.channels().size(); ++c) {
      IntervalAmount a = ChannelAmount(series, c, s.channels()[c], t0, t1, sampler_->interval_ns(*perf_idx_));
      out.push_back({s.channels()[c].name, a.value, a.reason});
    }
  }
  for (const auto& st : counters_) {
    if (!st.supported) out.push_back({st.name, std::nullopt, "unsupported: " + st.reason});
  }
  return out;
}

TelemetryReport Telemetry::Report() const {
  TelemetryReport r;
  r.findings = findings_;
  r.counters = counters_;
  r.thermal_note = thermal_note_;
  r.cpufreq_note = cpufreq_note_;
  r.overhead = sampler_->overhead();
  r.rpi_throttled_start = rpi_throttled_start_;
  r.rpi_throttled_end = rpi_throttled_end_;
  r.silent_at_start = silent_at_start_;
  std::vector<Phase> phases;
  {
    std::lock_guard<std::mutex> lock(mu_);
    r.baseline_start_ns = baseline_t0_;
    r.baseline_end_ns = baseline_t1_;
    phases = phases_;
  }
  for (size_t i : energy_idx_) {
    const Sensor& s = sampler_->sensor(i);
    SourceReport sr;
    sr.sensor = s.name();
    sr.source = s.source();
    sr.coverage = s.coverage();
    sr.estimated = s.estimated();
    sr.channels = s.channels();
    sr.interval_ms = double(EffectiveInterval(i)) * 1e-6;
    sr.stats = sampler_->stats(i);
    if (r.baseline_start_ns) {
      sr.baseline = TotalEnergy(sampler_->Snapshot(i), s.channels(), *r.baseline_start_ns, *r.baseline_end_ns,
                                EffectiveInterval(i));
      if (sr.baseline.value && sr.baseline.duration_s() > 0) sr.baseline_watts = *sr.baseline.value / sr.baseline.duration_s();
    }
    r.sources.push_back(std::move(sr));
  }
  for (const Phase& p : phases) {
    PhaseReport pr;
    pr.name = p.name;
    pr.start_ns = p.t0;
    pr.end_ns = p.t1;
    pr.tokens = p.tokens;
    pr.energy = EnergyBetween(p.t0, p.t1, p.tokens);
    pr.thermal = Thermal(p.t0, p.t1);
    pr.counters = Counters(p.t0, p.t1);
    r.phases.push_back(std::move(pr));
  }
  return r;
}

}  // namespace edgelm::telemetry
