#include "telemetry/report_json.h"

#include <nlohmann/json.hpp>

namespace edgelm::telemetry {
namespace {

using nlohmann::json;

json Opt(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

json Amount(const IntervalAmount& a) {
  json j{{"joules", Opt(a.value)},
         {"method", a.method},
         {"start_ns", a.t0_ns},
         {"end_ns", a.t1_ns},
         {"duration_s", a.duration_s()},
         {"n_samples", a.n_samples},
         {"sample_interval_ms", a.sample_interval_ms},
         {"max_gap_ms", a.max_gap_ms},
         {"counter_wraps", a.wraps}};
  if (!a.value) j["reason"] = a.reason;
  return j;
}

json Energy(const SourceEnergy& e) {
  const PhaseEnergy& p = e.energy;
  json j{{"sensor", e.sensor},
         {"source", e.source},
         {"estimated", e.estimated},
         {"coverage", e.coverage},
         {"gross", Amount(p.gross)},
         {"avg_watts", Opt(p.avg_watts)},
         {"baseline_watts", Opt(p.baseline_watts)},
         {"net_joules", Opt(p.net_joules)},
         {"joules_per_token", Opt(p.joules_per_token)},
         {"net_joules_per_token", Opt(p.net_joules_per_token)},
         {"tokens_per_joule", Opt(p.tokens_per_joule)}};
  return j;
}

}  // namespace

std::string TelemetryReportJson(const TelemetryReport& r, int indent) {
  json j;
  json sources = json::array();
  for (const SourceReport& s : r.sources) {
    json channels = json::array();
    for (const ChannelInfo& c : s.channels) {
      channels.push_back({{"name", c.name},
                          {"quantity", QuantityName(c.quantity)},
                          {"unit", c.native_unit},
                          {"in_total", c.in_total},
                          {"origin", c.origin}});
    }
    json js{{"sensor", s.sensor},
            {"source", s.source},
            {"estimated", s.estimated},
            {"coverage", s.coverage},
            {"interval_ms", s.interval_ms},
            {"channels", channels},
            {"n_samples", s.stats.n_samples},
            {"n_dropped", s.stats.n_dropped},
            {"n_rejected", s.stats.n_rejected},
            {"n_read_errors", s.stats.n_read_errors},
            {"baseline_watts", Opt(s.baseline_watts)}};
    if (!s.stats.last_error.empty()) js["last_error"] = s.stats.last_error;
    if (!s.baseline_watts && r.baseline_start_ns) js["baseline_reason"] = s.baseline.reason;
    sources.push_back(js);
  }
  j["sources"] = sources;
  if (r.baseline_start_ns) {
    j["baseline"] = {{"start_ns", *r.baseline_start_ns}, {"end_ns", *r.baseline_end_ns}};
  } else {
    j["baseline"] = nullptr;
  }
  json phases = json::array();
  for (const PhaseReport& p : r.phases) {
    json energy = json::array();
    for (const SourceEnergy& e : p.energy) energy.push_back(Energy(e));
    json zones = json::array();
    for (const ZoneSummary& z : p.thermal.zones) {
      zones.push_back({{"zone", z.zone}, {"max_c", Opt(z.max_c)}, {"mean_c", Opt(z.mean_c)},
                       {"trip_c", Opt(z.trip_c)}, {"at_trip", z.at_trip}});
    }
    json cores = json::array();
    for (const CoreFreqSummary& c : p.thermal.cores) {
      cores.push_back({{"cpu", c.cpu}, {"min_hz", Opt(c.min_hz)}, {"mean_hz", Opt(c.mean_hz)},
                       {"max_hz", Opt(c.max_hz)}, {"limit_hz", Opt(c.limit_hz)}, {"below_max", c.below_max}});
    }
    json counters = json::array();
    for (const CounterDelta& c : p.counters) {
      json jc{{"name", c.name}, {"value", Opt(c.value)}};
      if (!c.value) jc["reason"] = c.reason;
      counters.push_back(jc);
    }
    phases.push_back({{"name", p.name},
                      {"start_ns", p.start_ns},
                      {"end_ns", p.end_ns},
                      {"tokens", p.tokens},
                      {"energy", energy},
                      {"thermal_zones", zones},
                      {"core_frequencies", cores},
                      {"throttling_suspected", p.thermal.throttling_suspected},
                      {"throttling_reason", p.thermal.throttling_reason},
                      {"counters", counters}});
  }
  j["phases"] = phases;
  json findings = json::array();
  for (const SourceFinding& f : r.findings) {
    json jf{{"source", f.source}, {"what", f.what}, {"state", FindingStateName(f.state)}, {"detail", f.detail}};
    if (!f.fix.empty()) jf["fix"] = f.fix;
    findings.push_back(jf);
  }
  j["findings"] = findings;
  j["sampler"] = {{"thread_cpu_ns", r.overhead.thread_cpu_ns},
                  {"wall_ns", r.overhead.wall_ns},
                  {"core_fraction", r.overhead.core_fraction()}};
  if (!r.thermal_note.empty()) j["thermal_note"] = r.thermal_note;
  if (!r.cpufreq_note.empty()) j["cpufreq_note"] = r.cpufreq_note;
  if (!r.silent_at_start.empty()) j["silent_at_start"] = r.silent_at_start;
  if (!r.rpi_throttled_start.empty()) {
    j["rpi_throttled"] = {{"start", r.rpi_throttled_start}, {"end", r.rpi_throttled_end}};
  }
  return j.dump(indent);
}

}  // namespace edgelm::telemetry
